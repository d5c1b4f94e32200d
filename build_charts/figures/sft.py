"""Figures and lab texts of the Supervised fine-tuning chapter.

Every number comes from ``run_sft`` (``_runs.sft``) at the lab's defaults: from the default pretrained model of
the same seed, and from scratch (a fresh model of the same size, trained on the same demonstrations in the same
order). The comparison is measured on ``SFT_SEEDS``; single-seed tables use ``SEED``.
"""

from functools import cache

import numpy as np

from simulator_wasm.generate import generate
from simulator_wasm.sft import SFTConfig
from simulator_wasm.world import (CONFIDENT_WORDS, CONSULT_WORDS, FILLER_PHRASE, ITEMS, TRAIN_TEMPLATES,
                                  VERDICT_WORDS, answer_tokens, question_tokens)

from ..lab import html_table, lab_text, words
from ..registry import Chart, chart
from . import _runs
from ._runs import SEED, SFT_SEEDS
from .pretraining import log_ticks

SETS = {"heldout_facts": "facts seen only in pretraining", "heldout_phrasing": "SFT facts, new phrasing"}
RUNS = {True: ("pretrain → SFT", "#3366cc"), False: ("SFT from scratch", "#dc6b19")}
SAMPLE_REPEATS = 4          # each training question is sampled this many times for the flaw counts
EXPERT_EXAMPLES = (("warfarin", "ibuprofen"), ("metformin", "egfr25"), ("sildenafil", "nitroglycerin"))


def result(seed: int, from_pretrained: bool) -> dict:
    return _runs.sft(seed, from_pretrained)[1]


def accuracy(seed: int, from_pretrained: bool, which: str, when: str = "after") -> float:
    return result(seed, from_pretrained)[when][which]["accuracy"]


def mean_accuracy(from_pretrained: bool, which: str) -> float:
    return float(np.mean([accuracy(s, from_pretrained, which) for s in SFT_SEEDS]))


def pct(x: float) -> str:
    return f"{x:.0%}"


def seeds_text() -> str:
    return ", ".join(map(str, SFT_SEEDS[:-1])) + f" and {SFT_SEEDS[-1]}"


# -------------------------------------------------------------------------------------------------- charts
@chart("sft-heldout-accuracy")
def heldout_accuracy() -> Chart:
    """Held-out accuracy after SFT, from the pretrained model and from scratch, per seed and question set."""
    x = [[SETS[w] for w in SETS for _ in SFT_SEEDS], [f"seed {s}" for _ in SETS for s in SFT_SEEDS]]
    traces = []
    for pre, (name, colour) in RUNS.items():
        traces.append({"type": "bar", "name": name, "x": x, "marker": {"color": colour},
                       "y": [accuracy(s, pre, w) for w in SETS for s in SFT_SEEDS],
                       "hovertemplate": f"{name}<br>%{{x}}<br>accuracy %{{y:.0%}}<extra></extra>"})
    guess = 1 / len(VERDICT_WORDS)
    n_facts, n_phrasing = (result(SEED, True)["after"][w]["n"] for w in SETS)
    return Chart(
        figure={
            "data": traces,
            "layout": {
                "title": {"text": f"Lab SFT: right verdicts on held-out questions<br><sub>pretrained start vs "
                                  f"scratch, seeds {seeds_text()}</sub>"},
                "barmode": "group",
                "xaxis": {"title": {"text": "question set and seed"}},
                "yaxis": {"title": {"text": "answers with the right verdict"},
                          "range": [0, 1.05], "tickformat": ".0%"},
                "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": guess, "y1": guess,
                            "line": {"color": "#888", "dash": "dash", "width": 1.5}}],
                "annotations": [{"xref": "paper", "x": 1, "xanchor": "right", "y": guess, "yanchor": "bottom",
                                 "text": f"uniform guess among {len(VERDICT_WORDS)} verdicts", "showarrow": False}],
                "height": 480, "margin": {"l": 60, "r": 20, "t": 80, "b": 55},
            },
        },
        alt=(f"Grouped bar chart of the share of greedy answers whose verdict is right after SFT, for seeds "
             f"{seeds_text()}. On facts seen only in pretraining ({n_facts} questions per seed), SFT from the "
             f"pretrained model averages {pct(mean_accuracy(True, 'heldout_facts'))} and SFT from scratch "
             f"{pct(mean_accuracy(False, 'heldout_facts'))}; on SFT facts in a phrasing SFT never used "
             f"({n_phrasing} questions) they average {pct(mean_accuracy(True, 'heldout_phrasing'))} and "
             f"{pct(mean_accuracy(False, 'heldout_phrasing'))}. A dashed line marks a uniform guess, "
             f"{guess:.0%}. The table below the chart lists every value."),
    )


def _smooth(x, window: int) -> list[float]:
    x = np.asarray(x, dtype=float)
    return np.convolve(x, np.ones(window) / window, mode="valid").tolist()


SMOOTH = 5   # moving average over this many steps


