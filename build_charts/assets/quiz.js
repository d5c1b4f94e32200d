// Self-check quizzes (HTML from build_charts/quiz.py): check answers, shuffle options, keep progress.
//
// Everything happens in this page: no request is made, so quizzes work offline and from file://.
// Progress is saved in localStorage under "llm-training-book/quiz/<quiz id>" as
//   {total, answers: {<question id>: {value, correct}}}
// and every Check and Reset dispatches, on document,
//   new CustomEvent("bookquiz:change", {detail: {page, correct, answered, total}})
// (the SCORM wrapper listens to it: keep the name and the shape). window.bookQuizProgress() reads the
// saved progress of every quiz of the book, window.bookQuizProgress(id) that of one.
(function () {
  "use strict";
  var PREFIX = "llm-training-book/quiz/";

  // ------------------------------------------------------------------ storage (may be refused: private modes)
  function load(id) {
    try {
      var saved = JSON.parse(localStorage.getItem(PREFIX + id) || "null");
      return saved && typeof saved.answers === "object" ? saved : null;
    } catch (e) { return null; }
  }
  function save(id, record) {
    try { localStorage.setItem(PREFIX + id, JSON.stringify(record)); } catch (e) { /* progress stays in memory */ }
  }
  function forget(id) {
    try { localStorage.removeItem(PREFIX + id); } catch (e) { /* nothing saved */ }
  }

  function summary(id, record) {
    var answers = record ? record.answers : {}, correct = 0, answered = 0;
    Object.keys(answers).forEach(function (k) { answered += 1; if (answers[k].correct) correct += 1; });
    return {page: id, correct: correct, answered: answered, total: record ? record.total : 0};
  }

  window.bookQuizProgress = function (id) {
    if (id) return summary(id, load(id));
    var all = {};
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var key = localStorage.key(i);
        if (key.indexOf(PREFIX) === 0) {
          var quiz = key.slice(PREFIX.length);
          all[quiz] = summary(quiz, load(quiz));
        }
      }
    } catch (e) { /* storage refused: nothing to report */ }
    return all;
  };

  // ------------------------------------------------------------------ shuffling
  // A small seeded generator (mulberry32): one seed per page load, so the order is fixed while the page is
  // open and differs between visits. A test may fix it with window.bookQuizSeed before the page loads.
  function generator(seed) {
    var a = seed >>> 0;
    return function () {
      a = (a + 0x6D2B79F5) >>> 0;
      var t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  var seed = typeof window.bookQuizSeed === "number" ? window.bookQuizSeed : Math.floor(Math.random() * 4294967296);
  var random = generator(seed);

  function shuffle(container) {
    // Fisher–Yates over the option elements, then re-append them in the new order.
    var items = Array.prototype.slice.call(container.children);
    for (var i = items.length - 1; i > 0; i--) {
      var j = Math.floor(random() * (i + 1));
      var t = items[i]; items[i] = items[j]; items[j] = t;
    }
    items.forEach(function (el) { container.appendChild(el); });
  }

  // ------------------------------------------------------------------ one quiz
  function parseNumber(text) {
    // Accept "72", "72.2", "72,2", "7.2e1" and thin/normal spaces or underscores as digit groups.
    var s = String(text).trim().replace(/[\s\u202f_]/g, "");
    if (/^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) s = s.replace(/,/g, "");   // 1,200 or 1,200.5
    else s = s.replace(",", ".");
    return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s) ? parseFloat(s) : NaN;
  }

  function setup(root) {
    var id = root.getAttribute("data-quiz");
    var forms = Array.prototype.slice.call(root.querySelectorAll("form.bc-quiz-q"));
    var total = forms.length;
    var record = load(id) || {total: total, answers: {}};
    record.total = total;
    var progressText = root.querySelector(".bc-quiz-progress");
    var bar = root.querySelector(".bc-quiz-bar");
    var reset = root.querySelector(".bc-quiz-reset");

    function counts() { return summary(id, record); }

    function showProgress(note) {
      var c = counts();
      bar.value = c.correct;
      progressText.textContent = (note ? note + " " : "") + c.correct + " of " + total + " correct, " +
        c.answered + " of " + total + " answered" + (c.correct === total ? ": quiz complete." : ".");
      root.setAttribute("data-correct", c.correct);
      root.setAttribute("data-answered", c.answered);
      root.classList.toggle("bc-quiz--complete", c.correct === total);
    }

    function announce() {
      var c = counts();
      document.dispatchEvent(new CustomEvent("bookquiz:change",
        {detail: {page: id, correct: c.correct, answered: c.answered, total: c.total}}));
    }

    function clearFeedback(form) {
      form.classList.remove("bc-quiz-q--correct", "bc-quiz-q--wrong");
      form.querySelector(".bc-quiz-verdict").textContent = "";
      form.querySelectorAll(".bc-quiz-fb, .bc-quiz-explanation").forEach(function (el) { el.hidden = true; });
      form.querySelectorAll(".bc-quiz-option").forEach(function (el) { el.classList.remove("is-chosen"); });
    }

    function showFeedback(form, value, correct) {
      clearFeedback(form);
      var verdict = form.querySelector(".bc-quiz-verdict");
      form.classList.add(correct ? "bc-quiz-q--correct" : "bc-quiz-q--wrong");
      var key = null;
      if (form.getAttribute("data-kind") === "choice") {
        key = String(value);
        var option = form.querySelector('.bc-quiz-option[data-option="' + key + '"]');
        if (option) option.classList.add("is-chosen");
        verdict.textContent = correct ? "Correct." : "Not quite.";
      } else {
        var answer = parseFloat(form.getAttribute("data-answer"));
        if (correct) verdict.textContent = "Correct.";
        else {
          key = value < answer ? "too_low" : "too_high";
          verdict.textContent = "Not quite: " + value + " is too " + (value < answer ? "low." : "high.");
        }
      }
      var fb = key === null ? null : form.querySelector('.bc-quiz-fb[data-for="' + key + '"]');
      if (fb) fb.hidden = false;
      form.querySelector(".bc-quiz-explanation").hidden = false;
    }

    function check(form) {
      var qid = form.getAttribute("data-question");
      var value, correct;
      if (form.getAttribute("data-kind") === "choice") {
        var chosen = form.querySelector("input[type=radio]:checked");
        if (!chosen) {
          clearFeedback(form);
          form.querySelector(".bc-quiz-verdict").textContent = "Choose an answer first.";
          return;
        }
        value = chosen.value;
        correct = chosen.hasAttribute("data-correct");
      } else {
        value = parseNumber(form.querySelector("input").value);
        if (isNaN(value)) {
          clearFeedback(form);
          form.querySelector(".bc-quiz-verdict").textContent = "Enter a number, for example 12.5.";
          return;
        }
        var answer = parseFloat(form.getAttribute("data-answer"));
        var tolerance = parseFloat(form.getAttribute("data-tolerance"));
        correct = Math.abs(value - answer) <= tolerance + 1e-12 * Math.abs(answer);
      }
      record.answers[qid] = {value: value, correct: correct};
      save(id, record);
      showFeedback(form, value, correct);
      showProgress();
      announce();
    }

    forms.forEach(function (form) {
      var options = form.querySelector(".bc-quiz-options");
      if (options) shuffle(options);
      form.addEventListener("submit", function (event) { event.preventDefault(); check(form); });
      // Restore a saved answer: the choice (or number) and its feedback.
      var saved = record.answers[form.getAttribute("data-question")];
      if (saved) {
        if (form.getAttribute("data-kind") === "choice") {
          var input = form.querySelector('input[type=radio][value="' + String(saved.value) + '"]');
          if (input) input.checked = true;
        } else {
          form.querySelector("input").value = saved.value;
        }
        showFeedback(form, saved.value, saved.correct);
      }
    });
    // Drop saved answers to questions that no longer exist (the quiz was edited).
    Object.keys(record.answers).forEach(function (qid) {
      if (!root.querySelector('form[data-question="' + qid + '"]')) delete record.answers[qid];
    });

    reset.hidden = false;
    reset.addEventListener("click", function () {
      record = {total: total, answers: {}};
      forget(id);
      forms.forEach(function (form) {
        form.reset();
        clearFeedback(form);
      });
      showProgress("Answers cleared.");
      announce();
    });
    showProgress();
  }

  function init() {
    document.querySelectorAll("section.bc-quiz").forEach(setup);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
