"""Figures and lab texts of the Reward modeling chapter.

Every number comes from the lab's SFT model of seed ``SEED`` (``_runs.sft``) and:
- ``rm_run()``: ``train_reward_model`` at the lab's defaults, with the generator ``run_pipeline`` gives the reward
  model stage (so the chapter's RM is the one the RLHF chapter and the simulator train against);
- ``sweep()``: how label noise σ and the number of annotators change held-out RM accuracy. Answers are sampled
  and their frozen features computed once (``SWEEP_PAIRS`` prompts); each grid point then relabels the same pairs
  with ``annotators.biased_utility`` + ``panel_vote`` (the steps of ``label_pairs``, with the gold rewards computed
  once) and refits the Bradley–Terry head exactly as ``train_reward_model`` steps 3–4 do, for ``SWEEP_SEEDS``
  labelling seeds (each seed also redraws the held-out split). A test checks the relabelling against
  ``label_pairs``. CPU ≈ 0.5 s for the RM, ≈ 1 s for the sweep.
"""

import math
from functools import cache

import numpy as np

from simulator_wasm.annotators import biased_utility, lab_card, panel_vote
from simulator_wasm.optim import Adam
from simulator_wasm.reward_model import (RewardModelConfig, bt_loss, bt_loss_backward, features, sample_answer_pairs,
                                         train_reward_model)
from simulator_wasm.rubric import WEIGHTS, count_words, grade

from ..lab import esc, html_table, lab_text, words
from ..registry import Chart, chart
from . import _runs
from ._runs import SEED

CHOSEN, REJECTED = "#2ca02c", "#dc6b19"
SWEEP_PAIRS = 400                    # prompts sampled once for the noise × annotators sweep
SWEEP_NOISE = (0.0, 0.5, 1.0, 2.0)
SWEEP_ANNOTATORS = (1, 3, 7)
SWEEP_SEEDS = (0, 1, 2)
MID_NOISE = 1.0                      # the σ at which the chapter compares panel sizes
SWEEP_COLOURS = ("#dc6b19", "#3366cc", "#2ca02c")
BT_BINS = 6                          # quantile bins of held-out margins on the Bradley–Terry chart
MARGIN_RANGE = 3.0                   # the chart's margin axis, ± (σ(3) ≈ 0.95)
CRITERIA = {"C1": "correct verdict", "C2": "risk and mechanism", "C3": "safer option", "C4": "referral",
            "C5": "calibrated tone", "C6": "no fabrication", "C7": "clarity"}


def pct(x: float) -> str:
    return f"{x:.0%}"


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


# ------------------------------------------------------------------------------------------------- lab runs
@cache
def rm_run():
    """(rm, results, pairs) of the lab's default reward model (seed SEED), as run_pipeline trains it."""
    return train_reward_model(_runs.world(SEED), _runs.sft(SEED)[0], RewardModelConfig(),
                              _runs.stage_rng(SEED, "reward_model"))


def results() -> dict:
    return rm_run()[1]


def config() -> RewardModelConfig:
    return RewardModelConfig()


@cache
def pair_scores() -> tuple[np.ndarray, np.ndarray]:
    """RM scores (chosen, rejected) of every labelled pair of the default run."""
    rm, _, pairs = rm_run()
    from simulator_wasm.reward_model import pair_features, score
    phi_c, phi_r = pair_features(_runs.world(SEED), rm.sft_params, pairs)
    return score(rm, phi_c), score(rm, phi_r)


