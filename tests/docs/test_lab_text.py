"""The lab marker: numbers and tables from the lab written into the prose at build time (build_charts/lab.py)."""

import textwrap

import pytest
from mkdocs.exceptions import PluginError

from build_charts import figures, lab  # noqa: F401  (figures registers the lab texts)
from tests.support import fixture_config, mkdocs_build

FIXTURE_CONFIG = fixture_config(options="live_numpy_source: none", extensions="""
    - pymdownx.superfences:
        custom_fences:
          - name: lab
            class: lab
            format: !!python/name:build_charts.lab.format_block
    - pymdownx.inlinehilite:
        custom_inline:
          - name: lab
            class: lab
            format: !!python/name:build_charts.lab.format_inline
""")


def site(tmp_path, page: str):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(textwrap.dedent(page))
    config = tmp_path / "mkdocs.yml"
    config.write_text(FIXTURE_CONFIG)
    return config


def test_inline_and_block_markers_are_filled_from_the_lab(tmp_path):
    config = site(tmp_path, """\
        # Page

        The lab has `#!lab pretraining-n-facts` facts.

        ```lab
        pretraining-repetition-table
        ```

        A marker shown as code stays code: `` `#!lab pretraining-n-facts` ``

        ````markdown
        ```lab
        pretraining-repetition-table
        ```
        ````
        """)
    result = mkdocs_build(config, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "site" / "index.html").read_text()
    assert f'The lab has <span class="bc-lab">{lab.build("pretraining-n-facts")}</span> facts.' in html
    assert html.count('<div class="bc-lab"><table tabindex="0">') == 1  # focusable: it may scroll
    assert "bc-lab-marker" not in html
    assert "<code>`#!lab pretraining-n-facts`</code>" in html   # an example in code is left alone
    assert html.count("pretraining-repetition-table") == 1      # ... in a longer fence too


def test_unknown_lab_text_fails_the_build_naming_page_and_id(tmp_path):
    config = site(tmp_path, "Text `#!lab no-such-number` here.\n")
    result = mkdocs_build(config, tmp_path / "site")
    assert result.returncode != 0
    assert "index.md" in result.stderr and "no-such-number" in result.stderr and "@lab_text" in result.stderr


def test_fill_replaces_placeholders_and_reports_unknown_ids():
    html = lab.format_inline(src="pretraining-n-facts") + lab.format_block("pretraining-n-facts\n", "lab", "", {}, None)
    out = lab.fill(html, "page.md")
    assert out == f'<span class="bc-lab">{lab.build("pretraining-n-facts")}</span>' \
                  f'<div class="bc-lab">{lab.build("pretraining-n-facts")}</div>'
    with pytest.raises(PluginError, match="page.md.*'nope'"):
        lab.fill(lab.format_inline(src="nope"), "page.md")


def test_html_table_escapes_every_cell():
    out = lab.html_table(["<q>"], [["<eos> & more"]], caption="a < b")
    assert "<q>" not in out.replace("<thead>", "") and "&lt;eos&gt; &amp; more" in out and "a &lt; b" in out


def test_a_table_column_without_a_header_is_an_error():
    # A blank corner cell leaves the first column's cells unnamed for screen readers (axe: td-has-header).
    with pytest.raises(ValueError, match="every column needs a header"):
        lab.html_table(["", "answer A"], [["gold reward", "0.7"]])


def test_a_text_id_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="registered twice"):
        lab.lab_text("pretraining-n-facts")(lambda: "x")


def test_an_empty_text_is_an_error(monkeypatch):
    monkeypatch.setitem(lab._TEXTS, "test-empty-text", lambda: "")
    with pytest.raises(ValueError, match="non-empty"):
        lab.build("test-empty-text")


def test_sci_writes_powers_of_ten():
    assert lab.sci(5.76e23) == "5.76 × 10²³"
    assert lab.sci(5.88e23, 2) == "5.9 × 10²³"
    assert lab.sci(1.5e-6, 2) == "1.5 × 10⁻⁶"
