"""The interactive simulator in Chromium: real Pyodide core from npm, the packaged lab, the live run.

Two sites are used. The book as `make book` built it (`site/`): numpy comes from the local package
directory when the wheel matching the pinned lock is there (the live path, the product), and the
tests that need a live run are skipped with a printed reason when it is not. And the same book
rebuilt with PYODIDE_PACKAGES_DIR pointing at an empty directory: no numpy, so the page must say
why and show the precomputed results, with no request to another origin.
"""

import html
import json
import math
import re
import subprocess
import sys
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from build_charts.live import archive
from build_charts.live.series import series
from build_charts.render import _tables, number, plain
from simulator_wasm.controls import CONTROLS
from tests.support import ENV, MKDOCS, ROOT, serve, draw_every_chart

pytestmark = pytest.mark.browser

# A small config for the live-vs-native check: the lab at its smallest (5 PPO iterations), so the
# test takes seconds in the browser; the default run is timed by bench/simulator_page.py.
SMALL = {"data_tokens": 1e9, "epochs": 1, "expert_pairs": 1000, "learning_rate": 2e-5, "kl_coef": 0.1,
         "ppo_iterations": 10, "seed": 7}
DEFAULTS = {c.name: c.default for c in CONTROLS}
OFFICIAL = "https://pyodide-packages.test/"   # stands in for the official distribution (served by the test)
BOOT_TIMEOUT = 90_000   # ms; Pyodide boots in ~3 s idle, much slower on a loaded 2-core machine
RUN_TIMEOUT = 180_000


def page_config(site) -> dict:
    text = (site / "simulator.html").read_text()
    return json.loads(html.unescape(re.search(r'data-simulator="([^"]*)"', text).group(1)))


def query(values: dict) -> str:
    return "?" + "&".join(f"{k}={v}" for k, v in values.items())


@pytest.fixture(scope="session")
def live_site(built_site):
    mode = page_config(built_site)["source"]["mode"]
    if mode != "local":
        reason = (f"live run not tested: site/ was built with numpy source '{mode}', because no numpy wheel "
                  f"matching the pinned Pyodide lock was found (PYODIDE_PACKAGES_DIR, "
                  f"~/.cache/llm-training-book/pyodide-packages, live_packages_dir). docs/authors.md "
                  f"(Where numpy comes from) names the file and its sha256.")
        print("SKIP:", reason)
        pytest.skip(reason)
    return built_site


@pytest.fixture(scope="session")
def live_url(live_site):
    with serve(live_site) as url:
        yield url + "simulator.html"


