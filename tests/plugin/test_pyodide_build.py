"""The live simulator's build side: numpy's three sources, the packaged lab, the page it writes.

Fixture sites are built end to end. The ones that need a numpy wheel use a fake Pyodide package
(a fake lock naming a small fake wheel), so these tests run on every machine; the real wheel is
exercised by tests/browser/test_simulator.py.
"""

import hashlib
import html
import json
import math
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from mkdocs.exceptions import PluginError

from build_charts.figures import simulator as sim
from build_charts.live import archive, page, sources
from build_charts.live.series import series
from simulator_wasm.config import PipelineConfig
from simulator_wasm.controls import CONTROLS
from tests.support import ENV, MKDOCS, ROOT, fixture_config

NODE_MODULES = ROOT / "node_modules"
FAKE_WHEEL = "numpy-9.9.9-cp314-cp314-pyemscripten_2026_0_wasm32.whl"

EXTENSIONS = """
    - md_in_html
    - pymdownx.superfences:
        custom_fences:
          - name: chart
            class: chart
            format: !!python/name:build_charts.fence.format_chart
"""


# ------------------------------------------------------------------------------------ helpers
def fake_node_modules(tmp_path: Path, wheel_bytes: bytes = b"not really numpy") -> Path:
    """node_modules whose pyodide lock names one small fake numpy wheel (returned next to it)."""
    nm = tmp_path / "node_modules"
    (nm / "pyodide").mkdir(parents=True)
    for pkg in ("katex", "plotly.js-cartesian-dist-min", "iframe-worker"):
        (nm / pkg).symlink_to(NODE_MODULES / pkg)
    for name in sources.CORE_FILES:
        if name != "pyodide-lock.json":
            (nm / "pyodide" / name).symlink_to(NODE_MODULES / "pyodide" / name)
    (nm / "pyodide/package.json").write_text(json.dumps({"name": "pyodide", "version": "314.0.1", "license": "MPL-2.0"}))
    lock = {"info": {"abi_version": "2026_0"}, "packages": {"numpy": {
        "name": "numpy", "version": "9.9.9", "file_name": FAKE_WHEEL, "depends": [],
        "sha256": hashlib.sha256(wheel_bytes).hexdigest()}}}
    (nm / "pyodide/pyodide-lock.json").write_text(json.dumps(lock))
    return nm


def build(tmp_path: Path, env: dict, node_modules: Path = NODE_MODULES, extra: str = "",
          pages: dict | None = None) -> subprocess.CompletedProcess:
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    pages = pages or {"index.md": "# Home\n\nNo simulator here.\n",
                      "simulator.md": "# Simulator\n\n<div class=\"bc-simulator\"></div>\n\n```chart\n"
                                      "simulator-reward-kl\n```\n"}
    for name, text in pages.items():
        (docs / name).write_text(textwrap.dedent(text))
    config = tmp_path / "mkdocs.yml"
    config.write_text(fixture_config(f"live_cache_dir: {ROOT / '.cache/build_charts'}\n{extra}", EXTENSIONS,
                                     node_modules))
    return subprocess.run([*MKDOCS, "build", "--strict", "--config-file", str(config), "--site-dir",
                           str(tmp_path / "site")], cwd=tmp_path, env={**ENV, **env},
                          capture_output=True, text=True, timeout=600)


def page_data(site: Path, name: str = "simulator/index.html") -> tuple[str, dict, dict]:
    text = (site / name).read_text()
    found = dict(re.findall(r'data-(simulator|precomputed)="([^"]*)"', text))
    return text, json.loads(html.unescape(found["simulator"])), json.loads(html.unescape(found["precomputed"]))


@pytest.fixture
def empty_dir(tmp_path):
    d = tmp_path / "no-packages"
    d.mkdir()
    return d


