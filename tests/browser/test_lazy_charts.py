"""Charts are drawn as the reader reaches them (build_charts/assets/charts.js): Plotly, about 1 MB of script,
is not fetched while no chart is near the screen and the reader has not moved; printing draws the rest."""

import pytest

pytestmark = pytest.mark.browser

PLOTLY = "plotly-cartesian.min.js"
VIEWPORT = {"width": 1000, "height": 700}
# A chapter whose first chart sits well below the first screen (checked below, not assumed).
PAGE = "pretraining.html"


def open_still(browser, site_url, route=None):
    """The page opened and left alone: no scroll, no key, no tap."""
    context = browser.new_context(viewport=VIEWPORT)
    requests, errors = [], []
    context.on("request", lambda r: requests.append(r.url))
    if route:
        context.route(f"**/{PLOTLY}", route)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(site_url + PAGE, wait_until="load")
    page.wait_for_timeout(1500)   # time enough for anything eager to have started
    first_top = page.evaluate("document.querySelector('.bc-plot').getBoundingClientRect().top")
    assert first_top > VIEWPORT["height"] + 700, \
        f"{PAGE}'s first chart is at {first_top}px: choose a page whose charts start below the first screen"
    return context, page, requests, errors


def drawn_states(page):
    return page.evaluate("[...document.querySelectorAll('.bc-plot')].map(e => e.dataset.drawn || null)")


def test_plotly_waits_until_a_chart_nears_the_screen(browser, site_url):
    context, page, requests, errors = open_still(browser, site_url)
    try:
        assert not [u for u in requests if PLOTLY in u], "Plotly was fetched with no chart near the screen"
        assert set(drawn_states(page)) == {None}
        # Until drawn, a chart's text alternative and data table are already there.
        assert page.evaluate("document.querySelector('.bc-plot').getAttribute('aria-label')").strip()

        page.locator(".bc-plot").first.scroll_into_view_if_needed()
        page.wait_for_function("() => document.querySelector('.bc-plot').dataset.drawn === 'true'", timeout=20_000)
        assert len([u for u in requests if PLOTLY in u]) == 1
        states = drawn_states(page)
        assert states[0] == "true" and states[-1] is None, \
            f"the last chart, far below, should still wait: {states}"
        assert not errors, errors
    finally:
        context.close()


def test_beforeprint_draws_every_waiting_chart_at_once(browser, site_url):
    context, page, requests, errors = open_still(browser, site_url)
    try:
        page.locator(".bc-plot").first.scroll_into_view_if_needed()
        page.wait_for_function("() => typeof Plotly === 'object'", timeout=20_000)
        # The browser lays the page out for print right after the event: the charts must be in the DOM by the
        # time the handlers return, not a task later.
        svgs = page.evaluate("""() => {
            window.dispatchEvent(new Event('beforeprint'));
            return [...document.querySelectorAll('.bc-plot')].map(e => e.querySelectorAll('.main-svg').length);
        }""")
        assert svgs and all(n > 0 for n in svgs), svgs
        page.wait_for_function("() => [...document.querySelectorAll('.bc-plot')].every(e => e.dataset.drawn)")
        assert set(drawn_states(page)) == {"true"}
        assert not errors, errors
    finally:
        context.close()


def test_first_keypress_fetches_plotly_in_the_background(browser, site_url):
    context, page, requests, errors = open_still(browser, site_url)
    try:
        page.keyboard.press("Shift")
        page.wait_for_function("() => typeof Plotly === 'object'", timeout=20_000)
        assert set(drawn_states(page)) == {None}, "fetching Plotly early should not draw charts off screen"
    finally:
        context.close()


def test_plotly_that_fails_to_load_leaves_the_text_alternatives(browser, site_url):
    context, page, requests, errors = open_still(browser, site_url, route=lambda route: route.abort())
    try:
        page.locator(".bc-plot").first.scroll_into_view_if_needed()
        page.wait_for_function("() => [...document.querySelectorAll('.bc-plot')].every(e => e.dataset.drawn)",
                               timeout=20_000)
        assert set(drawn_states(page)) == {"error"}
        assert page.locator(".bc-plot").first.get_attribute("aria-label").strip()
        assert page.locator("details.bc-data").count() >= page.locator(".bc-plot").count()
    finally:
        context.close()
