// Draw every inline chart of the page, and keep its colours in step with
// Material's light/dark toggle. The figure JSON itself never changes with the
// scheme: only the few layout colours below are swapped.
(function () {
  "use strict";

  function schemeLayout(el) {
    var dark = document.body.getAttribute("data-md-color-scheme") === "slate";
    var ink = dark ? "#e6e6e6" : "#1f1f1f";
    var grid = dark ? "rgba(255,255,255,0.14)" : "rgba(0,0,0,0.10)";
    var update = { "font.color": ink };
    // Every axis of the chart, so panels (xaxis2, yaxis3, …) follow the scheme too.
    Object.keys(el._fullLayout || {}).filter(function (k) { return /^[xy]axis\d*$/.test(k); })
      .forEach(function (axis) {
        update[axis + ".gridcolor"] = grid;
        update[axis + ".zerolinecolor"] = grid;
        update[axis + ".linecolor"] = ink;
      });
    return update;
  }

  function draw(el) {
    var fig = JSON.parse(el.getAttribute("data-figure"));
    var config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["sendDataToCloud", "sendChartToCloud"] };
    // Frames (animations: Play/Pause buttons and animate sliders) go in with the figure. A frame carries trace
    // data only, never layout, so playing it cannot undo the scheme colours set below.
    return Plotly.newPlot(el, { data: fig.data, layout: fig.layout, frames: fig.frames || [], config: config })
      .then(function () {
        return Plotly.relayout(el, schemeLayout(el));
      }).then(function () {
        el.setAttribute("data-drawn", "true");
      });
  }

  function drawAll() {
    document.querySelectorAll(".bc-plot[data-figure]").forEach(function (el) {
      draw(el).catch(function (err) {
        el.setAttribute("data-drawn", "error");
        console.error("chart " + el.id + " could not be drawn:", err);
      });
    });
  }

  new MutationObserver(function () {
    document.querySelectorAll('.bc-plot[data-drawn="true"]').forEach(function (el) {
      Plotly.relayout(el, schemeLayout(el));
    });
  }).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });

  // Deferred scripts run after parsing, before DOMContentLoaded.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