# ------------------------------------------------------------------------------------ sources
def test_packages_dir_order_env_then_cache_then_option(tmp_path):
    cache_home = tmp_path / "xdg"
    option_dir = tmp_path / "opt"
    env_dir = tmp_path / "env"
    # Nothing set, no cache: the mkdocs.yml option.
    found, how = sources.packages_dir("opt", tmp_path, {"XDG_CACHE_HOME": str(cache_home)})
    assert found == option_dir and "live_packages_dir" in how
    # The per-user cache, once it exists, wins over the option.
    (cache_home / "llm-training-book/pyodide-packages").mkdir(parents=True)
    found, how = sources.packages_dir("opt", tmp_path, {"XDG_CACHE_HOME": str(cache_home)})
    assert found == cache_home / "llm-training-book/pyodide-packages" and "cache" in how
    # The environment variable wins over both.
    found, how = sources.packages_dir("opt", tmp_path, {"XDG_CACHE_HOME": str(cache_home),
                                                        "PYODIDE_PACKAGES_DIR": str(env_dir)})
    assert found == env_dir and "PYODIDE_PACKAGES_DIR" in how
    # Without XDG_CACHE_HOME the cache is under ~/.cache.
    assert sources.default_cache_dir({}) == Path.home() / ".cache/llm-training-book/pyodide-packages"


def test_needed_packages_follow_dependencies():
    lock = {"packages": {"numpy": {"depends": ["b"], "file_name": "n.whl"}, "b": {"depends": [], "file_name": "b.whl"},
                         "c": {"depends": [], "file_name": "c.whl"}}}
    assert [e["file_name"] for e in sources.needed_packages(lock)] == ["b.whl", "n.whl"]
    with pytest.raises(PluginError, match="'missing' is not in the Pyodide lock"):
        sources.needed_packages(lock, ("missing",))


def test_real_lock_names_the_numpy_wheel_of_the_pinned_release():
    core = sources.load_core(NODE_MODULES)
    assert core.version == json.loads((ROOT / "package.json").read_text())["dependencies"]["pyodide"] == "314.0.1"
    entry = core.lock["packages"]["numpy"]
    assert entry["file_name"] == "numpy-2.4.3-cp314-cp314-pyemscripten_2026_0_wasm32.whl"
    assert entry["sha256"] == "c90162c4b09a5d8ac3ce975e0b4282ed5df06de446e3d0aec7406821fc5346e1"


def test_choose_each_source_and_its_errors(tmp_path, empty_dir):
    nm = fake_node_modules(tmp_path)
    core = sources.load_core(nm)
    good = tmp_path / "good"
    good.mkdir()
    (good / FAKE_WHEEL).write_bytes(b"not really numpy")
    env_good, env_empty = {"PYODIDE_PACKAGES_DIR": str(good)}, {"PYODIDE_PACKAGES_DIR": str(empty_dir)}

    local = sources.choose("auto", "", "", tmp_path, core, env_good)
    assert local.mode == "local" and local.wheels == (good / FAKE_WHEEL,) and not local.origin
    assert sources.choose("auto", "", "", tmp_path, core, env_empty).mode == "none"
    assert sources.choose("none", "", "", tmp_path, core, env_good).mode == "none"
    official = sources.choose("auto", "", "https://pyodide.example/v{version}/full", tmp_path, core, env_empty)
    assert official.mode == "official" and official.origin == "https://pyodide.example"
    assert official.package_base_url == "https://pyodide.example/v314.0.1/full/"
    # Local wheels win over the opted-in host in "auto"; "official" forces the host.
    assert sources.choose("auto", "", "https://pyodide.example/", tmp_path, core, env_good).mode == "local"
    assert sources.choose("official", "", "https://pyodide.example/", tmp_path, core, env_good).mode == "official"

    with pytest.raises(PluginError, match=r"live_numpy_source is 'local' but numpy-9\.9\.9.*PYODIDE_PACKAGES_DIR"):
        sources.choose("local", "", "", tmp_path, core, env_empty)
    with pytest.raises(PluginError, match="live_numpy_source is 'official' but live_package_base_url is empty"):
        sources.choose("official", "", "", tmp_path, core, env_empty)
    with pytest.raises(PluginError, match=r"must be an https:// URL.*got 'http://insecure\.example/'"):
        sources.choose("auto", "", "http://insecure.example/", tmp_path, core, env_empty)


def test_wheel_with_the_wrong_hash_stops_the_build_with_the_fix(tmp_path):
    nm = fake_node_modules(tmp_path)
    core = sources.load_core(nm)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / FAKE_WHEEL).write_bytes(b"some other build")
    with pytest.raises(PluginError) as err:
        sources.choose("auto", "", "", tmp_path, core, {"PYODIDE_PACKAGES_DIR": str(bad)})
    text = str(err.value)
    assert str(bad / FAKE_WHEEL) in text and "PYODIDE_PACKAGES_DIR" in text
    assert hashlib.sha256(b"some other build").hexdigest() in text
    assert core.lock["packages"]["numpy"]["sha256"] in text