@pytest.fixture(scope="session")
def nonumpy_site(tmp_path_factory):
    """The book rebuilt with an empty package directory (precomputed results come from the build cache)."""
    empty = tmp_path_factory.mktemp("no-pyodide-packages")
    site = tmp_path_factory.mktemp("site-without-numpy")
    result = subprocess.run([*MKDOCS, "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
                             "--site-dir", str(site)], cwd=ROOT, env={**ENV, "PYODIDE_PACKAGES_DIR": str(empty)},
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert page_config(site)["source"]["mode"] == "none"
    return site


@pytest.fixture(scope="session")
def official_site(tmp_path_factory):
    """The book built with the opt-in package host (a made-up origin, served by the test that needs it).

    The tests of the controls alone use it too, with a stand-in worker: its controls move freely (as in a
    live build) on every machine, wheel or not.
    """
    work = tmp_path_factory.mktemp("official")
    config = (ROOT / "mkdocs.yml").read_text().replace("      live_numpy_source: auto\n", (
        f"      live_numpy_source: official\n      live_package_base_url: {OFFICIAL}v{{version}}/full/\n"
        f"      assets_node_modules: {ROOT / 'node_modules'}\n      live_cache_dir: {ROOT / '.cache/build_charts'}\n"))
    config = config.replace("  custom_dir: overrides\n", f"  custom_dir: {ROOT / 'overrides'}\n")
    assert "live_numpy_source: official" in config and str(ROOT / "overrides") in config
    (work / "mkdocs.yml").write_text(f"docs_dir: {ROOT / 'docs'}\n" + config)
    result = subprocess.run([*MKDOCS, "build", "--strict", "--config-file", str(work / "mkdocs.yml"),
                             "--site-dir", str(work / "site")], cwd=ROOT, env=ENV, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert page_config(work / "site")["source"]["mode"] == "official"
    return work / "site"


@pytest.fixture(scope="session")
def official_url(official_site):
    with serve(official_site) as url:
        yield url + "simulator.html"


@pytest.fixture(scope="session")
def nonumpy_url(nonumpy_site):
    with serve(nonumpy_site) as url:
        yield url + "simulator.html"


@pytest.fixture
def context(browser):
    ctx = browser.new_context()
    ctx.requests = []
    ctx.on("request", lambda r: ctx.requests.append(r.url))
    yield ctx
    ctx.close()


def idle_worker(context):
    """Tests of the controls alone: a stand-in worker that never boots, so no CPU goes to Pyodide."""
    context.route("**/simulator/worker.mjs", lambda route: route.fulfill(
        status=200, body="self.onmessage = () => {};", headers={"Content-Type": "text/javascript"}))


def open_page(context, url):
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(url)
    return page


def mode(page) -> str:
    return page.evaluate("document.querySelector('.bc-simulator').dataset.mode")


def wait_mode(page, *modes, timeout=BOOT_TIMEOUT):
    page.wait_for_function("ms => ms.includes(document.querySelector('.bc-simulator').dataset.mode)",
                           arg=list(modes), timeout=timeout)
    return mode(page)


def wait_event(page, event, timeout=RUN_TIMEOUT):
    page.wait_for_function("e => (document.querySelector('.bc-simulator').dataset.lastEvent || '').includes(e)",
                           arg=event, timeout=timeout)


def values(page) -> dict:
    return page.evaluate("bookSimulator.values()")


def charts_settled(page):
    draw_every_chart(page)
    page.wait_for_function("() => bookSimulator.chartsPending() === 0")


def shows_precomputed_results(page):
    charts_settled(page)
    assert page.evaluate("document.querySelector('.bc-simulator').dataset.shown") == "precomputed"
    assert re.fullmatch(r"\d+\.\d%", page.inner_text("#sim-final_accuracy"))
    points = page.evaluate("""() => [...document.querySelectorAll('.bc-plot[data-chart^="simulator-"]')]
        .map(el => el.data.filter(t => String(t.meta || '').startsWith('run:'))
                          .reduce((n, t) => n + (t.y || []).filter(v => v !== null).length, 0))""")
    assert len(points) == 4 and all(points), points


def close_enough(a, b, path="") -> list[str]:
    """Differences between two JSON trees: numbers within 1e-9 relative, the rest equal; wall times skipped.

    Quantities that are zero up to rounding (the KL of the first PPO iteration, where policy = SFT model:
    -8.8e-17 native with OpenBLAS, 0.0 in Pyodide's numpy) get an absolute floor of 1e-12.
    """
    if "wall_s" in path:
        return []
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None or isinstance(a, str):
        return [] if a == b else [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        ok = a == b or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
        return [] if ok else [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{path}: keys {sorted(set(a) ^ set(b))} differ"]
        return [d for k in a for d in close_enough(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: length {len(a)} != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in close_enough(x, y, f"{path}[{i}]")]
    return [f"{path}: {type(a).__name__} != {type(b).__name__}"]


# ---------------------------------------------------------------------------------- worker in any build
def test_worker_boots_real_pyodide_and_runs_the_packaged_lab(context, nonumpy_url, nonumpy_site):
    """The worker of a build without numpy: real core, the lab installed from the site, its pure-Python parts."""
    page = open_page(context, nonumpy_url)
    cfg = page_config(nonumpy_site)
    ready = page.evaluate("""cfg => new Promise((resolve, reject) => {
        const w = new Worker(new URL(cfg.urls.worker, document.baseURI), {type: 'module'});
        const abs = u => new URL(u, document.baseURI).href;
        w.onmessage = e => { if (e.data.type === 'ready' || e.data.type === 'error') { resolve(e.data); w.terminate(); } };
        w.onerror = e => reject(e.message);
        w.postMessage({type: 'boot', coreURL: abs(cfg.urls.core), wheelURL: abs(cfg.urls.wheel),
                       seriesURL: abs(cfg.urls.series), packageBaseUrl: null, numpy: false});
    })""", cfg)
    assert ready["type"] == "ready", ready
    assert [c["name"] for c in ready["controls"]] == [c["name"] for c in cfg["controls"]]
    assert ready["controls"][0]["minimum"] == cfg["controls"][0]["minimum"]
    assert ready["labSettings"]["seed"] == 0
    assert ready["numpy"] == {"ok": False, "version": None, "error": "numpy is not part of this build"}
    assert any(u.endswith("pyodide.asm.wasm") for u in context.requests)
    assert all(u.startswith(nonumpy_url.removesuffix("simulator.html")) for u in context.requests), context.requests


def test_without_numpy_the_page_says_why_and_shows_precomputed_results(context, nonumpy_url):
    page = open_page(context, nonumpy_url)
    assert wait_mode(page, "precomputed", "live") == "precomputed"
    source = page.inner_text("#sim-source")
    assert "Live training is unavailable in this build" in source
    assert "numpy for Pyodide was not available when this book was built" in source
    assert "precomputed" in page.inner_text("#sim-shown").lower() or "grid" in source
    assert page.is_disabled("#sim-run")
    shows_precomputed_results(page)
    # The controls snap to the grid and say so; the others are fixed at their defaults.
    assert page.is_visible("#sim-snap") and "precomputed" in page.inner_text("#sim-snap")
    assert page.is_disabled("#sim-epochs") and not page.is_disabled("#sim-kl_coef")
    before = page.inner_text("#sim-final_accuracy"), page.get_attribute("#chart-simulator-reward-kl", "aria-label")
    page.focus("#sim-kl_coef")
    page.keyboard.press("End")
    assert values(page)["kl_coef"] == 1.0
    after = page.inner_text("#sim-final_accuracy"), page.get_attribute("#chart-simulator-reward-kl", "aria-label")
    assert after != before
    page.wait_for_timeout(300)
    assert not page.errors, page.errors
    assert not any("pyodide" in u for u in context.requests)   # no worker started: nothing to run
    foreign = [u for u in context.requests if not u.startswith(nonumpy_url.removesuffix("simulator.html"))]
    assert not foreign, foreign


PAGE_TABLES = """() => [...document.querySelectorAll('.bc-plot[data-chart^="simulator-"]')].map(el => ({
    chart: el.dataset.chart,
    title: (el.layout.title || {}).text || '',
    layout: el.layout,
    data: el.data.map(t => ({name: t.name, x: t.x && Array.from(t.x), y: t.y && Array.from(t.y), type: t.type,
                             xaxis: t.xaxis, yaxis: t.yaxis, orientation: t.orientation, visible: t.visible})),
    tables: [...el.closest('figure').querySelectorAll('.bc-data-scroll table')].map(t => ({
        caption: t.caption.textContent,
        head: [...t.tHead.rows[0].cells].map(c => c.textContent),
        rows: [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent))})),
}))"""


def tables_of(html_text: str) -> list[dict]:
    """Caption, header and body cells of each table in build-time data-table HTML."""
    def cells(tag, text):
        return [html.unescape(c) for c in re.findall(rf"<{tag}(?:\s[^>]*)?>(.*?)</{tag}>", text, re.S)]

    out = []
    for table in re.findall(r"<table[^>]*>(.*?)</table>", html_text, re.S):
        head, body = table.split("</thead>")
        out.append({"caption": html.unescape(re.search(r"<caption>(.*?)</caption>", head, re.S).group(1)),
                    "head": cells("th", head),
                    "rows": [cells("td", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]})
    return out


def test_data_tables_follow_the_charts(context, nonumpy_url):
    """A chart's data table is its text alternative: after a control changes the chart, the table holds the
    new numbers, laid out as the build lays them out (build_charts/render.py, from the chart's own data)."""
    page = open_page(context, nonumpy_url)
    assert wait_mode(page, "precomputed", "live") == "precomputed"
    charts_settled(page)
    before = page.evaluate(PAGE_TABLES)
    page.focus("#sim-kl_coef")
    page.keyboard.press("End")
    charts_settled(page)
    after = page.evaluate(PAGE_TABLES)
    assert [c["tables"] for c in after] != [c["tables"] for c in before], "the control changed no table"
    for chart in after:
        data = [{k: v for k, v in t.items() if v is not None} for t in chart["data"]]   # undefined in the page
        expected = tables_of("".join(_tables(data, chart["layout"], plain(chart["title"]))))
        for got, want in zip(chart["tables"], expected):
            for key in ("caption", "head"):
                assert got[key] == want[key], (chart["chart"], key, got[key], want[key])
            bad = [(g, w) for g, w in zip(got["rows"], want["rows"]) if g != w]
            assert not bad and len(got["rows"]) == len(want["rows"]), (chart["chart"], got["caption"], bad[:3])
        assert len(chart["tables"]) == len(expected), chart["chart"]
    assert not page.errors, page.errors


# Each run trace's values beside the range of its x and y axes, as Plotly drew them (log axes in decades).
RUN_SPANS = """() => [...document.querySelectorAll('.bc-plot[data-chart^="simulator-"]')].flatMap(el =>
  el._fullData.filter(t => String(t.meta || '').startsWith('run:')).flatMap(t => ['x', 'y'].map(a => {
    const ax = el._fullLayout[a + 'axis' + t[a + 'axis'].slice(1)];
    const vs = ax.type === 'category' ? [] : Array.from(el.data[t.index][a]).filter(v => v !== null)
      .map(v => ax.type === 'log' ? Math.log10(v) : v);
    return {chart: el.dataset.chart, trace: t.meta, axis: ax._name, range: ax.range.slice(),
            min: Math.min(...vs), max: Math.max(...vs), n: vs.length};
  })))"""


def test_run_moves_on_fixed_axes_that_widen_when_it_leaves_them(context, nonumpy_url):
    """Between grid points only the run's lines move (simulator.js redraws them alone): the axes keep the
    build's ranges and every run stays inside them; an axis narrower than a new run widens to show it."""
    page = open_page(context, nonumpy_url)
    assert wait_mode(page, "precomputed", "live") == "precomputed"
    charts_settled(page)
    built = page.evaluate(RUN_SPANS)
    for stop in ("End", "Home"):
        page.focus("#sim-kl_coef")
        page.keyboard.press(stop)
        charts_settled(page)
        spans = page.evaluate(RUN_SPANS)
        assert [s["range"] for s in spans] == [s["range"] for s in built]
        assert [(s["min"], s["max"]) for s in spans] != [(s["min"], s["max"]) for s in built], "no line moved"
    # Narrow the PPO chart's KL axis below the run's values: the next grid point must widen it.
    page.evaluate("Plotly.relayout('chart-simulator-reward-kl', {'yaxis3.range': [0, 1e-6]})")
    page.focus("#sim-kl_coef")
    page.keyboard.press("End")
    charts_settled(page)
    spans = page.evaluate(RUN_SPANS)
    kl = next(s for s in spans if s["chart"] == "simulator-reward-kl" and s["axis"] == "yaxis3")
    assert kl["range"][0] == 0 and kl["range"][1] > kl["max"] > 1e-6, kl
    outside = [s for s in spans if s["n"] and not min(s["range"]) <= s["min"] <= s["max"] <= max(s["range"])]
    assert not outside, outside
    assert not page.errors, page.errors


def test_table_cells_are_written_as_the_build_writes_them(context, official_url):
    """The page's number() against render.number: integers, both signs, the exponent forms, and exact ties at
    the fifth significant digit, which Python rounds to even and toPrecision away from zero."""
    idle_worker(context)
    page = open_page(context, official_url)
    rng = np.random.default_rng(0)
    dyadic = [m / 2 ** k * 10 ** e for k in range(1, 12) for m in range(1, 2 ** k, 2) for e in (0, 2)]
    digits = {x: Decimal(x).normalize().as_tuple().digits for x in dyadic}
    ties = [x for x in dyadic if len(digits[x]) == 5 and digits[x][-1] == 5]
    assert sum(digits[x][3] % 2 == 0 for x in ties) >= 10, \
        "the sample must hold ties that rounding half away from zero would get wrong"
    values = ([0, -0.0, 7, -1234567, 10 ** 14, 0.001, 0.00099999, 999999.5, 1e6, -2.5e-7, 12345.0, float("nan"),
               None] + ties + [-t for t in ties] + (10.0 ** rng.uniform(-8, 8, 400) * rng.choice([-1, 1], 400)).tolist())
    got = page.evaluate("vs => vs.map(bookSimulator.number)", values)
    bad = [(v, g, number(v)) for v, g in zip(values, got) if g != number(v)]
    assert not bad, bad[:5]
    assert not page.errors, page.errors


def test_file_protocol_says_so_and_shows_precomputed_results(context, built_site):
    failed = []
    context.on("requestfailed", lambda r: failed.append(r.url))
    page = open_page(context, (built_site / "simulator.html").as_uri())
    assert wait_mode(page, "precomputed", "live") == "precomputed"
    assert "opened from disk (file://)" in page.inner_text("#sim-source")
    shows_precomputed_results(page)
    # Material's search index is not built for file:// (no offline plugin): the book's issue, not this page's.
    assert all(u.endswith("search/search_index.js") for u in failed), failed
    errors = [e for e in page.errors if "search_index.js" not in e and "ERR_FILE_NOT_FOUND" not in e]
    assert not errors, errors
    assert all(u.startswith("file://") or u.startswith("data:") for u in context.requests), context.requests


# ---------------------------------------------------------------------------------- settings and URL
def test_malformed_url_parameters_are_named_and_fall_back_one_by_one(context, official_url):
    idle_worker(context)
    page = open_page(context, official_url + "?kl_coef=abc&epochs=500&ppo_iterations=50&seed=12")
    problems = page.inner_text("#sim-problems")
    assert page.is_visible("#sim-problems")
    assert "kl_coef must be a number in [0.01, 1] reward per nat, got 'abc'" in problems
    assert "epochs must be an integer in [1, 20] passes, got 500" in problems
    assert "ppo_iterations" not in problems and "seed" not in problems
    v = values(page)
    assert (v["kl_coef"], v["epochs"], v["ppo_iterations"], v["seed"]) == (DEFAULTS["kl_coef"],
                                                                          DEFAULTS["epochs"], 50, 12)
    # The address now holds the values in use, so a copied link is valid.
    in_url = parse_qs(urlsplit(page.url).query)
    assert float(in_url["kl_coef"][0]) == DEFAULTS["kl_coef"] and int(in_url["epochs"][0]) == DEFAULTS["epochs"]


def test_share_url_round_trip_back_forward_and_local_memory(browser, official_url):
    ctx = browser.new_context()
    idle_worker(ctx)
    page = ctx.new_page()
    page.goto(official_url)
    start = values(page)
    page.focus("#sim-kl_coef")
    page.keyboard.press("ArrowRight")
    page.focus("#sim-epochs")
    page.keyboard.press("ArrowRight")
    page.fill("#sim-seed", "42")
    page.press("#sim-seed", "Enter")
    changed = values(page)
    assert changed["kl_coef"] > start["kl_coef"] and changed["epochs"] == start["epochs"] + 1
    assert changed["seed"] == 42
    shared = page.url
    in_url = {k: float(v[0]) for k, v in parse_qs(urlsplit(shared).query).items()}
    assert in_url == {k: float(v) for k, v in changed.items()}
    # A fresh browser (no local memory) opening the link gets exactly these settings.
    other = browser.new_context()
    idle_worker(other)
    fresh = other.new_page()
    fresh.goto(shared)
    assert values(fresh) == changed
    assert fresh.input_value("#sim-kl_coef") == page.input_value("#sim-kl_coef")
    other.close()
    # Back and forward step through the settings.
    page.go_back()
    page.wait_for_function("s => bookSimulator.values().seed !== s", arg=42)
    assert values(page)["epochs"] == start["epochs"] + 1 and values(page)["seed"] == start["seed"]
    page.go_back()
    page.go_back()
    assert values(page) == start
    page.go_forward()
    page.go_forward()
    page.go_forward()
    assert values(page) == changed
    # Opened again without parameters, the page remembers the last settings on this device.
    again = ctx.new_page()
    again.goto(official_url)
    assert values(again) == changed
    ctx.close()


def test_keyboard_only(context, official_url):
    idle_worker(context)   # Run from the keyboard is part of test_live_run_equals_the_native_run
    page = open_page(context, official_url)
    # Tab from the page start reaches the first control; every control has a visible label.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "sim-data_tokens":
            break
    assert page.evaluate("document.activeElement.id") == "sim-data_tokens"
    labels = page.evaluate("""() => [...document.querySelectorAll('.bc-sim-control input')].map(
        i => [i.id, i.labels.length && i.labels[0].textContent, i.getAttribute('aria-describedby')])""")
    assert all(label and described for _, label, described in labels), labels
    page.keyboard.press("ArrowRight")
    assert values(page)["data_tokens"] == 15e9
    assert "15B tokens" in page.get_attribute("#sim-data_tokens", "aria-valuetext")
    # Tab walks the controls in order, then Run, Cancel, Reset.
    order = []
    for _ in range(12):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id"))
        if order[-1] == "sim-reset":
            break
    assert order[:6] == ["sim-epochs", "sim-expert_pairs", "sim-learning_rate", "sim-kl_coef",
                         "sim-ppo_iterations", "sim-seed"]
    assert order[-1] == "sim-reset"
    page.keyboard.press("Enter")
    assert values(page)["data_tokens"] == 10e9
    # A definition opens from the keyboard.
    page.focus("[data-metric=stability] summary")
    page.keyboard.press("Enter")
    assert page.evaluate("document.querySelector('[data-metric=stability] details').open")
    assert "worst step backwards" in page.inner_text("[data-metric=stability] details")


# ---------------------------------------------------------------------------------- the live path
def native_run(site, config: dict) -> dict:
    """run_pipeline natively with the very lab the site ships (its wheel, unpacked), one BLAS thread."""
    wheel = site / "assets/vendor/simulator" / archive.FILE_NAME
    code = ("import json, sys, zipfile, tempfile; d = tempfile.mkdtemp(); zipfile.ZipFile(sys.argv[1]).extractall(d); "
            "sys.path.insert(0, d); sys.path.insert(1, sys.argv[2]); "
            "from simulator_wasm.pipeline import run_pipeline; from simulator_wasm.config import PipelineConfig; "
            "from build_charts.live.series import finite; "
            "print(json.dumps(finite(run_pipeline(PipelineConfig(**json.loads(sys.argv[3])))), allow_nan=False))")
    out = subprocess.run([sys.executable, "-I", "-c", code, str(wheel), str(ROOT), json.dumps(config)],
                         env={**ENV, "OPENBLAS_NUM_THREADS": "1"}, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


def test_live_run_equals_the_native_run(context, live_url, live_site):
    page = open_page(context, live_url + query(SMALL))
    assert wait_mode(page, "live", "precomputed") == "live", page.inner_text("#sim-source")
    assert "served by this site" in page.inner_text("#sim-source")
    page.focus("#sim-run")
    page.keyboard.press("Enter")   # Run, from the keyboard
    page.wait_for_function("() => /Stage \\d of/.test(document.getElementById('sim-progress-label').textContent)",
                           timeout=RUN_TIMEOUT)
    wait_event(page, "finished")
    browser_results = page.evaluate("bookSimulator.state.lastResults")
    native = native_run(live_site, SMALL)
    assert browser_results["config"] == native["config"]
    differences = close_enough(browser_results, native)
    assert not differences, differences[:20]
    # The page shows the live run: metrics and chart data from the same series() as the build.
    expected = series(native)
    assert page.evaluate("document.querySelector('.bc-simulator').dataset.shown") == "live"
    for key, text in expected["metrics_text"].items():
        assert page.inner_text(f"#sim-{key}") == text
    charts_settled(page)
    gold = page.evaluate("""() => document.getElementById('chart-simulator-reward-kl').data
        .find(t => t.meta === 'run:gold').y""")
    assert close_enough(gold, expected["traces"]["gold"]["y"]) == []
    for chart_id, alt in series(browser_results)["alt"].items():
        assert page.get_attribute(f"#chart-{chart_id}", "aria-label") == alt
    assert page.evaluate("document.getElementById('sim-progress').value") == 1
    foreign = [u for u in context.requests if not u.startswith(live_url.removesuffix("simulator.html"))]
    assert not foreign, foreign
    assert not page.errors, page.errors


def test_cancel_terminates_and_restarts_the_worker(context, live_url):
    page = open_page(context, live_url + query({**SMALL, "ppo_iterations": 200, "data_tokens": 1e11}))
    assert wait_mode(page, "live", "precomputed") == "live"
    first = page.evaluate("bookSimulator.state.workersStarted")
    page.click("#sim-run")
    page.wait_for_function("() => /Stage \\d of/.test(document.getElementById('sim-progress-label').textContent)",
                           timeout=RUN_TIMEOUT)
    assert page.is_enabled("#sim-cancel")
    page.click("#sim-cancel")
    wait_event(page, "cancelled", timeout=5_000)
    assert "cancelled" in page.inner_text("#sim-shown").lower()
    assert page.evaluate("bookSimulator.state.workersStarted") == first + 1
    assert page.evaluate("bookSimulator.state.running") is None
    assert wait_mode(page, "live") == "live"
    assert page.is_enabled("#sim-run") and page.is_disabled("#sim-cancel")


def test_worker_crash_and_time_limit_are_reported_and_recovered(context, live_url):
    page = open_page(context, live_url + query(SMALL))
    assert wait_mode(page, "live", "precomputed") == "live"
    page.evaluate("bookSimulator.crashWorker()")
    wait_event(page, "stopped unexpectedly", timeout=10_000)
    assert "restarted" in page.inner_text("#sim-shown")
    assert wait_mode(page, "live") == "live"
    # A run past the time limit is stopped, reported, and the worker restarted.
    page.evaluate("bookSimulator.setTimeLimit(200)")
    page.click("#sim-run")
    wait_event(page, "time-limit", timeout=10_000)
    assert "time limit" in page.inner_text("#sim-shown")
    # Still usable: a fresh worker is ready and Run is offered again (runs themselves: test_live_run_...).
    assert wait_mode(page, "live") == "live"
    assert page.is_enabled("#sim-run") and page.evaluate("bookSimulator.state.workersStarted") == 3


def test_a_wheel_that_fails_its_check_gives_the_clear_message(context, live_url):
    # loadPackage does not throw on a hash mismatch; the page must still say so, not hang.
    context.route("**/numpy-*.whl", lambda route: route.fulfill(status=200, body=b"not numpy"))
    page = open_page(context, live_url)
    assert wait_mode(page, "precomputed", "live") == "precomputed"
    source = page.inner_text("#sim-source")
    assert "Live training is unavailable in this build: numpy could not be loaded" in source
    shows_precomputed_results(page)


def test_official_source_reads_from_that_one_origin_only(context, official_url, live_site):
    # The opted-in host is played by a route that serves the lock's numpy wheel with CORS headers.
    wheels = {p.name: p.read_bytes() for p in (live_site / "assets/vendor/pyodide").glob("*.whl")}

    def package_host(route):
        name = route.request.url.rsplit("/", 1)[-1]
        if name in wheels:
            route.fulfill(status=200, body=wheels[name], headers={"Access-Control-Allow-Origin": "*",
                                                                  "Content-Type": "application/octet-stream"})
        else:
            route.fulfill(status=404, body=b"", headers={"Access-Control-Allow-Origin": "*"})

    context.route(OFFICIAL + "**", package_host)
    url = official_url.removesuffix("simulator.html")
    page = open_page(context, official_url + query(SMALL))
    assert wait_mode(page, "live", "precomputed") == "live", page.inner_text("#sim-source")
    assert "loaded from https://pyodide-packages.test" in page.inner_text("#sim-source")
    assert page.locator("meta[http-equiv=Content-Security-Policy]").get_attribute("content").count(
        "https://pyodide-packages.test") == 2   # script-src and connect-src, nothing else
    others = {u.split("/")[2] for u in context.requests if not u.startswith(url)}
    assert others == {"pyodide-packages.test"}, others
