// Draw the inline charts of a page as the reader reaches them, and keep their colours in step with
// Material's light/dark toggle. The figure JSON itself never changes with the scheme: only the few layout
// colours below are swapped.
//
// Plotly is about 1 MB of script, and evaluating it blocks a phone's main thread for about a second. So a page
// does not load it up front: it is fetched when a chart comes near the screen or the reader first scrolls,
// types or taps, and each chart is drawn when it is about to be seen. Until then a chart's text alternative
// and data table are already in the page. Printing draws every chart that is still waiting.
(function () {
  "use strict";

  // Where the Plotly bundle is: this script's tag names it (data-loads, relative to the page; build_charts/assets.py).
  var PLOTLY_URL = new URL(document.currentScript.getAttribute("data-loads"), document.baseURI).href;
  var NEAR = "600px 0px";   // start a chart this far below (or above) the screen, so it is ready when it arrives

  function schemeColours() {
    var dark = document.body.getAttribute("data-md-color-scheme") === "slate";
    return { ink: dark ? "#e6e6e6" : "#1f1f1f", grid: dark ? "rgba(255,255,255,0.14)" : "rgba(0,0,0,0.10)" };
  }

  // The axes of a figure: xaxis/yaxis always, panels (xaxis2, yaxis3, …) from the layout and the traces.
  function axesOf(layout, data) {
    var axes = { xaxis: true, yaxis: true };
    Object.keys(layout || {}).forEach(function (k) { if (/^[xy]axis\d*$/.test(k)) axes[k] = true; });
    (data || []).forEach(function (t) {
      if (t.xaxis) axes["xaxis" + t.xaxis.slice(1)] = true;
      if (t.yaxis) axes["yaxis" + t.yaxis.slice(1)] = true;
    });
    return Object.keys(axes);
  }

  // The scheme's colours as a relayout update ("font.color", "xaxis2.gridcolor", …).
  function schemeUpdate(axes) {
    var c = schemeColours(), update = { "font.color": c.ink };
    axes.forEach(function (axis) {
      update[axis + ".gridcolor"] = c.grid;
      update[axis + ".zerolinecolor"] = c.grid;
      update[axis + ".linecolor"] = c.ink;
    });
    return update;
  }

  // The same colours written into the figure's layout before the first draw: one render, not two.
  function withScheme(layout, axes) {
    var c = schemeColours(), out = Object.assign({}, layout);
    out.font = Object.assign({}, layout.font, { color: c.ink });
    axes.forEach(function (axis) {
      out[axis] = Object.assign({}, layout[axis], { gridcolor: c.grid, zerolinecolor: c.grid, linecolor: c.ink });
    });
    return out;
  }

  var started = new WeakSet();   // charts whose drawing has begun; data-drawn is set when it has ended
  function draw(el) {
    if (started.has(el)) return Promise.resolve();
    started.add(el);
    var fig = JSON.parse(el.getAttribute("data-figure"));
    var config = { responsive: true, displaylogo: false,
                   modeBarButtonsToRemove: ["sendDataToCloud", "sendChartToCloud"] };   // never post data away
    var layout = withScheme(fig.layout || {}, axesOf(fig.layout, fig.data));
    // Frames (animations: Play/Pause buttons and animate sliders) go in with the figure. A frame carries trace
    // data only, never layout, so playing it cannot undo the scheme colours.
    return Plotly.newPlot(el, { data: fig.data, layout: layout, frames: fig.frames || [], config: config })
      .then(function () { el.setAttribute("data-drawn", "true"); })
      .catch(function (err) {
        el.setAttribute("data-drawn", "error");
        console.error("chart " + el.id + " could not be drawn:", err);
      });
  }

  // Loading Plotly: one <script> added on first need; the returned promise settles when it has run.
  var plotly = null;
  function loadPlotly() {
    if (!plotly) {
      plotly = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = PLOTLY_URL;
        script.onload = resolve;
        script.onerror = function () { reject(new Error("could not load " + PLOTLY_URL)); };
        document.head.appendChild(script);
      });
      plotly.catch(function (err) {
        document.querySelectorAll(".bc-plot:not([data-drawn])").forEach(function (el) {
          el.setAttribute("data-drawn", "error");
        });
        console.error(err.message);
      });
    }
    return plotly;
  }

  // Charts that came near the screen wait here and are drawn one per task: the page stays responsive (no
  // single long task drawing them all) and scrolling is not held up.
  var queue = [], busy = false;
  function enqueue(el) {
    if (queue.indexOf(el) < 0 && !started.has(el)) queue.push(el);
    if (busy) return;
    busy = true;
    loadPlotly().then(function next() {
      var el = queue.shift();
      if (!el) { busy = false; return; }
      draw(el).then(function () { setTimeout(next, 0); });
    }, function () { busy = false; });
  }

  var charts = Array.prototype.slice.call(document.querySelectorAll(".bc-plot[data-figure]"));
  if (!charts.length) return;

  var seen = new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      if (e.isIntersecting) { seen.unobserve(e.target); enqueue(e.target); }
    });
  }, { rootMargin: NEAR });
  charts.forEach(function (el) { seen.observe(el); });

  // A reader who starts moving around will soon meet a chart: fetch Plotly now, in the background.
  var FIRST_MOVES = ["scroll", "keydown", "pointerdown", "touchstart"];
  function warmUp() {
    FIRST_MOVES.forEach(function (type) { window.removeEventListener(type, warmUp, true); });
    loadPlotly();
  }
  FIRST_MOVES.forEach(function (type) { window.addEventListener(type, warmUp, { capture: true, passive: true }); });

  // Printing: the browser lays the page out right after "beforeprint", so the charts still waiting are drawn
  // there and then (Plotly.newPlot draws a cartesian chart synchronously; only its promise resolves later).
  window.addEventListener("beforeprint", function () {
    if (typeof Plotly === "undefined") return;   // Plotly not loaded yet: the data tables print instead
    charts.forEach(function (el) { seen.unobserve(el); draw(el); });
  });

  new MutationObserver(function () {
    document.querySelectorAll('.bc-plot[data-drawn="true"]').forEach(function (el) {
      Plotly.relayout(el, schemeUpdate(axesOf(el.layout, el.data)));
    });
  }).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
})();