@chart("sft-training-loss")
def training_loss() -> Chart:
    """SFT loss per step (moving average), from the pretrained model and from scratch, seed SEED."""
    traces = []
    for pre, (name, colour) in RUNS.items():
        y = _smooth(result(SEED, pre)["step_loss"], SMOOTH)
        traces.append({"type": "scatter", "mode": "lines", "name": f"{name} (mean of {SMOOTH} steps)",
                       "x": list(range(SMOOTH, SMOOTH + len(y))),
                       "y": y, "line": {"color": colour, "width": 2.5},
                       "hovertemplate": f"{name}<br>step %{{x}}<br>loss %{{y:.3f}} nats per answer token"
                                        "<extra></extra>"})
    pre, scratch = result(SEED, True)["step_loss"], result(SEED, False)["step_loss"]
    return Chart(
        figure={
            "data": traces,
            "layout": {
                "title": {"text": f"Lab SFT: loss on the answer tokens (seed {SEED})"},
                "xaxis": {"title": {"text": f"SFT step (batches of {SFTConfig().batch_size} answer tokens)"}},
                "yaxis": {"title": {"text": "cross-entropy (nats per answer token)"}, "type": "log",
                          **log_ticks((0.05, 0.1, 0.2, 0.5, 1, 2, 5))},
            },
        },
        alt=(f"Line chart of the SFT loss over {len(pre)} steps for seed {SEED}: starting from the pretrained "
             f"model the first step's loss is {pre[0]:.2f} nats per answer token and the last {pre[-1]:.2f}; from "
             f"scratch they are {scratch[0]:.2f} and {scratch[-1]:.2f}."),
    )


# ---------------------------------------------------------------------------------------------- lab texts
@lab_text("sft-seeds")
def _seeds() -> str:
    return seeds_text()


@lab_text("sft-expert-pairs")
def _pairs() -> str:
    return f"{SFTConfig().expert_pairs:,}"


@lab_text("sft-epochs")
def _epochs() -> str:
    return str(SFTConfig().epochs)


@lab_text("sft-learning-rate")
def _lr() -> str:
    return f"{SFTConfig().learning_rate:g}"


@lab_text("sft-flaw-mix")
def _flaw_mix() -> str:
    c = SFTConfig()
    return (f"{pct(c.no_consult_frac)} without the referral, {pct(c.confident_frac)} ending with "
            f"“{CONFIDENT_WORDS[0]}” and {pct(c.pad_frac)} padded with “{' '.join(FILLER_PHRASE)}”")


@lab_text("sft-n-templates")
def _n_templates() -> str:
    return str(len(TRAIN_TEMPLATES))


@lab_text("sft-heldout-items")
def _heldout_items() -> str:
    return str(len(_runs.world(SEED).heldout_items))


@lab_text("sft-sft-items")
def _sft_items() -> str:
    return str(len(_runs.world(SEED).sft_items))


@lab_text("sft-facts-pretrained-mean")
def _fp() -> str:
    return pct(mean_accuracy(True, "heldout_facts"))


@lab_text("sft-facts-scratch-mean")
def _fs() -> str:
    return pct(mean_accuracy(False, "heldout_facts"))


@lab_text("sft-phrasing-pretrained-mean")
def _pp() -> str:
    return pct(mean_accuracy(True, "heldout_phrasing"))


@lab_text("sft-phrasing-scratch-mean")
def _ps() -> str:
    return pct(mean_accuracy(False, "heldout_phrasing"))


@lab_text("sft-facts-wins")
def _wins() -> str:
    wins = sum(accuracy(s, True, "heldout_facts") > accuracy(s, False, "heldout_facts") for s in SFT_SEEDS)
    return f"{wins} of the {len(SFT_SEEDS)} seeds"


@lab_text("sft-guess")
def _guess() -> str:
    return pct(1 / len(VERDICT_WORDS))


@lab_text("sft-transfer-table")
def _transfer_table() -> str:
    rows = []
    for s in SFT_SEEDS:
        rows.append([str(s), str(len(_runs.world(s).heldout_items))]
                    + [pct(accuracy(s, pre, w)) for w in SETS for pre in RUNS]
                    + [pct(accuracy(s, True, "heldout_facts", when="before"))])
    rows.append(["mean", ""] + [pct(mean_accuracy(pre, w)) for w in SETS for pre in RUNS]
                + [pct(float(np.mean([accuracy(s, True, "heldout_facts", when="before") for s in SFT_SEEDS])))])
    heads = [f"{SETS[w]}: {RUNS[pre][0]}" for w in SETS for pre in RUNS]
    return html_table(["seed", "held-out facts"] + heads + ["facts seen only in pretraining: base model, before SFT"],
                      rows, caption="Share of greedy answers whose first verdict word is right (lab, run_sft at its "
                                    "defaults). Before SFT the base model does not answer: it continues the text, "
                                    "and its first verdict word often belongs to another fact.")


