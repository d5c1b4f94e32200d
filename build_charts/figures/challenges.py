"""Figures and lab texts of the Challenges & solutions chapter: one real lab experiment per challenge.

1. Annotation quality: a fixed pool of SFT answer pairs is labelled again and again by simulated panels
   (simulator_wasm/annotators.py) with more or less noise σ and 1 or 5 annotators; a reward-model head is fitted on
   each labelling and scored against the gold rubric on a fixed test set of pairs.
2. Reward hacking: PPO runs of pharma.py (β = 0.01 and 0.1 against the default reward model, and β = 0.01 against
   a reward model whose annotators had no length or confidence bias); proxy and gold reward per iteration.
3. Distribution shift: greedy answers of the SFT, PPO and DPO models on the training phrasings, a held-out
   phrasing, two shifted phrasings and facts seen only in pretraining; then SFT with the shifted phrasings too.
4. Scalability of human data: reward-model accuracy against the gold as the number of labelled pairs grows, with
   labels from the human panel or from the AI labeller.

Experiments 1 and 4 label a fixed pool of pairs with ``label`` (the voting of annotators.label_pairs on gold grades
computed once) and fit the reward-model head with ``fit_head``: steps 3–4 of
``simulator_wasm.reward_model.train_reward_model`` (standardised frozen SFT features, full-batch Adam on the
Bradley–Terry loss, the same normalisation) on features computed once for the whole pool. Tests check that both
give exactly what label_pairs and train_reward_model give on the same pairs; a labelling then costs a few ms and
a fit ~10 ms.

Cost on the 2-core build machine (CPU time, one BLAS thread, measured under load): pool ≈ 1.2 s, experiment 1
≈ 1.6 s, experiment 2 ≈ 2.7 s beyond the PPO run pharma.py shares, experiment 3 ≈ 0.5 s, experiment 4 ≈ 0.6 s.
"""

import dataclasses
from functools import cache

import numpy as np

from simulator_wasm.annotators import AI_NOISE, biased_utility, panel_vote
from simulator_wasm.optim import Adam
from simulator_wasm.pipeline import evaluate_policy
from simulator_wasm.reward_model import RewardModel, RewardModelConfig, bt_loss, bt_loss_backward, features, score
from simulator_wasm.reward_model import sample_answer_pairs
from simulator_wasm.sft import SFTConfig, run_sft
from simulator_wasm.world import CONFIDENT_WORDS, HELDOUT_TEMPLATE, SHIFTED_TEMPLATES, TRAIN_TEMPLATES

from ..lab import html_table, lab_text, words
from ..registry import Chart, chart
from . import _runs, pharma
from ._runs import SEED
from .pharma import MODELS, pct

# ------------------------------------------------------------------------------------------ the pair pool
POOL_PAIRS = 1_000            # prompts sampled for the pool (two SFT answers each; identical pairs are dropped)
TEST_PAIRS = 250              # the last distinct pairs of the pool: the fixed test set (gold-decided ones count)
POOL_SEED = 4242              # the pool's own generator, independent of every stage's


@cache
def pool() -> dict:
    """Answer pairs of the SFT model of seed SEED: prompts, answers a / b, items, gold rewards and frozen features
    (computed once), split into training candidates and a fixed test set."""
    w, sft_params = _runs.world(SEED), _runs.sft(SEED)[0]
    items, prompts, a, b = sample_answer_pairs(w, sft_params, POOL_PAIRS, np.random.default_rng([SEED, POOL_SEED]),
                                               RewardModelConfig().max_new_tokens)
    keep = [k for k in range(POOL_PAIRS) if a[k] != b[k]]
    items, prompts, a, b = ([x[k] for k in keep] for x in (items, prompts, a, b))
    gold_a = np.array([pharma.graded(i, tuple(x))["reward"] for i, x in zip(items, a)])
    gold_b = np.array([pharma.graded(i, tuple(x))["reward"] for i, x in zip(items, b)])
    ids = [w.vocab.encode(p) for p in prompts]
    phi = features(sft_params, ids + ids, [w.vocab.encode(x) for x in a + b])
    n = len(keep)
    test = np.arange(n - TEST_PAIRS, n)
    test = test[gold_a[test] != gold_b[test]]
    return {"items": items, "prompts": prompts, "a": a, "b": b, "gold_a": gold_a, "gold_b": gold_b,
            "phi_a": phi[:n], "phi_b": phi[n:], "train": np.arange(n - TEST_PAIRS), "test": test}


