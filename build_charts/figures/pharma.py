"""Figures and lab texts of the Pharmaceutical applications chapter, and the lab runs it shares with Challenges.

Two kinds of numbers live here:

* **Pharmacovigilance arithmetic** (``TwoByTwo``, ``prr``, ``ror``, ``ror_ci``, ``chi2_yates``, ``evans_signal``):
  the formulas of the book's pharmaceutical fact sheet (§6.4, sources Evans et al. 2001 and the formula tables
  cited there) applied to clearly labelled *illustrative* 2×2 tables. The counts are invented teaching inputs,
  not FAERS data; every ratio, interval and χ² the reader sees is computed here.
* **Lab runs** of seed ``SEED`` (cached with functools.cache and reused by challenges.py): the lab's reward model
  at its defaults, PPO at ``PPO_BETA`` for ``PPO_ITERATIONS`` iterations, DPO at its defaults, plus the pretrained
  and SFT models of ``_runs``. Every model answers the same "safety questions" (every fact whose verdict is
  "avoid" or that needs urgent care, in the three training phrasings), sampled at temperature 1 with the same
  random numbers (common random numbers: a difference between two models is theirs, not the dice's), and the gold
  rubric (simulator_wasm/rubric.py) grades every answer.

Cost on the 2-core build machine (CPU time, one BLAS thread, measured under load): reward model ≈ 0.35 s, PPO
≈ 1.4 s, DPO ≈ 0.3 s, five sampled evaluations ≈ 0.7 s (pretraining and SFT come from ``_runs`` and are shared
with their chapters).
"""

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from simulator_wasm.annotators import lab_card
from simulator_wasm.dpo import DPOConfig, run_dpo
from simulator_wasm.generate import generate
from simulator_wasm.ppo import PPOConfig, run_ppo
from simulator_wasm.reward_model import RewardModelConfig, train_reward_model
from simulator_wasm.rubric import WEIGHTS, grade
from simulator_wasm.sft import first_verdict
from simulator_wasm.world import CONFIDENT_WORDS, CONSULT_WORDS, ITEMS, TRAIN_TEMPLATES, question_tokens

from ..lab import html_table, lab_text, words
from ..registry import Chart, chart
from . import _runs
from ._runs import SEED

# ------------------------------------------------------------------------------------ pharmacovigilance
Z_95 = 1.96                   # two-sided 95 % normal quantile (fact sheet §6.4 ROR interval)
EVANS = {"cases": 3, "prr": 2.0, "chi2": 4.0}     # Evans et al. 2001: a ≥ 3, PRR ≥ 2, χ² ≥ 4


@dataclass(frozen=True)
class TwoByTwo:
    """Report counts: a = drug and event, b = drug and other events, c = other drugs and the event, d = the rest."""

    name: str
    a: int
    b: int
    c: int
    d: int


# Invented counts for teaching (not FAERS data). "Drug X" and the event are placeholders; the three tables show a
# clear disproportion, a high ratio on too few cases, and no disproportion.
ILLUSTRATIVE = (
    TwoByTwo("A: clear disproportion", a=20, b=1_980, c=1_500, d=496_500),
    TwoByTwo("B: high ratio, too few cases", a=2, b=198, c=1_500, d=496_500),
    TwoByTwo("C: no disproportion", a=6, b=1_994, c=1_500, d=496_500),
)


def prr(t: TwoByTwo) -> float:
    """Proportional reporting ratio [a / (a + b)] / [c / (c + d)]."""
    return (t.a / (t.a + t.b)) / (t.c / (t.c + t.d))


def ror(t: TwoByTwo) -> float:
    """Reporting odds ratio (a / b) / (c / d) = ad / bc."""
    return (t.a * t.d) / (t.b * t.c)


def ror_ci(t: TwoByTwo, z: float = Z_95) -> tuple[float, float]:
    """exp(ln ROR ± z √(1/a + 1/b + 1/c + 1/d)): the log-ROR is about normal with that standard error."""
    se = math.sqrt(1 / t.a + 1 / t.b + 1 / t.c + 1 / t.d)
    return math.exp(math.log(ror(t)) - z * se), math.exp(math.log(ror(t)) + z * se)


def chi2_yates(t: TwoByTwo) -> float:
    """Pearson χ² of the 2×2 table with Yates' continuity correction:
    N (|ad − bc| − N/2)² / (product of the row and column sums)."""
    n = t.a + t.b + t.c + t.d
    num = n * max(0.0, abs(t.a * t.d - t.b * t.c) - n / 2) ** 2
    return num / ((t.a + t.b) * (t.c + t.d) * (t.a + t.c) * (t.b + t.d))


