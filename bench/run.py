"""`make bench`: one report (bench/report.md and bench/report.json) with every measured number.

    .venv/bin/python bench/run.py [--repeats 5] [--builds 3] [--skip-page]

Sections:
  1. the simulator pipeline natively, per stage (median of --repeats runs, bench_pipeline.py);
  2. a cold `mkdocs build` of the whole book (fresh process, empty site dir, build caches emptied; median of
     --builds);
  3. every page in Debian's chromium (pages.py): transferred bytes (gzip), requests, time to charts drawn;
  4. Lighthouse on the chapter pages (lighthouse.py), mobile preset;
  5. the interactive simulator page in Debian's chromium (simulator_page.py): page start → ready,
     Pyodide boot, default run browser vs native, control → chart update.
Wall times inflate when the machine is busy: the report records the load average next to them.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import bench_pipeline  # noqa: E402


# What a build caches between runs (precomputed simulator grids, executed notebooks): emptied before each cold build.
BUILD_CACHES = (ROOT / ".cache" / "build_charts", ROOT / ".cache" / "mkdocs-jupyter")


def cold_builds(n: int) -> dict:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    times = []
    for _ in range(n):
        for cache in BUILD_CACHES:
            shutil.rmtree(cache, ignore_errors=True)
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", out],
                           cwd=ROOT, env=env, check=True)
            times.append(time.perf_counter() - t0)
    return {"command": "mkdocs build --strict (fresh process, empty site dir and build caches)", "runs_s": times,
            "median_s": statistics.median(times), "target_s": 60.0}


def browser_missing() -> str | None:
    if not shutil.which("chromium"):
        return "Debian's chromium is not installed (make test installs it)"
    if not (ROOT / "site" / "simulator.html").is_file():
        return "site/ is not built (run make book)"
    return None


def page_numbers(skip: bool) -> dict:
    if skip or browser_missing():
        return {"skipped": "--skip-page" if skip else browser_missing()}
    import simulator_page
    return simulator_page.measure(ROOT / "site")


def pages_numbers(loads: int) -> dict:
    if browser_missing():
        return {"skipped": browser_missing()}
    import pages
    return pages.measure(ROOT / "site", loads)


def lighthouse_numbers(runs: int) -> dict:
    if runs == 0 or browser_missing():
        return {"skipped": "--lighthouse-runs 0" if runs == 0 else browser_missing()}
    import lighthouse
    return lighthouse.measure(ROOT / "site", runs=runs)


def markdown(report: dict) -> str:
    lines = [bench_pipeline.markdown(report["pipeline"]).rstrip(), "", "# Cold build", ""]
    b = report["build"]
    lines.append(f"`{b['command']}`: median {b['median_s']:.1f} s over {len(b['runs_s'])} runs "
                 f"({', '.join(f'{t:.1f}' for t in b['runs_s'])} s); target ≤ {b['target_s']:.0f} s.")
    import lighthouse
    import pages
    p = report["pages"]
    lines += ["", "# Pages (Chromium, gzip, cold cache)", "",
              pages.markdown(p).rstrip() if "pages" in p else f"Skipped: {p['skipped']}",
              "", "# Lighthouse", "", lighthouse.markdown(report["lighthouse"]).rstrip()]
    lines += ["", "# Interactive simulator page (Chromium)", "", "```json",
              json.dumps(report["simulator_page"], indent=2), "```", "",
              f"Machine: {report['machine']}. Command: `{report['command']}`."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--builds", type=int, default=3)
    parser.add_argument("--skip-page", action="store_true")
    parser.add_argument("--loads", type=int, default=3, help="cold loads of every page (pages.py)")
    # Five, not three: on this 2-core machine one build of rlhf-ppo scored from 69 to 97 over 15 interleaved
    # runs (README, "Reading the bench report"); a median of three lands on the slow level whenever two runs do.
    parser.add_argument("--lighthouse-runs", type=int, default=5, help="Lighthouse runs per chapter (0 skips)")
    args = parser.parse_args()
    report = {
        "command": "make bench (" + " ".join(["bench/run.py", *sys.argv[1:]]) + ")",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "pipeline": bench_pipeline.bench(args.repeats),
        "build": cold_builds(args.builds),
        "pages": pages_numbers(args.loads),
        "lighthouse": lighthouse_numbers(args.lighthouse_runs),
        "simulator_page": page_numbers(args.skip_page),
    }
    (HERE / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (HERE / "report.md").write_text(markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
