// Render the formulas that pymdownx.arithmatex (generic mode) leaves as
// \( ... \) and \[ ... \] inside .arithmatex elements, with the local KaTeX.
(function () {
  "use strict";
  function render() {
    document.querySelectorAll(".arithmatex").forEach(function (el) {
      renderMathInElement(el, {
        delimiters: [
          { left: "\\(", right: "\\)", display: false },
          { left: "\\[", right: "\\]", display: true }
        ],
        throwOnError: false
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
