"""Download numpy for Pyodide, check it against the pinned lock, and put it in a package directory.

The live simulator needs numpy built for the pinned Pyodide (npm ``pyodide``), and that wheel is
published only on the official Pyodide distribution host. A build machine that is online (the
GitHub Pages workflow, .github/workflows/pages.yml) runs this script before ``make book``:

    python3 tools/fetch_numpy_wheel.py --dest "$RUNNER_TEMP/pyodide-packages"
    PYODIDE_PACKAGES_DIR="$RUNNER_TEMP/pyodide-packages" make book

The file names and sha256 come from ``node_modules/pyodide/pyodide-lock.json``. A download whose
sha256 differs is deleted and the script fails: the build never copies a wheel the lock does not
name. The site then serves numpy itself, so readers' browsers fetch nothing from another origin.
Only the standard library is used, so this runs before the virtual environment exists.
"""

import argparse
import importlib.util
import json
import sys
import urllib.request
from pathlib import Path


def _load_lock_module():
    # The build's own lock logic (standard library only), loaded by path: importing the build_charts package
    # would import MkDocs, which this script runs without.
    path = Path(__file__).resolve().parents[1] / "build_charts" / "live" / "lock.py"
    spec = importlib.util.spec_from_file_location("build_charts_live_lock", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LOCK = _load_lock_module()

DEFAULT_LOCK = Path("node_modules/pyodide/pyodide-lock.json")
# The official distribution of each Pyodide release ("{version}" is the pinned npm version).
DEFAULT_BASE_URL = "https://cdn.jsdelivr.net/pyodide/v{version}/full/"
PACKAGES = LOCK.PACKAGES


class FetchError(Exception):
    pass


def needed(lock: dict, names=PACKAGES) -> list[dict]:
    """Lock entries of ``names`` and what they depend on: the set the build copies (build_charts/live/lock.py)."""
    try:
        return LOCK.needed_packages(lock, names)
    except LOCK.LockError as err:
        raise FetchError(str(err)) from None


sha256 = LOCK.sha256


def fetch(entry: dict, base_url: str, dest: Path, timeout: float = 60) -> Path:
    """Download one wheel of the lock into ``dest``; keep it only if its sha256 is the lock's."""
    target = dest / entry["file_name"]
    if target.is_file() and sha256(target) == entry["sha256"]:
        print(f"{target.name}: already here, sha256 matches the lock")
        return target
    url = base_url + entry["file_name"]
    partial = target.with_name(target.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, partial.open("wb") as f:
            while block := response.read(1 << 20):
                f.write(block)
    except OSError as err:   # URLError, HTTPError and timeouts are all OSErrors
        partial.unlink(missing_ok=True)
        raise FetchError(f"could not download {url}: {err}") from err
    got = sha256(partial)
    if got != entry["sha256"]:
        partial.unlink()
        raise FetchError(
            f"{url} has sha256 {got}, but the pinned Pyodide lock expects {entry['sha256']} for "
            f"{entry['file_name']}. The file was not kept. It was built for another Pyodide release, "
            f"or the download was altered; check --base-url against the pinned version.")
    partial.replace(target)
    print(f"{target.name}: downloaded from {url}, sha256 matches the lock")
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, required=True, help="package directory (PYODIDE_PACKAGES_DIR)")
    parser.add_argument("--lock", type=Path, default=DEFAULT_LOCK, help=f"Pyodide lock file (default: {DEFAULT_LOCK})")
    parser.add_argument("--base-url", default=DEFAULT_BASE_URL,
                        help="where the wheels are; {version} becomes the pinned Pyodide version")
    args = parser.parse_args(argv)
    try:
        if not args.lock.is_file():
            raise FetchError(f"{args.lock} is missing: install the npm packages first (`npm ci`)")
        lock = json.loads(args.lock.read_text())
        # The npm package's version is the Pyodide release, and names its distribution folder.
        version = json.loads((args.lock.parent / "package.json").read_text())["version"]
        base_url = args.base_url.replace("{version}", version).rstrip("/") + "/"
        args.dest.mkdir(parents=True, exist_ok=True)
        for entry in needed(lock):
            fetch(entry, base_url, args.dest)
    except FetchError as err:
        print(f"fetch_numpy_wheel: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
