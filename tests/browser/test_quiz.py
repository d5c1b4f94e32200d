"""The self-check quiz of a chapter in Chromium: feedback, shuffling, saved progress, reset, events, keyboard."""

import json

import pytest

from tests.docs.test_quizzes import load

pytestmark = pytest.mark.browser

PAGE = "pretraining"
KEY = f"llm-training-book/quiz/{PAGE}"
QUIZ = load(PAGE)
CHOICE = next(q for q in QUIZ["questions"] if q["kind"] == "choice")
NUMERIC = next(q for q in QUIZ["questions"] if q["kind"] == "numeric")
WRONG = next(o["id"] for o in CHOICE["options"] if o["id"] != CHOICE["answer"])
TOTAL = len(QUIZ["questions"])

# Records every bookquiz:change event (the SCORM wrapper's interface) before the page's scripts run.
RECORD_EVENTS = """window.__quizEvents = [];
document.addEventListener('bookquiz:change', e => window.__quizEvents.push(e.detail));"""


@pytest.fixture
def context(browser):
    ctx = browser.new_context()
    ctx.requests = []
    ctx.on("request", lambda r: ctx.requests.append(r.url))
    ctx.add_init_script(RECORD_EVENTS)
    yield ctx
    ctx.close()


def open_quiz(context, site_url, seed=None):
    if seed is not None:
        context.add_init_script(f"window.bookQuizSeed = {seed};")
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(site_url + PAGE + ".html")
    page.wait_for_selector("section.bc-quiz .bc-quiz-reset:not([hidden])")
    return page


def form(question):
    return f"form[data-question='{question['id']}']"


def events(page):
    return page.evaluate("window.__quizEvents")


def detail(correct, answered):
    return {"page": PAGE, "correct": correct, "answered": answered, "total": TOTAL}


def visible_feedback(page, question):
    return page.evaluate("""sel => [...document.querySelectorAll(sel + ' .bc-quiz-fb')]
        .filter(el => !el.hidden).map(el => el.dataset.for)""", form(question))


def test_feedback_progress_reload_and_reset(context, site_url):
    page = open_quiz(context, site_url)
    q = form(CHOICE)
    assert page.inner_text(f"{q} .bc-quiz-verdict") == ""
    assert page.is_hidden(f"{q} .bc-quiz-explanation")

    # A wrong answer: verdict, that option's feedback, the worked explanation, and an event.
    page.check(f"{q} input[value='{WRONG}']")
    page.click(f"{q} .bc-quiz-check")
    assert page.inner_text(f"{q} .bc-quiz-verdict") == "Not quite."
    assert visible_feedback(page, CHOICE) == [WRONG]
    assert page.is_visible(f"{q} .bc-quiz-explanation")
    assert events(page) == [detail(0, 1)]

    # The right answer replaces it.
    page.check(f"{q} input[value='{CHOICE['answer']}']")
    page.click(f"{q} .bc-quiz-check")
    assert page.inner_text(f"{q} .bc-quiz-verdict") == "Correct."
    assert visible_feedback(page, CHOICE) == [CHOICE["answer"]]
    assert events(page)[-1] == detail(1, 1)

    # A numeric answer: too low first, then the key typed as a reader would.
    n = form(NUMERIC)
    page.fill(f"{n} input[type=text]", str(NUMERIC["answer"] - 10 * NUMERIC["tolerance"] - 1))
    page.press(f"{n} input[type=text]", "Enter")
    assert page.inner_text(f"{n} .bc-quiz-verdict").startswith("Not quite")
    assert "too low" in page.inner_text(f"{n} .bc-quiz-verdict")
    assert visible_feedback(page, NUMERIC) == (["too_low"] if NUMERIC.get("too_low") else [])
    assert events(page)[-1] == detail(1, 2)
    page.fill(f"{n} input[type=text]", str(NUMERIC["answer"]))
    page.click(f"{n} .bc-quiz-check")
    assert page.inner_text(f"{n} .bc-quiz-verdict") == "Correct."
    assert events(page)[-1] == detail(2, 2)
    assert page.inner_text(".bc-quiz-progress").startswith(f"2 of {TOTAL} correct, 2 of {TOTAL} answered")
    saved = json.loads(page.evaluate(f"localStorage.getItem('{KEY}')"))
    assert saved["answers"][CHOICE["id"]] == {"value": CHOICE["answer"], "correct": True}
    assert page.evaluate("bookQuizProgress()") == {PAGE: detail(2, 2)}

    # Progress survives a reload: the choice, the number and their feedback come back.
    page.reload()
    page.wait_for_selector("section.bc-quiz .bc-quiz-reset:not([hidden])")
    assert page.is_checked(f"{q} input[value='{CHOICE['answer']}']")
    assert page.inner_text(f"{q} .bc-quiz-verdict") == "Correct."
    assert page.input_value(f"{n} input[type=text]") == str(NUMERIC["answer"])
    assert page.inner_text(".bc-quiz-progress").startswith(f"2 of {TOTAL} correct")
    assert page.evaluate("bookQuizProgress('pretraining')") == detail(2, 2)
    assert events(page) == []   # a reload restores; only a Check or a Reset announces

    # Reset clears answers, feedback and the saved record, and announces it.
    page.click(".bc-quiz-reset")
    assert page.evaluate(f"localStorage.getItem('{KEY}')") is None
    assert not page.is_checked(f"{q} input[value='{CHOICE['answer']}']")
    assert page.input_value(f"{n} input[type=text]") == ""
    assert page.inner_text(f"{q} .bc-quiz-verdict") == "" and page.is_hidden(f"{q} .bc-quiz-explanation")
    assert events(page) == [detail(0, 0)]
    assert "0 of %d correct" % TOTAL in page.inner_text(".bc-quiz-progress")
    page.reload()
    page.wait_for_selector("section.bc-quiz .bc-quiz-reset:not([hidden])")
    assert not page.is_checked(f"{q} input[value='{CHOICE['answer']}']")

    # The quiz's math is rendered by the local KaTeX; nothing was fetched from elsewhere.
    assert page.locator("section.bc-quiz .katex").count() > 0
    assert not page.errors, page.errors
    foreign = [u for u in context.requests if not u.startswith(site_url)]
    assert not foreign, foreign