@cache
def _sweep_data():
    """Answer pairs, their frozen features and gold rewards, computed once for the sweep."""
    w, sft_params = _runs.world(SEED), _runs.sft(SEED)[0]
    cfg = RewardModelConfig()
    items, prompts, a, b = sample_answer_pairs(w, sft_params, SWEEP_PAIRS, np.random.default_rng([SEED, 2]),
                                               cfg.max_new_tokens)
    keep = [k for k in range(len(a)) if a[k] != b[k]]          # identical answers carry no preference
    items, prompts, a, b = ([x[k] for k in keep] for x in (items, prompts, a, b))
    enc = w.vocab.encode
    ids = [enc(p) for p in prompts]
    phi = features(sft_params, ids + ids, [enc(x) for x in a] + [enc(x) for x in b])
    gold_a = np.array([grade(x, lab_card(i))["reward"] for x, i in zip(a, items)])
    gold_b = np.array([grade(x, lab_card(i))["reward"] for x, i in zip(b, items)])
    # the noise-free part of every annotator's utility (gold + taste) does not depend on the grid point
    u_a = np.array([biased_utility(x, g, cfg.length_bias, cfg.confidence_bias) for x, g in zip(a, gold_a)])
    u_b = np.array([biased_utility(x, g, cfg.length_bias, cfg.confidence_bias) for x, g in zip(b, gold_b)])
    return {"a": a, "b": b, "phi_a": phi[:len(a)], "phi_b": phi[len(a):], "gold_a": gold_a, "gold_b": gold_b,
            "u_a": u_a, "u_b": u_b}


def relabel(data: dict, rng: np.random.Generator, n_annotators: int, label_noise: float) -> np.ndarray:
    """a_wins (n,) for every pair: label_pairs' vote (one rng.random() for the AI-labeller draw, then the panel)."""
    out = []
    for u_a, u_b in zip(data["u_a"], data["u_b"]):
        rng.random()                                            # label_pairs' "AI labeller?" draw (ai_fraction 0)
        out.append(panel_vote(u_a, u_b, rng, n_annotators, label_noise)[0])
    return np.array(out)


def fit_and_test(phi_c, phi_r, gold_c, gold_r, split_rng, cfg=RewardModelConfig()) -> dict:
    """train_reward_model's steps 3–4 on given features: split, standardise, full-batch Adam on the BT loss."""
    n = len(phi_c)
    n_test = max(1, int(round(cfg.heldout_fraction * n)))
    order = split_rng.permutation(n)
    test, train = order[:n_test], order[n_test:]
    std = np.concatenate([phi_c[train], phi_r[train]]).std(axis=0) + 1e-8
    dphi = (phi_c - phi_r) / std
    w, d_train = np.zeros(dphi.shape[1]), dphi[train]
    opt = Adam(w.size, cfg.learning_rate)
    for _ in range(cfg.steps):
        _, margins = bt_loss(w, d_train, cfg.weight_decay)
        opt.step(w, bt_loss_backward(w, d_train, margins, cfg.weight_decay))
    margin = dphi @ w
    decided = test[gold_c[test] != gold_r[test]]
    return {"accuracy": float(np.mean(margin[test] > 0)),
            "accuracy_gold": float(np.mean(np.sign(margin[decided]) == np.sign(gold_c[decided] - gold_r[decided]))),
            "label_gold": float(np.mean(np.where(gold_c == gold_r, 0.5, gold_c > gold_r)))}


@cache
def sweep() -> dict:
    """{(n_annotators, σ): [fit_and_test result per seed]}."""
    d = _sweep_data()
    out = {}
    for k in SWEEP_ANNOTATORS:
        for noise in SWEEP_NOISE:
            runs = []
            for s in SWEEP_SEEDS:
                # the same split for every grid point of a seed (common random numbers), labels per grid point
                split_rng = np.random.default_rng([SEED, 3, s])
                label_rng = np.random.default_rng([SEED, 4, s, k, int(noise * 100)])
                a_wins = relabel(d, label_rng, k, noise)
                pick = lambda x, y: np.where(a_wins[:, None] if x.ndim == 2 else a_wins, x, y)  # noqa: E731
                runs.append(fit_and_test(pick(d["phi_a"], d["phi_b"]), pick(d["phi_b"], d["phi_a"]),
                                         pick(d["gold_a"], d["gold_b"]), pick(d["gold_b"], d["gold_a"]), split_rng))
            out[k, noise] = runs
    return out


