"""Speed of the interactive simulator page, in Debian's chromium (run by `make bench`, or alone):

    .venv/bin/python bench/simulator_page.py [--site site] [--json out.json]

Reports: page start → ready (live), Pyodide boot (worker start → loadPyodide resolved, and the lab
install and numpy load after it), the full default run in the browser vs native (same process
tree, one BLAS thread) and their ratio, and control change → chart update with precomputed
results, until the next frame is painted (median and p90 over slider steps; goal ≤ 50 ms).
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support import draw_every_chart, serve  # noqa: E402

# With the PPO chart on screen (as when a reader watches it), move the β slider between grid values
# (so every move shows another precomputed run; moves within a grid cell cost ~1 ms): "visible" runs
# until the first frame painted after Plotly has finished redrawing the charts on screen (what the
# reader sees; Event Timing, which INP uses, measures the same but does not report synthetic events);
# "all" until the off-screen charts and the data tables of the charts redrawn, one per task after it,
# are done too.
STEP_JS = """async n => {
  // A task posted from a frame's requestAnimationFrame callback runs once that frame is painted.
  const nextPaint = () => new Promise(r => requestAnimationFrame(() => {
    const c = new MessageChannel(); c.port1.onmessage = () => r(performance.now()); c.port2.postMessage(0);
  }));
  document.getElementById('chart-simulator-reward-kl').scrollIntoView();
  await new Promise(r => setTimeout(r, 300));
  const el = document.getElementById('sim-kl_coef');
  const cfg = JSON.parse(document.querySelector('.bc-simulator').dataset.simulator);
  const steps = cfg.controls.find(c => c.name === 'kl_coef').steps;
  // Slider positions of the grid's β values: every step shows another precomputed run.
  const stops = steps.map((v, i) => [v, i]).filter(([v]) => cfg.grid.values.kl_coef.includes(v)).map(([, i]) => i);
  const out = [];
  for (let i = 0; i < n; i++) {
    el.value = String(stops[i % stops.length]);
    await nextPaint();
    const t0 = performance.now();
    el.dispatchEvent(new Event('input', {bubbles: true}));
    const drawn = bookSimulator.visibleDrawn().then(() => performance.now());
    const painted = await nextPaint();
    const visible = (await drawn) <= painted ? painted : await nextPaint();
    while (bookSimulator.chartsPending()) { await new Promise(r => setTimeout(r, 0)); }
    out.push([visible - t0, performance.now() - t0]);
  }
  return out;
}"""


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def measure(site: Path, steps: int = 40, run: bool = True) -> dict:
    from playwright.sync_api import sync_playwright

    from simulator_wasm.config import PipelineConfig
    from simulator_wasm.pipeline import run_pipeline

    out = {}
    with serve(site) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(base + "simulator.html")
        page.wait_for_function("() => ['live', 'precomputed'].includes(document.querySelector('.bc-simulator')"
                               ".dataset.mode)", timeout=180_000)
        out["mode"] = page.evaluate("document.querySelector('.bc-simulator').dataset.mode")
        boot = page.evaluate("bookSimulator.state.metrics.boot")
        if boot:
            out["page_start_to_ready_ms"] = round(boot["sincePageStartMs"])
            out["pyodide_boot_ms"] = round(boot["worker"]["pyodideMs"])
            out["lab_install_ms"] = round(boot["worker"]["installMs"])
            out["numpy_load_ms"] = round(boot["worker"].get("numpyMs", 0))
        draw_every_chart(page)   # charts draw as they near the screen: bring each one there first
        timings = page.evaluate(STEP_JS, steps)
        visible, frame = [t[0] for t in timings], [t[1] for t in timings]
        out["control_to_chart_ms"] = {"visible_chart_median": round(statistics.median(visible), 1),
                                      "visible_chart_p90": round(pct(visible, .9), 1),
                                      "all_charts_median": round(statistics.median(frame), 1),
                                      "all_charts_p90": round(pct(frame, .9), 1), "steps": steps}
        if out["mode"] == "live" and run:
            page.click("#sim-reset")
            page.click("#sim-run")
            # Any end of the run: finished, or a failure whose message the page shows (not a 15-minute wait).
            page.wait_for_function("() => !document.querySelector('#sim-run').disabled"
                                   " && document.querySelector('.bc-simulator').dataset.lastEvent", timeout=900_000)
            last = page.evaluate("document.querySelector('.bc-simulator').dataset.lastEvent")
            if last == "finished":
                wall_ms = page.evaluate("bookSimulator.state.metrics.runs[0].wallMs")
                out["default_run_browser_s"] = round(wall_ms / 1000, 2)
            else:
                out["default_run_browser_error"] = last
        browser.close()
    if not run:
        return out
    t0 = time.perf_counter()
    run_pipeline(PipelineConfig())
    out["default_run_native_s"] = round(time.perf_counter() - t0, 2)
    if "default_run_browser_s" in out:
        out["browser_vs_native"] = round(out["default_run_browser_s"] / out["default_run_native_s"], 1)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default=str(ROOT / "site"))
    parser.add_argument("--json", help="also write the numbers to this file")
    parser.add_argument("--no-run", action="store_true", help="skip the default run (browser and native)")
    args = parser.parse_args()
    numbers = measure(Path(args.site), run=not args.no_run)
    text = json.dumps(numbers, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    main()
