"""Text does not move under the reader's eyes while a page loads, on a phone and on a large desktop screen.

Blocks of a chapter are laid out only near the screen (content-visibility in docs/stylesheets/book.css); one
that is on the first screen but sized late pushes the text below it down. Measured here as the browser's
layout-shift score (the sum Lighthouse reports as CLS) during load; 0.1 is the web's "good" limit, and the
book stays well under it.
"""

import pytest

from tests.browser.test_pages import nav_pages, page_url
from tests.support import LARGE_DESKTOP, PHONE

RECORD_SHIFTS = """
window.__shifts = [];
new PerformanceObserver(list => {
  for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shifts.push({
    value: e.value,
    moved: e.sources.map(s => s.node && s.node.nodeType === 1 ? s.node.tagName + '.' + s.node.className : '#text'),
  });
}).observe({type: 'layout-shift', buffered: true});
"""


@pytest.mark.browser
@pytest.mark.parametrize("screen", [PHONE, LARGE_DESKTOP], ids=["phone", "large-desktop"])
@pytest.mark.parametrize("md", nav_pages())
def test_loading_a_page_moves_no_text(browser, site_url, md, screen):
    context = browser.new_context(**screen)
    context.add_init_script(RECORD_SHIFTS)
    page = context.new_page()
    page.goto(site_url + page_url(md), wait_until="load")
    page.wait_for_timeout(1500)   # fonts, Material's start-up and the first blocks near the screen
    shifts = page.evaluate("window.__shifts")
    context.close()
    total = sum(s["value"] for s in shifts)
    assert total < 0.02, f"{md} ({screen['viewport']}): layout shift {total:.3f} while loading: {shifts}"