# ------------------------------------------------------------------------------------ archive
def test_wheel_of_the_lab_is_deterministic_sorted_and_complete():
    first, second = archive.build_wheel(), archive.build_wheel()
    assert first == second
    with zipfile.ZipFile(__import__("io").BytesIO(first)) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names)
        assert {i.date_time for i in infos} == {archive.EPOCH}
        expected = {f"simulator_wasm/{p.relative_to(archive.package_dir()).as_posix()}"
                    for p in archive.source_files()}
        assert expected <= set(names) and "simulator_wasm/pipeline.py" in names
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        record = zf.read("simulator_wasm-0.1.0.dist-info/RECORD").decode().splitlines()
        assert len(record) == len(names)
        assert "Root-Is-Purelib: true" in zf.read("simulator_wasm-0.1.0.dist-info/WHEEL").decode()


def test_wheel_of_the_lab_installs_and_imports(tmp_path):
    with zipfile.ZipFile(__import__("io").BytesIO(archive.build_wheel())) as zf:
        zf.extractall(tmp_path / "site-packages")
    out = subprocess.run([sys.executable, "-I", "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                          "import simulator_wasm.controls as c; print(c.__file__); print(len(c.CONTROLS))",
                          str(tmp_path / "site-packages")], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert str(tmp_path) in out.stdout and out.stdout.split()[-1] == str(len(CONTROLS))


# ------------------------------------------------------------------------------------ controls and grid
@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: c.name)
def test_slider_steps_cover_the_range_and_hold_the_default(control):
    steps = page.slider_steps(control)
    if control.name == "seed":
        assert steps is None
        return
    assert steps == sorted(set(steps))
    assert steps[0] == control.minimum and steps[-1] == control.maximum
    assert control.default in steps


def test_grid_holds_the_defaults_and_every_point_has_the_charts_series():
    data = sim.precomputed()
    defaults = {c.name: c.default for c in CONTROLS}
    for name, values in sim.GRID.items():
        assert defaults[name] in values, name
    n_points = 1
    for values in sim.GRID.values():
        n_points *= len(values)
    assert len(data["runs"]) == n_points
    assert set(data["references"]) == {"healthy", "kl_blowup", "reward_hacking", "high_lr"}
    assert data["runs"][sim._key(defaults)] == data["default"]
    # Every trace a chart marks as the reader's run has data in the series of each grid point.
    from build_charts import registry
    for chart_id in ("simulator-accuracy", "simulator-reward-kl", "simulator-losses", "simulator-scaling"):
        figure = registry.build(chart_id).figure
        keys = [t["meta"][4:] for t in figure["data"] if str(t.get("meta", "")).startswith("run:")]
        assert keys, chart_id
        for run in data["runs"].values():
            for key in keys:
                assert run["traces"][key]["y"], (chart_id, key)
            assert set(run["alt"]) >= {chart_id}
    assert set(data["stage_weights"]) == set(data["stages"])
    assert abs(sum(data["stage_weights"].values()) - 1) < 1e-3


def test_every_precomputed_run_fits_the_fixed_axes():
    # The page moves the reader's run on fixed axes (simulator.js redraws only those traces): every
    # grid point and reference must then lie inside each numeric axis's range.
    from build_charts import registry
    data = sim.precomputed()
    for chart_id in ("simulator-accuracy", "simulator-reward-kl", "simulator-losses", "simulator-scaling"):
        figure = registry.build(chart_id).figure
        layout = figure["layout"]
        for trace in figure["data"]:
            key = str(trace.get("meta", ""))[4:]
            runs = [trace] + ([run["traces"][key] for run in data["runs"].values()] if key else [])
            for letter in "xy":
                ref = trace.get(letter + "axis", letter)
                axis = layout[sim._axis(layout[sim._axis(ref)].get("matches", ref))]
                if axis.get("type") == "category":
                    assert "range" not in axis
                    continue
                lo, hi = axis["range"]
                for v in (v for r in runs for v in r[letter] if v is not None):
                    v = math.log10(v) if axis.get("type") == "log" else v
                    assert lo <= v <= hi, (chart_id, trace["name"], letter, v, axis["range"])