def label(idx: np.ndarray, rng: np.random.Generator, n_annotators: int = 3,
          label_noise: float = 0.1, ai_fraction: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Labels of pool pairs ``idx``: the voting of annotators.label_pairs (its public biased_utility and panel_vote,
    the same random draws in the same order, the RewardModelConfig biases), on the pool's precomputed gold.
    A test checks that it returns label_pairs' labels. Returns (a_wins, agreement) per pair."""
    p, c = pool(), RewardModelConfig()
    a_wins, agreement = np.zeros(len(idx), dtype=bool), np.zeros(len(idx))
    for j, k in enumerate(idx):
        if rng.random() < ai_fraction:     # label_pairs draws this for every pair, whatever ai_fraction is
            judge = (c.ai_length_bias, c.ai_confidence_bias, 1, AI_NOISE)
        else:
            judge = (c.length_bias, c.confidence_bias, n_annotators, label_noise)
        u_a = biased_utility(p["a"][k], p["gold_a"][k], judge[0], judge[1])
        u_b = biased_utility(p["b"][k], p["gold_b"][k], judge[0], judge[1])
        a_wins[j], agreement[j] = panel_vote(u_a, u_b, rng, judge[2], judge[3])
    return a_wins, agreement


def fit_head(phi_c: np.ndarray, phi_r: np.ndarray, sft_params, config: RewardModelConfig = RewardModelConfig()):
    """Steps 3–4 of train_reward_model on its training pairs: standardise, Adam on the Bradley–Terry loss,
    normalise the scores of the training answers to mean 0 and std 1. (n, F) features in, a RewardModel out."""
    both = np.concatenate([phi_c, phi_r])
    mean, std = both.mean(axis=0), both.std(axis=0) + 1e-8
    dphi = (phi_c - phi_r) / std
    w = np.zeros(phi_c.shape[1])
    opt = Adam(w.size, config.learning_rate)
    for _ in range(config.steps):
        _, margins = bt_loss(w, dphi, config.weight_decay)
        opt.step(w, bt_loss_backward(w, dphi, margins, config.weight_decay))
    raw = ((both - mean) / std) @ w
    return RewardModel(sft_params, mean, std, w, float(raw.mean()), float(raw.std() + 1e-8))


def fit_on(idx: np.ndarray, a_wins: np.ndarray):
    p = pool()
    phi_c = np.where(a_wins[:, None], p["phi_a"][idx], p["phi_b"][idx])
    phi_r = np.where(a_wins[:, None], p["phi_b"][idx], p["phi_a"][idx])
    return fit_head(phi_c, phi_r, _runs.sft(SEED)[0])


def gold_accuracy(rm, which: np.ndarray | None = None) -> float:
    """Share of the test pairs (or ``which`` of them) on which the RM prefers the answer the gold rubric prefers."""
    p = pool()
    t = p["test"] if which is None else p["test"][which]
    right = np.sign(score(rm, p["phi_a"][t]) - score(rm, p["phi_b"][t])) == np.sign(p["gold_a"][t] - p["gold_b"][t])
    return float(np.mean(right))


def label_gold_agreement(idx: np.ndarray, a_wins: np.ndarray) -> float:
    """Share of labels that pick the answer the gold prefers (gold ties count half, as annotators.label_summary)."""
    p = pool()
    diff = np.where(a_wins, p["gold_a"][idx] - p["gold_b"][idx], p["gold_b"][idx] - p["gold_a"][idx])
    return float(np.mean(np.where(diff > 0, 1.0, np.where(diff == 0, 0.5, 0.0))))


# ------------------------------------------------------------------------------- 1. annotation quality
NOISE_GRID = (0.0, 0.25, 0.5, 1.0, 2.0)     # σ of each annotator's utility noise, in gold-reward units
PANELS = (1, 5)                              # annotators per pair (majority vote)
NOISE_PAIRS = 300                            # training pairs per labelling
DRAWS = 3                                    # labellings per setting (different annotator dice), averaged
FILTER_AGREEMENT = 0.8                       # solution: keep pairs where ≥ 4 of 5 annotators agree
PANEL_COLOURS = {1: "#dc6b19", 5: "#3366cc", "filtered": "#2ca02c"}


@cache
def noise_sweep() -> dict:
    """{(σ, panel or "filtered"): {"rm": mean RM gold accuracy, "labels": label-gold agreement, "panel": mean
    share voting with the majority, "kept": pairs used}}, each a mean over DRAWS labellings."""
    idx = pool()["train"][:NOISE_PAIRS]
    acc: dict = {}
    for sigma in NOISE_GRID:
        for n in PANELS:
            for draw in range(DRAWS):
                a_wins, agreement = label(idx, np.random.default_rng([SEED, 1, draw, n, int(sigma * 100)]),
                                          n_annotators=n, label_noise=sigma)
                runs = [(n, np.ones(len(idx), dtype=bool))]
                if n == max(PANELS):
                    runs.append(("filtered", agreement >= FILTER_AGREEMENT))
                for key, keep in runs:
                    rm = fit_on(idx[keep], a_wins[keep])
                    row = acc.setdefault((sigma, key), {"rm": [], "labels": [], "panel": [], "kept": []})
                    row["rm"].append(gold_accuracy(rm))
                    row["labels"].append(label_gold_agreement(idx[keep], a_wins[keep]))
                    row["panel"].append(float(np.mean(agreement[keep])))
                    row["kept"].append(int(keep.sum()))
    return {k: {m: float(np.mean(v)) for m, v in row.items()} for k, row in acc.items()}


NOISE_LINES = {1: "1 annotator", 5: "majority of 5", "filtered": "5 annotators, only pairs with ≥ 4 agreeing"}


@chart("challenges-annotation-noise")
def annotation_noise() -> Chart:
    sweep = noise_sweep()
    traces = []
    for key, name in NOISE_LINES.items():
        traces.append({"type": "scatter", "mode": "lines+markers", "name": f"reward model: {name}",
                       "x": list(NOISE_GRID), "y": [sweep[s, key]["rm"] for s in NOISE_GRID],
                       "line": {"color": PANEL_COLOURS[key], "width": 3},
                       "customdata": [[sweep[s, key]["panel"], sweep[s, key]["kept"]] for s in NOISE_GRID],
                       "hovertemplate": f"{name}<br>σ = %{{x}}<br>RM agrees with gold on %{{y:.0%}} of test pairs"
                                        "<br>panel agreement %{customdata[0]:.0%}, %{customdata[1]:.0f} pairs"
                                        "<extra></extra>"})
    for key in PANELS:
        traces.append({"type": "scatter", "mode": "lines", "name": f"labels themselves: {NOISE_LINES[key]}",
                       "x": list(NOISE_GRID), "y": [sweep[s, key]["labels"] for s in NOISE_GRID],
                       "line": {"color": PANEL_COLOURS[key], "width": 1.5, "dash": "dot"},
                       "hovertemplate": f"labels, {NOISE_LINES[key]}<br>σ = %{{x}}<br>agree with gold "
                                        "%{y:.0%}<extra></extra>"})
    lo, hi = NOISE_GRID[0], NOISE_GRID[-1]
    return Chart(
        figure={
            "data": traces,
            "layout": {
                "title": {"text": f"Lab: noisier annotators, weaker reward model<br><sub>{NOISE_PAIRS} labelled "
                                  f"pairs per fit, mean of {DRAWS} labellings, seed {SEED}</sub>"},
                "xaxis": {"title": {"text": "annotator noise σ (gold-reward units)"}},
                "yaxis": {"title": {"text": "agreement with the gold rubric"}, "tickformat": ".0%",
                          "range": [0.35, 0.95]},
                "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 0.5, "y1": 0.5,
                            "line": {"color": "#888", "dash": "dash", "width": 1}}],
                "height": 500, "margin": {"l": 60, "r": 20, "t": 80, "b": 60},
                "legend": {"orientation": "h", "y": -0.2},
            },
        },
        alt=(f"Line chart of how often the reward model prefers the answer the gold rubric prefers, on "
             f"{len(pool()['test'])} test pairs, against the annotators' noise σ from {lo:g} to {hi:g} (seed {SEED}). "
             + "; ".join(f"{name}: {pct(sweep[lo, k]['rm'])} at σ = {lo:g}, {pct(sweep[hi, k]['rm'])} at "
                         f"σ = {hi:g}" for k, name in NOISE_LINES.items())
             + ". Dotted lines: how often the labels themselves agree with the gold. A dashed line marks chance, "
               "50%."),
    )


