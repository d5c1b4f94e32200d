"""The lab notebooks (docs/labs/*.ipynb): what build_charts adds to the pages mkdocs-jupyter makes of them.

The notebooks are kept *with their outputs*: running all four at build time would add more to a cold build than
the book allows, so the build renders the stored outputs (``execute: false``) and ``tests/docs/test_notebooks.py``
runs every notebook again and checks the stored outputs against the new ones. After a change to
``simulator_wasm``, refresh them with ``.venv/bin/python -m build_charts.notebooks``.

mkdocs-jupyter turns a notebook into a page through nbconvert, which skips the Markdown path (no chart fences,
no arithmatex), keeps Plotly's own output only as an unreadable JSON blob, and adds a few scripts of its own.
This module makes those pages behave like the book's other pages:

- charts: a notebook cell displays a ``Chart`` (defined in the notebook itself, so a downloaded notebook needs
  only plotly) whose HTML copy is a ``<div class="bc-plot" data-chart=… aria-label=… data-figure=…>``.
  :func:`page_content` swaps each for the book's own chart (``render.chart_html``: shared layout, traces told
  apart without colour, a data table), which ``assets/charts.js`` draws, and asks for the chart assets;
- math: nbconvert leaves ``$…$`` and ``$$…$$`` as text inside ``.jp-RenderedMarkdown``; ``assets/math.js``
  renders them with the local KaTeX, and :func:`page_content` asks for it when a Markdown cell holds a ``$``;
- no other origin: nbconvert's template always writes an inline ``<script type="module">`` that would import
  mermaid from cdnjs if the page had a mermaid diagram; :func:`strip_foreign_scripts` removes it
  (toolchain-notes §6);
- the rendering cache (``.cache/mkdocs-jupyter``) sits next to mkdocs.yml like build_charts' own, wherever the
  build is started from (:func:`place_cache`; mkdocs-jupyter would put it under the working directory).
"""

import base64
import json
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np

from . import assets
from .registry import Chart
from .render import chart_html

JUPYTER_PLUGIN = "mkdocs-jupyter"
LABS_DIR = Path(__file__).resolve().parent.parent / "docs" / "labs"
KERNEL = "python3"
TIMEOUT_S = 300   # per cell; every lab notebook runs in seconds, so only a hung kernel gets near it

# nbconvert's mermaid loader: an inline module script importing from another origin.
FOREIGN_MODULE = re.compile(r'<script type="module">(?:(?!</script>).)*?https?://(?:(?!</script>).)*?</script>\s*',
                            re.S)
MARKDOWN_CELL = re.compile(r'<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown[^"]*"[^>]*>(.*?)</div>', re.S)
# Material sizes a <figure> to its content; in an output cell the chart should fill the cell's width.
CHART_STYLE = "<style>.jupyter-wrapper figure.bc-chart{width:100%}</style>"


def is_notebook(page) -> bool:
    return page.file.src_uri.endswith(".ipynb")


def place_cache(config, root: Path) -> None:
    """Point mkdocs-jupyter's rendering cache (``.cache/mkdocs-jupyter``) at the folder of mkdocs.yml."""
    plugin = config.plugins.get(JUPYTER_PLUGIN)
    if plugin is not None and not Path(plugin.config["cache_dir"]).is_absolute():
        plugin.config["cache_dir"] = str(root / plugin.config["cache_dir"])


class _ChartOutputs(HTMLParser):
    """Finds the chart divs of the outputs. nbconvert rewrites output HTML (attributes sorted, the JSON between
    single quotes, ">" left raw inside it), so a real parser finds them, not a regular expression."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []   # (line, column, start tag as written, attributes)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and "bc-plot" in (attrs.get("class") or "").split() and "data-figure" in attrs:
            self.found.append((*self.getpos(), self.get_starttag_text(), attrs))


def plain_arrays(obj):
    """Plotly's base64 typed arrays ({"dtype", "bdata"[, "shape"]}, what numpy arrays become) as plain lists,
    as in the book's other charts and data tables."""
    if isinstance(obj, dict):
        if {"dtype", "bdata"} <= obj.keys():
            values = np.frombuffer(base64.b64decode(obj["bdata"]), dtype=np.dtype(obj["dtype"]))
            shape = obj.get("shape")
            if isinstance(shape, str):
                shape = [int(n) for n in shape.split(",")]
            return (values.reshape(shape) if shape else values).tolist()
        return {k: plain_arrays(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [plain_arrays(v) for v in obj]
    return obj


def page_content(html: str, src_uri: str) -> tuple[str, list[assets.Asset]]:
    """The rendered notebook with the book's charts in place of its chart outputs, and the assets it needs."""
    parser = _ChartOutputs()
    parser.feed(html)
    parser.close()
    line_starts = [0] + [m.end() for m in re.finditer("\n", html)]
    for line, column, tag, attrs in reversed(parser.found):   # from the end, so earlier offsets stay valid
        start = line_starts[line - 1] + column
        end = start + len(tag)
        if not html.startswith("</div>", end):
            raise ValueError(f"{src_uri}: a chart output is not an empty <div class=\"bc-plot\">: "
                             f"run `python -m build_charts.notebooks` to store fresh outputs")
        chart = Chart(figure=plain_arrays(json.loads(attrs["data-figure"])), alt=attrs.get("aria-label") or "")
        html = html[:start] + chart_html(attrs.get("data-chart") or "notebook-chart", chart) + html[end + 6:]
    needs = []
    if parser.found:
        html = CHART_STYLE + html
        needs += assets.CHART_ASSETS
    if any("$" in cell for cell in MARKDOWN_CELL.findall(html)):
        needs += assets.NOTEBOOK_MATH_ASSETS
    return html, needs


def strip_foreign_scripts(output: str) -> str:
    """Remove nbconvert's inline module script that imports from cdnjs (the page never needs it)."""
    return FOREIGN_MODULE.sub("", output)


# ------------------------------------------------------------------------------ running the notebooks
def lab_notebooks() -> list[Path]:
    return sorted(LABS_DIR.glob("*.ipynb"))


def execute(path: Path):
    """Run a notebook top to bottom in a fresh kernel; returns the executed notebook (nbformat node).

    One BLAS thread, as in the build and the tests, so the numbers do not depend on the machine's cores.
    No timing metadata is recorded, so re-running an unchanged lab leaves the file unchanged.
    """
    import nbformat
    from nbclient import NotebookClient

    os.environ["OPENBLAS_NUM_THREADS"] = "1"   # inherited by the kernel
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=TIMEOUT_S, kernel_name=KERNEL, record_timing=False, allow_errors=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def main(argv: list[str]) -> int:
    """Re-run the lab notebooks (all, or the ones named) and store their outputs in place."""
    import nbformat

    paths = [Path(a) for a in argv] or lab_notebooks()
    for path in paths:
        print(f"running {path} …", flush=True)
        nbformat.write(execute(path), path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
