// Render the formulas of a lab notebook page with the local KaTeX: nbconvert leaves $ ... $ and $$ ... $$ as
// text in each Markdown cell. (The book's Markdown pages arrive typeset: build_charts/math.py.)
(function () {
  "use strict";
  // $$ first: otherwise "$$x$$" would be read as two empty inline formulas.
  var NOTEBOOK = [
    { left: "$$", right: "$$", display: true },
    { left: "$", right: "$", display: false }
  ];
  function render() {
    document.querySelectorAll(".jupyter-wrapper .jp-RenderedMarkdown").forEach(function (el) {
      renderMathInElement(el, { delimiters: NOTEBOOK, throwOnError: false });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
