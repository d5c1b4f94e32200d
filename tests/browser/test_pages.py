"""Every page of the nav, opened in Chromium from the local server."""

import json
import re

import pytest
from mkdocs.config import load_config

from tests.support import ROOT, draw_every_chart


def nav_pages() -> list[str]:
    """Markdown files of the nav, in order (nested sections flattened)."""
    config = load_config(str(ROOT / "mkdocs.yml"))
    out = []

    def walk(items):
        for item in items:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            walk(value) if isinstance(value, list) else out.append(value)

    walk(config["nav"])
    return out


def page_url(md: str) -> str:
    """Site URL of a nav entry: chapters (.md) and lab notebooks (.ipynb) alike become .html."""
    return re.sub(r"\.(md|ipynb)$", "", md) + ".html"


def chart_markers(md: str) -> int:
    """Chart markers in a page's source, skipping ones shown inside a longer code fence; for a lab notebook, its
    stored Plotly outputs (build_charts/notebooks.py draws each as a book chart)."""
    if md.endswith(".ipynb"):
        cells = json.loads((ROOT / "docs" / md).read_text())["cells"]
        return sum("application/vnd.plotly.v1+json" in o.get("data", {}) for c in cells for o in c.get("outputs", []))
    count, open_fence = 0, None
    for line in (ROOT / "docs" / md).read_text().splitlines():
        fence = re.match(r"^(`{3,})(\S*)\s*$", line)
        if not fence:
            continue
        ticks, lang = fence.groups()
        if open_fence is None:
            open_fence = ticks
            count += lang == "chart"
        elif len(ticks) >= len(open_fence) and not lang:
            open_fence = None
    return count


def test_nav_has_the_chapters_in_order():
    # The description's eight pages, with DPO after RLHF & PPO.
    chapters = [p for p in nav_pages() if p not in {"learning-paths.md"}]
    assert chapters[:9] == ["index.md", "pretraining.md", "sft.md", "reward-modeling.md", "rlhf-ppo.md", "dpo.md",
                         "pharma-applications.md", "challenges.md", "simulator.md"]


def test_the_first_real_chart_is_on_the_pretraining_page():
    assert chart_markers("pretraining.md") >= 1


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["default", "slate"])
@pytest.mark.parametrize("md", nav_pages())
def test_page_renders_locally_with_charts_and_math(browser, site_url, md, scheme):
    context = browser.new_context()
    # Material remembers the scheme in localStorage; start each page in the one under test.
    context.add_init_script(
        "localStorage.setItem('/.__palette', JSON.stringify({index: %d, color: {scheme: '%s'}}))"
        % (0 if scheme == "default" else 1, scheme))
    requests, errors = [], []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))

    response = page.goto(site_url + page_url(md), wait_until="load")
    assert response.status == 200

    n_markers = chart_markers(md)
    plots = page.locator(".bc-plot")
    assert plots.count() == n_markers, f"{md}: {n_markers} chart markers but {plots.count()} charts"
    if n_markers:
        draw_every_chart(page)
        report = page.evaluate("""() => [...document.querySelectorAll('.bc-plot')].map(el => ({
            id: el.id, drawn: el.dataset.drawn,
            points: el.data.reduce((n, t) => n + ((t.x || t.y || []).length), 0),
            paths: [...el.querySelectorAll('.trace path, .trace .point')].filter(p => (p.getAttribute('d') || '').length > 10).length
        }))""")
        for chart in report:
            assert chart["drawn"] == "true", chart
            assert chart["points"] > 0 and chart["paths"] > 0, f"{md}: chart without data: {chart}"
        # The chart text follows the colour scheme.
        dark = page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate"
        font = page.evaluate("document.querySelector('.bc-plot')._fullLayout.font.color")
        assert font == ("#e6e6e6" if dark else "#1f1f1f")

    formulas = page.locator(".arithmatex").count()
    rendered = page.locator(".arithmatex .katex").count()
    assert rendered == formulas, f"{md}: {formulas - rendered} of {formulas} formulas not rendered"

    assert not errors, f"{md}: console errors: {errors}"
    foreign = [u for u in requests if not u.startswith(site_url) and not u.startswith(("data:", "blob:"))]
    assert not foreign, f"{md}: requests to other origins: {foreign}"
    context.close()


@pytest.mark.browser
def test_toggle_switches_chart_colours(browser, site_url):
    page = browser.new_page()
    page.goto(site_url + "pretraining.html")
    page.locator(".bc-plot").first.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('.bc-plot').dataset.drawn === 'true'")
    before = page.evaluate("document.querySelector('.bc-plot')._fullLayout.font.color")
    page.locator("label.md-header__button[for^='__palette']:visible").first.click()
    page.wait_for_function(
        "c => document.querySelector('.bc-plot')._fullLayout.font.color !== c", arg=before, timeout=5_000)
    after = page.evaluate("document.querySelector('.bc-plot')._fullLayout.font.color")
    assert {before, after} == {"#1f1f1f", "#e6e6e6"}
    page.close()