def evans_signal(t: TwoByTwo) -> bool:
    return t.a >= EVANS["cases"] and prr(t) >= EVANS["prr"] and chi2_yates(t) >= EVANS["chi2"]


def _f(x: float) -> str:
    return f"{x:.2f}" if x < 100 else f"{x:,.0f}"


@lab_text("pv-table-a")
def _pv_table_a() -> str:
    t = ILLUSTRATIVE[0]
    return html_table(["reports", "event of interest", "all other events", "total"],
                      [["Drug X", f"a = {t.a:,}", f"b = {t.b:,}", f"{t.a + t.b:,}"],
                       ["all other drugs", f"c = {t.c:,}", f"d = {t.d:,}", f"{t.c + t.d:,}"]],
                      caption="Illustrative report counts (invented for teaching, not FAERS data): table A.")


@lab_text("pv-signals-table")
def _pv_signals() -> str:
    rows = []
    for t in ILLUSTRATIVE:
        lo, hi = ror_ci(t)
        rows.append([t.name, f"{t.a:,}", f"{t.a + t.b:,}", f"{t.c:,} of {t.c + t.d:,}", _f(prr(t)), _f(ror(t)),
                     f"{_f(lo)} to {_f(hi)}", _f(chi2_yates(t)), "yes" if evans_signal(t) else "no"])
    return html_table(["illustrative table", "a (drug X with the event)", "reports of drug X",
                       "event among other drugs' reports", "PRR", "ROR", "ROR 95% CI", "χ² (Yates)",
                       "signal by the Evans criteria?"], rows,
                      caption="Invented counts, computed by build_charts/figures/pharma.py with the formulas above.")


def _pv_value(name: str):
    t = ILLUSTRATIVE[0]
    lo, hi = ror_ci(t)
    return {"a": f"{t.a:,}", "b": f"{t.b:,}", "c": f"{t.c:,}", "d": f"{t.d:,}", "drug-total": f"{t.a + t.b:,}",
            "other-total": f"{t.c + t.d:,}", "drug-share": f"{t.a / (t.a + t.b):.2%}",
            "other-share": f"{t.c / (t.c + t.d):.2%}", "prr": _f(prr(t)), "ror": _f(ror(t)),
            "ror-lo": _f(lo), "ror-hi": _f(hi), "chi2": _f(chi2_yates(t)),
            "se": f"{math.sqrt(1 / t.a + 1 / t.b + 1 / t.c + 1 / t.d):.3f}"}[name]


for _name in ("a", "b", "c", "d", "drug-total", "other-total", "drug-share", "other-share", "prr", "ror", "ror-lo",
              "ror-hi", "chi2", "se"):
    lab_text(f"pv-a-{_name}")(lambda _n=_name: _pv_value(_n))


@lab_text("pv-b-a")
def _pv_b_a() -> str:
    return str(ILLUSTRATIVE[1].a)


@lab_text("pv-b-prr")
def _pv_b_prr() -> str:
    return _f(prr(ILLUSTRATIVE[1]))


@lab_text("pv-c-prr")
def _pv_c_prr() -> str:
    return _f(prr(ILLUSTRATIVE[2]))


# ----------------------------------------------------------------------------------------------- lab runs
PPO_BETA = 0.1                # β (kl_coef) of the chapter's RLHF model: firm enough to keep the gains (Challenges)
PPO_ITERATIONS = 36           # at PPOConfig's 2.5e-3: the gains here, the over-optimisation in Challenges
SAMPLES = 4                   # sampled answers per safety question and model
EVAL_SEED = 2024              # the common random numbers of the sampled evaluations


def reward_model(seed: int = SEED, length_bias: float | None = None, confidence_bias: float | None = None):
    """(rm, results, pairs) of train_reward_model at its defaults (or with other annotator biases), on the SFT
    model of ``seed``; the generator is run_pipeline's, so only the labels change with the biases."""
    base = RewardModelConfig()
    return _reward_model(seed, float(base.length_bias if length_bias is None else length_bias),
                         float(base.confidence_bias if confidence_bias is None else confidence_bias))


@cache   # called only through reward_model(), so one run has one cache key whatever the call looks like
def _reward_model(seed: int, length_bias: float, confidence_bias: float):
    config = RewardModelConfig(length_bias=length_bias, confidence_bias=confidence_bias)
    return train_reward_model(_runs.world(seed), _runs.sft(seed)[0], config, _runs.stage_rng(seed, "reward_model"))


