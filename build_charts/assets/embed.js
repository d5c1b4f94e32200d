// Embed view of a page, for an iframe in a course page or an LMS: only the chapter
// itself, without the site's header, navigation and footer (embed.css hides them).
// It is on when the URL has `?embed=1` (the same page URL as the hosted site and
// the offline copy) or when <html> already has the class "embed" (the SCORM
// packages write it into the page, so there is no flash of the header there).
// The page tells its parent how tall it is, so the iframe can fit it:
//   parent.postMessage({type: "llm-book:height", height}, "*")
(function () {
  "use strict";
  var root = document.documentElement;
  if (new URLSearchParams(location.search).get("embed") === "1") {
    root.classList.add("embed");
  }
  if (!root.classList.contains("embed")) { return; }

  // A link to another page of the book keeps the embed view; the href stays relative.
  function keepEmbed(a) {
    var href = a.getAttribute("href");
    if (!href || href.charAt(0) === "#" || a.target === "_blank") { return; }
    var url;
    try { url = new URL(href, location.href); } catch (e) { return; }
    var samePlace = url.protocol === location.protocol && url.host === location.host;
    if (!samePlace || !/(\.html|\/)$/.test(url.pathname) || url.searchParams.has("embed")) { return; }
    var hash = href.indexOf("#");
    var path = hash < 0 ? href : href.slice(0, hash);
    var sep = path.indexOf("?") < 0 ? "?" : "&";
    a.setAttribute("href", path + sep + "embed=1" + (hash < 0 ? "" : href.slice(hash)));
  }

  // The height of the content (embed.css lets <html> and <body> shrink to it, so
  // the iframe can get shorter as well as taller).
  var lastHeight = -1;
  function reportHeight() {
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height === lastHeight || window.parent === window) { return; }
    lastHeight = height;
    window.parent.postMessage({ type: "llm-book:height", height: height }, "*");
  }

  function start() {
    document.querySelectorAll("a[href]").forEach(keepEmbed);
    reportHeight();
    // Charts, math and quizzes change the height after load; so does a resized iframe.
    if (window.ResizeObserver) { new ResizeObserver(reportHeight).observe(document.body); }
    window.addEventListener("load", reportHeight);
  }

  // Deferred scripts run after parsing, before DOMContentLoaded.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
