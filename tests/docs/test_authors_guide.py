"""The "Customising the book" recipes of docs/authors.md, followed step by step in a temporary copy of the repository.

The code blocks are taken from the guide itself (each follows a line naming its file, like `` `mkdocs.yml`: ``), so
the test checks the guide as written: a new chapter with a chart and a lab number, a new fact in the lab's world, a
wider simulator range and new colours, then one strict build of the copy.

The copy keeps the real mkdocs.yml, nav and plugins, but every page except the bibliography is a one-line stub
(and every notebook an empty one): the real chapters would run every chapter's lab, and the recipes need none of
it. The copied packages come first on PYTHONPATH, so the build uses them, not the installed ones.
"""

import html
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from simulator_wasm.scaling_laws import repetition_efficiency
from tests.support import ENV, ROOT

GUIDE = (ROOT / "docs" / "authors.md").read_text().split("## Customising the book", 1)[1]
BLOCK = re.compile(r"^( *)`([^`\n]+)`:\n\n\1(`{3,4})\w*\n(.*?)\n\1\3$", re.M | re.S)


def blocks(path: str) -> list[str]:
    """Every code block of the guide that follows the line `` `path`: ``, dedented."""
    found = []
    for indent, name, _, body in BLOCK.findall(GUIDE):
        if name == path:
            found.append("\n".join(line[len(indent):] for line in body.split("\n")))
    assert found, f"the guide has no code block for {path}"
    return found


def replace_line(path, startswith: str, new: str):
    """Replace the one line of ``path`` whose stripped text starts with ``startswith``."""
    lines = path.read_text().split("\n")
    hits = [i for i, line in enumerate(lines) if line.strip().startswith(startswith)]
    assert len(hits) == 1, f"{path.name}: expected one line starting {startswith!r}, found {len(hits)}"
    lines[hits[0]] = new
    path.write_text("\n".join(lines))


def insert_after(path, containing: str, new: str, same_indent: bool = False):
    lines = path.read_text().split("\n")
    hits = [i for i, line in enumerate(lines) if containing in line]
    assert len(hits) == 1, f"{path.name}: expected one line containing {containing!r}, found {len(hits)}"
    line = lines[hits[0]]
    if same_indent:
        new = line[:len(line) - len(line.lstrip())] + new.strip()
    lines.insert(hits[0] + 1, new)
    path.write_text("\n".join(lines))


