"""Lighthouse 12.2.3 (bench/package.json) on the chapter pages, with Debian's chromium and Lighthouse's default
mobile preset (simulated slow 4G and a 4× slower CPU), against the gzip-serving local host of serve.py.

    .venv/bin/python bench/lighthouse.py [--site site] [--runs 1] [--pages pretraining.md ...]

Targets (issue 8): accessibility, best practices and SEO ≥ 95; performance ≥ 90 on the chapter pages. Scores are
0–100, the median over --runs (with the range); timings are medians too. Lighthouse's CPU throttling multiplies the machine's own speed: on a busy 2-core
machine performance scores come out lower than on a reader's laptop (the report records the load average).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from serve import serve  # noqa: E402

sys.path.insert(0, str(HERE.parent))
from build_charts.scorm import CHAPTERS as QUIZ_CHAPTERS  # noqa: E402

LIGHTHOUSE = HERE / "node_modules" / ".bin" / "lighthouse"
CHAPTERS = ("index.md", *(f"{name}.md" for name in QUIZ_CHAPTERS))
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGETS = {"performance": 90, "accessibility": 95, "best-practices": 95, "seo": 95}
CHROME_FLAGS = ("--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
                "--disable-component-update --disable-sync")
METRICS = ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift",
           "speed-index")
SLOW_HOST = 1000   # Lighthouse's SLOW_CPU_BENCHMARK_INDEX_THRESHOLD (core/gather/driver/environment.js)


def run_once(url: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "lh.json"
        subprocess.run([str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
                        f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS}"],
                       env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"}, check=True, timeout=900)
        data = json.loads(out.read_text())
    failing = sorted(k for k, a in data["audits"].items()
                     if a.get("score") is not None and a["score"] < 0.9 and a.get("scoreDisplayMode") == "binary")
    return {"scores": {c: round(100 * data["categories"][c]["score"]) for c in CATEGORIES},
            "metrics": {m: data["audits"][m]["numericValue"] for m in METRICS},
            "failing_binary_audits": failing,
            "benchmark_index": data["environment"]["benchmarkIndex"]}


def measure(site: Path, pages=CHAPTERS, runs: int = 1) -> dict:
    if not LIGHTHOUSE.is_file():
        return {"skipped": f"{LIGHTHOUSE} is missing: `npm ci --prefix bench` (make bench runs it)"}
    out = {}
    with serve(site) as base:
        # Round-robin (every page once, then again): a slow minute of a shared machine then costs each page at
        # most one of its runs, where running a page's runs back to back could put all of them in it.
        collected = {md: [] for md in pages}
        for _ in range(runs):
            for md in pages:
                collected[md].append(run_once(base + md.removesuffix(".md") + ".html"))
        for md, results in collected.items():
            scores = {c: statistics.median(r["scores"][c] for r in results) for c in CATEGORIES}
            # Scores move between runs on a shared machine: the range goes with the median, and an audit is
            # listed with the number of runs it failed in.
            failing = Counter(audit for r in results for audit in r["failing_binary_audits"])
            out[md] = {"scores": scores,
                       "ranges": {c: [min(r["scores"][c] for r in results), max(r["scores"][c] for r in results)]
                                  for c in CATEGORIES},
                       "metrics": {m: statistics.median(r["metrics"][m] for r in results) for m in METRICS},
                       "failing_binary_audits": dict(sorted(failing.items())),
                       "within_target": all(scores[c] >= TARGETS[c] for c in CATEGORIES)}
    # Lighthouse times a small benchmark before each run: how fast this machine was while it measured.
    speed = [r["benchmark_index"] for results in collected.values() for r in results]
    return {"runs": runs, "preset": "mobile (Lighthouse default)", "targets": TARGETS,
            "load_average": os.getloadavg(), "pages": out,
            "benchmark_index": {"median": statistics.median(speed), "range": [min(speed), max(speed)]}}


def markdown(report: dict) -> str:
    if "skipped" in report:
        return f"Skipped: {report['skipped']}\n"
    lines = ["| page | performance | accessibility | best practices | SEO | TBT | LCP | failing audits (runs) |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for md, r in report["pages"].items():
        def score(c):
            low, high = r["ranges"][c]
            return f"{r['scores'][c]:g}" + (f" ({low}–{high})" if low != high else "")
        failing = ", ".join(f"{audit} ({n}/{report['runs']})" for audit, n in r["failing_binary_audits"].items())
        lines.append(f"| {md} | {score('performance')} | {score('accessibility')} | {score('best-practices')} | "
                     f"{score('seo')} | {r['metrics']['total-blocking-time']:,.0f} ms | "
                     f"{r['metrics']['largest-contentful-paint'] / 1000:.1f} s | {failing or '–'} |")
    la = ", ".join(f"{x:.1f}" for x in report["load_average"])
    lines.append(f"\nTargets: {report['targets']}; {report['runs']} run(s) per page, round-robin, {report['preset']}: medians, "
                 f"with the lowest and highest score in brackets where runs differ; load average at the end {la}.")
    bi = report["benchmark_index"]
    lines.append(f"Machine speed during the runs (Lighthouse's benchmark index; it warns of a slow CPU below "
                 f"{SLOW_HOST:,}): median {bi['median']:,.0f}, from {bi['range'][0]:,.0f} to {bi['range'][1]:,.0f}.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=HERE.parent / "site")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--pages", nargs="*", default=list(CHAPTERS))
    args = parser.parse_args()
    result = measure(args.site, args.pages, args.runs)
    print(markdown(result))