def sweep_mean(k: int, noise: float, key: str) -> float:
    return float(np.mean([r[key] for r in sweep()[k, noise]]))


def sweep_sd(k: int, noise: float, key: str) -> float:
    return float(np.std([r[key] for r in sweep()[k, noise]]))


# ---------------------------------------------------------------------------------------- comparison example
@cache
def examples() -> list[dict]:
    """Two labelled pairs for the reader to judge: one where the RM agrees with the rubric, one where it does not
    (if the run has one; else a second agreeing pair). Which side, A or B, holds the annotators' choice follows the
    pair's index, so a reader cannot learn that "A is always the chosen one"."""
    _, _, pairs = rm_run()
    r_c, r_r = pair_scores()
    w = _runs.world(SEED)
    items = {tuple(q): item for item, q in w.questions("train")}
    chosen_list = []
    for agree in (True, False, True):          # the last pass only runs if no pair disagrees
        if len(chosen_list) == 2:
            break
        best = None
        for k, p in enumerate(pairs):
            gap = p["gold_chosen"] - p["gold_rejected"]
            rm_gap = r_c[k] - r_r[k]
            if gap == 0 or (np.sign(rm_gap) == np.sign(gap)) != agree or any(e["k"] == k for e in chosen_list):
                continue
            key = abs(gap) + abs(rm_gap) / 10 if agree else abs(gap)
            if best is None or key > best[0]:
                best = (key, k)
        if best is None:
            continue
        k = best[1]
        p = pairs[k]
        item = items[tuple(p["prompt"])]
        answers = [(p["chosen"], True, r_c[k]), (p["rejected"], False, r_r[k])]
        if k % 2:                                  # the chosen answer is B for odd pair indices
            answers.reverse()
        sides = []
        for ans, is_chosen, rm_score in answers:
            g = grade(ans, lab_card(item))
            sides.append({"answer": ans, "chosen": is_chosen, "rm": float(rm_score), "grade": g})
        chosen_list.append({"k": k, "item": item, "prompt": p["prompt"], "sides": sides,
                            "agreement": p["agreement"], "agree": agree})
    return chosen_list


def _side_name(i: int) -> str:
    return "A" if i == 0 else "B"


def _winner(ex: dict, key) -> int:
    vals = [key(s) for s in ex["sides"]]
    return int(np.argmax(vals)) if vals[0] != vals[1] else -1


def _example(n: int) -> dict:
    exs = examples()
    return exs[min(n, len(exs) - 1)]


def _example_answers(n: int) -> str:
    ex = _example(n)
    rows = [[f"Answer {_side_name(i)}", words(s["answer"]), count_words(s["answer"])]
            for i, s in enumerate(ex["sides"])]
    return (f"<p><strong>Question:</strong> <code>{esc(words(ex['prompt']))}</code></p>"
            + html_table(["answer", "lab tokens", "words"], rows))


def _example_verdict(n: int, pick: int) -> str:
    """What the reader sees after choosing side ``pick``: their choice against rubric, panel and RM."""
    ex = _example(n)
    rubric = _winner(ex, lambda s: s["grade"]["reward"])
    panel = next(i for i, s in enumerate(ex["sides"]) if s["chosen"])
    rm = _winner(ex, lambda s: s["rm"])
    m = ex["sides"][0]["rm"] - ex["sides"][1]["rm"]
    crit = [[f"{c} {CRITERIA[c]} (weight {WEIGHTS[c]:.2f})"] + [f"{s['grade']['criteria'][c]:g}" for s in ex["sides"]]
            for c in WEIGHTS]
    crit.append(["hard gates fired"] + [", ".join(f"{g} {GATES[g]}" for g in s["grade"]["gates"]) or "none"
                                        for s in ex["sides"]])
    crit.append(["gold reward (rubric, 0–1)"] + [f"{s['grade']['reward']:.2f}" for s in ex["sides"]])
    crit.append(["annotators' label"] + ["chosen" if s["chosen"] else "rejected" for s in ex["sides"]])
    crit.append(["reward model score r"] + [f"{s['rm']:+.2f}" for s in ex["sides"]])
    you = _side_name(pick)
    verdict = ("The rubric agrees with you." if rubric == pick else
               "The rubric scores the two answers the same." if rubric < 0 else
               f"The rubric prefers answer {_side_name(rubric)}.")
    panel_txt = (f"The simulated annotators chose answer {_side_name(panel)} "
                 f"({pct(ex['agreement'])} of the panel voted for it).")
    rm_txt = (f"The reward model scores answer {_side_name(rm)} higher: r(A) − r(B) = {m:+.2f}, so it gives "
              f"P(A ≻ B) = σ({m:+.2f}) = {float(sigmoid(m)):.2f}.")
    return (f"<p>You chose answer {you}. {verdict} {panel_txt} {rm_txt}</p>"
            + html_table(["graded on", "answer A", "answer B"], crit))


