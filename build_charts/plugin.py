"""MkDocs plugin: run the simulator at build time and inline its charts in the pages.

Data flows one way: ``simulator_wasm`` → figure functions (``figures/``) →
Plotly JSON (``render.py``) → the page that names the chart (``fence.py``).
"""

import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File
from mkdocs.utils import get_relative_url

from . import assets, lab, live, registry
from . import figures  # noqa: F401  (registers every figure function)
from .config import BuildChartsConfig
from .fence import PLACEHOLDER_CLASS
from .render import chart_html

log = get_plugin_logger(__name__)

MARKER = re.compile(rf'<div class="{PLACEHOLDER_CLASS}" data-chart="([^"]*)"></div>')
HAS_MATH = re.compile(r'class="arithmatex"')


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

    def on_files(self, files, config):
        # Add the vendored files here so MkDocs copies them like any other
        # static file (and `mkdocs serve` serves them).
        if not self.config.enabled:
            return files
        wanted = assets.CHART_ASSETS + assets.MATH_ASSETS + assets.katex_fonts(self.node_modules)
        for asset in wanted:
            source = assets.resolve(asset, self.node_modules)
            if not source.is_file():
                raise PluginError(
                    f"build_charts: asset {asset.source!r} not found at {source}. "
                    f"Install the npm packages first: `npm ci` (`make book` runs it).")
            files.append(File.generated(config, f"{self.config.assets_dir}/{asset.site_path}",
                                        abs_src_path=str(source)))
        return self.live.add_files(files, config)

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
        html, needs = self.live.page_content(
            html, page, lambda site_path: get_relative_url(f"{self.config.assets_dir}/{site_path}", page.url))
        if n_charts:
            needs += assets.CHART_ASSETS
        if HAS_MATH.search(html):
            needs += assets.MATH_ASSETS
        self.pages_needing[page.file.src_uri] = list(dict.fromkeys(needs))
        return html

    def on_post_page(self, output, page, config):
        # Scripts go into <head> with `defer` so they never block the first
        # paint, and only into pages that use them.
        if not self.config.enabled:
            return output
        output = self.live.post_page(output, page)
        needs = self.pages_needing.get(page.file.src_uri, [])
        if not needs:
            return output

        def href(site_path):
            return get_relative_url(f"{self.config.assets_dir}/{site_path}", page.url)

        return output.replace("</head>", assets.head_tags(needs, href) + "</head>", 1)