def test_fixed_ranges_pad_as_plotly_does():
    figure = {"data": [{"x": [1, 2, 3], "y": [2, 4, 6]},
                       {"x": [10, 1000], "y": [1, 3], "xaxis": "x2", "yaxis": "y2"},
                       {"x": [4, 5], "y": [-1, 1], "xaxis": "x3", "yaxis": "y3"},
                       {"x": ["a", "b"], "y": [7, 7], "xaxis": "x4", "yaxis": "y4"}],
              "layout": {"yaxis": {"rangemode": "tozero"}, "xaxis2": {"type": "log"}, "xaxis3": {"matches": "x"},
                         "xaxis4": {"type": "category"}}}
    layout = sim.fixed_ranges(figure)["layout"]
    assert layout["xaxis"]["range"] == [0.8, 5.2]       # 5% of the span each side; the matched x3 widens it
    assert layout["yaxis"]["range"] == [0, 6.2]         # but not below zero on a "tozero" axis
    assert layout["xaxis2"]["range"] == [0.9, 3.1]      # a log axis's range is in decades
    assert layout["yaxis2"]["range"] == [0.9, 3.1]
    assert layout["yaxis3"]["range"] == [-1.1, 1.1]
    assert "range" not in layout["xaxis3"] and "range" not in layout["xaxis4"]
    assert layout["yaxis4"]["range"] == [6.5, 7.5]      # a flat line gets half a unit each side


def test_series_is_the_same_in_the_build_and_in_the_worker():
    # The worker runs the copy of series.py the build ships: same file, same output.
    results = sim.run_all([sim.PipelineConfig()])[0]
    assert series(results) == sim.precomputed()["default"]
    assert json.dumps(series(results), allow_nan=False)


# ------------------------------------------------------------------------------------ fixture sites
def test_without_numpy_the_page_says_so_and_ships_no_wheel(tmp_path, empty_dir):
    result = build(tmp_path, {"PYODIDE_PACKAGES_DIR": str(empty_dir)})
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    text, cfg, pre = page_data(site)
    assert cfg["source"]["mode"] == "none" and "not available when this book was built" in cfg["source"]["reason"]
    assert not list(site.rglob("numpy-*.whl"))
    # The core and the packaged lab are still there: the worker runs the lab's pure-Python parts.
    for name in sources.CORE_FILES:
        assert (site / "assets/vendor/pyodide" / name).is_file(), name
    assert (site / "assets/vendor/simulator" / archive.FILE_NAME).read_bytes() == archive.build_wheel()
    assert (site / "assets/vendor/simulator/series.py").is_file()
    assert len(pre["runs"]) == len(sim.grid_configs())
    assert text.count('<tr data-reference="') == len(sim.REFERENCES)
    # Page-relative URLs, no other origin anywhere in the page or its policy.
    assert cfg["urls"]["core"] == "../assets/vendor/pyodide/"
    assert 'content="default-src \'self\'' in text
    assert not re.search(r'src="https?://', text)  # (the fixture's theme keeps its footer *link*)
    assert "https://" not in re.search(r'Content-Security-Policy" content="([^"]*)"', text).group(1)
    # Only the simulator page loads the simulator (and the chart library).
    index = (site / "index.html").read_text()
    assert "simulator.js" not in index and "plotly" not in index and "wasm-unsafe-eval" not in index
    assert 'src="../assets/vendor/simulator/simulator.js"' in text


def test_local_wheels_are_checked_and_copied(tmp_path):
    nm = fake_node_modules(tmp_path)
    packages = tmp_path / "packages"
    packages.mkdir()
    (packages / FAKE_WHEEL).write_bytes(b"not really numpy")
    result = build(tmp_path, {"PYODIDE_PACKAGES_DIR": str(packages)}, node_modules=nm)
    assert result.returncode == 0, result.stderr
    assert "numpy source 'local'" in result.stderr
    site = tmp_path / "site"
    assert (site / "assets/vendor/pyodide" / FAKE_WHEEL).read_bytes() == b"not really numpy"
    text, cfg, _ = page_data(site)
    assert cfg["source"]["mode"] == "local" and cfg["source"]["package_base_url"] == ""
    assert str(packages) not in text  # the builder's paths never reach the page