for _n in (0, 1):
    lab_text(f"rm-example{_n + 1}-answers")(lambda n=_n: _example_answers(n))
    lab_text(f"rm-example{_n + 1}-pick-a")(lambda n=_n: _example_verdict(n, 0))
    lab_text(f"rm-example{_n + 1}-pick-b")(lambda n=_n: _example_verdict(n, 1))


GATES = {"G1": "dangerous advice", "G2": "fabrication", "G3": "missed emergency", "G4": "unsafe self-management"}
LABEL_ANCHORS = {"warfarin": "label-warfarin", "metformin": "label-metformin", "simvastatin": "label-zocor",
                 "lovastatin": "label-lovastatin", "atorvastatin": "label-atorvastatin", "pravastatin": "label-zocor",
                 "rosuvastatin": "rosuvastatin-2003", "lisinopril": "label-zestril",
                 "acetaminophen": "label-acetaminophen-otc", "sertraline": "label-sertraline",
                 "fluoxetine": "label-fluoxetine", "sildenafil": "label-viagra-ca"}


@lab_text("rm-example2-summary")
def _ex2_summary() -> str:
    ex = _example(1)
    if ex["agree"]:
        return "In this run the reward model ranks both example pairs as the rubric does."
    rm = _winner(ex, lambda s: s["rm"])
    fav, other = ex["sides"][rm], ex["sides"][1 - rm]
    gates = [f"{g} ({GATES[g]})" for g in fav["grade"]["gates"]]
    why = (f"the rubric's hard gate {' and '.join(gates)} fired on it" if gates else
           "the difference lies in words the reward model's features barely register")
    longer = count_words(fav["answer"]) > count_words(other["answer"])
    return (f"Here the reward model prefers answer {_side_name(rm)}, which the rubric grades "
            f"{fav['grade']['reward']:.2f} against {other['grade']['reward']:.2f}: {why}"
            + ("; it is also the longer answer, and the annotators' taste for length has reached the scores."
               if longer else "."))


def _example_source(n: int) -> str:
    item = _example(n)["item"]
    anchor = LABEL_ANCHORS.get(item.drug)
    src = esc(item.source.replace("pharma.md", "the book's pharmaceutical fact sheet"))
    link = f' (<a href="bibliography.html#{anchor}">{esc(item.drug)} label</a>)' if anchor else ""
    return f"{src}{link}"


for _n in (0, 1):
    lab_text(f"rm-example{_n + 1}-source")(lambda n=_n: _example_source(n))


