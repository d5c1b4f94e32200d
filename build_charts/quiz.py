"""Self-check quizzes written in Markdown: a ```quiz fence whose body is YAML.

    ```quiz
    quiz: pretraining                 # the chapter's id: progress is saved under it in the browser
    questions:
      - id: uniform-guess             # unique within the quiz; names the question in tests and storage
        kind: choice
        question: What loss does a model that guesses uniformly over $V$ tokens get?
        options:
          - id: a
            text: $0$ nats
            feedback: Only a model that is always certain and always right pays nothing.
          - id: b
            text: $\\log V$ nats
            feedback: Every token gets probability $1/V$, so each position costs $-\\log(1/V)$.
        answer: b                     # the id of the right option
        explanation: A uniform guess gives ... (shown after every check)
      - id: chinchilla-n
        kind: numeric
        question: At Gopher's budget, how many billion parameters ... ?
        answer: 72.2                  # the key; tests/docs/test_quizzes.py recomputes it from its formula
        tolerance: 1.5                # accepted: |reply - answer| <= tolerance
        unit: billion parameters
        too_low: optional hint shown for a reply below the accepted range
        too_high: optional hint shown for a reply above it
        explanation: ...
    ```

Text fields are one paragraph of Markdown each, with math (``$...$``, rendered by the book's KaTeX) and lab
numbers (`` `#!lab some-id` ``, filled by the plugin like everywhere else); no links. Write a text as a YAML
block scalar (``>-``, then the text indented on the next lines) when it contains ": " or " #", or starts with a
quote, a backtick or a bracket: YAML would read those otherwise. A chapter includes its quiz
with ``--8<-- "quizzes/<chapter>.md"``; docs/quizzes/ is excluded from the page list in mkdocs.yml.

The fence renders plain, accessible HTML: one <form> per question with a <fieldset>/<legend>, radio inputs with
labels (or a labelled text box for numbers), a Check button, and a feedback region announced by screen readers
(aria-live). Checking, shuffling, saving progress and the ``bookquiz:change`` event are in assets/quiz.js; with
no JavaScript the questions still read, and nothing is sent anywhere.

A malformed quiz stops the build (SuperFencesException) with the quiz id, the question and what is wrong.
"""

import html
import json
import re

import markdown
import yaml
from pymdownx.superfences import SuperFencesException

from . import lab

ROOT_CLASS = "bc-quiz"
KINDS = ("choice", "numeric")
ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class QuizError(ValueError):
    """A quiz source that cannot be rendered; the message says where and why."""


# ------------------------------------------------------------------------------------------------ parsing
def parse(source: str) -> dict:
    """The quiz as a checked dict; raises QuizError naming the quiz, question and field at fault."""
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as err:
        raise QuizError(f"quiz source is not valid YAML: {err}") from err
    if not isinstance(data, dict) or not isinstance(data.get("quiz"), str) or not ID.match(data["quiz"]):
        raise QuizError("a quiz needs `quiz: <id>` (lowercase letters, digits and dashes)")
    quiz = data["quiz"]
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        raise QuizError(f"quiz {quiz!r}: `questions` must be a non-empty list")
    seen = set()
    for n, q in enumerate(questions, 1):
        where = f"quiz {quiz!r}, question {n}"
        if not isinstance(q, dict):
            raise QuizError(f"{where}: each question is a mapping of fields")
        qid = q.get("id")
        if not isinstance(qid, str) or not ID.match(qid) or qid in seen:
            raise QuizError(f"{where}: `id` must be a unique lowercase slug, got {qid!r}")
        seen.add(qid)
        where = f"quiz {quiz!r}, question {qid!r}"
        for field in ("question", "explanation"):
            if not isinstance(q.get(field), str) or not q[field].strip():
                raise QuizError(f"{where}: `{field}` is missing")
        kind = q.get("kind")
        if kind not in KINDS:
            raise QuizError(f"{where}: `kind` must be one of {KINDS}, got {kind!r}")
        if kind == "choice":
            _check_choice(q, where)
        else:
            _check_numeric(q, where)
    return data


def _check_choice(q: dict, where: str):
    options = q.get("options")
    if not isinstance(options, list) or len(options) < 2:
        raise QuizError(f"{where}: a choice question needs at least two `options`")
    ids = []
    for o in options:
        if not isinstance(o, dict) or not isinstance(o.get("id"), str) or not isinstance(o.get("text"), str):
            raise QuizError(f"{where}: every option needs an `id` and a `text`, got {o!r}")
        if not isinstance(o.get("feedback"), str) or not o["feedback"].strip():
            raise QuizError(f"{where}: option {o['id']!r} needs its `feedback`")
        ids.append(o["id"])
    if len(set(ids)) != len(ids):
        raise QuizError(f"{where}: option ids repeat: {ids}")
    if q.get("answer") not in ids:
        raise QuizError(f"{where}: `answer` {q.get('answer')!r} is not one of the option ids {ids}")


def _check_numeric(q: dict, where: str):
    for field in ("answer", "tolerance"):
        value = q.get(field)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise QuizError(f"{where}: a numeric question needs a number in `{field}`, got {value!r}")
    if q["tolerance"] < 0:
        raise QuizError(f"{where}: `tolerance` must be >= 0")
    if not isinstance(q.get("unit", ""), str):
        raise QuizError(f"{where}: `unit` must be text")