def stub_notebook(title: str) -> str:
    cell = {"cell_type": "markdown", "metadata": {}, "source": [f"# {title}"]}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    """A trimmed copy of the repository with every recipe of the guide applied."""
    tmp = tmp_path_factory.mktemp("authors-guide")
    ignore = shutil.ignore_patterns("__pycache__")
    for name in ("build_charts", "simulator_wasm", "docs", "overrides"):
        shutil.copytree(ROOT / name, tmp / name, ignore=ignore)
    shutil.copy(ROOT / "mkdocs.yml", tmp / "mkdocs.yml")
    os.symlink(ROOT / "node_modules", tmp / "node_modules")
    for page in (tmp / "docs").rglob("*.md"):
        if page.name != "bibliography.md" and page.parent == tmp / "docs":
            page.write_text(f"# {page.stem}\n")
    for nb in (tmp / "docs").rglob("*.ipynb"):
        nb.write_text(stub_notebook(nb.stem))

    # Add a chapter: the page, its nav entry, its figure module and the import that registers it.
    (tmp / "docs" / "repeated-data.md").write_text(blocks("docs/repeated-data.md")[0] + "\n")
    nav = blocks("mkdocs.yml")[0]
    entry = next(line for line in nav.split("\n") if "repeated-data.md" in line)
    insert_after(tmp / "mkdocs.yml", "Challenges & solutions: challenges.md", entry, same_indent=True)
    (tmp / "build_charts" / "figures" / "repeated_data.py").write_text(
        blocks("build_charts/figures/repeated_data.py")[0] + "\n")
    init = tmp / "build_charts" / "figures" / "__init__.py"
    init.write_text(init.read_text() + blocks("build_charts/figures/__init__.py")[0] + "\n")

    # Add an example: a new fact in the lab's world, after the row it extends.
    row = blocks("simulator_wasm/world.py")[0]
    insert_after(tmp / "simulator_wasm" / "world.py", '("lovastatin", "clarithromycin"', row)

    # Change a simulator range.
    control = blocks("simulator_wasm/controls.py")[0]
    replace_line(tmp / "simulator_wasm" / "controls.py", 'Control("kl_coef"', control)

    # Change the colours: the palette in mkdocs.yml (both schemes), the colorway in render.py.
    palette = dict(re.findall(r"^\s*(primary|accent):\s*(\S+)", blocks("mkdocs.yml")[1], re.M))
    text = (tmp / "mkdocs.yml").read_text()
    for key, colour in palette.items():
        text, n = re.subn(rf"^(\s*{key}:)\s*\S+$", rf"\1 {colour}", text, flags=re.M)
        assert n == 2, f"{key}: expected a light and a dark palette entry, found {n}"
    (tmp / "mkdocs.yml").write_text(text)
    colorway = blocks("build_charts/render.py")[0]
    replace_line(tmp / "build_charts" / "render.py", '"colorway":', colorway)

    env = {**ENV, "PYTHONPATH": str(tmp), "OPENBLAS_NUM_THREADS": "1"}
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp / "site")],
                           cwd=tmp, env=env, capture_output=True, text=True, timeout=900)
    return {"root": tmp, "env": env, "build": build, "palette": palette,
            "colour": re.search(r'"(#[0-9a-fA-F]{6})"', colorway).group(1)}


def test_the_copy_builds_strict(copy):
    assert copy["build"].returncode == 0, copy["build"].stderr[-4000:]


def test_new_chapter_shows_its_chart_and_lab_number(copy):
    page = (copy["root"] / "site" / "repeated-data.html").read_text()
    assert 'data-chart="repeated-data-efficiency"' in page and "data-figure=" in page
    assert "bc-chart-marker" not in page and "bc-lab-marker" not in page
    assert f'<span class="bc-lab">{float(repetition_efficiency(40)):.2f}</span>' in page
    assert 'href="bibliography.html#muennighoff-2023"' in page
    nav = (copy["root"] / "site" / "index.html").read_text()
    assert 'href="repeated-data.html"' in nav, "the new chapter is in the nav"


def test_new_colours_reach_the_site_and_the_charts(copy):
    page = (copy["root"] / "site" / "repeated-data.html").read_text()
    assert f'data-md-color-primary="{copy["palette"]["primary"]}"' in page
    assert f'data-md-color-accent="{copy["palette"]["accent"]}"' in page
    figure = json.loads(html.unescape(re.search(r'data-figure="([^"]*)"', page).group(1)))
    assert figure["layout"]["colorway"][0] == copy["colour"]


def test_new_fact_is_in_the_lab_and_its_data(copy):
    shown = [json.loads(line) for line in
             (copy["root"] / "site" / "data" / "showcase-qa.jsonl").read_text().splitlines()]
    assert any(r["question"].count("erythromycin") and r["answer"].startswith("lovastatin with erythromycin : avoid")
               for r in shown)


def test_new_range_reaches_the_controls_and_the_validation(copy):
    out = subprocess.run([sys.executable, "-m", "simulator_wasm", "controls"], cwd=copy["root"], env=copy["env"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    kl = next(c for c in json.loads(out)["controls"] if c["name"] == "kl_coef")
    assert kl["minimum"] == 0.005
    low = subprocess.run([sys.executable, "-m", "simulator_wasm", "run", "--kl-coef", "0.004"], cwd=copy["root"],
                         env=copy["env"], capture_output=True, text=True, timeout=120)
    assert low.returncode == 2 and "kl_coef" in low.stderr