def _before_after(which: str) -> str:
    w = _runs.world(SEED)
    verdict = {" ".join(p): item.verdict for item, p in w.questions(which)}
    base = result(SEED, True)["before"][which]["examples"]
    after = result(SEED, True)["after"][which]["examples"]
    scratch = result(SEED, False)["after"][which]["examples"]
    rows = [[b["question"], verdict[b["question"]], b["answer"], a["answer"], z["answer"]]
            for b, a, z in zip(base, after, scratch)]
    return html_table(["question", "right verdict", "pretrained model, before SFT", "after pretrain → SFT",
                       "after SFT from scratch"], rows,
                      caption=f"Greedy answers of the lab models, seed {SEED} ({SETS[which]}); at most "
                              f"{SFTConfig().max_new_tokens} tokens, so a model that never writes <eos> is cut off.")


@lab_text("sft-before-after-facts")
def _ba_facts() -> str:
    return _before_after("heldout_facts")


@lab_text("sft-before-after-phrasing")
def _ba_phrasing() -> str:
    return _before_after("heldout_phrasing")


@lab_text("sft-restated-before")
def _restated_before() -> str:
    return pct(result(SEED, True)["before"]["heldout_facts"]["restated"])


@lab_text("sft-restated-after")
def _restated_after() -> str:
    return pct(result(SEED, True)["after"]["heldout_facts"]["restated"])


@lab_text("sft-answer-loss-before")
def _loss_before() -> str:
    return f"{result(SEED, True)['before']['heldout_phrasing']['answer_loss']:.2f}"


@lab_text("sft-answer-loss-after")
def _loss_after() -> str:
    return f"{result(SEED, True)['after']['heldout_phrasing']['answer_loss']:.2f}"


@lab_text("sft-expert-examples")
def _expert_examples() -> str:
    by_pair = {(i.drug, i.other): i for i in ITEMS}
    rows = []
    for pair in EXPERT_EXAMPLES:
        item = by_pair[pair]   # a KeyError here means world.py renamed the example: update EXPERT_EXAMPLES
        rows.append([words(question_tokens(item, TRAIN_TEMPLATES[0])), words(answer_tokens(item)), item.source])
    return html_table(["prompt", "expert answer (the SFT target)", "simplified from"], rows,
                      caption="Canonical lab demonstrations, generated by simulator_wasm/world.py.")


def _flaws(answer: list[str]) -> dict:
    pad = any(answer[k:k + len(FILLER_PHRASE)] == list(FILLER_PHRASE) for k in range(len(answer)))
    return {"no_consult": not any(w in CONSULT_WORDS for w in answer),
            "confident": any(w in CONFIDENT_WORDS for w in answer), "padded": pad}


@cache
def flaw_shares(greedy: bool) -> tuple[dict, int]:
    """Share of the seed-SEED SFT model's answers to the training questions that carry each flaw: greedy (each
    question once) or sampled at temperature 1 (each question SAMPLE_REPEATS times, generator seeded with SEED)."""
    w = _runs.world(SEED)
    params = _runs.sft(SEED, True)[0]
    prompts = [w.vocab.encode(p) for _, p in w.questions("train")] * (1 if greedy else SAMPLE_REPEATS)
    gen = generate(params, prompts, None if greedy else np.random.default_rng(SEED), SFTConfig().max_new_tokens,
                   greedy=greedy)
    flags = [_flaws(w.vocab.decode(a)) for a in gen.answers()]
    return {k: float(np.mean([f[k] for f in flags])) for k in ("no_consult", "confident", "padded")}, len(flags)


FLAW_NAMES = {"no_consult": "no referral (“ask pharmacist” / “see doctor urgently” missing)",
              "confident": f"false certainty (“{CONFIDENT_WORDS[0]}”)",
              "padded": f"padding (“{' '.join(FILLER_PHRASE)}”)"}


@lab_text("sft-sampled-flaws-table")
def _sampled_table() -> str:
    res = result(SEED, True)
    greedy, n_greedy = flaw_shares(greedy=True)
    sampled, n_sampled = flaw_shares(greedy=False)
    rows = [[FLAW_NAMES[k], pct(res["flaw_counts"][k] / SFTConfig().expert_pairs), pct(greedy[k]), pct(sampled[k])]
            for k in FLAW_NAMES]
    return html_table(["flaw", f"share of the {SFTConfig().expert_pairs} demonstrations",
                       f"after SFT: share of {n_greedy} greedy answers",
                       f"after SFT: share of {n_sampled} sampled answers"], rows,
                      caption=f"Seed {SEED}; answers to the {len(TRAIN_TEMPLATES)} training phrasings of every SFT "
                              f"fact, greedy (once each) and sampled at temperature 1 ({SAMPLE_REPEATS} times each, "
                              f"generator seeded with {SEED}).")


@lab_text("sft-greedy-no-referral")
def _greedy_no_ref() -> str:
    return pct(flaw_shares(greedy=True)[0]["no_consult"])


@lab_text("sft-sampled-no-referral")
def _sampled_no_ref() -> str:
    return pct(flaw_shares(greedy=False)[0]["no_consult"])


@lab_text("sft-demo-no-referral")
def _demo_no_ref() -> str:
    return pct(result(SEED, True)["flaw_counts"]["no_consult"] / SFTConfig().expert_pairs)