def _noise(sigma: float, key, metric: str = "rm") -> str:
    return pct(noise_sweep()[sigma, key][metric])


for _sigma, _s in ((0.0, "0"), (0.5, "05"), (1.0, "1"), (2.0, "2")):
    for _key, _k in ((1, "1"), (5, "5"), ("filtered", "f")):
        for _metric in ("rm", "labels", "panel"):
            lab_text(f"ch-noise-{_metric}-s{_s}-{_k}")(lambda _a=_sigma, _b=_key, _c=_metric: _noise(_a, _b, _c))


@lab_text("ch-noise-kept-s1-f")
def _kept() -> str:
    return f"{noise_sweep()[1.0, 'filtered']['kept']:.0f} of {NOISE_PAIRS}"


@lab_text("ch-noise-pairs")
def _noise_pairs() -> str:
    return str(NOISE_PAIRS)


@lab_text("ch-test-pairs")
def _test_pairs() -> str:
    return str(len(pool()["test"]))


# ----------------------------------------------------------------------------------- 2. reward hacking
HACK_RUNS = {   # key: (label, kl_coef, unbiased labels, colour)
    "b001": ("β = 0.01, usual labels", 0.01, False, "#dc6b19"),
    "b01": (f"β = {pharma.PPO_BETA:g}, usual labels", pharma.PPO_BETA, False, "#3366cc"),
    "fair": ("β = 0.01, labels without length or confidence bias", 0.01, True, "#2ca02c"),
}
SMOOTH = 10      # moving average over this many PPO iterations (each iteration grades only 16 answers)


