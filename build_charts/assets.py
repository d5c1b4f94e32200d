"""Browser assets: which files a page needs and where they come from.

Everything comes from npm through package-lock.json (vendored libraries) or
from this package (our two small scripts), and is copied into the site at
build time. Nothing is loaded from another origin. Each page gets only what it
uses: Plotly on pages with charts (fetched by charts.js as the first chart
nears the screen), KaTeX's stylesheet on pages with math.
"""

from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent / "assets"


@dataclass(frozen=True)
class Asset:
    site_path: str  # where it lands, relative to assets_dir
    source: str     # "npm:<path under node_modules>" or "plugin:<file in build_charts/assets>"
    in_head: bool = True   # False: copied into the site, loaded later by the script that names it in `loads`
    loads: str | None = None   # site path of a file this script fetches when needed (its tag's data-loads)


# On every page: the embed view for iframes and LMS packages (?embed=1; embed.js says how).
EMBED_ASSETS = [
    Asset("build-charts/embed.css", "plugin:embed.css"),
    Asset("build-charts/embed.js", "plugin:embed.js"),
]
CHART_ASSETS = [
    # charts.js fetches Plotly when the first chart comes near the screen (≈1 MB: not on every page load).
    Asset("plotly/plotly-cartesian.min.js", "npm:plotly.js-cartesian-dist-min/plotly-cartesian.min.js",
          in_head=False),
    Asset("build-charts/charts.js", "plugin:charts.js", loads="plotly/plotly-cartesian.min.js"),
]
# Formulas are typeset at build time (build_charts/math.py): a page needs only KaTeX's stylesheet and fonts.
MATH_ASSETS = [
    Asset("katex/katex.min.css", "npm:katex/dist/katex.min.css"),
]
# Lab notebooks: mkdocs-jupyter leaves their math as $…$ text, typeset in the browser by math.js.
NOTEBOOK_MATH_ASSETS = MATH_ASSETS + [
    Asset("katex/katex.min.js", "npm:katex/dist/katex.min.js"),
    Asset("katex/contrib/auto-render.min.js", "npm:katex/dist/contrib/auto-render.min.js"),
    Asset("build-charts/math.js", "plugin:math.js"),
]
# Pages with a self-check quiz (build_charts/quiz.py).
QUIZ_ASSETS = [
    Asset("build-charts/quiz.css", "plugin:quiz.css"),
    Asset("build-charts/quiz.js", "plugin:quiz.js"),
]
# Material's offline build runs the search worker through this shim on file:// (mkdocs.yml extra.polyfills;
# the name must contain "iframe-worker", or the offline plugin adds the unpkg copy). A no-op over http.
POLYFILL_ASSETS = [
    Asset("iframe-worker/shim.js", "npm:iframe-worker/shim/index.js"),
]


def katex_fonts(node_modules: Path) -> list[Asset]:
    # KaTeX's CSS lists woff2 first; every browser we support takes it, so the
    # woff/ttf copies would only add weight to the site.
    fonts = sorted((node_modules / "katex/dist/fonts").glob("*.woff2"))
    return [Asset(f"katex/fonts/{f.name}", f"npm:katex/dist/fonts/{f.name}") for f in fonts]


def resolve(asset: Asset, node_modules: Path) -> Path:
    kind, _, rel = asset.source.partition(":")
    return (node_modules / rel) if kind == "npm" else (HERE / rel)


def head_tags(assets: list[Asset], href) -> str:
    """<link>/<script defer> tags for ``assets``; ``href`` maps a site path to a page-relative URL."""
    tags = []
    for a in assets:
        if not a.in_head:
            continue
        if a.site_path.endswith(".css"):
            tags.append(f'<link rel="stylesheet" href="{href(a.site_path)}">')
        elif a.site_path.endswith(".js"):
            loads = f' data-loads="{href(a.loads)}"' if a.loads else ""
            tags.append(f'<script defer src="{href(a.site_path)}"{loads}></script>')
    return "".join(tags)
