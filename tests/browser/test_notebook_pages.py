"""The lab notebooks' pages (docs/labs/*.ipynb rendered by mkdocs-jupyter), opened in Chromium: their charts are
drawn, their formulas rendered, their links (the .ipynb itself, the simulator_wasm wheel) work, and nothing is
requested from another origin.

The site served is `site/` (built by `make book`, or by the `built_site` fixture), or the folder named by the
environment variable BOOK_SITE_DIR, so a site built elsewhere can be checked without rebuilding `site/`.
"""

import os
import re
from pathlib import Path

import nbformat
import pytest

from build_charts.notebooks import lab_notebooks
from tests.support import serve, draw_every_chart

PLOTLY_MIME = "application/vnd.plotly.v1+json"


@pytest.fixture(scope="module")
def lab_site_url(request):
    folder = os.environ.get("BOOK_SITE_DIR")
    site = Path(folder) if folder else request.getfixturevalue("built_site")
    if not (site / "labs").is_dir():
        pytest.fail(f"{site} has no labs/ folder: build the site with the lab notebooks first")
    with serve(site) as url:
        yield url


def expected_charts(path: Path) -> int:
    """Chart outputs stored in the notebook: each must become one drawn chart on its page."""
    nb = nbformat.read(path, as_version=4)
    return sum(PLOTLY_MIME in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def expected_formulas(path: Path) -> int:
    """$$…$$ and $…$ spans in the Markdown cells (outside code spans)."""
    nb = nbformat.read(path, as_version=4)
    text = re.sub(r"`[^`]*`", "", "\n".join(c.source for c in nb.cells if c.cell_type == "markdown"))
    display = re.findall(r"\$\$.+?\$\$", text, re.S)
    inline = re.findall(r"\$[^$\n]+\$", re.sub(r"\$\$.+?\$\$", "", text, flags=re.S))
    return len(display) + len(inline)


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["default", "slate"])
@pytest.mark.parametrize("path", lab_notebooks(), ids=lambda p: p.stem)
def test_notebook_page_draws_charts_and_math_from_its_own_origin(browser, lab_site_url, path, scheme):
    context = browser.new_context()
    context.add_init_script(
        "localStorage.setItem('/.__palette', JSON.stringify({index: %d, color: {scheme: '%s'}}))"
        % (0 if scheme == "default" else 1, scheme))
    requests, errors = [], []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))

    response = page.goto(f"{lab_site_url}labs/{path.stem}.html", wait_until="load")
    assert response.status == 200

    # Charts: every chart output of the notebook is drawn by the book's charts.js, with data on the plot.
    n_charts = expected_charts(path)
    assert n_charts >= 1, f"{path.name} is stored without chart outputs"
    plots = page.locator(".jupyter-wrapper .bc-plot")
    assert plots.count() == n_charts, f"{path.name}: {n_charts} chart outputs but {plots.count()} charts"
    draw_every_chart(page)
    report = page.evaluate("""() => [...document.querySelectorAll('.bc-plot')].map(el => ({
        id: el.id, drawn: el.dataset.drawn, height: el.getBoundingClientRect().height,
        width: el.getBoundingClientRect().width,
        cell: el.closest('.jp-OutputArea-output').getBoundingClientRect().width,
        table: !!el.parentElement.querySelector('details.bc-data table td'),
        paths: [...el.querySelectorAll('.trace path, .trace .point, .bars path')]
               .filter(p => (p.getAttribute('d') || '').length > 10).length,
        font: el._fullLayout && el._fullLayout.font.color
    }))""")
    for chart in report:
        assert chart["drawn"] == "true" and chart["height"] > 100 and chart["paths"] > 0, chart
        assert chart["width"] > 0.9 * chart["cell"], f"{path.name}: chart narrower than its output cell: {chart}"
        assert chart["table"], f"{path.name}: chart without its data table: {chart}"
        assert chart["font"] == ("#e6e6e6" if scheme == "slate" else "#1f1f1f"), chart

    # Math: every $…$ / $$…$$ of the Markdown cells is typeset by the local KaTeX, and no delimiter is left.
    n_formulas = expected_formulas(path)
    assert n_formulas >= 1, f"{path.name} has no formula to check"
    rendered = page.locator(".jp-RenderedMarkdown .katex").count()
    assert rendered == n_formulas, f"{path.name}: {rendered} of {n_formulas} formulas rendered"
    leftover = page.evaluate("""() => [...document.querySelectorAll('.jp-RenderedMarkdown')].map(el => {
        const copy = el.cloneNode(true);
        copy.querySelectorAll('.katex, code').forEach(k => k.remove());
        return copy.textContent; }).join(' ')""")
    assert "$" not in leftover, f"{path.name}: raw TeX left on the page"

    # Links: the notebook download and the wheel the install instructions point to.
    for name in (f"{path.stem}.ipynb", "simulator_wasm"):
        link = page.locator(f".jp-RenderedMarkdown a[href*='{name}']").first
        href = link.get_attribute("href")
        got = context.request.get(f"{lab_site_url}labs/{href}")
        assert got.status == 200 and len(got.body()) > 1000, f"{path.name}: link {href} gives {got.status}"

    assert not errors, f"{path.name}: console errors: {errors}"
    foreign = [u for u in requests if not u.startswith(lab_site_url) and not u.startswith(("data:", "blob:"))]
    assert not foreign, f"{path.name}: requests to other origins: {foreign}"
    context.close()


@pytest.mark.browser
def test_chapters_link_to_their_labs(browser, lab_site_url):
    page = browser.new_page()
    for chapter in ("pretraining", "sft", "reward-modeling", "rlhf-ppo"):
        page.goto(f"{lab_site_url}{chapter}.html")
        link = page.locator(f".admonition a[href$='labs/{chapter}.html']")
        assert link.count() == 1, f"{chapter}.html: no 'Try it yourself' link to labs/{chapter}.html"
        link.click()
        page.wait_for_load_state("load")
        assert page.url.endswith(f"labs/{chapter}.html")
        assert page.locator(".jupyter-wrapper .bc-plot").count() >= 1
    page.close()
