"""The lab notebooks (docs/labs/*.ipynb): each runs top to bottom in a fresh kernel, draws its charts, needs only
numpy, plotly and simulator_wasm, and is stored with the outputs a fresh run gives (the book renders those).

After a change to simulator_wasm, refresh the stored outputs with `.venv/bin/python -m build_charts.notebooks`.
"""

import ast
import html
import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from mkdocs.config import load_config

from build_charts.live.archive import FILE_NAME as WHEEL
from build_charts.notebooks import LABS_DIR, execute, lab_notebooks
from tests.support import ROOT

STAGES = ("pretraining", "sft", "reward-modeling", "rlhf-ppo")
PLOTLY_MIME = "application/vnd.plotly.v1+json"
# What a downloaded notebook may import: the lab, numpy and plotly, and the standard library.
ALLOWED_IMPORTS = {"simulator_wasm", "numpy", "plotly", "html", "json"}
REFRESH = "refresh them with `.venv/bin/python -m build_charts.notebooks`"


def test_every_stage_chapter_has_a_lab_notebook_in_the_nav():
    assert sorted(p.stem for p in lab_notebooks()) == sorted(STAGES)
    nav = json.dumps(load_config(str(ROOT / "mkdocs.yml"))["nav"])
    for stage in STAGES:
        assert f"labs/{stage}.ipynb" in nav, f"labs/{stage}.ipynb is not in the nav of mkdocs.yml"


def stored(path: Path):
    return nbformat.read(path, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("path", lab_notebooks(), ids=lambda p: p.stem)
def test_notebook_says_how_to_install_the_lab(path):
    text = markdown(stored(path))
    # The wheel the site offers (build_charts/live/archive.py), by its current name and at its site path.
    assert f"(../assets/vendor/simulator/{WHEEL})" in text, f"{path.name}: no link to the wheel {WHEEL}"
    assert f"pip install numpy plotly {WHEEL}" in text
    assert "pip install -e ." in text
    assert f"]({path.stem}.ipynb)" in text, f"{path.name}: no link to download the notebook itself"


@pytest.mark.parametrize("path", lab_notebooks(), ids=lambda p: p.stem)
def test_notebook_imports_only_numpy_plotly_and_the_lab(path):
    imported = set()
    for cell in code_cells(stored(path)):
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported.add(node.module.split(".")[0])
    assert imported <= ALLOWED_IMPORTS, f"{path.name} imports {sorted(imported - ALLOWED_IMPORTS)}"


def test_every_notebook_defines_the_same_chart_helper():
    helpers = {p.name: next(c.source for c in code_cells(stored(p)) if "class Chart" in c.source)
               for p in lab_notebooks()}
    assert len(set(helpers.values())) == 1, f"the Chart cells differ between {sorted(helpers)}: copy one to all"


# ------------------------------------------------------------------------------------ a fresh run of each
@pytest.fixture(scope="module", params=lab_notebooks(), ids=lambda p: p.stem)
def run(request):
    """(path, stored notebook, freshly executed notebook); each notebook runs once per test session."""
    path = request.param
    return path, stored(path), execute(path)


def outputs(nb):
    return [o for c in code_cells(nb) for o in c.outputs]


def charts(nb) -> list[dict]:
    """The chart outputs: Plotly's own JSON, and the figure the book's page draws from the HTML copy."""
    found = []
    for out in outputs(nb):
        data = out.get("data", {})
        if PLOTLY_MIME in data:
            page = re.search(r'<div class="bc-plot"[^>]*\sdata-figure="([^"]*)"', data.get("text/html", ""))
            found.append({"plotly": data[PLOTLY_MIME], "page": json.loads(html.unescape(page.group(1)))
                          if page else None, "alt": data.get("text/plain", "")})
    return found


def test_runs_without_errors_or_warnings(run):
    path, _, fresh = run
    errors = [f"{o.ename}: {o.evalue}" for o in outputs(fresh) if o.output_type == "error"]
    stderr = [o.text for o in outputs(fresh) if o.output_type == "stream" and o.name == "stderr"]
    assert not errors and not stderr, f"{path.name}: {errors or stderr}"


def test_draws_titled_labelled_charts_that_the_book_can_show(run):
    path, _, fresh = run
    found = charts(fresh)
    assert len(found) >= 2, f"{path.name}: {len(found)} chart outputs, expected at least 2"
    for chart in found:
        layout = chart["plotly"]["layout"]
        title = layout.get("title", {}).get("text", "")
        assert title, f"{path.name}: a chart without a title"
        axes = [k for k in layout if re.fullmatch(r"[xy]axis\d*", k)]
        assert any(layout[k].get("title", {}).get("text") for k in axes if k.startswith("x")), title
        assert any(layout[k].get("title", {}).get("text") for k in axes if k.startswith("y")), title
        assert chart["plotly"]["data"], f"{path.name}: {title!r} has no traces"
        assert len(chart["alt"]) > 40 and re.search(r"\d", chart["alt"]), f"{title!r}: no text alternative"
        # The HTML copy charts.js draws: the same traces and layout, minus Plotly's default template.
        assert chart["page"] is not None, f"{path.name}: {title!r} has no HTML copy for the book's page"
        assert chart["page"]["data"] == chart["plotly"]["data"]
        assert chart["page"]["layout"] == {k: v for k, v in layout.items() if k != "template"}


# -------------------------------------------------------------------- stored outputs = a fresh run's outputs
NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?")


def same_text(a: str, b: str) -> bool:
    """Equal words and whole numbers; a decimal may differ by one unit of its last digit (another CPU's last
    bits can round it the other way)."""
    if NUMBER.split(a) != NUMBER.split(b):
        return False
    for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)):
        if x == y:
            continue
        if "." not in x or "." not in y:      # counts, epochs, seeds: exact
            return False
        mantissa = x.lower().split("e")[0]
        unit = 10.0 ** -len(mantissa.split(".")[1]) * (10.0 ** int(x.lower().split("e")[1]) if "e" in x.lower() else 1)
        if abs(float(x.replace(",", "")) - float(y.replace(",", ""))) > 1.01 * unit:
            return False
    return True


