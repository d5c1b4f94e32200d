"""`make bench`: one report (bench/report.md and bench/report.json) with every measured number.

    .venv/bin/python bench/run.py [--repeats 5] [--builds 3] [--skip-page]

Sections:
  1. the simulator pipeline natively, per stage (median of --repeats runs, bench_pipeline.py);
  2. a cold `mkdocs build` of the whole book (fresh process, empty site dir; median of --builds);
  3. the interactive simulator page in Debian's chromium (simulator_page.py): page start → ready,
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


def cold_builds(n: int) -> dict:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    times = []
    for _ in range(n):
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", out],
                           cwd=ROOT, env=env, check=True)
            times.append(time.perf_counter() - t0)
    return {"command": "mkdocs build --strict (fresh process, empty site dir)", "runs_s": times,
            "median_s": statistics.median(times), "target_s": 60.0}


def page_numbers(skip: bool) -> dict:
    if skip:
        return {"skipped": "--skip-page"}
    if not shutil.which("chromium"):
        return {"skipped": "Debian's chromium is not installed (make test installs it)"}
    if not (ROOT / "site" / "simulator.html").is_file():
        return {"skipped": "site/ is not built (run make book)"}
    import simulator_page
    return simulator_page.measure(ROOT / "site")


def markdown(report: dict) -> str:
    lines = [bench_pipeline.markdown(report["pipeline"]).rstrip(), "", "# Cold build", ""]
    b = report["build"]
    lines.append(f"`{b['command']}`: median {b['median_s']:.1f} s over {len(b['runs_s'])} runs "
                 f"({', '.join(f'{t:.1f}' for t in b['runs_s'])} s); target ≤ {b['target_s']:.0f} s.")
    lines += ["", "# Interactive simulator page (Chromium)", "", "```json",
              json.dumps(report["simulator_page"], indent=2), "```", "",
              f"Machine: {report['machine']}. Command: `{report['command']}`."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--builds", type=int, default=3)
    parser.add_argument("--skip-page", action="store_true")
    args = parser.parse_args()
    report = {
        "command": "make bench (" + " ".join(["bench/run.py", *sys.argv[1:]]) + ")",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "pipeline": bench_pipeline.bench(args.repeats),
        "build": cold_builds(args.builds),
        "simulator_page": page_numbers(args.skip_page),
    }
    (HERE / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (HERE / "report.md").write_text(markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
