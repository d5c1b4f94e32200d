"""Page weight and time to charts of every page of the nav, in Debian's chromium (run by `make bench`, or alone):

    .venv/bin/python bench/pages.py [--site site] [--loads 3]

For each page, ``--loads`` cold loads (a fresh browser context each, so nothing is cached) from a gzip-serving
local host (serve.py) report:
  transferred_kb   bytes on the wire (compressed bodies) of everything the page requested; target ≤ 1,000 kB for
                   a chapter, Pyodide excluded (only the simulator page may fetch it)
  pyodide          whether the page requested anything under assets/vendor/pyodide/
  charts_ms        navigation start → every chart drawn (each undrawn chart is scrolled into view in turn, so a
                   chart drawn only when visible counts when a reader would see it)
Medians over the loads.
"""

import argparse
import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from serve import serve  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

TARGET_KB = 1000
DRAW_ALL = """async () => {
  const plots = () => [...document.querySelectorAll('.bc-plot')];
  for (const el of plots()) {
    if (el.dataset.drawn !== 'true') el.scrollIntoView();
    while (el.dataset.drawn !== 'true') await new Promise(r => setTimeout(r, 5));
  }
  return {n: plots().length, ms: performance.now()};
}"""


def nav_pages() -> list[str]:
    from mkdocs.config import load_config
    pages = []

    def walk(items):
        for item in items:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            walk(value) if isinstance(value, list) else pages.append(value)
    walk(load_config(str(ROOT / "mkdocs.yml"))["nav"])
    return [p for p in pages if p.endswith(".md")]


def load_once(browser, url: str) -> dict:
    context = browser.new_context()
    finished = []
    context.on("requestfinished", lambda r: finished.append(r))
    page = context.new_page()
    page.goto(url, wait_until="load")
    drawn = page.evaluate(DRAW_ALL)
    page.wait_for_timeout(200)             # late requests (fonts, the worker) still count
    sizes = [(r.url, r.sizes()["responseBodySize"]) for r in finished]
    context.close()
    return {"bytes": sum(s for _, s in sizes), "requests": len(sizes), "charts": drawn["n"],
            "charts_ms": drawn["ms"] if drawn["n"] else None,
            "pyodide": any("/assets/vendor/pyodide/" in u for u, _ in sizes)}


def measure(site: Path, loads: int = 3) -> dict:
    from playwright.sync_api import sync_playwright
    out = {}
    with serve(site) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for md in nav_pages():
            runs = [load_once(browser, base + md.removesuffix(".md") + ".html") for _ in range(loads)]
            ms = [r["charts_ms"] for r in runs if r["charts_ms"] is not None]
            kb = statistics.median(r["bytes"] for r in runs) / 1000
            out[md] = {"transferred_kb": round(kb, 1), "requests": runs[0]["requests"], "charts": runs[0]["charts"],
                       "charts_ms": round(statistics.median(ms)) if ms else None,
                       "pyodide": runs[0]["pyodide"],
                       "within_target": md == "simulator.md" or kb <= TARGET_KB}
        browser.close()
    return {"loads": loads, "target_kb": TARGET_KB, "pages": out}


def markdown(report: dict) -> str:
    lines = ["| page | transferred (kB, gzip) | requests | charts | nav → charts drawn (ms) | Pyodide fetched |",
             "|---|---:|---:|---:|---:|---|"]
    for md, r in report["pages"].items():
        flag = "" if r["within_target"] else " ⚠ over target"
        lines.append(f"| {md} | {r['transferred_kb']:,.1f}{flag} | {r['requests']} | {r['charts']} | "
                     f"{r['charts_ms'] if r['charts_ms'] is not None else '–'} | {'yes' if r['pyodide'] else 'no'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    parser.add_argument("--loads", type=int, default=3)
    args = parser.parse_args()
    result = measure(args.site, args.loads)
    print(markdown(result))
    print(json.dumps(result, indent=2))