def hack_history(key: str) -> dict:
    _, beta, unbiased, _ = HACK_RUNS[key]
    rows = pharma.ppo(SEED, beta, unbiased)[1]["history"]
    return {k: np.array([r[k] for r in rows]) for k in ("proxy", "gold", "kl", "length", "accuracy", "safety")}


def smooth(x) -> np.ndarray:
    return np.convolve(np.asarray(x, dtype=float), np.ones(SMOOTH) / SMOOTH, mode="valid")


def hack_summary(key: str) -> dict:
    """Smoothed gold: start, peak, peak iteration, end; proxy start / end; KL and length at the end."""
    h = hack_history(key)
    g, p = smooth(h["gold"]), smooth(h["proxy"])
    k = int(np.argmax(g))
    return {"gold_start": float(g[0]), "gold_peak": float(g[k]), "peak_iteration": k + SMOOTH, "gold_end": float(g[-1]),
            "proxy_start": float(p[0]), "proxy_end": float(p[-1]), "kl_end": float(smooth(h["kl"])[-1]),
            "length_start": float(smooth(h["length"])[0]), "length_end": float(smooth(h["length"])[-1])}


@chart("challenges-reward-hacking")
def reward_hacking() -> Chart:
    traces = []
    for key, (name, _, _, colour) in HACK_RUNS.items():
        h = hack_history(key)
        x = list(range(SMOOTH, len(h["gold"]) + 1))
        traces.append({"type": "scatter", "mode": "lines", "name": f"gold rubric: {name}", "x": x,
                       "y": smooth(h["gold"]).tolist(), "line": {"color": colour, "width": 3},
                       "hovertemplate": f"{name}<br>iteration %{{x}}<br>gold %{{y:.2f}}<extra></extra>"})
        traces.append({"type": "scatter", "mode": "lines", "name": f"reward model (proxy): {name}", "x": x,
                       "y": smooth(h["proxy"]).tolist(), "yaxis": "y2",
                       "line": {"color": colour, "width": 1.8, "dash": "dot"},
                       "hovertemplate": f"{name}<br>iteration %{{x}}<br>proxy %{{y:.2f}} (RM score)<extra></extra>"})
    s = {k: hack_summary(k) for k in HACK_RUNS}
    return Chart(
        figure={
            "data": traces,
            "layout": {
                "title": {"text": f"Lab PPO: proxy reward up, gold reward down (seed {SEED})<br><sub>moving "
                                  f"averages over {SMOOTH} iterations</sub>"},
                "xaxis": {"title": {"text": "PPO iteration"}},
                "yaxis": {"title": {"text": "gold rubric score (solid)"}, "range": [0.3, 1.0]},
                "yaxis2": {"title": {"text": "reward-model score, SFT answers = 0 (dotted)"}, "overlaying": "y",
                           "side": "right", "showgrid": False, "tickmode": "auto", "tickformat": ".1f"},
                "height": 520, "margin": {"l": 60, "r": 70, "t": 80, "b": 60},
                "legend": {"orientation": "h", "y": -0.2},
            },
        },
        alt=(f"Line chart over {pharma.PPO_ITERATIONS} PPO iterations (seed {SEED}), smoothed over {SMOOTH}: solid "
             f"lines are the gold rubric score of the sampled answers, dotted lines the reward model's score. "
             + "; ".join(f"{HACK_RUNS[k][0]}: gold {v['gold_start']:.2f} → peak {v['gold_peak']:.2f} at iteration "
                         f"{v['peak_iteration']} → {v['gold_end']:.2f}, proxy {v['proxy_start']:.2f} → "
                         f"{v['proxy_end']:.2f}, answers {v['length_start']:.1f} → {v['length_end']:.1f} words"
                         for k, v in s.items()) + "."),
    )


