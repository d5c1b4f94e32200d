"""Code blocks keep Material's copy button, set up when the block comes into view.

Material measures each code block when it sets it up (is it wide enough to scroll?). Done for every block
at load, that measuring made the browser style a whole long chapter, content-visibility or not; with
Material's `content.lazy` (mkdocs.yml) a block is set up as it scrolls into view. Checked here on the
chapter whose last code block is furthest down: no button before the reader gets there, a working one after.
"""

import pytest

from tests.browser.test_pages import page_url
from tests.support import PHONE

COPY_BUTTON = ".md-code__button[data-md-type=copy]"


@pytest.mark.browser
def test_a_code_block_gets_its_copy_button_when_it_comes_into_view(browser, site_url):
    context = browser.new_context(**PHONE, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(site_url + page_url("rlhf-ppo.md"), wait_until="load")
    page.wait_for_timeout(500)   # Material's start-up
    blocks = page.locator("article .highlight")
    assert blocks.count() >= 1, "rlhf-ppo.md has no code block: pick another chapter for this test"
    block = blocks.last
    assert block.evaluate("b => b.getBoundingClientRect().top") > PHONE["viewport"]["height"], \
        "the code block is on the first screen"
    button = block.locator(COPY_BUTTON)
    assert button.count() == 0, "set up before it came into view: is content.lazy off in mkdocs.yml?"

    block.scroll_into_view_if_needed()
    button.wait_for(state="visible", timeout=5000)
    shown = block.locator("code").inner_text()
    button.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    context.close()
    assert copied.strip() and copied.strip() == shown.strip(), f"copied {copied!r}, the block shows {shown!r}"
