"""The Challenges chapter's explorer (Material content tabs) is operable by keyboard alone."""

import pytest


@pytest.mark.browser
def test_the_explorer_is_keyboard_operable(browser, site_url):
    page = browser.new_page()
    page.goto(site_url + "challenges.html")
    shown = "() => Array.from(document.querySelectorAll('.tabbed-set .tabbed-block')).map(e => e.offsetParent !== null)"
    assert page.evaluate(shown) == [True, False, False, False]
    page.focus("#__tabbed_1_1")
    for k in range(1, 4):
        page.keyboard.press("ArrowRight")
        assert page.evaluate(shown) == [i == k for i in range(4)]
    page.close()