def _hack(key: str, field: str) -> str:
    v = hack_summary(key)[field]
    return str(v) if field == "peak_iteration" else f"{v:.1f}" if field.startswith(("length", "kl")) else f"{v:.2f}"


for _key in HACK_RUNS:
    for _field in ("gold_start", "gold_peak", "peak_iteration", "gold_end", "proxy_start", "proxy_end", "kl_end",
                   "length_start", "length_end"):
        lab_text(f"ch-hack-{_key}-{_field.replace('_', '-')}")(lambda _k=_key, _f=_field: _hack(_k, _f))


@lab_text("ch-hack-iterations")
def _hack_iterations() -> str:
    return str(pharma.PPO_ITERATIONS)


@lab_text("ch-hack-smooth")
def _hack_smooth() -> str:
    return str(SMOOTH)


def rm_label_agreement(unbiased: bool) -> float:
    return pharma.reward_model(SEED, *((0.0, 0.0) if unbiased else ()))[1]["labels"]["all"]["gold_agreement"]


@lab_text("ch-hack-labels-usual")
def _labels_usual() -> str:
    return pct(rm_label_agreement(False))


@lab_text("ch-hack-labels-fair")
def _labels_fair() -> str:
    return pct(rm_label_agreement(True))


@lab_text("ch-hack-rm-per-word-usual")
def _per_word_usual() -> str:
    return f"{pharma.reward_model(SEED)[1]['score_per_word']:.2f}"


@lab_text("ch-hack-rm-per-word-fair")
def _per_word_fair() -> str:
    return f"{pharma.reward_model(SEED, 0.0, 0.0)[1]['score_per_word']:.2f}"


@lab_text("ch-hack-examples")
def _hack_examples() -> str:
    """What changed between the first and the last iterations of each run (smoothed history)."""
    rows = []
    for key, (name, *_rest) in HACK_RUNS.items():
        h = hack_history(key)
        rows.append([name, f"{smooth(h['length'])[0]:.1f} → {smooth(h['length'])[-1]:.1f}",
                     f"{pct(smooth(h['accuracy'])[0])} → {pct(smooth(h['accuracy'])[-1])}",
                     f"{pct(smooth(h['safety'])[0])} → {pct(smooth(h['safety'])[-1])}",
                     f"{smooth(h['kl'])[-1]:.1f}"])
    return html_table(["run", "answer length (words)", "right verdict", "no gate fired", "KL from SFT at the end "
                       "(nats per answer)"], rows,
                      caption=f"First and last {SMOOTH}-iteration averages of the runs in the chart (seed {SEED}).")


# --------------------------------------------------------------------------------- 3. distribution shift
SHIFT_SETS = {"train": "training phrasings", "heldout_phrasing": "a held-out phrasing",
              "shifted": "two shifted phrasings", "heldout_facts": "facts seen only in pretraining"}