def test_unanswered_and_unreadable_answers_are_explained(context, site_url):
    page = open_quiz(context, site_url)
    page.click(f"{form(CHOICE)} .bc-quiz-check")
    assert page.inner_text(f"{form(CHOICE)} .bc-quiz-verdict") == "Choose an answer first."
    page.fill(f"{form(NUMERIC)} input[type=text]", "about seven")
    page.press(f"{form(NUMERIC)} input[type=text]", "Enter")
    assert page.inner_text(f"{form(NUMERIC)} .bc-quiz-verdict").startswith("Enter a number")
    assert events(page) == []   # nothing was answered


def option_order(page, question):
    return page.evaluate("""sel => [...document.querySelectorAll(sel + ' .bc-quiz-option')]
        .map(el => el.dataset.option)""", form(question))


def test_options_are_shuffled_on_each_load(browser, site_url):
    source = [o["id"] for o in CHOICE["options"]]
    orders = []
    for seed in range(4):
        ctx = browser.new_context()
        # Only the quiz matters here: skip parsing the 4.8 MB chart library on every load.
        ctx.route("**/plotly/*.js", lambda route: route.fulfill(status=200, body="",
                                                                   headers={"Content-Type": "text/javascript"}))
        page = open_quiz(ctx, site_url, seed=seed)
        order = option_order(page, CHOICE)
        assert sorted(order) == sorted(source)
        # the same page load keeps its order (the radios must not move while the reader answers)
        page.click(f"{form(CHOICE)} .bc-quiz-check")
        assert option_order(page, CHOICE) == order
        orders.append(tuple(order))
        ctx.close()
    assert len(set(orders)) > 1, orders
    assert len({o.index(CHOICE["answer"]) for o in orders}) > 1, "the key stays in one place"


def test_keyboard_only(context, site_url):
    page = open_quiz(context, site_url)
    page.focus(".bc-quiz-reset")
    # Tab enters the first question's radio group; arrows move the selection; Tab reaches Check.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "radio"
    assert page.evaluate("document.activeElement.form.dataset.question") == QUIZ["questions"][0]["id"]
    first = QUIZ["questions"][0]
    page.keyboard.press("Space")   # select the focused option, then walk to the right one
    for _ in range(len(first["options"])):
        if page.evaluate("document.activeElement.value") == first["answer"]:
            break
        page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.checked")
    assert page.evaluate("document.activeElement.value") == first["answer"]
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('bc-quiz-check')")
    page.keyboard.press("Enter")
    assert page.inner_text(f"{form(first)} .bc-quiz-verdict") == "Correct."
    # The next question is numeric: Tab to its box, type, Enter.
    second = QUIZ["questions"][1]
    assert second["kind"] == "numeric"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.form.dataset.question") == second["id"]
    page.keyboard.type(str(second["answer"]))
    page.keyboard.press("Enter")
    assert page.inner_text(f"{form(second)} .bc-quiz-verdict") == "Correct."
    assert events(page)[-1] == detail(2, 2)
    # Every control has a visible label.
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('.bc-quiz input')]
        .filter(i => !i.labels.length || !i.labels[0].textContent.trim()).map(i => i.id)""")
    assert not unlabelled, unlabelled


@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_answered_quiz_meets_wcag_aa(browser, site_url, scheme):
    # The whole page is audited by test_accessibility.py; this audits the quiz in its answered states too
    # (verdict colours, feedback, explanation), which a fresh page never shows.
    from tests.browser.test_accessibility import AXE, TAGS, open_in_scheme, report
    context, page = open_in_scheme(browser, site_url + PAGE + ".html", scheme)
    page.wait_for_selector("section.bc-quiz .bc-quiz-reset:not([hidden])")
    page.check(f"{form(CHOICE)} input[value='{WRONG}']")
    page.click(f"{form(CHOICE)} .bc-quiz-check")
    page.fill(f"{form(NUMERIC)} input[type=text]", str(NUMERIC["answer"]))
    page.click(f"{form(NUMERIC)} .bc-quiz-check")
    page.evaluate(AXE.read_text())
    found = page.evaluate("""tags => axe.run('section.bc-quiz', {runOnly: {type: 'tag', values: tags},
                                                             resultTypes: ['violations']})
        .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))})))""", TAGS)
    context.close()
    assert not found, report(found)
