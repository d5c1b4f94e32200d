"""Printing (docs/stylesheets/book.css, @media print): every page prints with its charts and math, without
navigation or controls, and Chromium makes a PDF of it."""

import re

import pytest

from tests.browser.test_pages import chart_markers, nav_pages, page_url
from tests.support import draw_every_chart

pytestmark = pytest.mark.browser

HIDDEN_IN_PRINT = [".md-header", ".md-sidebar--primary", ".md-sidebar--secondary", ".md-footer",
                   ".bc-sim-controls", ".bc-sim-actions", ".modebar-container", "details.bc-data"]


# A4 is 210 mm = 793.7 CSS px wide; Chromium's default print margins are 0.4 in (38.4 px) a side.
A4_COLUMN_PX = 793.7 - 2 * 38.4


def pdf_pages(pdf: bytes) -> int:
    """Page objects in the PDF (Chromium writes the page dictionaries uncompressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


@pytest.mark.parametrize("md", nav_pages())
def test_page_prints_with_its_charts_and_math(browser, site_url, md):
    page = browser.new_page()
    page.goto(site_url + page_url(md))
    draw_every_chart(page)
    page.emulate_media(media="print")
    page.wait_for_timeout(200)
    state = page.evaluate("""hidden => {
        const box = e => e.getBoundingClientRect();
        const content = box(document.querySelector('.md-content'));
        return {
          shown: hidden.filter(s => [...document.querySelectorAll(s)].some(e => e.getClientRects().length
                                     && getComputedStyle(e).display !== 'none')),
          content: {left: content.left, right: content.right},
          charts: [...document.querySelectorAll('.bc-plot')].map(el => {
            const svg = el.querySelector('svg.main-svg'), r = box(svg || el);
            return {id: el.id, width: r.width, height: r.height, left: r.left, right: r.right,
                    traces: el.querySelectorAll('.trace').length,
                    breakInside: getComputedStyle(el.closest('figure')).breakInside};
          }),
          // Formulas the print shows (collapsed blocks print open; a quiz's hidden feedback stays hidden),
          // and how many of those are typeset.
          math: [...document.querySelectorAll('.arithmatex')].filter(e => e.getClientRects().length).length,
          mathShown: [...document.querySelectorAll('.arithmatex .katex')].filter(e => box(e).width > 0).length,
          inDetails: [...document.querySelectorAll('details:not([open]):not(.bc-data) .arithmatex .katex')]
                       .filter(e => box(e).width > 0).length,
          details: document.querySelectorAll('details:not([open]):not(.bc-data) .arithmatex').length,
        };
    }""", HIDDEN_IN_PRINT)
    assert not state["shown"], f"{md}: still shown in print: {state['shown']}"
    assert len(state["charts"]) == chart_markers(md), f"{md}: {len(state['charts'])} charts in print"
    for c in state["charts"]:
        assert c["width"] > 100 and c["height"] > 100 and c["traces"] > 0, f"{md}: chart not printed: {c}"
        assert c["breakInside"] == "avoid", f"{md}: {c['id']} may be cut across pages"
        # Within the printed text column (1 px of rounding allowed), and no wider than an A4 page's.
        assert c["left"] >= state["content"]["left"] - 1 and c["right"] <= state["content"]["right"] + 1, \
            f"{md}: {c['id']} sticks out of the text column: {c} vs {state['content']}"
        assert c["width"] <= A4_COLUMN_PX, f"{md}: {c['id']} is wider than an A4 page's text column: {c}"
    assert state["mathShown"] == state["math"], f"{md}: {state['math'] - state['mathShown']} formulas missing"
    assert state["inDetails"] == state["details"], f"{md}: formulas in collapsed blocks do not print"
    pdf = page.pdf(format="A4", print_background=False)
    page.close()
    assert pdf.startswith(b"%PDF-")
    n = pdf_pages(pdf)
    assert n >= 1, f"{md}: PDF without pages"
    # Two charts (each over 100 px tall, plus the chapter's text) never fit on one A4 page.
    assert n >= min(len(state["charts"]), 2), f"{md}: {n} page(s) for {len(state['charts'])} charts"
