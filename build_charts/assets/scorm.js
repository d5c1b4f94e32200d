// SCORM 1.2 adapter of a chapter package (build_charts/scorm.py adds it to the page).
// It reports the chapter's quiz to the LMS:
//   launch            LMSInitialize; lesson_status "incomplete" unless the learner already finished
//   each quiz change  score.raw (percent of the quiz's questions answered right), min 0, max 100;
//                     once every question is answered: "passed" at or above the pass mark
//                     (data-pass-percent on this script tag), else "completed"; then LMSCommit
//   leaving the page  session_time, exit, LMSCommit, LMSFinish
// The LMS keeps the best attempt: a reset quiz never lowers the score or the status it has.
// The quiz announces every check and reset with the DOM event "bookquiz:change"
// (detail {page, correct, answered, total}); window.bookQuizProgress(id) gives the saved state on load.
(function () {
  "use strict";
  var script = document.currentScript;
  var PASS_PERCENT = Number(script && script.getAttribute("data-pass-percent")) || 80;
  var RANK = { "not attempted": 0, "browsed": 1, "incomplete": 1, "failed": 2, "completed": 2, "passed": 3 };

  // SCORM 1.2 says where the LMS puts its API object: on a parent frame, or on the
  // window that opened this one (and its parents). Frames of another origin throw; skip them.
  function apiIn(win) {
    for (var depth = 0; win && depth < 10; depth++) {
      try {
        if (win.API) { return win.API; }
      } catch (e) { /* a frame of another origin */ }
      if (win.parent === win) { break; }
      win = win.parent;
    }
    return null;
  }
  var api = apiIn(window.parent !== window ? window.parent : null) ||
            (window.top && window.top.opener ? apiIn(window.top.opener) : null);
  if (!api) {
    console.info("SCORM: no LMS API found (the chapter works as a normal page).");
    return;
  }

  function set(name, value) {
    if (api.LMSSetValue(name, String(value)) !== "true") {
      console.warn("SCORM: LMSSetValue(" + name + ", " + value + ") failed, error " + api.LMSGetLastError());
    }
  }

  if (api.LMSInitialize("") !== "true") {
    console.warn("SCORM: LMSInitialize failed, error " + api.LMSGetLastError());
    return;
  }
  var started = Date.now();
  var status = api.LMSGetValue("cmi.core.lesson_status") || "not attempted";
  var best = parseFloat(api.LMSGetValue("cmi.core.score.raw"));   // NaN: no score yet
  if ((RANK[status] || 0) < RANK.incomplete) {
    status = "incomplete";
    set("cmi.core.lesson_status", status);
  }
  api.LMSCommit("");

  function report(p) {
    if (!p || !(p.total > 0)) { return; }
    var raw = Math.round(100 * p.correct / p.total);
    if (isNaN(best) || raw >= best) {
      best = raw;
      set("cmi.core.score.min", 0);
      set("cmi.core.score.max", 100);
      set("cmi.core.score.raw", raw);
    }
    if (p.answered >= p.total) {
      var reached = raw >= PASS_PERCENT ? "passed" : "completed";
      if (RANK[reached] > RANK[status]) {
        status = reached;
        set("cmi.core.lesson_status", status);
      }
    }
    api.LMSCommit("");
  }

  document.addEventListener("bookquiz:change", function (event) { report(event.detail); });
  // Answers saved in the browser from an earlier visit count too. By "load" every
  // deferred script (the quiz's included) has run.
  window.addEventListener("load", function () {
    var quiz = document.querySelector("[data-quiz]");
    if (!quiz || typeof window.bookQuizProgress !== "function") { return; }
    var progress = window.bookQuizProgress(quiz.getAttribute("data-quiz"));
    if (progress && progress.answered > 0) { report(progress); }
  });

  function timespan(ms) {   // CMITimespan: HHHH:MM:SS
    var s = Math.round(ms / 1000);
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(Math.floor(s / 3600)) + ":" + two(Math.floor(s / 60) % 60) + ":" + two(s % 60);
  }

  var finished = false;
  function finish() {
    if (finished) { return; }
    finished = true;
    set("cmi.core.session_time", timespan(Date.now() - started));
    // "suspend" lets the LMS resume an unfinished chapter; a finished one exits normally.
    set("cmi.core.exit", RANK[status] >= RANK.completed ? "" : "suspend");
    api.LMSCommit("");
    api.LMSFinish("");
  }
  window.addEventListener("pagehide", finish);
  window.addEventListener("beforeunload", finish);
})();