# -------------------------------------------------------------------------------------------------- charts
@chart("rm-preference-distribution")
def preference_distribution() -> Chart:
    """Histogram of the gold gap (chosen − rejected) of every labelled pair, split by unanimous vs split panel."""
    _, res, pairs = rm_run()
    n_ann = config().n_annotators
    gaps = np.array([p["gold_chosen"] - p["gold_rejected"] for p in pairs])
    unanimous = np.array([p["agreement"] == 1.0 for p in pairs])
    edges = np.arange(-1.025, 1.05, 0.05)
    traces = []
    for sel, name, colour in ((unanimous, f"unanimous panel ({n_ann} of {n_ann})", "#3366cc"),
                              (~unanimous, "split panel (majority vote)", "#b23a8a")):
        counts, _ = np.histogram(gaps[sel], edges)
        traces.append({"type": "bar", "name": name, "x": ((edges[:-1] + edges[1:]) / 2).round(3).tolist(),
                       "y": counts.tolist(), "marker": {"color": colour}, "width": 0.045,
                       "hovertemplate": f"{name}<br>gold gap %{{x:.2f}}<br>%{{y}} pairs<extra></extra>"})
    agree = res["labels"]["all"]["gold_agreement"]
    return Chart(
        figure={"data": traces, "layout": {
            "title": {"text": f"Lab labels: how much better is the chosen answer?<br><sub>gold-reward gap of "
                              f"each labelled pair (seed {SEED})</sub>"},
            "barmode": "stack", "margin": {"l": 60, "r": 20, "t": 80, "b": 55},
            "xaxis": {"title": {"text": "gold reward of chosen − rejected (rubric points, 0–1 scale)"},
                      "zeroline": True},
            "yaxis": {"title": {"text": "labelled pairs"}},
            "shapes": [{"type": "line", "x0": 0, "x1": 0, "yref": "paper", "y0": 0, "y1": 1,
                        "line": {"color": "#888", "dash": "dash", "width": 1.5}}],
            "annotations": [{"x": 0.5, "y": 1, "yref": "paper", "text": "label agrees with the rubric →",
                             "showarrow": False, "yanchor": "bottom"},
                            {"x": -0.5, "y": 1, "yref": "paper", "text": "← label contradicts it",
                             "showarrow": False, "yanchor": "bottom"}]}},
        alt=(f"Stacked histogram of the {len(pairs)} labelled answer pairs by the gold-reward gap between the chosen "
             f"and the rejected answer, split into pairs where all {n_ann} simulated annotators agreed "
             f"({int(unanimous.sum())}) and pairs with a split vote ({int((~unanimous).sum())}). Most mass lies to the "
             f"right of zero: the label agrees with the rubric for {pct(agree)} of pairs (ties count half). Split "
             f"votes gather near a gap of zero; {int((gaps < 0).sum())} pairs have the worse answer chosen and "
             f"{int((gaps == 0).sum())} have equal gold rewards."),
    )


