// Draw every inline chart of the page, and keep its colours in step with
// Material's light/dark toggle. The figure JSON itself never changes with the
// scheme: only the few layout colours below are swapped.
(function () {
  "use strict";

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

  function draw(el) {
    var fig = JSON.parse(el.getAttribute("data-figure"));
    var config = { responsive: true, displaylogo: false,
                   modeBarButtonsToRemove: ["sendDataToCloud", "sendChartToCloud"] };   // never post data away
    var layout = withScheme(fig.layout || {}, axesOf(fig.layout, fig.data));
    // Frames (animations: Play/Pause buttons and animate sliders) go in with the figure. A frame carries trace
    // data only, never layout, so playing it cannot undo the scheme colours.
    return Plotly.newPlot(el, { data: fig.data, layout: layout, frames: fig.frames || [], config: config })
      .then(function () {
        el.setAttribute("data-drawn", "true");
      });
  }

  function onScreenFirst(els) {
    var h = window.innerHeight;
    function distance(el) { var r = el.getBoundingClientRect(); return r.bottom < 0 ? -r.bottom : Math.max(0, r.top - h); }
    return els.map(function (el) { return [distance(el), el]; })
      .sort(function (a, b) { return a[0] - b[0]; }).map(function (p) { return p[1]; });
  }

  // One chart per task, those on screen first: the page stays responsive (no single long task drawing them
  // all) and the reader sees the charts in front of them soonest.
  function drawAll() {
    var queue = onScreenFirst(Array.prototype.slice.call(document.querySelectorAll(".bc-plot[data-figure]")));
    function next() {
      var el = queue.shift();
      if (!el) return;
      draw(el).catch(function (err) {
        el.setAttribute("data-drawn", "error");
        console.error("chart " + el.id + " could not be drawn:", err);
      }).then(function () { setTimeout(next, 0); });
    }
    next();
  }

  new MutationObserver(function () {
    document.querySelectorAll('.bc-plot[data-drawn="true"]').forEach(function (el) {
      Plotly.relayout(el, schemeUpdate(axesOf(el.layout, el.data)));
    });
  }).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });

  // Deferred scripts run after parsing, before DOMContentLoaded.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