def ppo(seed: int = SEED, kl_coef: float = PPO_BETA, unbiased_labels: bool = False):
    """(params, results) of run_ppo (PPO_ITERATIONS iterations) from the SFT model against the default reward model,
    or against the one trained on labels from annotators without length or confidence bias."""
    return _ppo(seed, float(kl_coef), bool(unbiased_labels))


@cache
def _ppo(seed: int, kl_coef: float, unbiased_labels: bool):
    rm = reward_model(seed, 0.0, 0.0)[0] if unbiased_labels else reward_model(seed)[0]
    return run_ppo(_runs.world(seed), _runs.sft(seed)[0], rm,
                   PPOConfig(kl_coef=kl_coef, iterations=PPO_ITERATIONS, n_samples=0), _runs.stage_rng(seed, "ppo"))


@cache
def dpo(seed: int = SEED):
    """(params, results) of run_dpo at its defaults, on the training pairs of the default reward model."""
    return run_dpo(_runs.world(seed), _runs.sft(seed)[0], reward_model(seed)[2], DPOConfig(),
                   _runs.stage_rng(seed, "dpo"))


@cache
def graded(item, answer: tuple) -> dict:
    """grade(answer, lab_card(item)), memoised: the same answers recur across models and samples. Read-only."""
    return grade(list(answer), lab_card(item))


# The five models of the integration table: what was run, and which stage each one leaves out.
MODELS = {
    "base": ("pretrained only", "SFT (and everything after it)"),
    "scratch": ("SFT from scratch", "pretraining"),
    "sft": ("pretraining → SFT", "reward model and RLHF"),
    "ppo": ("all four stages (PPO)", "nothing"),
    "dpo": ("pretraining → SFT → DPO", "the separate reward model and PPO"),
}
COLOURS = {"base": "#7f7f7f", "scratch": "#dc6b19", "sft": "#3366cc", "ppo": "#2ca02c", "dpo": "#b23a8a"}


def model_params(key: str, seed: int = SEED):
    return {"base": lambda: _runs.pretrain(seed)[0], "scratch": lambda: _runs.sft(seed, False)[0],
            "sft": lambda: _runs.sft(seed)[0], "ppo": lambda: ppo(seed)[0], "dpo": lambda: dpo(seed)[0]}[key]()


def sampled_eval(key: str, seed: int = SEED) -> dict:
    return _sampled_eval(key, seed)


def safety_questions(seed: int = SEED) -> list:
    """(item, prompt) for every fact whose verdict is "avoid" or that needs urgent care, SFT and held-out facts
    alike, in each training phrasing: the questions where a wrong answer can hurt."""
    return [(item, question_tokens(item, t)) for t in TRAIN_TEMPLATES for item in _runs.world(seed).items
            if item.verdict == "avoid" or item.emergency]


def has_referral(answer) -> bool:
    return any(w in CONSULT_WORDS for w in answer)


@cache
def _sampled_eval(key: str, seed: int) -> dict:
    """SAMPLES answers per safety question from model ``key`` at temperature 1, graded by the gold rubric.

    Returns gold (mean reward), safety (share with no gate), accuracy (share whose first verdict is right),
    gates (share firing each gate), criteria (mean score per criterion C1..C7), referral, confident, words,
    n (answers) and answers (item, words, grade) for the example tables."""
    w = _runs.world(seed)
    qs = safety_questions(seed) * SAMPLES
    gen = generate(model_params(key, seed), [w.vocab.encode(p) for _, p in qs], np.random.default_rng(EVAL_SEED),
                   24)
    answers = [w.vocab.decode(a) for a in gen.answers()]
    grades = [graded(item, tuple(a)) for (item, _), a in zip(qs, answers)]
    return {
        "gold": float(np.mean([g["reward"] for g in grades])),
        "safety": float(np.mean([not g["gates"] for g in grades])),
        "accuracy": float(np.mean([first_verdict(a) == item.verdict for (item, _), a in zip(qs, answers)])),
        "gates": {k: float(np.mean([k in g["gates"] for g in grades])) for k in ("G1", "G2", "G3", "G4")},
        "criteria": {k: float(np.mean([g["criteria"][k] for g in grades])) for k in WEIGHTS},
        "referral": float(np.mean([has_referral(a) for a in answers])),
        "confident": float(np.mean([any(t in CONFIDENT_WORDS for t in a) for a in answers])),
        "n": len(answers), "answers": list(zip([i for i, _ in qs], answers, grades)),
    }


def pct(x: float) -> str:
    return f"{x:.0%}"


METRICS = {"gold": "gold rubric score (0–1)", "safety": "safety: no hard gate fired",
           "accuracy": "accuracy: right verdict"}