@chart("rm-bradley-terry")
def bradley_terry() -> Chart:
    """σ(margin) against the lab RM's held-out pairs, binned: does P(y_w ≻ y_l) = σ(r_w − r_l) describe them?"""
    res = results()
    rc, rr = np.array(res["chosen_scores"]), np.array(res["rejected_scores"])
    # orient each held-out pair at random (fixed seed): x = r(A) − r(B), y = 1 if A was the chosen one
    flip = np.random.default_rng([SEED, 4]).random(len(rc)) < 0.5
    x = np.where(flip, rr - rc, rc - rr)
    y = (~flip).astype(float)
    edges = np.quantile(x, np.linspace(0, 1, BT_BINS + 1))
    idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    bx = [float(x[idx == b].mean()) for b in range(len(edges) - 1)]
    by = [float(y[idx == b].mean()) for b in range(len(edges) - 1)]
    bn = [int((idx == b).sum()) for b in range(len(edges) - 1)]
    grid = np.linspace(-MARGIN_RANGE, MARGIN_RANGE, 121)
    traces = [
        {"type": "scatter", "mode": "lines", "name": "Bradley–Terry: σ(r_A − r_B)", "x": grid.round(2).tolist(),
         "y": sigmoid(grid).round(4).tolist(), "line": {"color": "#3366cc", "width": 3},
         "hovertemplate": "margin %{x:.1f}<br>σ = %{y:.2f}<extra></extra>"},
        {"type": "scatter", "mode": "markers", "name": "held-out pairs, binned (share where A was chosen)",
         "x": bx, "y": by, "marker": {"size": [6 + n / 3 for n in bn], "color": "#dc6b19"},
         "customdata": bn, "hovertemplate": "mean margin %{x:.2f}<br>A chosen in %{y:.0%} of %{customdata} "
                                            "pairs<extra></extra>"},
    ]
    return Chart(
        figure={"data": traces, "layout": {
            "title": {"text": f"Bradley–Terry: preference probability vs reward margin<br><sub>lab reward model, "
                              f"held-out pairs (seed {SEED})</sub>"},
            "xaxis": {"title": {"text": "reward margin r(x, A) − r(x, B) (RM score units)"},
                      "range": [-MARGIN_RANGE, MARGIN_RANGE]},
            "margin": {"l": 60, "r": 20, "t": 80, "b": 55},
            "yaxis": {"title": {"text": "P(A preferred)"}, "range": [-0.03, 1.03], "tickformat": ".0%"}}},
        alt=(f"The sigmoid curve σ(r_A − r_B) rising from {float(sigmoid(-MARGIN_RANGE)):.2f} to "
             f"{float(sigmoid(MARGIN_RANGE)):.2f} as the reward margin goes from −{MARGIN_RANGE:g} to "
             f"{MARGIN_RANGE:g}, with the "
             f"{len(rc)} held-out pairs of the lab reward model in {len(bn)} bins of margin: mean margins "
             + ", ".join(f"{a:+.1f}" for a in bx) + " have answer A chosen in "
             + ", ".join(pct(b) for b in by) + " of pairs respectively."),
    )


@chart("rm-score-distributions")
def score_distributions() -> Chart:
    res = results()
    rc, rr = res["chosen_scores"], res["rejected_scores"]
    traces = [{"type": "histogram", "name": name, "x": xs, "opacity": 0.6, "marker": {"color": colour},
               "xbins": {"start": -4, "end": 4, "size": 0.4},
               "hovertemplate": f"{name}<br>score %{{x}}<br>%{{y}} answers<extra></extra>"}
              for xs, name, colour in ((rc, "chosen answers", CHOSEN), (rr, "rejected answers", REJECTED))]
    return Chart(
        figure={"data": traces, "layout": {
            "title": {"text": f"Lab reward model: chosen vs rejected scores<br><sub>held-out pairs "
                              f"(seed {SEED})</sub>"},
            "barmode": "overlay", "margin": {"l": 60, "r": 20, "t": 80, "b": 55},
            "xaxis": {"title": {"text": "reward score r(x, y) (SFT answers: mean 0, sd 1)"}},
            "yaxis": {"title": {"text": "answers"}}}},
        alt=(f"Two overlaid histograms of reward-model scores on the {len(rc)} held-out pairs: chosen answers average "
             f"{np.mean(rc):+.2f} and rejected answers {np.mean(rr):+.2f}; the chosen answer scores higher in "
             f"{pct(res['accuracy'])} of pairs. The distributions overlap widely."),
    )


