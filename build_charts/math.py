"""Formulas typeset at build time with the book's pinned KaTeX (npm), run by Node.

pymdownx.arithmatex (generic mode) leaves each formula as ``<span class="arithmatex">\\(…\\)</span>`` or
``<div class="arithmatex">\\[…\\]</div>``. Typesetting them in the reader's browser held a phone's main
thread for about 0.4 s on a chapter and moved the text about as formulas changed size; typeset here, the page
arrives finished and needs only KaTeX's stylesheet and fonts. A formula KaTeX cannot parse fails the build,
naming the page and the formula. (Lab notebooks keep in-browser typesetting: assets.NOTEBOOK_MATH_ASSETS.)
"""

import functools
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from mkdocs.exceptions import PluginError

RENDERER = Path(__file__).parent / "katex" / "render.cjs"
FORMULA = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)
DELIMITERS = {"span": (r"\(", r"\)"), "div": (r"\[", r"\]")}


class Typesetter:
    """Typesets formulas with KaTeX, remembering each one (per process and in ``cache_file``)."""

    def __init__(self, node_modules: Path, cache_file: Path | None):
        self.node_modules = node_modules
        self.cache_file = cache_file
        self.cache: dict[str, str] = {}
        if cache_file and cache_file.is_file():
            self.cache = json.loads(cache_file.read_text())
        self.dirty = False

    @functools.cached_property
    def version(self) -> str:   # part of each cache key: a new KaTeX typesets every formula afresh
        package = self.node_modules / "katex" / "package.json"
        if not package.is_file():
            raise PluginError(f"build_charts: KaTeX not found at {package.parent}. "
                              f"Install the npm packages first: `npm ci` (`make book` runs it).")
        return json.loads(package.read_text())["version"]

    def key(self, tex: str, display: bool) -> str:
        return hashlib.sha256(f"{self.version}\0{int(display)}\0{tex}".encode()).hexdigest()[:24]

    def typeset(self, formulas: list[tuple[str, bool]], where: str) -> list[str]:
        missing = list(dict.fromkeys(f for f in formulas if self.key(*f) not in self.cache))
        if missing:
            for (tex, display), out in zip(missing, self._run_katex(missing, where)):
                if "error" in out:
                    raise PluginError(f"build_charts: page '{where}' has a formula KaTeX cannot typeset: "
                                      f"{tex!r}: {out['error']}")
                self.cache[self.key(tex, display)] = out["html"]
            self.dirty = True
        return [self.cache[self.key(*f)] for f in formulas]

    def _run_katex(self, formulas, where):
        node = shutil.which("node")
        if node is None:
            raise PluginError(f"build_charts: page '{where}' has math, and typesetting it needs Node.js "
                              f"(`make book` installs it with the npm packages)")
        result = subprocess.run([node, str(RENDERER)], input=json.dumps(formulas), capture_output=True,
                                text=True, env={**os.environ, "NODE_PATH": str(self.node_modules)})
        if result.returncode != 0:
            raise PluginError(f"build_charts: KaTeX failed on page '{where}': {result.stderr.strip()}")
        return json.loads(result.stdout)

    def save(self):
        if self.cache_file and self.dirty:
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            self.cache_file.write_text(json.dumps(self.cache, sort_keys=True))
            self.dirty = False

    def page(self, page_html: str, where: str) -> str:
        """``page_html`` with every arithmatex formula replaced by KaTeX's HTML (and MathML for screen readers)."""
        matches = list(FORMULA.finditer(page_html))
        if not matches:
            return page_html
        formulas = []
        for m in matches:
            tag, body = m.group(1), html.unescape(m.group(2)).strip()
            left, right = DELIMITERS[tag]
            if not (body.startswith(left) and body.endswith(right)):
                raise PluginError(f"build_charts: page '{where}' has a formula without {left} … {right}: {body!r}")
            formulas.append((body[len(left):-len(right)].strip(), tag == "div"))
        typeset = iter(self.typeset(formulas, where))
        return FORMULA.sub(lambda m: f'<{m.group(1)} class="arithmatex">{next(typeset)}</{m.group(1)}>', page_html)


# KaTeX writes each formula three times: MathML for screen readers, the TeX source in an annotation, and the
# glyphs that are drawn. Material's search indexed all three ("C=6NDC = 6NDC=6ND"); what it should index is the
# MathML, what a screen reader says. (Material's own data-search-exclude cannot skip the glyphs: its parser stops
# skipping at the first nested </span>.)
NOT_SEARCHED = re.compile(r'<annotation encoding="application/x-tex">.*?</annotation>'
                          r'|<span class="katex-html" aria-hidden="true">', re.S)
SPAN_TAG = re.compile(r"<(/?)span\b[^>]*>")


def for_search(page_html: str) -> str:
    """``page_html`` with each typeset formula reduced to its MathML: the text the search index should hold."""
    out, i = [], 0
    while m := NOT_SEARCHED.search(page_html, i):
        out.append(page_html[i:m.start()])
        i = m.end()
        if m.group().startswith("<span"):   # the glyphs: skip to the </span> that closes this one
            depth = 1
            for tag in SPAN_TAG.finditer(page_html, i):
                depth += -1 if tag.group(1) else 1
                if depth == 0:
                    i = tag.end()
                    break
    out.append(page_html[i:])
    return "".join(out)