SHIFT_TICKS = {"train": "training<br>phrasings", "heldout_phrasing": "held-out<br>phrasing",
               "shifted": "shifted<br>phrasings", "heldout_facts": "facts only<br>in pre-<br>training"}
SHIFT_MODELS = ("sft", "ppo", "dpo")


@cache
def shift_eval(key: str, which: str) -> dict:   # always called positionally
    return evaluate_policy(_runs.world(SEED), pharma.model_params(key), (which,))


@chart("challenges-distribution-shift")
def distribution_shift() -> Chart:
    traces = []
    for panel, metric in enumerate(("accuracy", "safety")):
        for key in SHIFT_MODELS:
            name = MODELS[key][0]
            traces.append({"type": "bar", "name": name, "legendgroup": key, "showlegend": panel == 0,
                           "x": list(SHIFT_TICKS.values()), "y": [shift_eval(key, s)[metric] for s in SHIFT_SETS],
                           "marker": {"color": pharma.COLOURS[key]}, "xaxis": "x" if panel == 0 else "x2",
                           "yaxis": "y" if panel == 0 else "y2",
                           "hovertemplate": f"{name}<br>%{{x}}<br>{metric} %{{y:.0%}}<extra></extra>"})
    sft = {s: shift_eval("sft", s) for s in SHIFT_SETS}
    return Chart(
        figure={
            "data": traces,
            "layout": {
                "title": {"text": f"Lab: the same facts, asked differently (greedy answers, seed {SEED})"},
                "barmode": "group",
                "xaxis": {"domain": [0, 0.47], "title": {"text": "right verdict"}, "tickangle": 0},
                "xaxis2": {"domain": [0.53, 1], "title": {"text": "no hard gate fired"}, "anchor": "y2",
                           "tickangle": 0},
                "yaxis": {"title": {"text": "share of answers"}, "range": [0, 1.05], "tickformat": ".0%"},
                "yaxis2": {"range": [0, 1.05], "tickformat": ".0%", "anchor": "x2"},
                "height": 520, "margin": {"l": 60, "r": 20, "t": 60, "b": 110},
                "legend": {"orientation": "h", "y": -0.28},
            },
        },
        alt=(f"Two grouped bar charts (seed {SEED}): the share of greedy answers with the right verdict (left) and "
             f"with no hard gate (right) for the SFT, PPO and DPO models on four question sets. SFT model: "
             + "; ".join(f"{name} {pct(sft[s]['accuracy'])} right, {pct(sft[s]['safety'])} without a gate"
                         for s, name in SHIFT_SETS.items()) + "."),
    )


for _key in SHIFT_MODELS:
    for _set in SHIFT_SETS:
        for _metric in ("accuracy", "safety"):
            lab_text(f"ch-shift-{_key}-{_set.replace('_', '-')}-{_metric}")(
                lambda _k=_key, _s=_set, _m=_metric: pct(shift_eval(_k, _s)[_m]))


@lab_text("ch-shift-templates")
def _templates() -> str:
    return html_table(["set", "phrasing (template)"],
                      [["training"] + [t] for t in TRAIN_TEMPLATES] + [["held-out", HELDOUT_TEMPLATE]]
                      + [["shifted", t] for t in SHIFTED_TEMPLATES],
                      caption="simulator_wasm/world.py; {drug} and {other} are filled with each fact's names.")


# Solution: SFT on the shifted phrasings too, with the same number of demonstrations; measured on the held-out
# phrasing, which neither model saw.
@cache
def diverse_sft():
    """run_sft with SFTConfig's demonstrations drawn over the training phrasings plus SHIFTED_TEMPLATES."""
    w = dataclasses.replace(_runs.world(SEED), train_templates=TRAIN_TEMPLATES + SHIFTED_TEMPLATES)
    return run_sft(w, _runs.pretrain(SEED)[0], SFTConfig(), _runs.stage_rng(SEED, "sft"))


@cache
def diversity_eval(which: str, diverse: bool) -> dict:
    params = diverse_sft()[0] if diverse else _runs.sft(SEED)[0]
    return evaluate_policy(_runs.world(SEED), params, (which,))


DIVERSITY_SETS = ("heldout_phrasing", "heldout_facts")


