"""tools/fetch_numpy_wheel.py, the GitHub Pages workflow's download of numpy for Pyodide, tested
up to the network boundary: a local HTTP server plays the Pyodide distribution host."""

import hashlib
import json
import re
import subprocess
import sys

import pytest

from build_charts.live import sources
from tests.support import ROOT, serve

SCRIPT = ROOT / "tools" / "fetch_numpy_wheel.py"
WHEEL = "numpy-2.4.3-cp314-cp314-pyemscripten_2026_0_wasm32.whl"
GOOD = b"the wheel the lock names"


@pytest.fixture
def setup(tmp_path):
    """A pinned lock naming WHEEL with GOOD's sha256, and a host folder laid out like the real one."""
    pyodide = tmp_path / "node_modules" / "pyodide"
    pyodide.mkdir(parents=True)
    (pyodide / "package.json").write_text(json.dumps({"version": "314.0.1"}))
    entry = {"name": "numpy", "file_name": WHEEL, "sha256": hashlib.sha256(GOOD).hexdigest(), "depends": []}
    (pyodide / "pyodide-lock.json").write_text(json.dumps({"packages": {"numpy": entry}}))
    served = tmp_path / "host" / "v314.0.1" / "full"
    served.mkdir(parents=True)
    return tmp_path, pyodide / "pyodide-lock.json", served


def run(lock, dest, base_url):
    return subprocess.run([sys.executable, str(SCRIPT), "--lock", str(lock), "--dest", str(dest),
                           "--base-url", base_url], capture_output=True, text=True, timeout=60)


def test_a_wheel_with_the_locks_sha256_is_kept(setup):
    tmp, lock, served = setup
    (served / WHEEL).write_bytes(GOOD)
    with serve(tmp / "host") as url:
        result = run(lock, tmp / "packages", url + "v{version}/full/")
    assert result.returncode == 0, result.stderr
    assert (tmp / "packages" / WHEEL).read_bytes() == GOOD
    assert "sha256 matches the lock" in result.stdout
    # A second run finds it and needs no network (no server this time).
    again = run(lock, tmp / "packages", "http://127.0.0.1:9/v{version}/full/")
    assert again.returncode == 0 and "already here" in again.stdout


def test_a_wheel_with_another_sha256_is_rejected_and_not_kept(setup):
    tmp, lock, served = setup
    (served / WHEEL).write_bytes(b"a wheel built for another Pyodide release")
    with serve(tmp / "host") as url:
        result = run(lock, tmp / "packages", url + "v{version}/full/")
    assert result.returncode == 1
    expected = hashlib.sha256(GOOD).hexdigest()
    got = hashlib.sha256(b"a wheel built for another Pyodide release").hexdigest()
    assert f"has sha256 {got}, but the pinned Pyodide lock expects {expected}" in result.stderr
    assert "The file was not kept" in result.stderr
    assert list((tmp / "packages").iterdir()) == []   # neither the wheel nor a partial download


def test_a_missing_wheel_is_a_clear_error(setup):
    tmp, lock, served = setup
    with serve(tmp / "host") as url:
        result = run(lock, tmp / "packages", url + "v{version}/full/")
    assert result.returncode == 1
    assert f"could not download {url}v314.0.1/full/{WHEEL}" in result.stderr and "404" in result.stderr


def test_it_fetches_what_the_build_copies_from_the_pinned_lock():
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import fetch_numpy_wheel
    finally:
        sys.path.remove(str(SCRIPT.parent))
    lock = json.loads((ROOT / "node_modules/pyodide/pyodide-lock.json").read_text())
    assert fetch_numpy_wheel.needed(lock) == sources.needed_packages(lock)
    assert [e["name"] for e in fetch_numpy_wheel.needed(lock)] == ["numpy"]


def test_the_pages_workflow_fetches_the_wheel_into_the_directory_make_book_reads():
    import yaml
    workflow = yaml.safe_load((ROOT / ".github/workflows/pages.yml").read_text())
    build = workflow["jobs"]["build"]["steps"]
    runs = [s.get("run", "") for s in build]
    uses = [s["uses"].split("@")[0] for j in workflow["jobs"].values() for s in j["steps"] if "uses" in s]
    assert {"actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages"} <= set(uses)
    fetch = next(i for i, r in enumerate(runs) if "tools/fetch_numpy_wheel.py" in r)
    book = runs.index("make book")
    assert fetch < book
    dest = re.search(r'--dest "\$RUNNER_TEMP/([^"]+)"', runs[fetch]).group(1)
    assert build[book]["env"]["PYODIDE_PACKAGES_DIR"] == "${{ runner.temp }}/" + dest
    assert build[book]["env"]["SITE_URL"].startswith("${{ steps.pages.outputs.base_url }}")
    assert next(s for s in build if s.get("uses", "").startswith("actions/upload-pages-artifact"))["with"]["path"] == "site"