# ---------------------------------------------------------------------------------------------- rendering
def _markdown() -> markdown.Markdown:
    # The quiz's own small Markdown: math as the book's arithmatex writes it, and `#!lab id` lab numbers (the
    # plugin fills them, as on any page). Links are not supported: this HTML bypasses MkDocs' link rewriting.
    return markdown.Markdown(
        extensions=["pymdownx.arithmatex", "pymdownx.inlinehilite"],
        extension_configs={
            "pymdownx.arithmatex": {"generic": True},
            "pymdownx.inlinehilite": {"custom_inline": [
                {"name": "lab", "class": "lab", "format": lab.format_inline}]},
        })


def inline(text: str, where: str) -> str:
    """One paragraph of Markdown as inline HTML (no wrapping <p>), so it may sit in a <legend> or <label>."""
    out = _markdown().convert(str(text).strip())
    body = re.fullmatch(r"<p>(.*)</p>", out, re.S)
    if body is None or "<p>" in body.group(1):
        raise QuizError(f"{where}: text must be a single paragraph of Markdown, got {text!r}")
    if "<a " in out:
        raise QuizError(f"{where}: links are not supported in quiz text")
    return body.group(1)


def _attr(value) -> str:
    return html.escape(str(value), quote=True)


def render(data: dict) -> str:
    quiz = data["quiz"]
    questions = data["questions"]
    total = len(questions)
    parts = [f'<section class="{ROOT_CLASS}" data-quiz="{_attr(quiz)}" data-total="{total}" '
             f'aria-label="Self-check quiz, {total} questions">',
             '<div class="bc-quiz-header">'
             f'<p class="bc-quiz-progress" role="status" aria-live="polite">{total} questions. '
             'Your answers are kept in this browser only.</p>'
             f'<progress class="bc-quiz-bar" max="{total}" value="0" aria-hidden="true"></progress>'
             '<button type="button" class="md-button bc-quiz-reset" hidden>Reset answers</button>'
             '</div>',
             '<noscript><p class="bc-quiz-noscript">Checking answers needs JavaScript.</p></noscript>']
    for n, q in enumerate(questions, 1):
        parts.append(_question(quiz, q, n, total))
    parts.append("</section>")
    return "".join(parts)


def _question(quiz: str, q: dict, n: int, total: int) -> str:
    where = f"quiz {quiz!r}, question {q['id']!r}"
    base = f"quiz-{quiz}-{q['id']}"
    attrs = f'class="bc-quiz-q" id="{_attr(base)}" data-question="{_attr(q["id"])}" data-kind="{q["kind"]}"'
    if q["kind"] == "numeric":
        attrs += f' data-answer="{_attr(json.dumps(q["answer"]))}" data-tolerance="{_attr(json.dumps(q["tolerance"]))}"'
    legend = (f'<legend><span class="bc-quiz-num">Question {n} of {total}.</span> '
              f'{inline(q["question"], where)}</legend>')
    feedback = []
    if q["kind"] == "choice":
        body = ['<div class="bc-quiz-options">']
        for o in q["options"]:
            oid = f"{base}-{o['id']}"
            correct = ' data-correct="true"' if o["id"] == q["answer"] else ""
            body.append(f'<div class="bc-quiz-option" data-option="{_attr(o["id"])}">'
                        f'<input type="radio" name="{_attr(base)}" id="{_attr(oid)}" value="{_attr(o["id"])}"{correct}>'
                        f'<label for="{_attr(oid)}">{inline(o["text"], where)}</label></div>')
            feedback.append(f'<p class="bc-quiz-fb" data-for="{_attr(o["id"])}" hidden>'
                            f'{inline(o["feedback"], where)}</p>')
        body.append("</div>")
    else:
        unit = q.get("unit", "")
        label = f"Your answer ({html.escape(unit)})" if unit else "Your answer"
        body = [f'<div class="bc-quiz-numeric"><label for="{_attr(base)}-input">{label}</label> '
                f'<input type="text" inputmode="decimal" autocomplete="off" spellcheck="false" '
                f'id="{_attr(base)}-input" name="{_attr(base)}"></div>']
        for side in ("too_low", "too_high"):
            if q.get(side):
                feedback.append(f'<p class="bc-quiz-fb" data-for="{side}" hidden>{inline(q[side], where)}</p>')
    explanation = (f'<p class="bc-quiz-explanation" hidden><strong>Explanation.</strong> '
                   f'{inline(q["explanation"], where)}</p>')
    return (f'<form {attrs} novalidate><fieldset>{legend}{"".join(body)}</fieldset>'
            '<div class="bc-quiz-actions"><button type="submit" class="md-button md-button--primary bc-quiz-check">'
            'Check</button></div>'
            '<div class="bc-quiz-feedback" role="status" aria-live="polite">'
            f'<p class="bc-quiz-verdict"></p>{"".join(feedback)}{explanation}</div></form>')


def format_quiz(source, language, css_class, options, md, **kwargs) -> str:
    """pymdownx.superfences formatter of the ```quiz fence (registered in mkdocs.yml)."""
    try:
        return render(parse(source))
    except QuizError as err:
        # superfences swallows other exceptions and leaves the fence as code; this one stops the build.
        raise SuperFencesException(f"build_charts.quiz: {err}") from err
