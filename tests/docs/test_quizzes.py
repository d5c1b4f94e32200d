"""The chapters' self-check quizzes (docs/quizzes/*.md): keys, shuffling material, formulas, includes.

Every numeric key is recomputed here from the formula its question cites (scaling laws from
simulator_wasm.scaling_laws, the rubric weights from simulator_wasm.rubric, the rest from the
formula written in the question), so a typo in a key, or a constant that changes, fails the test.
"""

import math
import re

import pytest

from build_charts import quiz, scorm
from simulator_wasm import rubric
from simulator_wasm import scaling_laws as laws
from tests.support import ROOT

DOCS = ROOT / "docs"
CHAPTERS = list(scorm.CHAPTERS)   # the chapters that end with a quiz


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


# (quiz, question id) -> the value its question asks for, from the cited formula.
EXPECTED = {
    # PPL = e^L (pretraining chapter)
    ("pretraining", "perplexity"): lambda: math.exp(2.0),
    # C ≈ 6ND for Chinchilla, in units of 1e23 FLOPs (Kaplan20 Eq. 2.1; Hoffmann22 §4)
    ("pretraining", "compute-chinchilla"): lambda: laws.training_flops(
        laws.CHINCHILLA["params"], laws.CHINCHILLA["tokens"]) / 1e23,
    # N_opt at Gopher's budget with the Besiroglu24 refit (Hoffmann22 Eq. 4), in billions
    ("pretraining", "chinchilla-optimum"): lambda: laws.BESIROGLU24.compute_optimal(laws.GOPHER_BUDGET_FLOPS)[0] / 1e9,
    # masked SFT loss: mean of -log p over the answer tokens only
    ("sft", "masked-loss-value"): lambda: -sum(math.log(p) for p in (0.5, 0.25, 1.0, 0.5)) / 4,
    # Bradley–Terry: sigma(r_w - r_l) (laws.md §5.1)
    ("reward-modeling", "bradley-terry"): lambda: sigmoid(1.5 - 0.5),
    # pairwise loss -log sigma(r_c - r_r)
    ("reward-modeling", "pair-loss"): lambda: -math.log(sigmoid(0.2 - 1.2)),
    # PPO clipped objective (Schulman17)
    ("rlhf-ppo", "clipped-objective"): lambda: min(1.5 * 2, min(max(1.5, 1 - 0.2), 1 + 0.2) * 2),
    # KL of the Gaussian-tilted optimum, sigma^2 / (2 beta^2) (laws.md §8.2)
    ("rlhf-ppo", "tilted-kl"): lambda: laws.tilted_kl(0.25, reward_std=1.0),
    # DPO loss -log sigma(beta * (log-ratio chosen - log-ratio rejected)) (Rafailov23 Eq. 7), at the start and later
    ("dpo", "loss-at-start"): lambda: -math.log(sigmoid(0.0)),
    ("dpo", "margin-loss"): lambda: -math.log(sigmoid(0.1 * (2 - (-1)))),
    # PRR = [a/(a+b)] / [c/(c+d)] (pharma.md §6.4)
    ("pharma-applications", "prr"): lambda: (30 / 1000) / (600 / 99_000),
    # rubric reward of answer B of pharma.md §8.4 with the lab's rubric weights
    ("pharma-applications", "rubric-referral-only"): lambda: sum(
        rubric.WEIGHTS[c] * s for c, s in
        {"C1": 0, "C2": 0, "C3": 0, "C4": 0, "C5": 0, "C6": 1, "C7": 0.5}.items()),
    # q^2 + (1-q)^2 = p_agree, root above 1/2 (laws.md §10)
    ("challenges", "agreement-to-accuracy"): lambda: (1 + math.sqrt(2 * 0.73 - 1)) / 2,
    # a majority of three independent votes, each right with probability q (annotators.py's panel vote)
    ("challenges", "majority-of-three"): lambda: 0.8**3 + 3 * 0.8**2 * (1 - 0.8),
}


def quiz_source(chapter: str) -> str:
    text = (DOCS / "quizzes" / f"{chapter}.md").read_text()
    fences = re.findall(r"^```quiz\n(.*?)^```\s*$", text, re.S | re.M)
    assert len(fences) == 1, f"docs/quizzes/{chapter}.md must hold exactly one ```quiz fence"
    return fences[0]


def load(chapter: str) -> dict:
    return quiz.parse(quiz_source(chapter))