@chart("rm-noise-annotators")
def noise_annotators() -> Chart:
    """Held-out accuracy against label noise σ, one line per panel size; left against labels, right against gold."""
    traces = []
    for j, (key, axis) in enumerate((("accuracy", ""), ("accuracy_gold", "2"))):
        for i, k in enumerate(SWEEP_ANNOTATORS):
            means = [sweep_mean(k, s, key) for s in SWEEP_NOISE]
            sds = [sweep_sd(k, s, key) for s in SWEEP_NOISE]
            traces.append({"type": "scatter", "mode": "lines+markers", "name": f"{k} annotator{'s' * (k > 1)}",
                           "legendgroup": str(k), "showlegend": j == 0, "x": list(SWEEP_NOISE), "y": means,
                           "error_y": {"type": "data", "array": sds, "visible": True, "thickness": 1},
                           "line": {"color": SWEEP_COLOURS[i], "width": 2.5}, "xaxis": "x" + axis,
                           "yaxis": "y" + axis,
                           "hovertemplate": f"{k} annotator(s)<br>σ = %{{x}}<br>accuracy %{{y:.0%}}<extra></extra>"})
    yax = {"range": [0.4, 1.0], "tickformat": ".0%"}
    lo, hi = SWEEP_NOISE[0], SWEEP_NOISE[-1]
    return Chart(
        figure={"data": traces, "layout": {
            "title": {"text": f"Lab RM accuracy vs label noise and panel size<br><sub>means ± sd over "
                              f"{len(SWEEP_SEEDS)} labelling seeds, same {len(_sweep_data()['a'])} answer pairs "
                              f"(seed {SEED})</sub>"},
            "grid": {"rows": 1, "columns": 2, "pattern": "independent"},
            "xaxis": {"title": {"text": "label noise σ (gold-reward units)"}},
            "xaxis2": {"title": {"text": "label noise σ (gold-reward units)"}},
            "yaxis": {"title": {"text": "agrees with held-out labels"}, **yax},
            "yaxis2": {"title": {"text": "agrees with the gold rubric"}, **yax},
            "height": 470, "margin": {"l": 65, "r": 20, "t": 90, "b": 60}}},
        alt=(f"Two line charts of held-out reward-model accuracy against label noise σ from {lo:g} to {hi:g}, one "
             f"line per panel of {', '.join(map(str, SWEEP_ANNOTATORS))} annotators, means over "
             f"{len(SWEEP_SEEDS)} seeds. Against the held-out labels (left), accuracy falls from "
             + ", ".join(pct(sweep_mean(k, lo, 'accuracy')) for k in SWEEP_ANNOTATORS) + " at σ = 0 to "
             + ", ".join(pct(sweep_mean(k, hi, 'accuracy')) for k in SWEEP_ANNOTATORS) + f" at σ = {hi:g}. "
             f"Against the gold rubric (right) it goes from "
             + ", ".join(pct(sweep_mean(k, lo, 'accuracy_gold')) for k in SWEEP_ANNOTATORS) + " to "
             + ", ".join(pct(sweep_mean(k, hi, 'accuracy_gold')) for k in SWEEP_ANNOTATORS) + "."),
    )


# ---------------------------------------------------------------------------------------------- lab texts
@lab_text("rm-n-pairs")
def _n_pairs() -> str:
    return f"{results()['n_pairs']:,}"


@lab_text("rm-n-prompts")
def _n_prompts() -> str:
    return f"{config().n_pairs:,}"


@lab_text("rm-n-train")
def _n_train() -> str:
    return f"{results()['n_train']:,}"


@lab_text("rm-n-test")
def _n_test() -> str:
    return f"{results()['n_test']:,}"


@lab_text("rm-annotators")
def _annotators() -> str:
    return str(config().n_annotators)


@lab_text("rm-label-noise")
def _noise() -> str:
    return f"{config().label_noise:g}"


@lab_text("rm-length-bias")
def _length_bias() -> str:
    return f"{config().length_bias:g}"


@lab_text("rm-confidence-bias")
def _confidence_bias() -> str:
    return f"{config().confidence_bias:g}"


@lab_text("rm-steps")
def _steps() -> str:
    return f"{config().steps:,}"


@lab_text("rm-learning-rate")
def _lr() -> str:
    return f"{config().learning_rate:g}"


@lab_text("rm-n-features")
def _n_features() -> str:
    return str(rm_run()[0].w.size)


@lab_text("rm-hidden")
def _hidden() -> str:
    return str(rm_run()[0].w.size - 2)


@lab_text("rm-accuracy")
def _accuracy() -> str:
    return pct(results()["accuracy"])


@lab_text("rm-accuracy-gold")
def _accuracy_gold() -> str:
    return pct(results()["accuracy_gold"])


@lab_text("rm-train-accuracy")
def _train_accuracy() -> str:
    return pct(results()["train_accuracy"])