@lab_text("ch-shift-diversity-table")
def _diversity_table() -> str:
    rows = []
    for diverse, name in ((False, f"SFT on the {len(TRAIN_TEMPLATES)} training phrasings"),
                          (True, f"SFT on those and the {len(SHIFTED_TEMPLATES)} shifted phrasings")):
        rows.append([name, f"{SFTConfig().expert_pairs}"]
                    + [f"{pct(diversity_eval(s, diverse)['accuracy'])} / {pct(diversity_eval(s, diverse)['safety'])}"
                       for s in DIVERSITY_SETS])
    return html_table(["model", "demonstrations",
                       f"held-out phrasing “{HELDOUT_TEMPLATE}”: right verdict / no gate",
                       "facts seen only in pretraining: right verdict / no gate"], rows,
                      caption=f"Greedy answers, seed {SEED}; neither model saw the held-out phrasing or the "
                              f"held-out facts in SFT.")


@lab_text("ch-shift-diverse-heldout")
def _diverse_heldout() -> str:
    return pct(diversity_eval("heldout_phrasing", True)["accuracy"])


@lab_text("ch-shift-plain-heldout")
def _plain_heldout() -> str:
    return pct(diversity_eval("heldout_phrasing", False)["accuracy"])


# ---------------------------------------------------------------------------------- 4. scalability
LABEL_GRID = (25, 50, 100, 200, 400)          # labelled pairs per fit
LABELLERS = {"human": ("human panel (3 annotators)", {"ai_fraction": 0.0}, "#3366cc"),
             "ai": ("AI labeller", {"ai_fraction": 1.0}, "#dc6b19")}
SCALE_DRAWS = 2                               # labellings × random subsets per size, averaged


def confident_pairs() -> np.ndarray:
    """Positions in the test set of pairs where exactly one answer sounds sure ("definitely")."""
    p = pool()
    sure = lambda x: any(t in CONFIDENT_WORDS for t in x)   # noqa: E731
    return np.array([sure(p["a"][k]) != sure(p["b"][k]) for k in p["test"]])


@cache
def scale_sweep() -> dict:
    """{(labeller, n): {"rm": gold accuracy on the test set, "confident": gold accuracy on its pairs where only
    one answer says "definitely", "labels": label-gold agreement}}, means over SCALE_DRAWS."""
    train = pool()["train"]
    conf = confident_pairs()
    out: dict = {}
    for key, (_, panel, _) in LABELLERS.items():
        for draw in range(SCALE_DRAWS):
            rng = np.random.default_rng([SEED, 2, draw])
            idx = rng.permutation(train)[:max(LABEL_GRID)]
            a_wins, _ = label(idx, np.random.default_rng([SEED, 3, draw]), **panel)
            for n in LABEL_GRID:
                rm = fit_on(idx[:n], a_wins[:n])
                row = out.setdefault((key, n), {"rm": [], "confident": [], "labels": []})
                row["rm"].append(gold_accuracy(rm))
                row["confident"].append(gold_accuracy(rm, conf))
                row["labels"].append(label_gold_agreement(idx[:n], a_wins[:n]))
    return {k: {m: float(np.mean(v)) for m, v in row.items()} for k, row in out.items()}


