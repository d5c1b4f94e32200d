// The light/dark toggle in the header (overrides/partials/palette.html), in place of Material's palette
// component. That component, at start-up, marks <body> as "switching" (a rule of Material's then matches every
// element, twice), reads the header's computed style and writes <meta name="color-scheme">: the browser
// restyles the whole page three more times before the reader can use it (on the longest chapter, 9,400
// elements, about 0.15 s of main thread on a laptop, measured with a Chromium trace).
// This script does the same job and touches only the header until the reader switches:
//   - shows the button that leads to the other scheme;
//   - on a switch, sets the scheme on <body> (the book's charts follow it) and remembers it as Material does,
//     under its key "__palette", so Material's inline script in <body> applies it before the next page paints;
//   - Enter on the focused option switches too, as in Material;
//   - once the page has loaded, and after each switch, tints the phone's browser bar like the header
//     (<meta name="theme-color">), when reading the header's colour no longer costs a restyle.
(function () {
  "use strict";
  var form = document.querySelector("form[data-book-palette]");
  if (!form) return;
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input[name='__palette']"));

  function palette(index) {
    var input = inputs[index], color = {};
    ["media", "scheme", "primary", "accent"].forEach(function (key) {
      color[key] = input.getAttribute("data-md-color-" + key);
    });
    return {index: index, color: color};
  }

  function show(index) {
    // The button after option i leads to option i + 1; only the current option's button is shown.
    inputs.forEach(function (input, i) {
      var label = input.nextElementSibling;
      if (label && label.tagName === "LABEL") label.hidden = i !== index;
    });
    inputs[index].checked = true;
  }

  var tint = document.createElement("meta");
  tint.name = "theme-color";
  function retint() {
    var header = document.querySelector("header");
    if (header) tint.content = getComputedStyle(header).backgroundColor;
    if (!tint.parentNode) document.head.appendChild(tint);
  }

  function apply(index) {
    var p = palette(index);
    Object.keys(p.color).forEach(function (key) {
      document.body.setAttribute("data-md-color-" + key, p.color[key]);
    });
    show(index);
    __md_set("__palette", p);
    if (document.readyState === "complete") requestAnimationFrame(retint);
  }

  // Where the reader left it, else the option whose media query matches (the system's preference).
  var saved = __md_get("__palette");
  var index = saved && typeof saved.index === "number" ? saved.index
    : inputs.findIndex(function (input) { return matchMedia(input.getAttribute("data-md-color-media")).matches; });
  index = Math.max(0, Math.min(index, inputs.length - 1));
  // Material's inline script has already applied a saved choice; otherwise the page was written in the first
  // scheme and the system may prefer another.
  if (!saved && document.body.getAttribute("data-md-color-scheme") !== palette(index).color.scheme) apply(index);
  else show(index);

  inputs.forEach(function (input, i) {
    input.addEventListener("change", function () { if (input.checked) apply(i); });
  });
  if (document.readyState === "complete") retint();
  else addEventListener("load", function () { requestAnimationFrame(retint); });
  form.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    var next = (inputs.findIndex(function (input) { return input.checked; }) + 1) % inputs.length;
    inputs[next].click();
    inputs[next].focus();
  });
})();
