"""The embed view (`?embed=1`, build_charts/assets/embed.js): a chapter in an iframe of a page on
another origin (as in a course site or an LMS) shows without the site's header, navigation and
footer, tells its parent how tall it is, and keeps the embed view when the reader follows a link.
"""

import re

import pytest

from tests.browser.test_pages import nav_pages
from tests.support import serve

CHROME = ".md-header, .md-sidebar--primary, .md-sidebar--secondary, .md-footer, [data-book-palette]"

# The snippet docs/use-in-your-course.md gives course authors, as a parent page would use it.
PARENT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>course</title>
<link rel="icon" href="data:,"></head><body>
<iframe id="book" title="Pretraining" src="%s" style="width:100%%;border:0" loading="lazy"></iframe>
<script>
  window.heights = [];
  window.addEventListener("message", function (event) {
    var frame = document.getElementById("book");
    if (event.source === frame.contentWindow && event.data && event.data.type === "llm-book:height") {
      heights.push(event.data.height);
      frame.style.height = event.data.height + "px";
    }
  });
</script></body></html>
"""


@pytest.fixture
def course_page(site_url, tmp_path):
    """A parent page on another origin (another port) that embeds a chapter."""
    (tmp_path / "course.html").write_text(PARENT % (site_url + "pretraining.html?embed=1"))
    with serve(tmp_path) as url:
        yield url + "course.html"


def visible(frame_or_page, selector) -> list[str]:
    loc = frame_or_page.locator(selector)
    return [loc.nth(i).evaluate("e => e.className || e.tagName") for i in range(loc.count()) if loc.nth(i).is_visible()]


@pytest.mark.browser
def test_embedded_chapter_reports_its_height_and_hides_the_site_chrome(browser, site_url, course_page):
    context = browser.new_context(viewport={"width": 1100, "height": 700})
    requests = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(course_page, wait_until="load")
    page.wait_for_function("() => heights.length > 0", timeout=20_000)
    frame = page.frame_locator("#book")
    frame.locator(".bc-plot").first.scroll_into_view_if_needed()   # charts draw as they near the screen
    frame.locator(".bc-plot[data-drawn='true']").first.wait_for(timeout=20_000)
    page.wait_for_timeout(300)   # let the last resize after the charts reach the parent

    assert visible(frame, CHROME) == []
    assert frame.locator(".md-content h1").is_visible()
    # The iframe now fits the chapter: the parent set the reported height, and nothing scrolls inside.
    height = page.evaluate("heights[heights.length - 1]")
    assert height > 1000, height    # a whole chapter, not the iframe's default 150 px
    inner = frame.locator("html").evaluate(
        "e => ({scroll: e.scrollHeight, view: window.innerHeight, body: document.body.getBoundingClientRect().height})")
    assert abs(inner["view"] - height) <= 1 and inner["scroll"] <= inner["view"] + 1, inner

    # A narrower iframe makes the chapter taller: the ResizeObserver reports it again.
    count = page.evaluate("heights.length")
    page.evaluate("document.getElementById('book').style.width = '420px'")
    page.wait_for_function(f"() => heights.length > {count} && heights[heights.length - 1] > {height}",
                           timeout=10_000)

    assert [u for u in requests if not u.startswith(("http://127.0.0.1", "data:"))] == []
    assert not errors, errors
    context.close()


@pytest.mark.browser
def test_links_in_an_embedded_chapter_keep_the_embed_view(browser, site_url):
    page = browser.new_page()
    page.goto(site_url + "pretraining.html?embed=1", wait_until="load")
    hrefs = page.eval_on_selector_all(".md-content a[href]", "els => els.map(a => a.getAttribute('href'))")
    pages = [h for h in hrefs if not h.startswith(("#", "http:", "https:")) and ".html" in h]
    assert pages, "the chapter links to no other page of the book"
    assert all("embed=1" in h for h in pages), [h for h in pages if "embed=1" not in h]
    # The sidebars are hidden but their links are rewritten as well; follow one.
    page.locator(".md-content a[href*='.html?embed=1']").first.click()
    page.wait_for_load_state("load")
    assert "embed=1" in page.url
    assert page.evaluate("document.documentElement.classList.contains('embed')")
    assert visible(page, CHROME) == []
    page.close()


@pytest.mark.browser
def test_the_normal_view_keeps_header_navigation_and_footer(browser, site_url):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(site_url + "pretraining.html", wait_until="load")
    assert not page.evaluate("document.documentElement.classList.contains('embed')")
    for selector in (".md-header", ".md-sidebar--primary", ".md-sidebar--secondary", ".md-footer"):
        assert page.locator(selector).first.is_visible(), f"{selector} is hidden in the normal view"
    assert "embed=1" not in page.locator(".md-content a[href$='.html']").first.get_attribute("href")
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize("md", nav_pages())
def test_every_page_has_an_embed_view(browser, site_url, md):
    page = browser.new_page()
    page.goto(site_url + re.sub(r"\.(md|ipynb)$", ".html", md) + "?embed=1", wait_until="domcontentloaded")
    page.wait_for_function("() => document.documentElement.classList.contains('embed')", timeout=10_000)
    assert visible(page, CHROME) == []
    assert page.locator(".md-content").is_visible()
    page.close()