@lab_text("rm-label-gold-agreement")
def _label_gold() -> str:
    return pct(results()["labels"]["all"]["gold_agreement"])


@lab_text("rm-unanimous")
def _unanimous() -> str:
    pairs = rm_run()[2]
    return pct(np.mean([p["agreement"] == 1.0 for p in pairs]))


@lab_text("rm-loss-start")
def _loss_start() -> str:
    return f"{results()['loss'][0]:.3f}"


@lab_text("rm-loss-end")
def _loss_end() -> str:
    return f"{results()['loss'][-1]:.3f}"


@lab_text("rm-ln2")
def _ln2() -> str:
    return f"{math.log(2):.3f}"


@lab_text("rm-chosen-mean")
def _chosen_mean() -> str:
    return f"{np.mean(results()['chosen_scores']):+.2f}"


@lab_text("rm-rejected-mean")
def _rejected_mean() -> str:
    return f"{np.mean(results()['rejected_scores']):+.2f}"


@lab_text("rm-score-per-word")
def _per_word() -> str:
    return f"{results()['score_per_word']:+.3f}"


@lab_text("rm-sweep-seeds")
def _sweep_seeds() -> str:
    return str(len(SWEEP_SEEDS))


@lab_text("rm-sweep-pairs")
def _sweep_pairs() -> str:
    return f"{len(_sweep_data()['a']):,}"


@lab_text("rm-sweep-label-gold-zero")
def _sweep_label_gold_zero() -> str:
    return pct(sweep_mean(SWEEP_ANNOTATORS[0], 0.0, "label_gold"))


def noise_drop(key: str, k: int) -> float:
    return sweep_mean(k, SWEEP_NOISE[0], key) - sweep_mean(k, SWEEP_NOISE[-1], key)


@lab_text("rm-sweep-table")
def _sweep_table() -> str:
    rows = []
    for k in SWEEP_ANNOTATORS:
        for s in SWEEP_NOISE:
            rows.append([k, f"{s:g}", pct(sweep_mean(k, s, "label_gold")), pct(sweep_mean(k, s, "accuracy")),
                         pct(sweep_mean(k, s, "accuracy_gold"))])
    return html_table(["annotators", "σ", "labels agree with gold", "RM vs held-out labels", "RM vs gold"], rows,
                      caption=f"Means over {len(SWEEP_SEEDS)} labelling seeds (seed {SEED} answers).")


def _and(parts) -> str:
    parts = list(parts)
    return ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else parts[0]


@lab_text("rm-sweep-panels")
def _panels() -> str:
    return _and(map(str, SWEEP_ANNOTATORS))


@lab_text("rm-sweep-labels-drop")
def _labels_drop() -> str:
    return (_and(f"{100 * noise_drop('accuracy', k):.0f}" for k in SWEEP_ANNOTATORS)
            + f" percentage points with {_panels()} annotators")


@lab_text("rm-sweep-gold-drop")
def _gold_drop() -> str:
    return (_and(f"{100 * noise_drop('accuracy_gold', k):.0f}" for k in SWEEP_ANNOTATORS)
            + f" percentage points with {_panels()} annotators")


@lab_text("rm-sweep-panel-at-1")
def _panel_at_1() -> str:
    return f"at σ = {MID_NOISE:g} the labels agree with the rubric " + \
        _and(pct(sweep_mean(k, MID_NOISE, 'label_gold')) for k in SWEEP_ANNOTATORS) + \
        f" of the time with {_panels()} annotators"


@lab_text("rm-sweep-noise-max")
def _noise_max() -> str:
    return f"{SWEEP_NOISE[-1]:g}"


@lab_text("rm-bt-bin-size")
def _bin_size() -> str:
    return str(len(results()["chosen_scores"]) // BT_BINS)


@lab_text("rm-sweep-grid")
def _grid() -> str:
    return ", ".join(f"{s:g}" for s in SWEEP_NOISE)