def test_option_dir_is_used_when_env_and_cache_are_absent(tmp_path):
    nm = fake_node_modules(tmp_path)
    (tmp_path / "wheels").mkdir()
    (tmp_path / "wheels" / FAKE_WHEEL).write_bytes(b"not really numpy")
    env = {"PYODIDE_PACKAGES_DIR": "", "XDG_CACHE_HOME": str(tmp_path / "no-cache-here")}
    result = build(tmp_path, env, node_modules=nm, extra="live_packages_dir: wheels\n")
    assert result.returncode == 0, result.stderr
    assert "live_packages_dir in mkdocs.yml" in result.stderr
    assert (tmp_path / "site/assets/vendor/pyodide" / FAKE_WHEEL).is_file()


def test_wrong_hash_fails_the_build_naming_file_and_fix(tmp_path):
    nm = fake_node_modules(tmp_path)
    packages = tmp_path / "packages"
    packages.mkdir()
    (packages / FAKE_WHEEL).write_bytes(b"built for another release")
    result = build(tmp_path, {"PYODIDE_PACKAGES_DIR": str(packages)}, node_modules=nm)
    assert result.returncode != 0
    assert FAKE_WHEEL in result.stderr and "expects" in result.stderr and "PYODIDE_PACKAGES_DIR" in result.stderr


def test_official_source_is_opt_in_and_the_only_other_origin(tmp_path, empty_dir):
    extra = "live_package_base_url: https://pyodide.example/v{version}/full/\n"
    result = build(tmp_path, {"PYODIDE_PACKAGES_DIR": str(empty_dir)}, extra=extra)
    assert result.returncode == 0, result.stderr
    text, cfg, _ = page_data(tmp_path / "site")
    assert cfg["source"]["mode"] == "official"
    assert cfg["source"]["package_base_url"] == "https://pyodide.example/v314.0.1/full/"
    policy = re.search(r'Content-Security-Policy" content="([^"]*)"', text).group(1)
    assert set(re.findall(r"https://[^ ;]+", policy)) == {"https://pyodide.example"}
    assert not list((tmp_path / "site").rglob("numpy-*.whl"))


@pytest.mark.parametrize("extra, message", [
    ("live_numpy_source: sometimes\n", "live_numpy_source"),
    ("live_package_base_url: ftp://example.org/\n", "must be an https:// URL"),
])
def test_bad_live_options_fail_with_a_message(tmp_path, empty_dir, extra, message):
    result = build(tmp_path, {"PYODIDE_PACKAGES_DIR": str(empty_dir)}, extra=extra)
    assert result.returncode != 0
    assert message in result.stderr


def test_missing_pyodide_core_names_the_fix(tmp_path, empty_dir):
    nm = fake_node_modules(tmp_path)
    (nm / "pyodide/pyodide.asm.wasm").unlink()
    result = build(tmp_path, {"PYODIDE_PACKAGES_DIR": str(empty_dir)}, node_modules=nm)
    assert result.returncode != 0
    assert "pyodide.asm.wasm" in result.stderr and "npm ci" in result.stderr


def test_a_site_without_the_simulator_ships_no_pyodide(tmp_path, empty_dir):
    result = build(tmp_path, {"PYODIDE_PACKAGES_DIR": str(empty_dir)}, pages={"index.md": "# Home\n"})
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "site/assets/vendor/pyodide").exists()


def test_default_run_over_optimises_so_the_healthy_reference_needs_a_firmer_beta():
    # docs/simulator.md says so when it introduces the healthy reference.
    data = sim.precomputed()
    assert "reward_hacking" in [r["id"] for r in data["default"]["recommendations"]]
    assert data["references"]["healthy"]["config"]["kl_coef"] > PipelineConfig().kl_coef


def test_each_reference_run_shows_the_failure_it_names():
    # The references are drawn as "typical failures": the pipeline's own diagnosis must agree.
    for name, ref in sim.precomputed()["references"].items():
        ids = [r["id"] for r in ref["series"]["recommendations"]]
        assert ref["shows"] in ids, f"reference {name!r} ({ref['settings']}) no longer shows {ref['shows']!r}: {ids}"
