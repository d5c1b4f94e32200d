"""`make offline`: the whole book as one zip, to unzip and read from disk (file://) with no server.

    python -m build_charts.offline [--out dist/llm-training-book-offline.zip] [--site-dir DIR]

1. Build the site with Material's offline plugin switched on (OFFLINE=true; mkdocs.yml): it writes the search
   index as a script (search/search_index.js), which a page opened from disk can load where it could not fetch
   the JSON, and the search worker runs through the local iframe-worker shim (extra.polyfills). Charts are
   inline JSON, math and diagrams are local files, so every chapter reads the same as on the hosted site.
   The simulator page says that live training needs the folder served over HTTP (``python -m http.server``)
   and shows the results precomputed at build time (assets/simulator/simulator.js).
2. Zip it deterministically: entries sorted, every timestamp fixed, fixed permissions and compression, all
   under one top folder, so the same site always gives the same bytes.

tests/browser/test_offline.py builds the zip with :func:`build_offline_zip`, the function `make offline` runs.
"""

import argparse
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = ROOT / "dist" / "llm-training-book-offline.zip"
TOP = "llm-training-book"              # the folder the zip unpacks into
ZIP_TIME = (1980, 1, 1, 0, 0, 0)       # the earliest time a zip entry can hold
SOURCE_DATE_EPOCH = "315532800"        # 1980-01-01: MkDocs dates the sitemap with it (reproducible builds)


# ---------------------------------------------------------------------- the search worker under the page's CSP
# On file:// the shim runs Material's search worker in a hidden iframe whose first script is written inline:
#   <script>postMessage=${c};importScripts=${d};addEventListener("error",...{filename:"${e}",...})</script>
# where c and d are two functions of the shim (their source text) and e the worker's URL, which Material takes
# from the page's __config ("search": a page-relative path). The book's Content-Security-Policy
# (build_charts/csp.py) allows inline scripts by hash only, so an offline page also allows exactly this one.
SHIM_TEMPLATE = re.compile(r"<script>(postMessage=\$\{(\w+)\};importScripts=\$\{(\w+)\};.*?)<\\/script>")
SEARCH_URL = re.compile(r'<script id="__config" type="application/json">(.*?)</script>', re.S)


def _function_source(js: str, name: str) -> str:
    """The exact text of ``function name(...){...}`` in ``js`` (what the template's ${name} turns into)."""
    start = js.index(f"function {name}(")
    depth = 0
    for i in range(js.index("{", start), len(js)):
        depth += {"{": 1, "}": -1}.get(js[i], 0)
        if depth == 0:
            return js[start:i + 1]
    raise ValueError(f"unbalanced function {name} in the iframe-worker shim")


def shim_script_hash(shim_js: str, worker_url: str) -> str:
    """The CSP source ('sha256-…') of the inline script the shim writes for ``worker_url``."""
    match = SHIM_TEMPLATE.search(shim_js)
    if match is None:
        raise ValueError("iframe-worker shim: its inline-script template was not found (package version changed?)")
    text, c, d = match.groups()
    text = text.replace("${%s}" % c, _function_source(shim_js, c)).replace("${%s}" % d, _function_source(shim_js, d))
    rest = re.findall(r"\$\{\w+\}", text)
    if len(rest) != 1:
        raise ValueError(f"iframe-worker shim: expected one placeholder for the worker URL, found {rest}")
    text = text.replace(rest[0], worker_url)
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def allow_search_shim(page_html: str, shim_js: str) -> str:
    """``page_html`` with its CSP's script-src also allowing the shim's script for this page's search worker."""
    config = SEARCH_URL.search(page_html)
    if config is None or "Content-Security-Policy" not in page_html:
        return page_html
    worker_url = json.loads(config.group(1)).get("search")
    if not worker_url:
        return page_html
    source = shim_script_hash(shim_js, worker_url)
    return page_html.replace("script-src 'self'", f"script-src 'self' {source}", 1)


def build_site(site_dir: Path, config: Path = ROOT / "mkdocs.yml") -> None:
    """A strict build with the offline plugin on; raises with MkDocs' output if it fails."""
    env = {**os.environ, "OFFLINE": "true", "NO_MKDOCS_2_WARNING": "1",
           "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config),
         "--site-dir", str(site_dir)], cwd=config.parent, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"offline build failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    if not (site_dir / "search" / "search_index.js").is_file():
        raise RuntimeError("the offline plugin did not write search/search_index.js: is OFFLINE read by mkdocs.yml?")


def write_zip(site_dir: Path, out: Path) -> int:
    """Zip ``site_dir`` into ``out`` under TOP/, byte-for-byte reproducibly; returns the number of files."""
    # sorted by the name stored in the zip (plain string order, the same on every file system)
    files = sorted((p for p in site_dir.rglob("*") if p.is_file()), key=lambda p: p.relative_to(site_dir).as_posix())
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for path in files:
            info = zipfile.ZipInfo(f"{TOP}/{path.relative_to(site_dir).as_posix()}", date_time=ZIP_TIME)
            info.external_attr = 0o644 << 16      # rw-r--r--, whatever the build machine's umask
            info.create_system = 3                # Unix, so the permissions above are read
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    partial.replace(out)                          # never leave a half-written zip under the real name
    return len(files)


def build_offline_zip(out: Path = ARCHIVE, site_dir: Path | None = None) -> Path:
    """Build the offline site (in ``site_dir``, or a temporary folder) and zip it to ``out``."""
    if site_dir is not None:
        build_site(site_dir)
        write_zip(site_dir, out)
        return out
    with tempfile.TemporaryDirectory(prefix="offline-site-") as tmp:
        build_site(Path(tmp))
        write_zip(Path(tmp), out)
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ARCHIVE, help="the zip to write (default: %(default)s)")
    parser.add_argument("--site-dir", type=Path, default=None, help="keep the built site here (default: a temp dir)")
    args = parser.parse_args(argv)
    out = build_offline_zip(args.out, args.site_dir)
    with zipfile.ZipFile(out) as archive:
        n = len(archive.namelist())
    print(f"Wrote {out} ({out.stat().st_size / 1e6:.1f} MB, {n} files).")
    print(f"Unzip it and open {TOP}/index.html in a browser. For live training in the simulator, serve the folder:")
    print(f"  cd {TOP} && python -m http.server   then open http://127.0.0.1:8000/simulator.html")


if __name__ == "__main__":
    main()
