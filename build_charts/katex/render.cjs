// Typeset TeX with KaTeX at build time (build_charts/math.py): reads [[tex, display], …] as JSON on stdin and
// writes [{html} or {error}, …] on stdout, in the same order. The reader's browser then has nothing to typeset.
"use strict";
const katex = require("katex");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const out = JSON.parse(input).map(([tex, display]) => {
    try {
      return { html: katex.renderToString(tex, { displayMode: display, throwOnError: true }) };
    } catch (err) {
      return { error: err.message };
    }
  });
  process.stdout.write(JSON.stringify(out));
});