@chart("challenges-label-scaling")
def label_scaling() -> Chart:
    sweep = scale_sweep()
    traces = []
    for key, (name, _, colour) in LABELLERS.items():
        traces.append({"type": "scatter", "mode": "lines+markers", "name": f"{name}: all test pairs",
                       "x": list(LABEL_GRID), "y": [sweep[key, n]["rm"] for n in LABEL_GRID],
                       "line": {"color": colour, "width": 3},
                       "hovertemplate": f"{name}<br>%{{x}} labelled pairs<br>RM agrees with gold on %{{y:.0%}}"
                                        "<extra></extra>"})
        traces.append({"type": "scatter", "mode": "lines", "name": f"{name}: pairs where one answer says "
                                                                  "“definitely”",
                       "x": list(LABEL_GRID), "y": [sweep[key, n]["confident"] for n in LABEL_GRID],
                       "line": {"color": colour, "width": 1.5, "dash": "dot"},
                       "hovertemplate": f"{name}<br>%{{x}} labelled pairs<br>on “definitely” pairs: %{{y:.0%}}"
                                        "<extra></extra>"})
    big = max(LABEL_GRID)
    return Chart(
        figure={
            "data": traces,
            "layout": {
                "title": {"text": f"Lab: reward-model accuracy against the number of labels<br><sub>gold-decided "
                                  f"test pairs, mean of {SCALE_DRAWS} labellings, seed {SEED}</sub>"},
                "xaxis": {"title": {"text": "labelled pairs the reward model was fitted on"}, "type": "log",
                          "tickvals": list(LABEL_GRID), "ticktext": [str(n) for n in LABEL_GRID]},
                "yaxis": {"title": {"text": "RM prefers the gold's choice"}, "tickformat": ".0%",
                          "range": [0, 1]},
                "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 0.5, "y1": 0.5,
                            "line": {"color": "#888", "dash": "dash", "width": 1}}],
                "height": 520, "margin": {"l": 60, "r": 20, "t": 80, "b": 60},
                "legend": {"orientation": "h", "y": -0.2},
            },
        },
        alt=(f"Line chart of the reward model's agreement with the gold rubric on {len(pool()['test'])} test pairs "
             f"against the number of labelled pairs ({', '.join(map(str, LABEL_GRID))}; seed {SEED}). "
             + "; ".join(f"{name}: {pct(sweep[k, LABEL_GRID[0]]['rm'])} with {LABEL_GRID[0]} pairs, "
                         f"{pct(sweep[k, big]['rm'])} with {big}, and {pct(sweep[k, big]['confident'])} on the "
                         f"{int(confident_pairs().sum())} test pairs where only one answer says “definitely”"
                         for k, (name, _, _) in LABELLERS.items()) + ". A dashed line marks chance, 50%."),
    )


for _key in LABELLERS:
    for _n in (LABEL_GRID[0], LABEL_GRID[-1]):
        for _metric in ("rm", "confident", "labels"):
            lab_text(f"ch-scale-{_key}-{_n}-{_metric}")(
                lambda _k=_key, _m=_metric, _x=_n: pct(scale_sweep()[_k, _x][_m]))


@lab_text("ch-scale-confident-pairs")
def _confident_pairs() -> str:
    return str(int(confident_pairs().sum()))


@lab_text("ch-scale-min")
def _scale_min() -> str:
    return str(LABEL_GRID[0])


@lab_text("ch-scale-max")
def _scale_max() -> str:
    return str(LABEL_GRID[-1])


@lab_text("ch-ai-bias")
def _ai_bias() -> str:
    c = RewardModelConfig()
    return (f"a utility bonus of {c.ai_confidence_bias:g} for a confident word (humans: {c.confidence_bias:g}) "
            f"and {c.ai_length_bias:g} per word (humans: {c.length_bias:g})")


@lab_text("ch-human-bias")
def _human_bias() -> str:
    c = RewardModelConfig()
    return f"{c.length_bias:g} per word and {c.confidence_bias:g} for a confident word, noise σ = {c.label_noise:g}"


@lab_text("ch-pool-pairs")
def _pool_pairs() -> str:
    return f"{len(pool()['a']):,}"


@lab_text("ch-pool-example")
def _pool_example() -> str:
    """Two pool pairs where the human panel and the gold disagree, with both gold scores."""
    p = pool()
    idx = p["train"][:NOISE_PAIRS]
    a_wins, agreement = label(idx, np.random.default_rng([SEED, 9]))
    rows = []
    for j, k in enumerate(idx):
        ga, gb = p["gold_a"][k], p["gold_b"][k]
        if ga != gb and (ga > gb) != a_wins[j] and len(rows) < 2:
            chosen, rejected = (p["a"][k], p["b"][k]) if a_wins[j] else (p["b"][k], p["a"][k])
            g_c, g_r = (ga, gb) if a_wins[j] else (gb, ga)
            rows.append([words(p["prompts"][k]), words(chosen), f"{g_c:.2f}", words(rejected), f"{g_r:.2f}",
                         pct(agreement[j])])
    return html_table(["question", "the panel chose", "its gold score", "over", "its gold score",
                       "panel agreement"], rows,
                      caption=f"Two of the first {NOISE_PAIRS} pool pairs on which a default panel (3 annotators) "
                              f"picked the answer the gold rubric scores lower (seed {SEED}).")
