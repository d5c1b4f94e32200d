"""MkDocs plugin: run the simulator at build time and inline its charts in the pages.

Data flows one way: ``simulator_wasm`` → figure functions (``figures/``) →
Plotly JSON (``render.py``) → the page that names the chart (``fence.py``).
"""

import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File
from mkdocs.utils import get_relative_url

from . import assets, csp, datasets, lab, live, math, registry   # datasets: data downloads + data card lab texts
from . import notebooks   # the lab notebooks that mkdocs-jupyter renders (docs/labs/*.ipynb)
from . import offline     # `make offline`: the zip read from file://
from . import notices     # THIRD-PARTY-NOTICES.txt: licences of the code the site ships
from . import figures  # noqa: F401  (registers every figure function)
from .config import BuildChartsConfig
from .fence import PLACEHOLDER_CLASS
from .render import chart_html, keyboard_scrollable, label_search_dialog

log = get_plugin_logger(__name__)

MARKER = re.compile(rf'<div class="{PLACEHOLDER_CLASS}" data-chart="([^"]*)"></div>')
HAS_MATH = re.compile(r'class="arithmatex"')
HAS_QUIZ = re.compile(r'<section class="bc-quiz"')


class BuildChartsPlugin(BasePlugin[BuildChartsConfig]):

    def on_config(self, config):
        # Resolve node_modules once, against the folder of mkdocs.yml, so a
        # build started from elsewhere still finds the npm assets.
        if not self.config.enabled:
            return
        root = Path(config.config_file_path).parent
        self.node_modules = (root / self.config.assets_node_modules).resolve()
        self.pages_needing: dict[str, list[assets.Asset]] = {}
        self.live = live.LiveSimulator(self.config, root, self.node_modules)
        # The iframe-worker shim (extra.polyfills) runs search on file://, in the offline zip and in any built
        # site opened from disk: the inline script it writes needs its hash in every page's policy.
        shim_listed = any("iframe-worker" in str(p) for p in config.extra.get("polyfills", []))
        self.offline_shim = ((self.node_modules / "iframe-worker/shim/index.js").read_text()
                             if shim_listed else None)
        notebooks.place_cache(config, root)   # mkdocs-jupyter's cache beside mkdocs.yml, like ours
        cache_dir = self.config.live_cache_dir
        self.typesetter = math.Typesetter(self.node_modules, (root / cache_dir / "katex.json") if cache_dir else None)

    def on_files(self, files, config):
        # Add the vendored files here so MkDocs copies them like any other
        # static file (and `mkdocs serve` serves them).
        if not self.config.enabled:
            return files
        wanted = assets.EMBED_ASSETS + assets.CHART_ASSETS + assets.NOTEBOOK_MATH_ASSETS
        wanted += assets.katex_fonts(self.node_modules)
        wanted += assets.QUIZ_ASSETS + assets.POLYFILL_ASSETS
        for asset in wanted:
            source = assets.resolve(asset, self.node_modules)
            if not source.is_file():
                raise PluginError(
                    f"build_charts: asset {asset.source!r} not found at {source}. "
                    f"Install the npm packages first: `npm ci` (`make book` runs it).")
            files.append(File.generated(config, f"{self.config.assets_dir}/{asset.site_path}",
                                        abs_src_path=str(source)))
        files = self.live.add_files(files, config)
        source = getattr(self.live, "source", None)   # None when no page has the live simulator
        shipped_wheels = [w.name for w in source.wheels] if source else []
        files.append(File.generated(config, f"{self.config.assets_dir}/{notices.SITE_PATH}",
                                    content=notices.notices(self.node_modules, shipped_wheels)))
        return datasets.add_files(files, config)   # site/data/*.csv, *.jsonl (docs/data.md)

    def on_page_content(self, html, page, config, files):
        # Runs after Markdown → HTML, when the page is known: swap each chart
        # marker for its figure, and fail with the page's name on an unknown id.
        if not self.config.enabled:
            return html
        known = set(registry.known_ids())

        def replace(match):
            chart_id = match.group(1)
            if chart_id not in known:
                raise PluginError(
                    f"build_charts: page '{page.file.src_uri}' has a chart marker naming "
                    f"unknown chart '{chart_id}'. Known charts: {', '.join(sorted(known))}. "
                    f"Fix the id in the ```chart block or register a figure function "
                    f"in build_charts/figures/.")
            return chart_html(chart_id, registry.build(chart_id))

        html, n_charts = MARKER.subn(replace, html)
        html = lab.fill(html, page.file.src_uri)   # lab markers: numbers and tables from the lab
        has_math = bool(HAS_MATH.search(html))
        html = self.typesetter.page(html, page.file.src_uri)   # formulas arrive typeset (build_charts/math.py)
        html = keyboard_scrollable(html)    # wide tables and formulas: reachable by keyboard
        html, needs = self.live.page_content(
            html, page, lambda site_path: get_relative_url(f"{self.config.assets_dir}/{site_path}", page.url))
        if n_charts:
            needs += assets.CHART_ASSETS
        if has_math:
            needs += assets.MATH_ASSETS
        if HAS_QUIZ.search(html):
            needs += assets.QUIZ_ASSETS
        if notebooks.is_notebook(page):   # nbconvert's HTML: the book's charts and math go in differently
            html, notebook_needs = notebooks.page_content(html, page.file.src_uri)
            needs += notebook_needs
        # Every page has an embed view (?embed=1, assets/embed.js); its script goes first.
        self.pages_needing[page.file.src_uri] = list(dict.fromkeys(assets.EMBED_ASSETS + needs))
        return html

    # Material's search reads page.content in its own on_page_context: it gets the page with each formula as
    # MathML only (math.for_search), and the page itself gets back every part of its formulas right after.
    @event_priority(100)
    def _content_for_search(self, context, page, config, nav):
        if self.config.enabled:
            self._typeset_content = page.content
            page.content = math.for_search(page.content)
        return context

    @event_priority(-100)
    def _content_for_page(self, context, page, config, nav):
        if self.config.enabled:
            page.content = self._typeset_content
        return context

    on_page_context = CombinedEvent(_content_for_search, _content_for_page)

    def on_post_page(self, output, page, config):
        # Scripts go into <head> with `defer` so they never block the first
        # paint, and only into pages that use them.
        if not self.config.enabled:
            return output
        needs = self.pages_needing.get(page.file.src_uri, [])

        def href(site_path):
            return get_relative_url(f"{self.config.assets_dir}/{site_path}", page.url)

        if needs:
            output = output.replace("</head>", assets.head_tags(needs, href) + "</head>", 1)
        if notebooks.is_notebook(page):
            output = notebooks.strip_foreign_scripts(output)
        output = label_search_dialog(output)
        # Last, on the final HTML: the policy hashes the page's inline scripts (build_charts/csp.py).
        output = csp.add_to_page(output, **self.live.csp_options(page))
        return offline.allow_search_shim(output, self.offline_shim) if self.offline_shim else output

    def on_post_template(self, output_content, template_name, config):
        # 404.html is a theme template, not a page: it gets the same policy.
        if not self.config.enabled or not template_name.endswith(".html"):
            return output_content
        output = csp.add_to_page(label_search_dialog(output_content))
        return offline.allow_search_shim(output, self.offline_shim) if self.offline_shim else output

    def on_post_build(self, config):
        if self.config.enabled:
            self.typesetter.save()   # the next build typesets only formulas it has not seen
