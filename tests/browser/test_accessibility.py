"""axe-core (npm, test-only) on every page of the nav, in the light and the dark scheme: no WCAG 2.1 A/AA violation.

axe is evaluated through Playwright (DevTools), not added as a <script>: the page's
Content-Security-Policy would rightly refuse an inline script it has no hash for.
"""

import json
import re

import pytest

from tests.browser.test_pages import nav_pages, page_url
from tests.support import PHONE, ROOT, draw_every_chart

AXE = ROOT / "node_modules/axe-core/axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def open_in_scheme(browser, url: str, scheme: str):
    context = browser.new_context()
    # Material remembers the scheme in localStorage (as in test_pages.py).
    context.add_init_script(
        "localStorage.setItem('/.__palette', JSON.stringify({index: %d, color: {scheme: '%s'}}))"
        % (0 if scheme == "default" else 1, scheme))
    page = context.new_page()
    page.goto(url, wait_until="load")
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == scheme
    # Audit the page as readers see it: charts drawn, formulas typeset.
    draw_every_chart(page)
    # axe finds a text's background by hit-testing where the text is. Blocks off screen are skipped by the
    # browser (content-visibility: auto, docs/stylesheets/book.css) and are not hit, so axe would compare the
    # text with whatever lies behind the block. A reader only ever sees a block rendered: audit it rendered.
    page.add_style_tag(content=".md-typeset * { content-visibility: visible !important; }")
    return context, page


def violations(page, run_only=None) -> list[dict]:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci` (axe-core is a devDependency in package.json)")
    page.evaluate(AXE.read_text())
    return page.evaluate("""runOnly => axe.run(document, {runOnly: runOnly, resultTypes: ['violations']})
        .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.map(n => ({target: n.target.join(' '),
                                                                     summary: n.failureSummary}))})))""",
                         run_only or {"type": "tag", "values": TAGS})


def report(found: list[dict]) -> str:
    lines = []
    for v in found:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} node(s)")
        lines += [f"    {n['target']}: {n['summary'].splitlines()[-1].strip() if n['summary'] else ''}"
                  for n in v["nodes"][:8]]
    return "\n".join(lines)


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["default", "slate"])
@pytest.mark.parametrize("md", nav_pages())
def test_no_wcag21_aa_violations(browser, site_url, md, scheme):
    context, page = open_in_scheme(browser, site_url + page_url(md), scheme)
    found = violations(page)
    context.close()
    assert not found, f"{md} ({scheme}): axe found {len(found)} WCAG 2.1 A/AA violation(s):\n{report(found)}"


@pytest.mark.browser
@pytest.mark.parametrize("md", nav_pages())
def test_the_page_as_loaded_on_a_phone_measures_right(browser, site_url, md):
    """Lighthouse audits a page as loaded on its phone, with blocks still skipped (content-visibility): their
    content measures at its real size but sits in a box of the estimated size, so a block larger than its
    estimate seems to lie over the next one. The two rules that measure geometry must still pass there:
    contrast (text over a different background) and target size (a control covered by another; WCAG 2.2,
    which Lighthouse counts). docs/stylesheets/book.css sizes the estimates for this."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(site_url + page_url(md), wait_until="load")
    page.wait_for_timeout(1000)   # Material's start-up and the blocks near the screen, as Lighthouse waits
    found = violations(page, ["color-contrast", "target-size"])
    context.close()
    assert not found, f"{md} as loaded on a phone:\n{report(found)}"


@pytest.mark.browser
def test_the_audit_catches_a_violation(browser, site_url):
    """The set-up must be able to fail: an image without a text alternative is reported."""
    context, page = open_in_scheme(browser, site_url + "index.html", "default")
    page.evaluate("""() => { const img = document.createElement('img');
        img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw='; document.querySelector('article').append(img); }""")
    ids = [v["id"] for v in violations(page)]
    context.close()
    assert "image-alt" in ids, json.dumps(ids)


# ------------------------------------------------------------- tables: every column named
# (no browser: the built pages) A screen reader announces a cell with its column's header; a blank corner
# cell leaves the first column unnamed (Lighthouse's td-has-header). lab.html_table refuses one.
def test_no_table_in_the_book_has_a_blank_header_cell(built_site):
    blank = re.compile(r"<th[^>]*>\s*</th>")
    pages = [p.relative_to(built_site).as_posix() for p in built_site.rglob("*.html") if blank.search(p.read_text())]
    assert not pages, f"tables with a blank header cell (name the column): {pages}"


# ------------------------------------------------------------- charts: colour never the only difference
# (no browser: the figures as build_charts/render.py ships them)
def test_no_two_visible_series_of_a_panel_differ_by_colour_alone():
    from build_charts import figures, registry  # noqa: F401  (figures registers every chart)
    from build_charts.render import figure_dict

    def look(t):   # everything but colour that a reader can tell series apart by
        marker, line = t.get("marker", {}), t.get("line", {})
        mode = t.get("mode", "lines+markers")
        return (t.get("type", "scatter"), line.get("dash", "solid") if "lines" in mode else None,
                marker.get("symbol", "circle") if "markers" in mode else None,
                (marker.get("pattern") or {}).get("shape", ""), t.get("fill"))

    clashes = []
    for chart_id in registry.known_ids():
        panels = {}
        for t in figure_dict(registry.build(chart_id))["data"]:
            if t.get("visible", True) is True and t.get("type", "scatter") in ("scatter", "bar"):
                panels.setdefault((t.get("xaxis", "x"), t.get("yaxis", "y")), []).append((look(t), t.get("name")))
        for traces in panels.values():
            looks = [lk for lk, _ in traces]
            clashes += [(chart_id, name, lk) for lk, name in traces if looks.count(lk) > 1]
    assert not clashes, f"series told apart by colour alone: {clashes}"


@pytest.mark.browser
@pytest.mark.parametrize("md", ["index.md", "404.md"])
def test_search_dialog_has_a_name(browser, site_url, md):
    # axe files aria-dialog-name under best practice, not WCAG tags; Lighthouse counts it. Material's search
    # partial has role="dialog" and no name (build_charts/render.py names it).
    context, page = open_in_scheme(browser, site_url + page_url(md), "default")
    found = violations(page, {"type": "rule", "values": ["aria-dialog-name"]})
    context.close()
    assert not found, report(found)
