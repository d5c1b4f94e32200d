"""The live simulator: simulator_wasm trained in the reader's browser by Pyodide in a Web Worker.

What the plugin's hooks call (plugin.py stays hooks only):

- :meth:`LiveSimulator.add_files` (``on_files``): when a page holds the simulator marker, add the
  Pyodide core from npm, the numpy wheels of the chosen source, simulator_wasm packaged as a wheel,
  and the page's scripts;
- :meth:`LiveSimulator.page_content` (``on_page_content``): swap the marker for the controls, with
  the precomputed results and the URLs the worker needs in data attributes;
- :meth:`LiveSimulator.csp_options` (``on_post_page``): what the simulator page adds to the policy of
  ``build_charts/csp.py``.

``sources.py`` decides where numpy comes from; ``archive.py`` packages simulator_wasm;
``page.py`` renders the HTML; ``series.py`` turns results into chart data (it also runs in the
worker); ``figures/simulator.py`` precomputes the grid and draws the charts.
"""

from pathlib import Path

from mkdocs.plugins import get_plugin_logger
from simulator_wasm.config import LAB_MAPPING
from mkdocs.structure.files import File

from .. import assets
from . import archive, page, sources

log = get_plugin_logger(__name__)

HERE = Path(__file__).parent
SIM_ASSETS = [
    assets.Asset("simulator/simulator.css", "plugin:simulator/simulator.css"),
    assets.Asset("simulator/simulator.js", "plugin:simulator/simulator.js"),
]
WORKER = assets.Asset("simulator/worker.mjs", "plugin:simulator/worker.mjs")
SERIES_PATH = "simulator/series.py"
WHEEL_PATH = f"simulator/{archive.FILE_NAME}"
STAGE_LABELS = {"real_scale": "real-scale predictions", "pretrain": "pretraining",
                "sft": "supervised fine-tuning", "reward_model": "reward model", "ppo": "PPO",
                "dpo": "DPO (for comparison)", "evaluation": "evaluation on held-out questions"}


class LiveSimulator:
    def __init__(self, options, root: Path, node_modules: Path):
        self.options = options
        self.root = root
        self.node_modules = node_modules
        self.core = None
        self.source = None
        self.pages: set[str] = set()
        from ..figures import simulator as sim
        sim.cache_dir = (root / options.live_cache_dir) if options.live_cache_dir else None

    def wanted(self, files) -> bool:
        return any(page.MARKER in f.content_string for f in files.documentation_pages())

    def add_files(self, files, config):
        if not self.wanted(files):
            return files
        o = self.options
        self.core = sources.load_core(self.node_modules)
        self.source = sources.choose(o.live_numpy_source, o.live_packages_dir, o.live_package_base_url,
                                     self.root, self.core)
        log.info(f"live simulator: Pyodide {self.core.version}; numpy source '{self.source.mode}'"
                 + (f" from {self.source.found_in}" if self.source.found_in else ""))
        base = o.assets_dir
        for name in sources.CORE_FILES:
            files.append(File.generated(config, f"{base}/pyodide/{name}", abs_src_path=str(self.core.dir / name)))
        for wheel in self.source.wheels:
            files.append(File.generated(config, f"{base}/pyodide/{wheel.name}", abs_src_path=str(wheel)))
        for asset in SIM_ASSETS + [WORKER]:
            files.append(File.generated(config, f"{base}/{asset.site_path}",
                                        abs_src_path=str(assets.resolve(asset, self.node_modules))))
        files.append(File.generated(config, f"{base}/{SERIES_PATH}", abs_src_path=str(HERE / "series.py")))
        files.append(File.generated(config, f"{base}/{WHEEL_PATH}", content=archive.build_wheel()))
        return files

    def page_content(self, html: str, page_obj, href) -> tuple[str, list]:
        """Render the simulator where the page has its marker; returns (html, assets the page needs)."""
        if page.MARKER not in html:
            return html, []
        from ..figures import simulator as sim  # the grid runs only for a page that shows it

        data = sim.precomputed()
        config = {
            "controls": page.controls_data(),
            "grid": data["grid"],
            "stages": data["stages"],
            "stageWeights": data["stage_weights"],
            "stageLabels": STAGE_LABELS,
            "timeLimitMs": self.options.live_time_limit * 1000,
            "source": {"mode": self.source.mode, "reason": self.source.reason,
                       "package_base_url": self.source.package_base_url, "origin": self.source.origin,
                       "live_text": self._live_text()},
            "urls": {"worker": href(WORKER.site_path), "core": href("pyodide/"), "wheel": href(WHEEL_PATH),
                     "series": href(SERIES_PATH)},
        }
        self.pages.add(page_obj.file.src_uri)
        # The references are drawn by the charts and tabled in the HTML; only the grid travels as data.
        ui = page.render(config, {"runs": data["runs"]}, data["definitions"], LAB_MAPPING, data["references"])
        html = html.replace(page.MARKER, ui, 1)
        return html, assets.CHART_ASSETS + SIM_ASSETS

    def _live_text(self) -> str:
        who = ("served by this site with the book, so nothing is loaded from anywhere else"
               if self.source.mode == "local" else
               f"loaded from {self.source.origin}, the Pyodide package host chosen by the book's author")
        return (f"Live training runs in your browser: Python (Pyodide {self.core.version}) trains the lab "
                f"in a background worker; numpy is {who}")

    def csp_options(self, page_obj) -> dict:
        """What this page adds to the book's Content-Security-Policy (``build_charts/csp.py``):
        the worker's allowances, and the opted-in package host if any; nothing on other pages."""
        if page_obj.file.src_uri not in self.pages:
            return {}
        return {"simulator": True, "package_origin": self.source.origin or ""}