@chart("pharma-stage-ablation")
def stage_ablation() -> Chart:
    """Gold score, safety and accuracy of the five models on the safety questions (sampled answers)."""
    traces = []
    for key, (name, _) in MODELS.items():
        ev = sampled_eval(key)
        traces.append({"type": "bar", "name": name, "x": list(METRICS.values()),
                       "y": [ev[m] for m in METRICS], "marker": {"color": COLOURS[key]},
                       "hovertemplate": f"{name}<br>%{{x}}: %{{y:.0%}}<extra></extra>"})
    n = sampled_eval("sft")["n"]
    parts = "; ".join(f"{name}: gold {sampled_eval(k)['gold']:.2f}, safety {pct(sampled_eval(k)['safety'])}, "
                      f"accuracy {pct(sampled_eval(k)['accuracy'])}" for k, (name, _) in MODELS.items())
    return Chart(
        figure={
            "data": traces,
            "layout": {
                "title": {"text": f"Lab: what each stage adds, on the safety questions<br><sub>{n} sampled answers "
                                  f"per model (T = 1), seed {SEED}</sub>"},
                "barmode": "group",
                "xaxis": {"title": {"text": "measure (gold rubric, simulator_wasm/rubric.py)"}},
                "yaxis": {"title": {"text": "share of answers / mean score"}, "range": [0, 1.05],
                          "tickformat": ".0%"},
                "height": 470, "margin": {"l": 60, "r": 20, "t": 80, "b": 60},
                "legend": {"orientation": "h", "y": -0.22},
            },
        },
        alt=(f"Grouped bar chart: for each of five lab models, the mean gold rubric score, the share of answers "
             f"with no hard gate (safety) and the share with the right verdict (accuracy), over {n} answers "
             f"sampled at temperature 1 to the safety questions (seed {SEED}). {parts}."),
    )


@lab_text("pharma-integration-table")
def _integration_table() -> str:
    fails = {
        "base": "it continues the text instead of answering; red flags and referrals go missing",
        "scratch": "it has the answer format, but facts no demonstration covered are guessed",
        "sft": "the demonstrators' slips (no referral, “definitely”) stay in its answers",
        "ppo": "(nothing left out)",
        "dpo": "(the reward model is replaced, not skipped: DPO learns from the same pairs)",
    }
    rows = []
    for key, (name, left_out) in MODELS.items():
        ev = sampled_eval(key)
        rows.append([name, left_out, fails[key], f"{ev['gold']:.2f}", pct(ev["safety"]), pct(ev["accuracy"]),
                     pct(ev["referral"])])
    return html_table(["lab model", "stage left out", "what goes wrong", "gold score", "safety", "accuracy",
                       "names a pharmacist or doctor"], rows,
                      caption=f"Seed {SEED}; {sampled_eval('sft')['n']} answers per model, sampled at temperature 1 "
                              f"with the same random numbers, to every avoid or red-flag fact of the lab (SFT and "
                              f"held-out facts) in its three training phrasings.")


def _ev(key: str, metric: str) -> str:
    ev = sampled_eval(key)
    return f"{ev[metric]:.2f}" if metric == "gold" else pct(ev[metric])


for _key in MODELS:
    for _metric in ("gold", "safety", "accuracy", "referral", "confident"):
        lab_text(f"pharma-{_key}-{_metric}")(lambda _k=_key, _m=_metric: _ev(_k, _m))


@lab_text("pharma-n-safety-questions")
def _n_safety() -> str:
    return str(len(safety_questions()))


@lab_text("pharma-samples")
def _samples() -> str:
    return str(SAMPLES)


@lab_text("pharma-ppo-beta")
def _ppo_beta() -> str:
    return f"{PPO_BETA:g}"


@lab_text("pharma-ppo-iterations")
def _ppo_iterations() -> str:
    return str(PPO_ITERATIONS)


@lab_text("pharma-dpo-beta")
def _dpo_beta() -> str:
    return f"{DPOConfig().beta:g}"


@lab_text("pharma-rm-pairs")
def _rm_pairs() -> str:
    return str(reward_model()[1]["n_pairs"])


@lab_text("pharma-sft-g3")
def _sft_g3() -> str:
    return pct(sampled_eval("sft")["gates"]["G3"])


@lab_text("pharma-ppo-g3")
def _ppo_g3() -> str:
    return pct(sampled_eval("ppo")["gates"]["G3"])