def same_json(a, b) -> bool:
    """Equal structure; floats (and Plotly's base64 typed arrays) equal to 1e-9 relative; strings by same_text."""
    if isinstance(a, dict) and isinstance(b, dict):
        if {"dtype", "bdata"} <= a.keys() and {"dtype", "bdata"} <= b.keys():
            return a["dtype"] == b["dtype"] and np.allclose(typed(a), typed(b), rtol=1e-9, atol=1e-12)
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(b, (int, float)) and bool(np.isclose(a, b, rtol=1e-9, atol=1e-12))
    if isinstance(a, str) and isinstance(b, str):
        return same_text(a, b)
    return a == b


def typed(array: dict) -> np.ndarray:
    import base64
    return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))


def comparable(out) -> dict:
    """An output as plain data; an HTML chart copy splits into its figure JSON and the rest of its markup."""
    if out.output_type == "stream":
        return {"stream": out.name, "text": out.text}
    data = dict(out.get("data", {}))
    if "text/html" in data:
        figure = re.search(r'\sdata-figure="([^"]*)"', data["text/html"])
        if figure:
            data["text/html"] = data["text/html"].replace(figure.group(1), "")
            data["figure"] = json.loads(html.unescape(figure.group(1)))
    return {"type": out.output_type, "data": data}


def test_stored_outputs_match_a_fresh_run(run):
    path, kept, fresh = run
    kept_cells, fresh_cells = code_cells(kept), code_cells(fresh)
    assert [c.source for c in kept_cells] == [c.source for c in fresh_cells]
    for k, (a, b) in enumerate(zip(kept_cells, fresh_cells)):
        first_line = b.source.splitlines()[0] if b.source else ""
        where = f"{path.name}, code cell {k + 1} ({first_line!r})"
        assert a.execution_count is not None, f"{where} is stored without being run: {REFRESH}"
        assert len(a.outputs) == len(b.outputs), f"{where}: output count differs from a fresh run: {REFRESH}"
        for x, y in zip(a.outputs, b.outputs):
            assert same_json(comparable(x), comparable(y)), (
                f"{where}: the stored output differs from a fresh run (did simulator_wasm change?): {REFRESH}")


def test_same_text_tolerates_only_the_last_digit():
    assert same_text("loss 2.363 after epoch 6", "loss 2.364 after epoch 6")
    assert not same_text("loss 2.363 after epoch 6", "loss 2.366 after epoch 6")
    assert not same_text("loss 2.363 after epoch 6", "loss 2.363 after epoch 7")
    assert not same_text("best after epoch 6", "best before epoch 6")
    assert same_text("4,000 tokens, 81%", "4,000 tokens, 81%")
    assert not same_text("4,000 tokens", "4,001 tokens")


# ------------------------------------------------------------------ what the plugin does to a rendered notebook
def test_page_content_swaps_nbconvert_chart_outputs_for_book_charts():
    from build_charts import assets
    from build_charts.notebooks import page_content

    figure = {"data": [{"type": "scatter", "x": {"dtype": "i1", "bdata": "AAEC"}, "y": [1.5, 2, 3],
                        "hovertemplate": "%{x}<br>%{y}"}], "layout": {"title": {"text": "T"}}}
    # As nbconvert writes it: attributes sorted, the JSON between single quotes with a raw ">" inside.
    output = (f'<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown"><p>$x$ costs</p></div>\n'
              f'<div class="jp-OutputArea-output"><div aria-label="A line &amp; more" class="bc-plot" '
              f'data-chart="c1" data-figure=\'{json.dumps(figure)}\' id="chart-c1" role="figure"></div></div>')
    page, needs = page_content(output, "labs/x.ipynb")
    assert 'data-figure=\'' not in page and page.count('class="bc-plot"') == 1
    drawn = json.loads(html.unescape(re.search(r'data-figure="([^"]*)"', page).group(1)))
    assert drawn["data"][0]["x"] == [0, 1, 2] and drawn["data"][0]["hovertemplate"] == "%{x}<br>%{y}"
    assert 'aria-label="A line &amp; more"' in page and "<details class=\"bc-data\"" in page
    assert set(map(id, assets.CHART_ASSETS + assets.NOTEBOOK_MATH_ASSETS)) <= set(map(id, needs))
    assert page_content("<p>no charts, no math</p>", "labs/y.ipynb") == ("<p>no charts, no math</p>", [])


def test_only_the_foreign_module_script_is_stripped():
    from build_charts.notebooks import strip_foreign_scripts

    own = "<script>document.addEventListener('clipboard-copy', f)</script>"
    foreign = ('<script type="module">\nif (document.querySelector(".jp-Mermaid")) {\n'
               '  await import("https://cdnjs.cloudflare.com/ajax/libs/mermaid/11.10.0/mermaid.esm.min.mjs");\n}\n'
               '</script>\n')
    assert strip_foreign_scripts(own + foreign + own) == own + own
