"""The SCORM 1.2 packages in a real SCORM runtime: scorm-again (npm) as the LMS side.

A harness page (served from a temporary folder on 127.0.0.1, as an LMS would serve the unzipped
package) creates ``window.API = new Scorm12API(...)`` and launches a chapter package's index.html
in an iframe. The package's adapter (build_charts/assets/scorm.js) finds that API, and the test
reads back what the runtime received. The packages come from ``python -m build_charts.scorm``,
the code ``make scorm`` runs, applied to the built site.
"""

import re
import shutil
import zipfile
from pathlib import Path

import pytest

from build_charts import scorm
from tests.docs.test_quizzes import load
from tests.support import ROOT, serve

SCORM_AGAIN = ROOT / "node_modules" / "scorm-again" / "dist" / "scorm12.min.js"

HARNESS = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>LMS harness</title><link rel="icon" href="data:,">
<script src="scorm12.min.js"></script>
<script>
  // The LMS side: scorm-again's SCORM 1.2 runtime, committing locally (no lmsCommitUrl).
  window.API = new Scorm12API({autocommit: false, logLevel: 4});
  window.calls = [];
  ["LMSInitialize", "LMSCommit", "LMSFinish"].forEach(function (name) {
    API.on(name, function () { calls.push(name); });
  });
  API.on("LMSSetValue.cmi.*", function (element, value) { calls.push(element + "=" + value); });
