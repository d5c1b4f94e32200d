// Render the formulas of a page with the local KaTeX:
// - Markdown pages: pymdownx.arithmatex (generic mode) leaves \( ... \) and \[ ... \] inside .arithmatex elements;
// - lab notebooks (mkdocs-jupyter): nbconvert leaves $ ... $ and $$ ... $$ as text in each Markdown cell.
(function () {
  "use strict";
  var ARITHMATEX = [
    { left: "\\(", right: "\\)", display: false },
    { left: "\\[", right: "\\]", display: true }
  ];
  // $$ first: otherwise "$$x$$" would be read as two empty inline formulas.
  var NOTEBOOK = [
    { left: "$$", right: "$$", display: true },
    { left: "$", right: "$", display: false }
  ];
  function renderAll(selector, delimiters) {
    document.querySelectorAll(selector).forEach(function (el) {
      renderMathInElement(el, { delimiters: delimiters, throwOnError: false });
    });
  }
  function render() {
    renderAll(".arithmatex", ARITHMATEX);
    renderAll(".jupyter-wrapper .jp-RenderedMarkdown", NOTEBOOK);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
