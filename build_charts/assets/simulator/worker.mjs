// The live simulator's module Web Worker: boots Pyodide (same origin), installs the packaged
// simulator_wasm without micropip or network, loads numpy from the source the build chose, and
// runs the pipeline. The page (simulator.js) terminates and restarts it to cancel a run.
//
// In:  {type: "boot", coreURL, wheelURL, seriesURL, packageBaseUrl, numpy}   numpy: load it at all
//      {type: "run", id, config}                                   config: {control name: value}
//      {type: "crash"}                                             test hook: an uncaught error
// Out: {type: "progress", phase: "boot" | "run", stage, fraction, text}
//      {type: "ready", numpy: {ok, version, error}, controls, labSettings, timings}
//      {type: "started", lab}                                     the run's lab-scale settings
//      {type: "result", id, json, wallMs}                          json: {results, series}
//      {type: "error", id, message, fatal}

let pyodide = null;

const post = (msg) => self.postMessage(msg);
const bootStep = (fraction, text) => post({ type: "progress", phase: "boot", stage: "boot", fraction, text });

// Python run in the worker. `report` is the progress callback handed to run_pipeline; the
// results go back as JSON text (non-finite floats of a diverged run as null) together with the
// page's chart series, made by the same series.py the build uses (installed as _book_series).
const RUN = `
import json
from _simulator_bridge import report, started
from _book_series import finite, series
from simulator_wasm.config import PipelineConfig, lab_settings
from simulator_wasm.pipeline import run_pipeline

_config = PipelineConfig.from_dict(json.loads(config_json))
started(json.dumps(lab_settings(_config)))
_results = finite(run_pipeline(_config, progress=lambda stage, fraction: report(stage, float(fraction))))
json.dumps({"results": _results, "series": series(_results)}, allow_nan=False)
`;

// The pure-Python part of the lab, run right after install: it proves the package works even
// when numpy is missing, and hands the page the controls as Python sees them.
const PURE = `
import json
from simulator_wasm.controls import controls_list
from simulator_wasm.config import PipelineConfig, lab_settings
json.dumps({"controls": controls_list(), "lab_settings": lab_settings(PipelineConfig())})
`;

async function boot(msg) {
  const t0 = performance.now();
  const timings = {};
  bootStep(0.05, "Starting Python (Pyodide)");
  const { loadPyodide } = await import(msg.coreURL + "pyodide.mjs");
  const options = { indexURL: msg.coreURL };
  if (msg.packageBaseUrl) { options.packageBaseUrl = msg.packageBaseUrl; }
  pyodide = await loadPyodide(options);
  timings.pyodideMs = performance.now() - t0;

  bootStep(0.7, "Installing the lab (simulator_wasm)");
  const response = await fetch(msg.wheelURL, { cache: "no-cache" });
  if (!response.ok) { throw new Error(`could not fetch ${msg.wheelURL}: HTTP ${response.status}`); }
  const site = pyodide.runPython("import sysconfig; sysconfig.get_path('purelib')");
  pyodide.unpackArchive(await response.arrayBuffer(), "wheel", { extractDir: site });
  const seriesSource = await fetch(msg.seriesURL, { cache: "no-cache" });
  if (!seriesSource.ok) { throw new Error(`could not fetch ${msg.seriesURL}: HTTP ${seriesSource.status}`); }
  pyodide.FS.writeFile(site + "/_book_series.py", await seriesSource.text());
  const pure = JSON.parse(pyodide.runPython(PURE));
  timings.installMs = performance.now() - t0 - timings.pyodideMs;

  const numpy = { ok: false, version: null, error: "numpy is not part of this build" };
  if (msg.numpy) {
    bootStep(0.8, "Loading numpy");
    const problems = [];
    const t1 = performance.now();
    try {
      // loadPackage does not throw on a missing wheel or a wrong hash: it reports through
      // errorCallback, and the import below is the real check.
      await pyodide.loadPackage("numpy", { messageCallback: () => {}, errorCallback: (m) => problems.push(m) });
      numpy.version = pyodide.runPython("import numpy; numpy.__version__");
      numpy.ok = true;
      numpy.error = null;
    } catch (err) {
      const last = String(err && err.message || err).trim().split("\n").pop();
      numpy.error = (problems.length ? problems.join("; ") + "; " : "") + last;
    }
    timings.numpyMs = performance.now() - t1;
  }
  pyodide.registerJsModule("_simulator_bridge", {
    report: (stage, fraction) => post({ type: "progress", phase: "run", stage, fraction }),
    started: (labJson) => post({ type: "started", lab: JSON.parse(labJson) }),
  });
  timings.totalMs = performance.now() - t0;
  bootStep(1, "Ready");
  post({ type: "ready", numpy, controls: pure.controls, labSettings: pure.lab_settings, timings });
}

function run(msg) {
  const t0 = performance.now();
  const globals = pyodide.toPy({ config_json: JSON.stringify(msg.config) });
  try {
    const json = pyodide.runPython(RUN, { globals });
    post({ type: "result", id: msg.id, json, wallMs: performance.now() - t0 });
  } finally {
    globals.destroy();
  }
}

function errorMessage(err) {
  // A Python traceback: the last line names the exception and its message.
  const text = String(err && err.message || err).trim();
  return text.split("\n").pop();
}

self.onmessage = async (event) => {
  const msg = event.data;
  try {
    if (msg.type === "boot") {
      await boot(msg);
    } else if (msg.type === "run") {
      run(msg);
    } else if (msg.type === "crash") {
      setTimeout(() => { throw new Error("simulated worker crash (test hook)"); });
    }
  } catch (err) {
    const fatal = msg.type === "boot" || /fatal error/i.test(String(err && err.message));
    post({ type: "error", id: msg.id, phase: msg.type, message: errorMessage(err), fatal });
  }
};