</script></head>
<body><iframe id="sco" title="chapter" src="pkg/%s/index.html" style="width:1000px;height:800px"></iframe>
</body></html>
"""


@pytest.fixture(scope="module")
def packages(built_site, tmp_path_factory) -> Path:
    if not SCORM_AGAIN.is_file():
        pytest.fail(f"{SCORM_AGAIN} is missing: run `npm ci` (scorm-again is a devDependency)")
    out = tmp_path_factory.mktemp("scorm")
    assert scorm.main(["--site", str(built_site), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def harness(packages, tmp_path_factory):
    root = tmp_path_factory.mktemp("lms")
    shutil.copy(SCORM_AGAIN, root / "scorm12.min.js")
    for chapter in scorm.CHAPTERS:
        with zipfile.ZipFile(packages / f"{chapter}.zip") as zf:
            zf.extractall(root / "pkg" / chapter)
        (root / f"{chapter}.html").write_text(HARNESS % chapter)
    with serve(root) as url:
        yield url


def launch(browser, harness, chapter):
    """Open the harness for ``chapter``; returns (page, the package's frame, requests, failures, errors)."""
    context = browser.new_context()
    requests, failures, errors = [], [], []
    context.on("request", lambda r: requests.append(r.url))
    context.on("requestfailed", lambda r: failures.append(r.url))
    context.on("response", lambda r: r.status >= 400 and failures.append(f"{r.status} {r.url}"))
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(harness + f"{chapter}.html", wait_until="load")
    frame = page.frame_locator("#sco")
    page.wait_for_function("() => calls.includes('LMSInitialize') && calls.includes('LMSCommit')",
                           timeout=20_000)
    return page, frame, requests, failures, errors


def cmi(page) -> dict:
    return page.evaluate("""() => ({status: API.cmi.core.lesson_status, raw: API.cmi.core.score.raw,
        min: API.cmi.core.score.min, max: API.cmi.core.score.max})""")


def answer(frame, question, right: bool):
    """Answer one question of the chapter's quiz as a reader does: pick or type, then Check."""
    form = frame.locator(f"form[data-question='{question['id']}']")
    if question["kind"] == "choice":
        value = question["answer"] if right else next(o["id"] for o in question["options"] if o["id"] != question["answer"])
        form.locator(f"input[type=radio][value='{value}']").check()
    else:
        value = question["answer"] if right else question["answer"] + 10 * question["tolerance"] + 1
        form.locator("input[type=text]").fill(str(value))
    form.locator("button.bc-quiz-check").click()


@pytest.mark.browser
@pytest.mark.parametrize("chapter", scorm.CHAPTERS)
def test_package_launches_self_contained_and_sets_incomplete(browser, harness, chapter):
    page, frame, requests, failures, errors = launch(browser, harness, chapter)
    try:
        assert cmi(page)["status"] == "incomplete"
        assert page.evaluate("calls")[:2] == ["LMSInitialize", "cmi.core.lesson_status=incomplete"]
        # The chapter shows in its embed view, and its charts draw from the package's own files.
        assert frame.locator("html.embed").count() == 1
        assert not frame.locator("header.md-header").is_visible()
        assert frame.locator("footer.md-footer").count() == 0
        assert frame.locator(".md-content h1").is_visible()
        plots = frame.locator(".bc-plot")
        for i in range(plots.count()):
            plots.nth(i).scroll_into_view_if_needed()   # charts draw as they near the screen
            plots.nth(i).and_(frame.locator("[data-drawn='true']")).wait_for(timeout=20_000)
        page.wait_for_load_state("networkidle", timeout=90_000)
        foreign = [u for u in requests if not u.startswith(harness)]
        outside = [u for u in requests if u.startswith(harness) and not (
            u.startswith(f"{harness}pkg/{chapter}/") or u in (f"{harness}{chapter}.html", f"{harness}scorm12.min.js"))]
        assert not foreign, f"requests to other origins: {foreign}"
        assert not outside, f"the package loaded files from outside itself: {outside}"
        assert not failures, f"failed requests: {failures}"
        assert not errors, f"errors: {errors}"
    finally:
        page.context.close()


@pytest.mark.browser
def test_quiz_score_and_pass_reach_the_runtime(browser, harness):
    questions = load("pretraining")["questions"]
    n = len(questions)
    page, frame, requests, failures, errors = launch(browser, harness, "pretraining")
    try:
        frame.locator("section.bc-quiz .bc-quiz-reset:not([hidden])").wait_for()
        answer(frame, questions[0], right=True)
        answer(frame, questions[1], right=False)
        assert cmi(page) == {"status": "incomplete", "raw": str(round(100 / n)), "min": "0", "max": "100"}
        for q in questions:                      # every question right (the wrong one corrected)
            answer(frame, q, right=True)
        assert cmi(page) == {"status": "passed", "raw": "100", "min": "0", "max": "100"}
        # Reset: the LMS keeps the best attempt, so the pass and the full score stay.
        frame.locator(".bc-quiz-reset").click()
        assert frame.locator("section.bc-quiz").get_attribute("data-answered") == "0"
        assert cmi(page) == {"status": "passed", "raw": "100", "min": "0", "max": "100"}
        assert page.evaluate("calls").count("LMSCommit") >= n + 2
        # Leaving the chapter finishes the session.
        page.evaluate("document.getElementById('sco').src = 'about:blank'")
        page.wait_for_function("() => calls.includes('LMSFinish')", timeout=10_000)
        calls = page.evaluate("calls")
        assert calls[-1] == "LMSFinish" and calls[-2] == "LMSCommit"
        assert "cmi.core.exit=" in calls          # a normal exit: the chapter is finished
        assert any(re.fullmatch(r"cmi\.core\.session_time=\d{2,4}:\d\d:\d\d", c) for c in calls), calls
        assert not errors, errors
        assert [u for u in requests if not u.startswith(harness) and u != "about:blank"] == []
        assert not failures, failures
    finally:
        page.context.close()


@pytest.mark.browser
def test_a_finished_quiz_below_the_pass_mark_is_completed_not_passed(browser, harness):
    questions = load("sft")["questions"]
    page, frame, requests, failures, errors = launch(browser, harness, "sft")
    try:
        frame.locator("section.bc-quiz .bc-quiz-reset:not([hidden])").wait_for()
        right = [i < len(questions) // 2 for i in range(len(questions))]    # half right: below 80 %
        for q, r in zip(questions, right):
            answer(frame, q, right=r)
        raw = round(100 * sum(right) / len(questions))
        assert raw < scorm.PASS_PERCENT
        assert cmi(page) == {"status": "completed", "raw": str(raw), "min": "0", "max": "100"}
        page.evaluate("document.getElementById('sco').src = 'about:blank'")
        page.wait_for_function("() => calls.includes('LMSFinish')", timeout=10_000)
        assert not errors, errors
    finally:
        page.context.close()


@pytest.mark.browser
def test_answers_saved_from_an_earlier_visit_are_reported_on_launch(browser, harness):
    questions = load("rlhf-ppo")["questions"]
    page, frame, *_ = launch(browser, harness, "rlhf-ppo")
    context = page.context
    try:
        frame.locator("section.bc-quiz .bc-quiz-reset:not([hidden])").wait_for()
        for q in questions:
            answer(frame, q, right=True)
        page.close()
        # A new session of the LMS (a fresh runtime), same browser: the quiz restores the answers.
        again = context.new_page()
        again.goto(harness + "rlhf-ppo.html", wait_until="load")
        again.wait_for_function("() => API.cmi.core.lesson_status === 'passed'", timeout=20_000)
        assert cmi(again)["raw"] == "100"
    finally:
        context.close()
