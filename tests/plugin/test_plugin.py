"""The build_charts plugin, tested by building small fixture sites end to end."""

import json
import re
import textwrap
from pathlib import Path

import pytest

from build_charts import figures, registry  # noqa: F401  (figures registers the charts)
from build_charts.registry import Chart
from build_charts.render import figure_json
from tests.support import ROOT, fixture_config, mkdocs_build

FIXTURE_CONFIG = fixture_config(extensions="""
    - pymdownx.arithmatex:
        generic: true
    - pymdownx.superfences:
        custom_fences:
          - name: chart
            class: chart
            format: !!python/name:build_charts.fence.format_chart
""")


def make_site(tmp_path: Path, pages: dict[str, str]) -> Path:
    (tmp_path / "docs").mkdir()
    for name, text in pages.items():
        (tmp_path / "docs" / name).write_text(textwrap.dedent(text))
    config = tmp_path / "mkdocs.yml"
    config.write_text(FIXTURE_CONFIG)
    return config


def first_chart_id() -> str:
    return registry.known_ids()[0]


def test_marker_becomes_inline_figure_and_assets_load_only_where_needed(tmp_path):
    chart_id = first_chart_id()
    config = make_site(tmp_path, {
        "index.md": f"# Charts\n\n```chart\n{chart_id}\n```\n",
        "plain.md": "# Plain\n\nNo chart, no math.\n",
        "math.md": "# Math\n\n\\(a^2\\)\n",
    })
    result = mkdocs_build(config, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    index = (tmp_path / "site/index.html").read_text()
    assert f'data-chart="{chart_id}"' in index and "data-figure=" in index
    assert "bc-chart-marker" not in index
    # charts.js is in the head; Plotly is not: charts.js fetches it when a chart nears the screen.
    assert ('<script defer src="assets/vendor/build-charts/charts.js" '
            'data-loads="assets/vendor/plotly/plotly-cartesian.min.js">') in index
    assert 'src="assets/vendor/plotly' not in index and "katex.min.js" not in index
    plain = (tmp_path / "site/plain/index.html").read_text()
    assert "charts.js" not in plain and "katex" not in plain
    math = (tmp_path / "site/math/index.html").read_text()
    # Formulas arrive typeset (build_charts/math.py): KaTeX's stylesheet, no KaTeX script.
    assert 'href="../assets/vendor/katex/katex.min.css"' in math and "katex.min.js" not in math
    assert "charts.js" not in math
    assert '<span class="katex">' in math and "<annotation encoding=\"application/x-tex\">a^2</annotation>" in math
    # Vendored files were copied, relative links resolve.
    assert (tmp_path / "site/assets/vendor/plotly/plotly-cartesian.min.js").is_file()
    assert list((tmp_path / "site/assets/vendor/katex/fonts").glob("*.woff2"))


def test_search_indexes_a_formula_once_and_no_chart_data_table(tmp_path):
    config = make_site(tmp_path, {"index.md": f"# Page\n\nThe split is \\(C = 6ND\\).\n\n\\[\\frac{{Z}}{{7}}\\]\n\n"
                                              f"After the formula.\n\n```chart\n{first_chart_id()}\n```\n"})
    config.write_text(config.read_text().replace("plugins:\n", "plugins:\n  - search\n"))
    result = mkdocs_build(config, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "site/index.html").read_text()
    assert "C = 6ND" in page and "Data table:" in page   # the formula's TeX source, and the table under the chart
    text = " ".join(doc["text"] for doc in json.loads((tmp_path / "site/search/search_index.json").read_text())["docs"])
    assert text.count("6ND") == 1, text       # the MathML (a screen reader's words), not the source or the glyphs
    assert text.count("Z7") == 1 and "\\frac" not in text and "After the formula." in text, text
    assert "Data table:" not in text and "<table" not in text, text


def test_formula_katex_cannot_typeset_fails_the_build_naming_page_and_formula(tmp_path):
    config = make_site(tmp_path, {
        "index.md": "# Home\n",
        "chapter.md": "# Chapter\n\nFine \\(x^2\\), broken \\(\\frac{1}{\\)\n",
    })
    result = mkdocs_build(config, tmp_path / "site")
    assert result.returncode != 0
    assert "chapter.md" in result.stderr and "\\frac{1}{" in result.stderr and "KaTeX" in result.stderr


def test_unknown_chart_fails_the_build_naming_page_and_marker(tmp_path):
    config = make_site(tmp_path, {
        "index.md": "# Home\n",
        "chapter.md": "# Chapter\n\n```chart\nno-such-chart\n```\n",
    })
    result = mkdocs_build(config, tmp_path / "site")
    assert result.returncode != 0
    assert "chapter.md" in result.stderr
    assert "no-such-chart" in result.stderr
    assert first_chart_id() in result.stderr  # the message lists the known ids


def test_broken_internal_link_fails_strict_build_naming_page(tmp_path):
    config = make_site(tmp_path, {
        "index.md": "# Home\n",
        "chapter.md": "# Chapter\n\nSee [the missing page](missing.md).\n",
    })
    result = mkdocs_build(config, tmp_path / "site")
    assert result.returncode != 0
    assert "chapter.md" in result.stderr and "missing.md" in result.stderr


def test_link_to_a_missing_heading_fails_the_books_strict_build(tmp_path):
    """The book's own `validation` block (mkdocs.yml) makes a link to an anchor that no page has stop the
    build, naming the page and the anchor."""
    block = re.search(r"^validation:\n(?:  .*\n)+", (ROOT / "mkdocs.yml").read_text(), re.M).group(0)
    config = make_site(tmp_path, {
        "index.md": "# Home\n\n## Real heading\n",
        "chapter.md": "# Chapter\n\nSee [it](index.md#real-heading) and [this](index.md#no-such-heading).\n",
    })
    config.write_text(config.read_text() + block)
    result = mkdocs_build(config, tmp_path / "site")
    assert result.returncode != 0
    assert "chapter.md" in result.stderr and "no-such-heading" in result.stderr
    assert "real-heading" not in result.stderr


def test_missing_npm_assets_fail_with_the_fix(tmp_path):
    config = make_site(tmp_path, {"index.md": "# Home\n"})
    config.write_text(config.read_text().replace(str(ROOT / "node_modules"), str(tmp_path / "nowhere")))
    result = mkdocs_build(config, tmp_path / "site")
    assert result.returncode != 0
    assert "npm ci" in result.stderr


def test_figure_json_is_validated_against_plotly_schema():
    bad = Chart(figure={"data": [{"type": "scatter", "x": [1], "y": [2], "colour": "red"}]}, alt="x")
    with pytest.raises(ValueError, match="colour"):
        figure_json(bad)


def test_figure_json_is_deterministic_and_has_no_template():
    chart = registry.build(first_chart_id())
    text = figure_json(chart)
    assert text == figure_json(chart)
    assert '"template"' not in text
    assert re.search(r'"data":\[\{', text)


@pytest.mark.parametrize("chart_id", registry.known_ids())
def test_every_registered_chart_has_data_and_alt_text(chart_id):
    chart = registry.build(chart_id)
    assert len(chart.alt) > 20
    traces = chart.figure["data"]
    assert traces and any(len(t.get("y", t.get("x", []))) > 0 for t in traces)