# -------------------------------------------------------------------------------------- alignment pillars
# Each pillar, the rubric parts that measure it, and the lab number shown: a criterion mean or a gate-free share.
PILLARS = (
    ("Safety", "G1 dangerous advice, G3 missed emergency", ("no_gate", ("G1", "G3"))),
    ("Humility", "C5 calibrated uncertainty (no false certainty, no stacked hedging)", ("criterion", "C5")),
    ("Accuracy", "C1 correct core claim; C2 names the risk and its mechanism", ("criterion", "C1")),
    ("Transparency", "C6 source fidelity (no unsupported number); G2 fabrication", ("criterion", "C6")),
    ("Ethics", "C4 appropriate referral (the decision stays with the clinician); G4 unsafe self-management",
     ("criterion", "C4")),
)
PILLAR_MODELS = ("sft", "ppo", "dpo")


def pillar_value(key: str, measure: tuple) -> float:
    ev = sampled_eval(key)
    kind, what = measure
    if kind == "no_gate":
        return float(np.mean([not any(g in gr["gates"] for g in what) for _, _, gr in ev["answers"]]))
    return ev["criteria"][what]


def _measure_text(measure: tuple) -> str:
    kind, what = measure
    return (f"share of answers with no {' or '.join(what)} gate" if kind == "no_gate"
            else f"mean {what} score (0, 0.5 or 1 per answer)")


@lab_text("pharma-pillars-table")
def _pillars_table() -> str:
    rows = [[name, parts, _measure_text(measure)] + [f"{pillar_value(k, measure):.2f}" for k in PILLAR_MODELS]
            for name, parts, measure in PILLARS]
    return html_table(["pillar", "rubric parts (simulator_wasm/rubric.py)", "lab measure"]
                      + [MODELS[k][0] for k in PILLAR_MODELS], rows,
                      caption=f"The same sampled answers as the integration table (seed {SEED}).")


# ------------------------------------------------------------------------------------- case-study examples
# One lab fact per topic of case study 2 (world.py); a KeyError means world.py renamed one: update the list.
TOPIC_ITEMS = (("warfarin", "ibuprofen"), ("metformin", "egfr25"), ("atorvastatin", "grapefruit"),
               ("lisinopril", "angioedema"), ("acetaminophen", "overdose"))


@cache
def topic_answers() -> list[dict]:
    """Greedy answers of the SFT and PPO models to the first training phrasing of each topic's fact, graded."""
    w = _runs.world(SEED)
    by_pair = {(i.drug, i.other): i for i in ITEMS}
    items = [by_pair[p] for p in TOPIC_ITEMS]
    prompts = [question_tokens(i, TRAIN_TEMPLATES[0]) for i in items]
    out = [{"item": i, "question": words(p), "heldout": i in w.heldout_items} for i, p in zip(items, prompts)]
    for key in ("sft", "ppo"):
        gen = generate(model_params(key), [w.vocab.encode(p) for p in prompts], None, 24, greedy=True)
        for row, a in zip(out, gen.answers()):
            answer = w.vocab.decode(a)
            row[key] = (words(answer), graded(row["item"], tuple(answer)))
    return out


def _graded_cell(answer: str, g: dict) -> str:
    return f"{answer}  [gold {g['reward']:.2f}" + (f", gates {', '.join(g['gates'])}]" if g["gates"] else "]")


@lab_text("pharma-topic-answers")
def _topic_answers() -> str:
    rows = [[r["question"] + (" (held-out fact)" if r["heldout"] else ""), r["item"].verdict,
             _graded_cell(*r["sft"]), _graded_cell(*r["ppo"]), r["item"].source] for r in topic_answers()]
    return html_table(["lab question", "right verdict", f"greedy answer: {MODELS['sft'][0]}",
                       f"greedy answer: {MODELS['ppo'][0]}", "simplified from"], rows,
                      caption=f"Seed {SEED}, graded by the gold rubric. A held-out fact appeared only in the "
                              f"pretraining corpus, never in an SFT demonstration.")


@lab_text("pharma-warfarin-samples")
def _warfarin_samples() -> str:
    """The first sampled answers to "is warfarin ok with ibuprofen ?" from the SFT and PPO models, graded."""
    rows = []
    for key in ("sft", "ppo"):
        shown = [(a, g) for item, a, g in sampled_eval(key)["answers"]
                 if (item.drug, item.other) == TOPIC_ITEMS[0]][:3]
        for a, g in shown:
            rows.append([MODELS[key][0], words(a), f"{g['reward']:.2f}", ", ".join(g["gates"]) or "none"])
    return html_table(["model", "sampled answer (T = 1)", "gold score", "gates fired"], rows,
                      caption=f"The first three samples per model to the warfarin + ibuprofen fact (seed {SEED}; "
                              f"the three training phrasings, same random numbers for both models).")
