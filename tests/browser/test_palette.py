"""The light/dark toggle (overrides/partials/palette.html, docs/javascripts/palette.js), which replaces Material's
palette component: it follows the system until the reader chooses, remembers the choice across pages, works
from the keyboard, and never makes the whole page restyle at start-up."""

import pytest

# Records, from before the page's first script, whether <body> was ever marked data-md-color-switching
# (Material's component does so at start-up; a rule of Material's then matches every element).
WATCH_SWITCHING = """
window.__switching = 0;
new MutationObserver(records => {
  for (const r of records) if (r.attributeName === 'data-md-color-switching') window.__switching += 1;
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-md-color-switching']});
"""


def open_page(context, url):
    page = context.new_page()
    page.goto(url, wait_until="load")
    page.wait_for_timeout(200)   # past the next animation frame, when Material's component would act
    return page


def state(page) -> dict:
    return page.evaluate("""() => ({
        scheme: document.body.getAttribute('data-md-color-scheme'),
        root: getComputedStyle(document.documentElement).colorScheme,
        button: [...document.querySelectorAll('[data-book-palette] label')].filter(l => !l.hidden)
                  .map(l => l.title),
        tint: document.querySelector('meta[name=theme-color]')?.content,
        switching: window.__switching,
    })""")


@pytest.mark.browser
@pytest.mark.parametrize("system, scheme, button",
                         [("light", "default", "Switch to dark mode"), ("dark", "slate", "Switch to light mode")])
def test_first_visit_follows_the_system_preference(browser, site_url, system, scheme, button):
    context = browser.new_context(color_scheme=system)
    context.add_init_script(WATCH_SWITCHING)
    s = state(open_page(context, site_url + "rlhf-ppo.html"))
    context.close()
    assert s["scheme"] == scheme
    assert s["button"] == [button], "exactly one toggle button, leading to the other scheme"
    assert (s["root"] == "dark") == (scheme == "slate"), "the page's own scrollbar and canvas follow the scheme"
    assert s["tint"] and s["tint"].startswith("rgb"), "the browser bar is tinted like the header"
    assert s["switching"] == 0, "start-up marked <body> as switching: the whole page restyled"


@pytest.mark.browser
def test_the_choice_is_remembered_on_the_next_page(browser, site_url):
    context = browser.new_context(color_scheme="light")
    page = open_page(context, site_url + "sft.html")
    page.locator("[data-book-palette] label:visible").click()
    assert state(page)["scheme"] == "slate"
    # Material's inline script in <body> reads the remembered choice: the next page is dark from its first paint.
    page.goto(site_url + "reward-modeling.html", wait_until="domcontentloaded")
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate"
    page.wait_for_load_state("load")
    assert state(page)["button"] == ["Switch to light mode"]
    page.locator("[data-book-palette] label:visible").click()
    assert state(page)["scheme"] == "default"
    page.reload(wait_until="load")
    assert state(page)["scheme"] == "default"
    context.close()


@pytest.mark.browser
def test_enter_on_the_focused_option_switches_and_keeps_the_focus(browser, site_url):
    context = browser.new_context(color_scheme="light")
    page = open_page(context, site_url + "index.html")
    page.focus("#__palette_0")
    page.keyboard.press("Enter")
    assert state(page)["scheme"] == "slate"
    assert page.evaluate("document.activeElement.id") == "__palette_1"
    page.keyboard.press("Enter")
    assert state(page)["scheme"] == "default"
    assert page.evaluate("document.activeElement.id") == "__palette_0"
    context.close()
