// The interactive simulator page: controls ⇄ URL ⇄ localStorage, the Pyodide worker
// (worker.mjs) that trains the lab live, and the charts drawn by charts.js, whose traces marked
// meta "run:<key>" are swapped for the reader's results. Results precomputed at build time for a
// grid of settings are shown at once on every control change, and are all there is when live
// training is unavailable (no numpy in the build, numpy failed to load, or the page is on file://).
(function () {
  "use strict";

  var root = document.querySelector(".bc-simulator");
  if (!root) { return; }
  var CFG = JSON.parse(root.getAttribute("data-simulator"));
  var PRE = JSON.parse(root.getAttribute("data-precomputed"));
  var CONTROLS = CFG.controls;
  var BY_NAME = {};
  CONTROLS.forEach(function (c) { BY_NAME[c.name] = c; });
  var STORAGE_KEY = "llm-training-book/simulator/v1";
  var BOOT_LIMIT_MS = 180000;   // worker start → Python, the lab and numpy ready
  var $ = function (id) { return document.getElementById(id); };

  var S = {
    values: defaults(),
    live: false,          // a worker with numpy is ready
    snap: false,          // controls move on the precomputed grid only
    worker: null,
    running: null,        // {id, started, timer}
    runId: 0,
    crashes: 0,
    workersStarted: 0,
    timeLimitMs: CFG.timeLimitMs,
    shown: null,          // "live" or "precomputed"
    lastResults: null,    // the live run's full results (parsed JSON)
    lastSeries: null,
    metrics: { lastUpdateMs: null, boot: null, runs: [] }   // for `make bench` (bench/simulator_page.py)
  };

  function defaults() {
    var v = {};
    CONTROLS.forEach(function (c) { v[c.name] = c.default; });
    return v;
  }

  // ---------------------------------------------------------------- values and their text
  function fmt(c, v) {
    if (c.unit === "tokens") { return String(Number((v / 1e9).toPrecision(3))) + "B"; }
    if (v !== 0 && Math.abs(v) < 1e-3) { return Number(v.toPrecision(3)).toExponential(); }
    if (c.kind === "int") { return Math.round(v).toLocaleString("en-US"); }
    return String(Number(v.toPrecision(3)));
  }
  function withUnit(c, v) {
    var unit = c.unit;
    if (v === 1 && /s$/.test(unit)) { unit = unit.slice(0, /sses$/.test(unit) ? -2 : -1); }   // 1 pass, 1 iteration
    return fmt(c, v) + (unit ? " " + unit : "");
  }
  function rangeText(c) { return "[" + fmt(c, c.minimum) + ", " + fmt(c, c.maximum) + "]" + (c.unit ? " " + c.unit : ""); }

  // Mirrors simulator_wasm.config.parse_control_value: same ranges, same message shape.
  function parseValue(c, text) {
    var s = String(text).trim();
    var kind = c.kind === "int" ? "an integer" : "a number";
    var n = s === "" ? NaN : Number(s);
    if (!isFinite(n) || (c.kind === "int" && n !== Math.round(n))) {
      throw new Error(c.name + " must be " + kind + " in " + rangeText(c) + ", got '" + text + "'");
    }
    if (n < c.minimum || n > c.maximum) {
      throw new Error(c.name + " must be " + kind + " in " + rangeText(c) + ", got " + s);
    }
    return n;
  }

  function stepsOf(c) {
    if (S.snap && CFG.grid.values[c.name]) { return CFG.grid.values[c.name]; }
    return c.steps;
  }
  function nearestIndex(steps, v, log) {
    var best = 0, bestD = Infinity;
    steps.forEach(function (s, i) {
      var d = log ? Math.abs(Math.log(s) - Math.log(v)) : Math.abs(s - v);
      if (d < bestD) { best = i; bestD = d; }
    });
    return best;
  }

  // ---------------------------------------------------------------- controls ⇄ state
  function input(c) { return $("sim-" + c.name); }

  function renderControls() {
    CONTROLS.forEach(function (c) {
      var el = input(c), v = S.values[c.name];
      var frozen = S.snap && !CFG.grid.values[c.name];
      el.disabled = frozen;
      if (c.steps === null) {
        el.value = String(v);
      } else {
        var steps = stepsOf(c);
        el.max = String(steps.length - 1);
        el.value = String(nearestIndex(steps, v, c.scale === "log"));
        el.setAttribute("aria-valuetext", withUnit(c, v));
        $("sim-" + c.name + "-value").textContent = withUnit(c, v);
      }
    });
    var snap = $("sim-snap");
    snap.hidden = !S.snap;
    if (S.snap) {
      snap.textContent = "The controls move between the settings precomputed when the book was built: " +
        CFG.grid.controls.map(function (n) {
          return BY_NAME[n].label + " " + CFG.grid.values[n].map(function (v) { return fmt(BY_NAME[n], v); }).join(", ");
        }).join("; ") + ". The other settings stay at their defaults.";
    }
  }

  function readControl(c) {
    var el = input(c);
    if (c.steps === null) {
      try { return parseValue(c, el.value); } catch (e) { showProblems([e.message + "; kept " + S.values[c.name]]); return S.values[c.name]; }
    }
    return stepsOf(c)[Number(el.value)];
  }

  function snapValues() {
    // Precomputed-only: grid controls go to their nearest grid value, the others to the default.
    CONTROLS.forEach(function (c) {
      var grid = CFG.grid.values[c.name];
      S.values[c.name] = grid ? grid[nearestIndex(grid, S.values[c.name], c.scale === "log")] : c.default;
    });
  }

  // ---------------------------------------------------------------- URL and localStorage
  function fromURL() {
    var params = new URLSearchParams(location.search), got = {}, problems = [], any = false;
    CONTROLS.forEach(function (c) {
      if (!params.has(c.name)) { return; }
      any = true;
      try { got[c.name] = parseValue(c, params.get(c.name)); } catch (e) {
        problems.push("URL parameter " + e.message + "; using the default " + withUnit(c, c.default) + " for " + c.name + ".");
      }
    });
    return { any: any, values: got, problems: problems };
  }

  function writeURL(push) {
    var params = new URLSearchParams(location.search);
    CONTROLS.forEach(function (c) { params.set(c.name, String(S.values[c.name])); });
    var url = location.pathname + "?" + params.toString() + location.hash;
    try {
      if (push) { history.pushState(null, "", url); } else { history.replaceState(null, "", url); }
    } catch (e) { /* file:// may refuse; the settings are still remembered locally */ }
  }

  function remember() {
    try { localStorage.setItem(STORAGE_KEY, JSON.stringify(S.values)); } catch (e) { /* storage off */ }
  }
  function recall() {
    try {
      var saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null") || {};
      CONTROLS.forEach(function (c) {
        if (saved[c.name] === undefined) { return; }
        try { S.values[c.name] = parseValue(c, saved[c.name]); } catch (e) { /* stale entry: keep default */ }
      });
    } catch (e) { /* unreadable: defaults */ }
  }

  function loadSettings() {
    S.values = defaults();
    var url = fromURL();
    if (url.any) {
      Object.keys(url.values).forEach(function (k) { S.values[k] = url.values[k]; });
    } else {
      recall();
    }
    showProblems(url.problems);
  }

  function showProblems(list) {
    var box = $("sim-problems");
    box.hidden = !list.length;
    box.innerHTML = "";
    list.forEach(function (text) {
      var p = document.createElement("p");
      p.textContent = text;
      box.appendChild(p);
    });
  }

  // ---------------------------------------------------------------- precomputed results
  function gridIndices(values) {
    return CFG.grid.controls.map(function (n) {
      return nearestIndex(CFG.grid.values[n], values[n], BY_NAME[n].scale === "log");
    });
  }

  function showPrecomputed() {
    var t0 = performance.now();
    var idx = gridIndices(S.values);
    var point = CFG.grid.controls.map(function (n, i) {
      var c = BY_NAME[n]; return c.label + " " + fmt(c, CFG.grid.values[n][idx[i]]);
    }).join(", ");
    var text = "Showing results precomputed when the book was built for the nearest grid point (" + point +
      "; other settings at their defaults)." + (S.live ? " Press Run to train with your exact settings." : "");
    show(PRE.runs[idx.join(",")], "precomputed", text);
    S.metrics.lastUpdateMs = performance.now() - t0;
  }

  // ---------------------------------------------------------------- drawing
  // A Plotly redraw costs ~10–30 ms a chart, so a control change redraws only the charts on
  // screen at once; the others are redrawn one per task right after (or when scrolled into
  // view), and a chart whose data did not change is not redrawn at all. Text alternatives are
  // updated at once for all; a redrawn chart's data table, a few hundred cells, is rebuilt in a
  // task of its own after the charts, so the chart the reader watches is not kept waiting for it.
  var CHARTS = null;
  var visible = new Set();
  var pending = new Map();   // chart element → [series, label] still to draw
  var drawing = 0;   // redraws that Plotly has not finished
  var staleTables = new Set();   // redrawn charts whose data table still shows the previous run
  var flushing = false;

  function charts() {
    if (!CHARTS) {
      CHARTS = Array.prototype.slice.call(document.querySelectorAll(".bc-plot[data-chart^='simulator-']"));
      if ("IntersectionObserver" in window) {
        var io = new IntersectionObserver(function (entries) {
          entries.forEach(function (e) {
            if (e.isIntersecting) { visible.add(e.target); draw(e.target); } else { visible.delete(e.target); }
          });
        });
        CHARTS.forEach(function (el) { io.observe(el); });
      } else {
        CHARTS.forEach(function (el) { visible.add(el); });
      }
    }
    return CHARTS;
  }

  function runTraces(el, series) {
    var idx = [], xs = [], ys = [];
    el.data.forEach(function (trace, i) {
      if (typeof trace.meta !== "string" || trace.meta.indexOf("run:") !== 0) { return; }
      var s = series.traces[trace.meta.slice(4)] || { x: [], y: [] };
      idx.push(i); xs.push(s.x); ys.push(s.y);
    });
    return { idx: idx, x: xs, y: ys };
  }

  // The range an axis of `type` showing `range` must widen to so that it shows all of `values` (null
  // when it already does): the build fixed each axis to the span of every precomputed run
  // (figures/simulator.py, fixed_ranges), which a live run with other settings may leave.
  function widen(type, range, values) {
    if (type === "category") { return null; }
    var log = type === "log", r = range.slice().sort(function (a, b) { return a - b; });
    var vs = values.filter(function (v) { return typeof v === "number" && isFinite(v) && (!log || v > 0); })
      .map(function (v) { return log ? Math.log10(v) : v; });
    if (!vs.length) { return null; }
    var lo = Math.min(r[0], Math.min.apply(null, vs)), hi = Math.max(r[1], Math.max.apply(null, vs));
    if (lo === r[0] && hi === r[1]) { return null; }
    var pad = 0.05 * (hi - lo);   // as Plotly's autorange
    return [lo < r[0] ? lo - pad : lo, hi > r[1] ? hi + pad : hi];
  }

  function draw(el) {
    var job = pending.get(el);
    if (!job || el.getAttribute("data-drawn") !== "true") { return; }
    pending.delete(el);
    var t = runTraces(el, job[0]);
    var key = JSON.stringify([t.x, t.y]) + job[1];
    if (!t.idx.length || key === el._shownKey) { return; }
    var names = t.idx.map(function (i) {
      return el.data[i].name.replace(/ \((live run|precomputed)\)$/, "") + " (" + job[1] + ")";
    });
    var ranges = {};
    t.idx.forEach(function (i, k) {
      ["x", "y"].forEach(function (letter) {
        var ax = el._fullLayout[letter + "axis" + el._fullData[i][letter + "axis"].slice(1)];
        var key = (ax.matches ? letter + "axis" + ax.matches.slice(1) : ax._name) + ".range";   // a matched axis follows its leader
        var r = widen(ax.type, ranges[key] || ax.range, (letter === "x" ? t.x : t.y)[k]);
        if (r) { ranges[key] = r; }
      });
    });
    var redrawn;
    if (Object.keys(ranges).length || names.some(function (n, k) { return n !== el.data[t.idx[k]].name; })) {
      redrawn = Plotly.update(el, { x: t.x, y: t.y, name: names }, ranges, t.idx);
    } else {
      // Only the run's lines move on fixed axes: redraw them alone, not every trace as restyle does
      // (15 on the PPO chart, of which 3 are the run).
      // Plotly does it in the next animation frame; a newer redraw of the chart interrupts it.
      redrawn = Plotly.animate(el, { data: t.x.map(function (x, k) { return { x: x, y: t.y[k] }; }), traces: t.idx },
                               { transition: { duration: 0 }, frame: { duration: 0, redraw: false }, mode: "immediate" });
    }
    el._shownKey = key;
    drawing += 1;
    var done = function () { drawing -= 1; staleTables.add(el); flush(); };   // the table follows the data drawn
    el._drawn = redrawn.then(done, done);
  }

  // ---------------------------------------------------------------- data tables
  // A chart's data table (build_charts/render.py, data_table_html) must show what the chart shows:
  // rebuilt after each redraw the way the build writes it, one table per panel, wide (a column per
  // series) when the panel's series share their x values, else long (a row per point).
  function plain(text) { return String(text || "").replace(/<[^>]+>/g, " ").split(/\s+/).filter(Boolean).join(" "); }

  // One formatter for every cell of every table: toLocaleString builds a new one on each call.
  var GROUPED = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

  function number(v) {   // render.number: separators for integers, else 4 significant digits as Python's "g"
    if (v === null || v === undefined || (typeof v === "number" && isNaN(v))) { return "–"; }
    if (typeof v !== "number") { return String(v); }
    if (Number.isInteger(v) && Math.abs(v) < 1e15) { return GROUPED.format(v + 0); }   // + 0: -0 is shown as 0
    var a = Math.abs(v), sign = v < 0 ? "-" : "";
    if (a >= 1e-3 && a < 1e6) {
      var p = a.toPrecision(4);
      // An exact tie (0.78125 is exactly 25/32) rounds to even in Python, away from zero in toPrecision. Only a
      // value whose fifth significant digit is 5 can be one, so the exact digits are read for those alone.
      if (/5(e|$)/.test(a.toPrecision(5))) {
        var digits = a.toFixed(30).replace(/0+$/, "").replace(".", "").replace(/^0+/, "");
        if (digits.length === 5 && digits.charAt(4) === "5") {
          var down = (a * (1 - 1e-12)).toPrecision(4);
          if (Number(down.split("e")[0].replace(".", "").slice(-1)) % 2 === 0) { p = down; }
        }
      }
      var g = p.split("e"), mant = g[0].indexOf(".") < 0 ? g[0] : g[0].replace(/\.?0+$/, "");
      if (g.length === 1) { return sign + mant; }
      var e = Number(g[1]);
      return sign + mant + "e" + (e < 0 ? "-" : "+") + (Math.abs(e) < 10 ? "0" : "") + Math.abs(e);
    }
    var m = v.toExponential(3).split("e");
    return m[0] + "e" + Number(m[1]);
  }

  function axisTitle(layout, id, fallback) {   // an untitled axis takes the title of one it matches
    var name = function (a) { return a.charAt(0) + "axis" + a.slice(1); };
    var title = function (k) { return plain(((layout[k] || {}).title || {}).text); };
    var group = (layout[name(id)] || {}).matches || id, same = new RegExp("^" + id.charAt(0) + "axis\\d*$");
    var mates = Object.keys(layout).sort().filter(function (k) {
      return same.test(k) && ((layout[k] || {}).matches === group || k === name(group));
    });
    return title(name(id)) || mates.map(title).filter(Boolean)[0] || fallback;
  }

  function tableOf(caption, head, rows) {
    var table = document.createElement("table"), cap = table.createCaption(), tr = table.createTHead().insertRow();
    table.setAttribute("data-bc", "data");
    cap.textContent = caption;
    head.forEach(function (h) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = h;
      tr.appendChild(th);
    });
    var body = table.createTBody();
    rows.forEach(function (row) {
      var r = body.insertRow();
      row.forEach(function (c) { r.insertCell().textContent = c; });
    });
    return table;
  }

  function retable(el) {
    var box = el.closest("figure") && el.closest("figure").querySelector(".bc-data-scroll");
    if (!box) { return; }
    var layout = el.layout || {}, title = plain((layout.title || {}).text) || el.getAttribute("data-chart");
    var panels = new Map();
    el.data.forEach(function (t, i) {
      var y = Array.from(t.y || []), x = t.x ? Array.from(t.x) : y.map(function (_, j) { return j; });
      if (!y.length) { return; }
      var key = (t.xaxis || "x") + " " + (t.yaxis || "y");
      if (!panels.has(key)) { panels.set(key, []); }
      panels.get(key).push({ name: plain(t.name) || "trace " + (i + 1), x: x, y: y });
    });
    box.querySelectorAll("table[data-bc=data]").forEach(function (t) { t.remove(); });
    var n = 0;
    panels.forEach(function (series, key) {
      var axes = key.split(" "), xt = axisTitle(layout, axes[0], "x"), yt = axisTitle(layout, axes[1], "value");
      var cap = panels.size === 1 ? title : title + " — panel " + (++n) + ": " + yt + " against " + xt;
      var same = series.every(function (s) { return JSON.stringify(s.x) === JSON.stringify(series[0].x); });
      var head, rows;
      if (same) {
        head = [xt].concat(series.map(function (s) {
          return series.length > 1 && yt !== "value" ? s.name + ": " + yt : s.name;
        }));
        rows = series[0].x.map(function (x, r) {
          return [number(x)].concat(series.map(function (s) { return number(s.y[r]); }));
        });
      } else {
        head = ["series", xt, yt];
        rows = [];
        series.forEach(function (s) {
          s.x.forEach(function (x, r) { rows.push([s.name, number(x), number(s.y[r])]); });
        });
      }
      box.appendChild(tableOf(cap, head, rows));
    });
  }

  function flush() {
    // Off-screen charts, then the data tables of the charts redrawn, one per task so the page stays responsive.
    if (flushing) { return; }
    flushing = true;
    setTimeout(function next() {
      var el = null;
      pending.forEach(function (job, chart) { if (!el && chart.getAttribute("data-drawn") === "true") { el = chart; } });
      if (el) {
        draw(el);
      } else if (staleTables.size) {
        el = staleTables.values().next().value;
        staleTables.delete(el);
        retable(el);
      } else {
        flushing = false;
        return;
      }
      setTimeout(next, 0);
    }, 0);
  }

  function updateCharts(series, label) {
    charts().forEach(function (el) {
      pending.set(el, [series, label]);
      var alt = series.alt[el.getAttribute("data-chart")];
      if (alt) { el.setAttribute("aria-label", alt); }
    });
    visible.forEach(draw);
    flush();
  }

  function fillList(list, texts) {
    list.innerHTML = "";
    texts.forEach(function (t) {
      var li = document.createElement("li");
      li.textContent = t;
      list.appendChild(li);
    });
  }

  function show(series, kind, text) {
    if (!series) { return; }
    S.shown = kind;
    S.lastSeries = series;
    var label = kind === "live" ? "live run" : "precomputed";
    updateCharts(series, label);
    Object.keys(series.metrics_text || {}).forEach(function (k) {
      var el = $("sim-" + k);
      if (el) { el.textContent = series.metrics_text[k]; }
    });
    var recs = $("sim-recs");
    recs.innerHTML = "";
    (series.recommendations || []).forEach(function (r) {
      var li = document.createElement("li");
      var tag = document.createElement("strong");
      tag.textContent = (r.severity === "warning" ? "Warning" : "Note") + ": ";
      li.appendChild(tag);
      li.appendChild(document.createTextNode(r.text));
      li.setAttribute("data-rec", r.id);
      li.className = "bc-sim-rec-" + r.severity;
      recs.appendChild(li);
    });
    fillList($("sim-real"), series.summary || []);
    root.querySelectorAll(".bc-sim-lab-value").forEach(function (td) {
      var v = (series.lab_settings || {})[td.getAttribute("data-lab")];
      td.textContent = v === undefined || v === null ? "–" : String(v);
    });
    $("sim-shown").textContent = text;
    root.setAttribute("data-shown", kind);
  }

  // charts.js draws on DOMContentLoaded; apply whatever arrived before that.
  new MutationObserver(function (records) {
    records.forEach(function (r) {
      if (r.target.getAttribute("data-drawn") === "true" && pending.has(r.target)) { flush(); }
    });
  }).observe(document.body, { attributes: true, subtree: true, attributeFilter: ["data-drawn"] });

  // ---------------------------------------------------------------- progress and status
  function progress(fraction, text) {
    $("sim-progress").value = Math.max(0, Math.min(1, fraction));
    $("sim-progress-label").textContent = text;
  }

  function setSource(text, live) {
    var el = $("sim-source");
    el.textContent = text;
    el.setAttribute("data-live", live ? "true" : "false");
  }

  function unavailable(why) {
    S.live = false;
    S.snap = true;
    snapValues();
    renderControls();
    setSource("Live training is unavailable in this build: " + why + ". The results below were computed " +
      "when the book was built, for a grid of settings; the controls snap to that grid.", false);
    root.setAttribute("data-mode", "precomputed");
    $("sim-run").disabled = true;
    $("sim-cancel").disabled = true;
    progress(0, "Live training is off; showing precomputed results.");
    showPrecomputed();
  }

  // ---------------------------------------------------------------- the worker
  function url(rel) { return new URL(rel, document.baseURI).href; }

  function startWorker() {
    var w;
    try {
      w = new Worker(url(CFG.urls.worker), { type: "module" });
    } catch (e) {
      unavailable("this browser could not start the simulator's Web Worker (" + e.message + ")");
      return;
    }
    S.worker = w;
    S.workersStarted += 1;
    S.live = false;
    $("sim-run").disabled = true;
    root.setAttribute("data-mode", "booting");
    var t0 = performance.now();
    w.onmessage = function (ev) { onMessage(w, ev.data, t0); };
    w.onerror = function (ev) {
      if (ev.preventDefault) { ev.preventDefault(); }
      crashed(w, "the simulator's worker stopped unexpectedly" + (ev.message ? " (" + ev.message + ")" : ""));
    };
    // A boot that never finishes (a stalled package host) must not leave the page waiting forever.
    S.bootTimer = setTimeout(function () {
      if (w !== S.worker) { return; }
      stopWorker();
      unavailable("Python did not start within " + Math.round(BOOT_LIMIT_MS / 1000) + " s (a download stalled " +
        "or this device is very slow)");
    }, BOOT_LIMIT_MS);
    w.postMessage({
      type: "boot", coreURL: url(CFG.urls.core), wheelURL: url(CFG.urls.wheel), seriesURL: url(CFG.urls.series),
      packageBaseUrl: CFG.source.package_base_url || null, numpy: CFG.source.mode !== "none"
    });
    progress(0.02, "Starting Python (Pyodide)…");
  }

  function stopWorker() {
    clearTimeout(S.bootTimer);
    if (S.running) { clearTimeout(S.running.timer); S.running = null; }
    if (S.worker) { S.worker.onmessage = null; S.worker.onerror = null; S.worker.terminate(); S.worker = null; }
    S.live = false;
    $("sim-cancel").disabled = true;
  }

  function restart(note) {
    stopWorker();
    progress(0, note);
    startWorker();
  }

  function crashed(w, why) {
    if (w !== S.worker) { return; }
    S.crashes += 1;
    if (S.crashes > 3) {
      stopWorker();
      unavailable(why + ", several times in a row");
      return;
    }
    report(why + ". The simulator has been restarted; your settings are kept.");
    restart("Restarting the simulator…");
  }

  function report(text) {
    var el = $("sim-shown");
    el.textContent = text;
    root.setAttribute("data-last-event", text);
  }

  function onMessage(w, msg, t0) {
    if (w !== S.worker) { return; }
    if (msg.type === "progress" && msg.phase === "boot") {
      progress(msg.fraction * 0.999, msg.text + "…");
    } else if (msg.type === "progress") {
      runProgress(msg.stage, msg.fraction);
    } else if (msg.type === "ready") {
      clearTimeout(S.bootTimer);
      S.metrics.boot = { readyMs: performance.now() - t0, sincePageStartMs: performance.now(), worker: msg.timings };
      if (!msg.numpy.ok) {
        unavailable("numpy could not be loaded (" + msg.numpy.error + ")");
        return;
      }
      S.live = true;
      S.crashes = 0;
      S.snap = false;
      renderControls();
      setSource(CFG.source.live_text + " (numpy " + msg.numpy.version + ").", true);
      root.setAttribute("data-mode", "live");
      $("sim-run").disabled = false;
      progress(0, "Ready. Press Run to train all stages with your settings.");
      if (S.shown !== "live") { showPrecomputed(); }
    } else if (msg.type === "started") {
      if (S.running) { S.running.lab = msg.lab; }
    } else if (msg.type === "result") {
      finishRun(msg);
    } else if (msg.type === "error") {
      if (msg.phase === "boot") {
        stopWorker();
        unavailable("the simulator could not start (" + msg.message + ")");
      } else {
        if (S.running) { clearTimeout(S.running.timer); S.running = null; }
        $("sim-cancel").disabled = true;
        $("sim-run").disabled = false;
        report("The run failed: " + msg.message);
        progress(0, "The run failed.");
        if (msg.fatal) { restart("Restarting the simulator…"); }
      }
    }
  }

  function runProgress(stage, fraction) {
    var stages = CFG.stages, i = stages.indexOf(stage);
    var name = CFG.stageLabels[stage] || stage;
    if (i < 0) {   // work outside the timed stages (the real-scale predictions): no share of the bar
      $("sim-progress-label").textContent = name.charAt(0).toUpperCase() + name.slice(1) + "…";
      return;
    }
    var done = 0;
    for (var k = 0; k < i; k++) { done += CFG.stageWeights[stages[k]] || 0; }
    var overall = done + (CFG.stageWeights[stage] || 0) * fraction;
    var text = "Stage " + (i + 1) + " of " + stages.length + ": " + name;
    var lab = S.running && S.running.lab;
    if (stage === "ppo" && lab && lab.ppo_iterations && fraction > 0) {
      text += " — iteration " + Math.round(fraction * lab.ppo_iterations) + " of " + lab.ppo_iterations;
    } else {
      text += " — " + Math.round(fraction * 100) + "%";
    }
    progress(overall, text);
  }

  function run() {
    if (!S.live || S.running) { return; }
    var id = ++S.runId;
    var limit = S.timeLimitMs;
    S.running = {
      id: id, started: performance.now(), config: JSON.parse(JSON.stringify(S.values)),
      timer: setTimeout(function () {
        report("The run took longer than the time limit of " + Math.round(limit / 1000) + " s and was stopped. " +
          "The simulator has been restarted; try fewer PPO iterations or less data.");
        root.setAttribute("data-last-event", "time-limit");
        restart("Restarting the simulator after the time limit…");
      }, limit)
    };
    $("sim-run").disabled = true;
    $("sim-cancel").disabled = false;
    progress(0, "Starting the run…");
    S.worker.postMessage({ type: "run", id: id, config: S.running.config });
  }

  function cancel() {
    if (!S.running) { return; }
    report("Run cancelled. The simulator is restarting; your settings are kept.");
    root.setAttribute("data-last-event", "cancelled");
    restart("Cancelled; restarting the simulator…");
  }

  function finishRun(msg) {
    if (!S.running || msg.id !== S.running.id) { return; }
    clearTimeout(S.running.timer);
    var wall = performance.now() - S.running.started;
    S.running = null;
    var out = JSON.parse(msg.json);
    S.lastResults = out.results;
    S.metrics.runs.push({ wallMs: wall, workerMs: msg.wallMs, config: out.results.config });
    $("sim-cancel").disabled = true;
    $("sim-run").disabled = false;
    progress(1, "Done in " + (wall / 1000).toFixed(1) + " s.");
    var settings = CONTROLS.map(function (c) { return c.label + " " + withUnit(c, out.results.config[c.name]); });
    show(out.series, "live", "Showing your live run: all stages trained in this browser in " +
      (wall / 1000).toFixed(1) + " s (" + settings.join(", ") + ").");
    root.setAttribute("data-last-event", "finished");
  }

  // ---------------------------------------------------------------- events
  function changed(commit) {
    CONTROLS.forEach(function (c) { S.values[c.name] = readControl(c); });
    renderControls();
    if (commit) {
      writeURL(true);
      remember();
    }
    showPrecomputed();
  }

  $("sim-form").addEventListener("input", function (e) {
    if (e.target.type === "range") { changed(false); }
  });
  $("sim-form").addEventListener("change", function () { changed(true); });
  $("sim-form").addEventListener("submit", function (e) { e.preventDefault(); run(); });
  $("sim-cancel").addEventListener("click", cancel);
  $("sim-reset").addEventListener("click", function () {
    S.values = defaults();
    if (S.snap) { snapValues(); }
    showProblems([]);
    renderControls();
    writeURL(true);
    remember();
    showPrecomputed();
  });
  window.addEventListener("popstate", function () {
    loadSettings();
    if (S.snap) { snapValues(); }
    renderControls();
    remember();
    showPrecomputed();
  });

  // ---------------------------------------------------------------- start
  loadSettings();
  renderControls();
  showPrecomputed();
  writeURL(false);
  if (location.protocol === "file:") {
    unavailable("this page was opened from disk (file://), where browsers do not let a page start the " +
      "Web Worker that runs Python. Serve the book's folder over http (for example " +
      "`python -m http.server` in it) to train live");
  } else if (CFG.source.mode === "none") {
    unavailable(CFG.source.reason);
  } else {
    startWorker();
  }

  // For tests and `make bench`: read-only state plus two hooks that exercise the recovery paths.
  window.bookSimulator = {
    state: S,
    values: function () { return JSON.parse(JSON.stringify(S.values)); },
    chartsPending: function () { return pending.size + drawing + staleTables.size; },   // charts and tables still to redraw
    visibleDrawn: function () {   // resolves when Plotly has finished redrawing the charts on screen
      return Promise.all(Array.from(visible).map(function (el) { return el._drawn; }));
    },
    number: number,   // a data table's cell text, as build_charts/render.py's number() writes it
    setTimeLimit: function (ms) { S.timeLimitMs = ms; },
    crashWorker: function () { if (S.worker) { S.worker.postMessage({ type: "crash" }); } },
    run: run,
    cancel: cancel
  };
})();