def decimals(x) -> int:
    text = repr(float(x))
    return 0 if float(x).is_integer() else len(text.split(".")[1])


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_quiz_is_well_formed(chapter):
    data = load(chapter)
    assert data["quiz"] == chapter, "the quiz id names its chapter (progress is saved under it)"
    questions = data["questions"]
    assert 4 <= len(questions) <= 6
    kinds = {q["kind"] for q in questions}
    assert kinds == {"choice", "numeric"}, f"{chapter}: needs both multiple-choice and numeric questions"
    for q in questions:
        if q["kind"] == "choice":
            ids = [o["id"] for o in q["options"]]
            assert q["answer"] in ids, f"{chapter}/{q['id']}: key {q['answer']!r} is not an option {ids}"
            assert all(o["feedback"].strip() for o in q["options"])
        assert q["explanation"].strip()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_right_answer_is_not_always_first(chapter):
    positions = [[o["id"] for o in q["options"]].index(q["answer"])
                 for q in load(chapter)["questions"] if q["kind"] == "choice"]
    assert positions and any(p != 0 for p in positions), f"{chapter}: the key is always the first option"
    assert len(set(positions)) > 1, f"{chapter}: the key is always in position {positions[0] + 1}"


def test_numeric_keys_equal_their_formula():
    numeric = {(c, q["id"]): q for c in CHAPTERS for q in load(c)["questions"] if q["kind"] == "numeric"}
    assert set(numeric) == set(EXPECTED), (
        f"every numeric question needs its formula here: missing {sorted(set(numeric) - set(EXPECTED))}, "
        f"stale {sorted(set(EXPECTED) - set(numeric))}")
    for key, q in numeric.items():
        value = EXPECTED[key]()
        # The key is the formula's value rounded to the decimals the question asks for ...
        assert round(value, decimals(q["answer"])) == pytest.approx(q["answer"]), (key, value, q["answer"])
        # ... and a reader who types the exact value is accepted.
        assert abs(value - q["answer"]) <= q["tolerance"], (key, value, q["answer"], q["tolerance"])


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_chapter_includes_its_quiz(chapter):
    text = (DOCS / f"{chapter}.md").read_text()
    include = f'--8<-- "quizzes/{chapter}.md"'
    assert include in text, f"docs/{chapter}.md must end with a Self-check quiz section including {include}"
    after = text.split("## Self-check quiz", 1)
    assert len(after) == 2 and include in after[1]


def test_quizzes_are_not_pages_of_their_own():
    # exclude_docs in mkdocs.yml: the quiz files are read by the snippet include, never built as pages.
    from mkdocs.config import load_config
    from mkdocs.structure.files import get_files
    files = [f for f in get_files(load_config(str(ROOT / "mkdocs.yml"))) if f.src_uri.startswith("quizzes/")]
    assert sorted(f.src_uri for f in files) == sorted(f"quizzes/{c}.md" for c in CHAPTERS)
    assert all(f.inclusion.is_excluded() for f in files)


def test_rendered_quiz_is_accessible_html():
    html = quiz.render(load("pretraining"))
    assert html.count("<fieldset>") == html.count("<legend>") == len(load("pretraining")["questions"])
    # every radio and text box has a label pointing at it
    for input_id in re.findall(r'<input [^>]*id="([^"]+)"', html):
        assert f'<label for="{input_id}">' in html, input_id
    assert html.count('aria-live="polite"') == len(load("pretraining")["questions"]) + 1
    assert '<span class="arithmatex">' in html and 'class="bc-lab-marker"' in html


@pytest.mark.parametrize("bad, message", [
    ("quiz: x\nquestions:\n  - {id: q, kind: choice, question: Q, explanation: E, answer: z,\n"
     "     options: [{id: a, text: A, feedback: F}, {id: b, text: B, feedback: F}]}\n", "not one of the option ids"),
    ("quiz: x\nquestions:\n  - {id: q, kind: numeric, question: Q, explanation: E, answer: '3'}\n", "needs a number"),
    ("quiz: x\nquestions:\n  - {id: q, kind: essay, question: Q, explanation: E}\n", "`kind` must be one of"),
    ("quiz: x\nquestions:\n  - id: q\n    kind: choice\n    question: a: b\n", "not valid YAML"),
])
def test_malformed_quizzes_stop_the_build(bad, message):
    with pytest.raises(quiz.QuizError, match=re.escape(message)):
        quiz.parse(bad)
    from pymdownx.superfences import SuperFencesException
    with pytest.raises(SuperFencesException):
        quiz.format_quiz(bad, "quiz", "quiz", {}, None)
