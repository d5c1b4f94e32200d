"""Benchmark the default simulator pipeline natively: median per-stage wall time and matmul GFLOP.

    python bench/bench_pipeline.py [--repeats 5] [--out-dir bench]

Runs ``run_pipeline(PipelineConfig())`` ``--repeats`` times (after one untimed warm-up) with one BLAS thread
(OPENBLAS_NUM_THREADS=1 etc., set before numpy is imported: the browser has one thread too, and two threads were
slower under contention in the feasibility study), then writes ``report.json`` and ``report.md``.

Budget (lab_spec.md): the whole default pipeline ≤ 1.0 s native and ≤ 10 GFLOP of matmul (the browser does
about 2.5 GFLOP/s, so 10 GFLOP ≈ 4 s there). The report says whether each limit holds; the exit status is 0
either way (the numbers are for people; `make bench` decides what to do with them).
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import pathlib  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from simulator_wasm.config import PipelineConfig  # noqa: E402
from simulator_wasm.pipeline import run_pipeline  # noqa: E402

BUDGET_WALL_S = 1.0
BUDGET_GFLOP = 10.0
BROWSER_GFLOP_PER_S = 2.5


def bench(repeats: int) -> dict:
    config = PipelineConfig()
    run_pipeline(config)   # warm-up: imports, caches, BLAS initialisation
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = run_pipeline(config)
        runs.append({"total_wall_s": time.perf_counter() - t0, "timing": res["timing"],
                     "missing_stages": res["missing_stages"]})
    stages = list(runs[0]["timing"])
    per_stage = {s: {"wall_s": statistics.median(r["timing"][s]["wall_s"] for r in runs),
                     "matmul_gflop": statistics.median(r["timing"][s]["matmul_gflop"] for r in runs)}
                 for s in stages}
    total_wall = statistics.median(r["total_wall_s"] for r in runs)
    total_gflop = sum(v["matmul_gflop"] for v in per_stage.values())
    return {
        "config": config.to_dict(), "repeats": repeats, "stages": per_stage,
        "total_wall_s": total_wall, "total_matmul_gflop": total_gflop,
        "browser_estimate_s": total_gflop / BROWSER_GFLOP_PER_S,
        "within_budget": {"wall": total_wall <= BUDGET_WALL_S, "gflop": total_gflop <= BUDGET_GFLOP},
        "budget": {"wall_s": BUDGET_WALL_S, "gflop": BUDGET_GFLOP},
        "missing_stages": runs[0]["missing_stages"],
        "all_runs_total_wall_s": [r["total_wall_s"] for r in runs],
        "environment": {"python": platform.python_version(), "numpy": np.__version__,
                        "machine": platform.machine(), "cpus": os.cpu_count(),
                        "blas_threads": os.environ["OPENBLAS_NUM_THREADS"],
                        # Wall times are only meaningful on an idle machine: record how busy it was.
                        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None},
    }


def _load(report: dict) -> str:
    load = report["environment"]["load_average_1min"]
    return "unknown" if load is None else f"{load:.2f}"


def markdown(report: dict) -> str:
    lines = ["# Simulator pipeline benchmark", "",
             f"Default config, median of {report['repeats']} runs, 1 BLAS thread, Python "
             f"{report['environment']['python']}, numpy {report['environment']['numpy']}, "
             f"{report['environment']['cpus']} CPUs, load average {_load(report)} "
             "when it ended (wall times inflate when the machine is busy; GFLOP do not).", "",
             "| stage | wall s | matmul GFLOP |", "|---|---:|---:|"]
    for stage, v in report["stages"].items():
        lines.append(f"| {stage} | {v['wall_s']:.3f} | {v['matmul_gflop']:.3f} |")
    lines.append(f"| **total** | **{report['total_wall_s']:.3f}** | **{report['total_matmul_gflop']:.3f}** |")
    ok = report["within_budget"]
    lines += ["", f"Budget: ≤ {report['budget']['wall_s']} s native ({'met' if ok['wall'] else 'EXCEEDED'}), "
                  f"≤ {report['budget']['gflop']} GFLOP ({'met' if ok['gflop'] else 'EXCEEDED'}). "
                  f"Browser estimate at {BROWSER_GFLOP_PER_S} GFLOP/s: ≈ {report['browser_estimate_s']:.1f} s "
                  "of matmul."]
    if report["missing_stages"]:
        lines += ["", "Missing stages (not benchmarked): " + ", ".join(report["missing_stages"])]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs (default 5)")
    parser.add_argument("--out-dir", default=str(pathlib.Path(__file__).resolve().parent),
                        help="where report.json and report.md go (default: this folder)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be an integer ≥ 1, got {args.repeats}")
    report = bench(args.repeats)
    out = pathlib.Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
