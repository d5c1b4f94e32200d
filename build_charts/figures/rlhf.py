"""Figures and lab texts of the RLHF & PPO chapter.

Every PPO run starts from the same SFT model (``_runs.sft``, seed ``SEED``) and optimises the same reward model
(``reward_model.rm_run``), with the generator ``run_pipeline`` gives the PPO stage: the runs of ``KL_GRID`` differ
only in β (``kl_coef``), and they see the same prompts in the same order (common random numbers). DPO trains on
the RM's training pairs (as ``run_pipeline`` does) for ``DPO_EPOCHS`` epochs; with a constant learning rate the
first e epochs are exactly an e-epoch run, so the default 2-epoch run is a prefix of it. Final policies are all
evaluated the same way: one sampled answer (T = 1) to every training question with the same random numbers
(``dpo.sampled_gold``). CPU ≈ 1.2 s per PPO run, ≈ 0.6 s for DPO.
"""

from functools import cache

import numpy as np

from simulator_wasm.dpo import DPOConfig, run_dpo, sampled_gold
from simulator_wasm.ppo import PPOConfig, run_ppo

from ..lab import html_table, lab_text
from ..registry import Chart, chart
from . import _runs
from ._runs import SEED
from .reward_model import rm_run

KL_GRID = (0.01, 0.05, 0.1, 0.3)       # β values of the slider; 0.05 is TRL's default kl_coef
DEFAULT_BETA = PPOConfig().kl_coef
BETA_COLOURS = ("#dc6b19", "#3366cc", "#2ca02c", "#b23a8a")
SMOOTH = 7                             # moving-average window (iterations) for the noisy per-batch curves
LAST = 10                              # "final" = mean over the last LAST iterations
DPO_EPOCHS = 4
EVAL_SEED = 12345                      # the shared random numbers of the final-policy evaluation

assert DEFAULT_BETA in KL_GRID


@cache
def ppo(beta: float):
    """(params, results) of run_ppo at the lab's defaults but for kl_coef = beta."""
    return run_ppo(_runs.world(SEED), _runs.sft(SEED)[0], rm_run()[0], PPOConfig(kl_coef=beta),
                   _runs.stage_rng(SEED, "ppo"))


def history(beta: float, key: str) -> list[float]:
    return [h[key] for h in ppo(beta)[1]["history"]]


def final(beta: float, key: str) -> float:
    return float(np.mean(history(beta, key)[-LAST:]))


def smooth(x, window: int = SMOOTH) -> list[float]:
    """Trailing moving average (shorter at the start), same length as x."""
    c = np.cumsum(np.insert(np.asarray(x, dtype=float), 0, 0.0))
    n = np.minimum(np.arange(1, len(x) + 1), window)
    return ((c[1:] - c[np.arange(1, len(x) + 1) - n]) / n).tolist()


@cache
def dpo():
    """(params, results) of run_dpo on the reward model's training pairs, DPO_EPOCHS epochs, default beta."""
    _, res, pairs = rm_run()
    return run_dpo(_runs.world(SEED), _runs.sft(SEED)[0], pairs, DPOConfig(epochs=DPO_EPOCHS),
                   _runs.stage_rng(SEED, "dpo"))


@cache
def evaluation(which: str) -> dict:
    """Gold reward and length of one sampled answer per training question, same random numbers for each policy."""
    params = {"SFT": lambda: _runs.sft(SEED)[0], "PPO": lambda: ppo(DEFAULT_BETA)[0], "DPO": lambda: dpo()[0]}
    gold, length, examples = sampled_gold(_runs.world(SEED), params[which](), np.random.default_rng(EVAL_SEED),
                                          PPOConfig().response_length)
    return {"gold": gold, "length": length, "examples": examples}


def iterations() -> int:
    return PPOConfig().iterations


def beta_label(beta: float) -> str:
    return f"β = {beta:g}"


# -------------------------------------------------------------------------------------------------- charts
PANELS = (("proxy", "reward-model score (proxy)", ""), ("gold", "gold reward (rubric, 0–1)", "2"),
          ("kl", "KL to SFT (nats per answer)", "3"))


@chart("rlhf-beta-slider")
def beta_slider() -> Chart:
    """Proxy reward, gold reward and KL per iteration; a slider picks β. Trace 3k + j = panel j of KL_GRID[k]."""
    its = list(range(iterations()))
    traces = []
    k0 = KL_GRID.index(DEFAULT_BETA)
    for k, beta in enumerate(KL_GRID):
        for key, name, axis in PANELS:
            y = history(beta, key)
            traces.append({"type": "scatter", "mode": "lines", "name": f"{name}, {beta_label(beta)}",
                           "x": its, "y": smooth(y) if key != "kl" else y, "visible": k == k0,
                           "showlegend": False, "line": {"color": BETA_COLOURS[k], "width": 2.5},
                           "xaxis": "x" + axis, "yaxis": "y" + axis,
                           "hovertemplate": f"{beta_label(beta)}<br>iteration %{{x}}<br>{name}: %{{y:.3f}}"
                                            "<extra></extra>"})
    steps = [{"label": f"{beta:g}", "method": "restyle",
              "args": [{"visible": [i // len(PANELS) == k for i in range(len(traces))]}, list(range(len(traces)))]}
             for k, beta in enumerate(KL_GRID)]
    lims = {key: (min(min(history(b, key)) for b in KL_GRID), max(max(history(b, key)) for b in KL_GRID))
            for key, _, _ in PANELS}
    axes = {}
    for j, (key, name, axis) in enumerate(PANELS):
        lo, hi = lims[key]
        pad = 0.05 * (hi - lo)
        axes["yaxis" + axis] = {"title": {"text": name.replace(" (", "<br>(")}, "range": [lo - pad, hi + pad],
                                "domain": [1 - (j + 1) / 3 + 0.04, 1 - j / 3 - 0.02]}
        axes["xaxis" + axis] = {"anchor": "y" + axis, "matches": "x" if axis else None,
                                "showticklabels": j == len(PANELS) - 1,
                                "title": {"text": "PPO iteration (batches of sampled answers)" if j == 2 else ""}}
        if not axis:
            axes["xaxis"].pop("matches")
    return Chart(
        figure={"data": traces, "layout": {
            "title": {"text": f"Lab PPO: proxy reward, gold reward and KL<br><sub>one run per β; rewards: "
                              f"moving average over {SMOOTH} iterations (seed {SEED})</sub>"},
            **axes, "height": 720, "margin": {"l": 80, "r": 20, "t": 80, "b": 150},
            "sliders": [{"active": k0, "steps": steps, "x": 0.04, "len": 0.92, "y": -0.1, "pad": {"t": 20},
                         "currentvalue": {"prefix": "KL coefficient β (kl_coef) = "},
                         "bgcolor": "rgba(128,128,128,0.25)", "bordercolor": "#888", "activebgcolor": "#3366cc",
                         "tickcolor": "#888", "transition": {"duration": 0}}]}},
        alt=(f"Three stacked line charts against PPO iteration (0 to {iterations() - 1}): the reward model's score, "
             f"the gold rubric reward and the KL divergence from the SFT model, for one β at a time chosen by a "
             f"slider over β = {', '.join(f'{b:g}' for b in KL_GRID)}. Over the last {LAST} iterations the proxy "
             f"reward averages " + ", ".join(f"{final(b, 'proxy'):+.2f}" for b in KL_GRID)
             + ", the gold reward " + ", ".join(f"{final(b, 'gold'):.2f}" for b in KL_GRID)
             + " and the KL " + ", ".join(f"{final(b, 'kl'):.2f}" for b in KL_GRID)
             + " nats per answer, for β in that order. The table below lists them."),
    )


DYNAMICS = (("clipfrac", "clip fraction", ".1%"), ("entropy", "entropy (nats per token)", ".2f"),
            ("accuracy", "right verdict", ".0%"), ("safety", "no hard gate fired", ".0%"))


@chart("rlhf-dynamics")
def dynamics() -> Chart:
    """Clip fraction, entropy, verdict accuracy and safety per iteration, one line per β, four panels."""
    its = list(range(iterations()))
    traces = []
    for j, (key, name, fmt) in enumerate(DYNAMICS):
        axis = "" if j == 0 else str(j + 1)
        for k, beta in enumerate(KL_GRID):
            y = history(beta, key)
            traces.append({"type": "scatter", "mode": "lines", "name": beta_label(beta), "legendgroup": str(beta),
                           "showlegend": j == 0, "x": its, "y": y if key in ("clipfrac", "entropy") else smooth(y),
                           "line": {"color": BETA_COLOURS[k], "width": 2}, "xaxis": "x" + axis, "yaxis": "y" + axis,
                           "hovertemplate": f"{beta_label(beta)}<br>iteration %{{x}}<br>{name}: %{{y:{fmt}}}"
                                            "<extra></extra>"})
    layout = {"title": {"text": f"Lab PPO training dynamics for each β (seed {SEED})<br><sub>verdict and safety: "
                                f"moving average over {SMOOTH} iterations</sub>"},
              "grid": {"rows": 2, "columns": 2, "pattern": "independent"},
              "height": 620, "margin": {"l": 70, "r": 20, "t": 90, "b": 70},
              "legend": {"orientation": "h", "y": -0.14}}
    for j, (key, name, fmt) in enumerate(DYNAMICS):
        axis = "" if j == 0 else str(j + 1)
        layout["xaxis" + axis] = {"title": {"text": "PPO iteration"}}
        layout["yaxis" + axis] = {"title": {"text": name}, "tickformat": fmt if "%" in fmt else None}
        if "%" not in fmt:
            layout["yaxis" + axis].pop("tickformat")
    return Chart(
        figure={"data": traces, "layout": layout},
        alt=(f"Four line charts against PPO iteration, one line per β ({', '.join(f'{b:g}' for b in KL_GRID)}): "
             f"the share of tokens whose probability ratio was clipped (last-{LAST}-iteration means "
             + ", ".join(f"{final(b, 'clipfrac'):.1%}" for b in KL_GRID) + "), the policy's entropy ("
             + ", ".join(f"{final(b, 'entropy'):.2f}" for b in KL_GRID) + " nats per token), the share of answers "
             "with the right verdict (" + ", ".join(f"{final(b, 'accuracy'):.0%}" for b in KL_GRID)
             + ") and the share with no hard gate of the rubric fired ("
             + ", ".join(f"{final(b, 'safety'):.0%}" for b in KL_GRID) + ")."),
    )


def samples(beta: float = DEFAULT_BETA) -> list[dict]:
    return ppo(beta)[1]["samples"]


def sample_iterations(beta: float = DEFAULT_BETA) -> list[int]:
    return sorted({s["iteration"] for s in samples(beta)})


def question_labels() -> list[str]:
    qs = []
    for s in samples():
        if s["question"] not in qs:
            qs.append(s["question"])
    return qs


def _wrap(text: str, width: int = 60) -> str:
    out, line = [], ""
    for w in text.split():
        if line and len(line) + 1 + len(w) > width:
            out.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return "<br>".join(out + [line])


@chart("rlhf-animation")
def animation() -> Chart:
    """The policy's sampled answers to three fixed questions, with their proxy and gold rewards, over iterations.

    Frames (one per recorded iteration) restyle traces 2–4 only: the marker on the reward curves, the two reward
    bars and the answer texts. Traces 0–1 (the full curves) stay; nothing in a frame touches the layout, so the
    light/dark colours set by charts.js survive playback.
    """
    beta = DEFAULT_BETA
    its = sample_iterations(beta)
    qs = question_labels()
    qlab = [f"Q{i + 1}" for i in range(len(qs))]
    proxy_s, gold_s = smooth(history(beta, "proxy")), smooth(history(beta, "gold"))

    def frame_data(it):
        rows = [s for s in samples(beta) if s["iteration"] == it]
        by_q = {s["question"]: s for s in rows}
        ordered = [by_q[q] for q in qs]
        return [
            {"type": "scatter", "x": [it, it], "y": [proxy_s[it], gold_s[it]]},
            {"type": "bar", "x": [s["proxy"] for s in ordered], "y": qlab},
            {"type": "bar", "x": [s["gold"] for s in ordered], "y": qlab},
            {"type": "scatter", "x": [0] * len(qs), "y": list(range(len(qs))),
             "text": [f"<b>{q}</b> {_wrap(s['question'])}<br>→ {_wrap(s['answer'])}" for q, s in zip(qlab, ordered)]},
        ]

    first = frame_data(its[0])
    its_all = list(range(iterations()))
    traces = [
        {"type": "scatter", "mode": "lines", "name": "batch RM score (proxy)", "x": its_all, "y": proxy_s,
         "line": {"color": "#3366cc", "width": 2}, "xaxis": "x", "yaxis": "y"},
        {"type": "scatter", "mode": "lines", "name": "batch gold reward", "x": its_all, "y": gold_s,
         "line": {"color": "#2ca02c", "width": 2}, "xaxis": "x", "yaxis": "y"},
        {**first[0], "mode": "markers", "name": "shown iteration", "marker": {"size": 13, "color": "#dc6b19",
                                                                              "symbol": "diamond"},
         "xaxis": "x", "yaxis": "y", "hovertemplate": "iteration %{x}<br>%{y:.2f}<extra></extra>"},
        {**first[1], "orientation": "h", "name": "RM score of the answer", "marker": {"color": "#3366cc"},
         "xaxis": "x2", "yaxis": "y2", "hovertemplate": "%{y}: RM score %{x:+.2f}<extra></extra>"},
        {**first[2], "orientation": "h", "name": "gold reward of the answer", "marker": {"color": "#2ca02c"},
         "xaxis": "x2", "yaxis": "y2", "hovertemplate": "%{y}: gold %{x:.2f}<extra></extra>"},
        {**first[3], "mode": "text", "textposition": "bottom right", "showlegend": False, "hoverinfo": "skip",
         "textfont": {"size": 12}, "xaxis": "x3", "yaxis": "y3"},
    ]
    frames = [{"name": str(it), "data": frame_data(it), "traces": [2, 3, 4, 5]} for it in its]
    play = {"label": "▶ Play", "method": "animate",
            "args": [None, {"frame": {"duration": 1500, "redraw": True}, "fromcurrent": True,
                            "transition": {"duration": 300}}]}
    pause = {"label": "❚❚ Pause", "method": "animate",
             "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate",
                               "transition": {"duration": 0}}]}
    slider = {"active": 0, "x": 0.3, "len": 0.7, "y": 0, "yanchor": "top", "pad": {"t": 10},
              "currentvalue": {"prefix": "PPO iteration: "}, "bgcolor": "rgba(128,128,128,0.25)",
              "bordercolor": "#888", "activebgcolor": "#dc6b19", "tickcolor": "#888",
              "steps": [{"label": str(it), "method": "animate",
                         "args": [[str(it)], {"frame": {"duration": 0, "redraw": True}, "mode": "immediate",
                                              "transition": {"duration": 0}}]} for it in its]}
    all_rewards = [s[k] for s in samples(beta) for k in ("proxy", "gold")]
    return Chart(
        figure={"data": traces, "frames": frames, "layout": {
            "title": {"text": f"Lab PPO: sampled answers over training<br><sub>β = {beta:g}, rewards as moving "
                              f"averages over {SMOOTH} iterations (seed {SEED})</sub>"},
            "xaxis": {"domain": [0, 0.44], "anchor": "y", "title": {"text": "PPO iteration"},
                      "range": [-1.5, iterations() + 0.5]},
            "yaxis": {"domain": [0.6, 1], "anchor": "x", "title": {"text": "batch mean reward"}},
            "xaxis2": {"domain": [0.6, 1], "anchor": "y2", "range": [min(-0.5, min(all_rewards) - 0.1),
                                                                      max(all_rewards) + 0.1],
                       "title": {"text": "reward of the answer"}},
            "yaxis2": {"domain": [0.6, 1], "anchor": "x2", "autorange": "reversed",
                       "title": {"text": "question"}},
            "xaxis3": {"domain": [0, 1], "anchor": "y3", "range": [0, 1], "visible": False},
            "yaxis3": {"domain": [0, 0.47], "anchor": "x3", "range": [len(qs) - 0.05, -0.1], "visible": False},
            "barmode": "group", "height": 780, "margin": {"l": 70, "r": 20, "t": 130, "b": 90},
            "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "font": {"size": 11}},
            "updatemenus": [{"type": "buttons", "direction": "left", "showactive": False, "x": 0, "y": 0,
                             "xanchor": "left", "yanchor": "top", "pad": {"t": 40, "r": 10},
                             "bgcolor": "rgba(128,128,128,0.25)", "bordercolor": "#888",
                             "buttons": [play, pause]}],
            "sliders": [slider]}},
        alt=(f"Animation over PPO iterations {', '.join(map(str, its))} (β = {beta:g}): the batch's mean RM score and "
             f"gold reward against iteration with a marker at the shown iteration, bars of the RM score and gold "
             f"reward of one sampled answer to each of {len(qs)} fixed questions, and the answers themselves. "
             f"Play and Pause buttons and a slider step through the iterations; the table below the chart lists "
             f"every answer and reward shown."),
    )


@chart("rlhf-dpo-vs-ppo")
def dpo_vs_ppo() -> Chart:
    """Gold reward and length of SFT, PPO (β default) and DPO policies, evaluated the same way; DPO per epoch."""
    names = ("SFT", "PPO", "DPO")
    colours = ("#7f7f7f", "#3366cc", "#b23a8a")
    ev = {n: evaluation(n) for n in names}
    hist = dpo()[1]["history"]
    traces = [
        {"type": "bar", "name": "gold reward (rubric)", "x": [f"{n} policy" for n in names],
         "y": [ev[n]["gold"] for n in names], "marker": {"color": list(colours)}, "showlegend": False,
         "hovertemplate": "%{x}<br>mean gold reward %{y:.3f}<extra></extra>"},
        {"type": "scatter", "mode": "lines+markers", "name": "DPO: gold reward after each epoch",
         "x": [h["epoch"] for h in hist], "y": [h["gold"] for h in hist], "xaxis": "x2", "yaxis": "y2",
         "line": {"color": "#b23a8a", "width": 2.5},
         "hovertemplate": "epoch %{x}<br>gold %{y:.3f}<extra></extra>"},
        {"type": "scatter", "mode": "lines+markers", "name": "DPO: implicit-reward accuracy on its pairs",
         "x": [h["epoch"] for h in hist], "y": [h["accuracy"] for h in hist], "xaxis": "x2", "yaxis": "y2",
         "line": {"color": "#7f7f7f", "width": 2, "dash": "dot"},
         "hovertemplate": "epoch %{x}<br>accuracy %{y:.0%}<extra></extra>"},
    ]
    dcfg = DPOConfig()
    return Chart(
        figure={"data": traces, "layout": {
            "title": {"text": f"Lab DPO beside PPO, same preferences<br><sub>left: one sampled answer per "
                              f"training question, same random numbers for each policy (seed {SEED})</sub>"},
            "grid": {"rows": 1, "columns": 2, "pattern": "independent"},
            "xaxis": {"title": {"text": f"policy (PPO: kl_coef {DEFAULT_BETA:g};<br>DPO: beta {dcfg.beta:g}, "
                                        f"{DPO_EPOCHS} epochs)"}},
            "yaxis": {"title": {"text": "mean gold reward (rubric, 0–1)"}, "range": [0, 1]},
            "xaxis2": {"title": {"text": "DPO epoch (0 = the SFT model)"}, "dtick": 1},
            "yaxis2": {"title": {"text": "gold reward / share of pairs"}, "range": [0, 1]},
            "height": 470, "margin": {"l": 65, "r": 20, "t": 90, "b": 110}, "legend": {"orientation": "h",
                                                                                        "y": -0.3}}},
        alt=(f"Left: bar chart of the mean gold reward of one sampled answer per training question for the SFT "
             f"model ({ev['SFT']['gold']:.3f}), the PPO policy at β = {DEFAULT_BETA:g} ({ev['PPO']['gold']:.3f}) and "
             f"the DPO policy after {DPO_EPOCHS} epochs ({ev['DPO']['gold']:.3f}). Right: DPO's gold reward after "
             f"epochs 0 to {DPO_EPOCHS} (" + ", ".join(f"{h['gold']:.3f}" for h in hist) + ") and the share of its "
             "training pairs whose implicit reward ranks the chosen answer first ("
             + ", ".join(f"{h['accuracy']:.0%}" for h in hist) + ")."),
    )


# ---------------------------------------------------------------------------------------------- lab texts
@lab_text("rlhf-kl-grid")
def _kl_grid() -> str:
    return ", ".join(f"{b:g}" for b in KL_GRID)


@lab_text("rlhf-default-beta")
def _default_beta() -> str:
    return f"{DEFAULT_BETA:g}"


@lab_text("rlhf-iterations")
def _iterations() -> str:
    return str(iterations())


@lab_text("rlhf-batch-size")
def _batch() -> str:
    return str(PPOConfig().batch_size)


@lab_text("rlhf-learning-rate")
def _lr() -> str:
    return f"{PPOConfig().learning_rate:g}"


@lab_text("rlhf-cliprange")
def _clip() -> str:
    return f"{PPOConfig().cliprange:g}"


@lab_text("rlhf-epochs")
def _epochs() -> str:
    return str(PPOConfig().num_ppo_epochs)


@lab_text("rlhf-gamma-lam")
def _gamma_lam() -> str:
    c = PPOConfig()
    return f"γ = {c.gamma:g}, λ = {c.lam:g}"


@lab_text("rlhf-vf-coef")
def _vf() -> str:
    return f"{PPOConfig().vf_coef:g}"


@lab_text("rlhf-last")
def _last() -> str:
    return str(LAST)


@lab_text("rlhf-final-table")
def _final_table() -> str:
    rows = [[f"{b:g}", f"{final(b, 'proxy'):+.2f}", f"{final(b, 'gold'):.3f}", f"{final(b, 'kl'):.2f}",
             f"{final(b, 'length'):.1f}", f"{final(b, 'accuracy'):.0%}", f"{final(b, 'safety'):.0%}"]
            for b in KL_GRID]
    sft = [h for h in ppo(DEFAULT_BETA)[1]["history"][:1]][0]
    rows.insert(0, ["SFT (iteration 0)", f"{sft['proxy']:+.2f}", f"{sft['gold']:.3f}", f"{sft['kl']:.2f}",
                    f"{sft['length']:.1f}", f"{sft['accuracy']:.0%}", f"{sft['safety']:.0%}"])
    return html_table(["β (kl_coef)", "proxy (RM score)", "gold (rubric)", "KL (nats per answer)", "words",
                       "right verdict", "no gate fired"], rows,
                      caption=f"Means over the last {LAST} of {iterations()} iterations ({PPOConfig().batch_size} "
                              f"sampled answers each); the first row is the first batch, sampled from the SFT model.")


def _extreme(key: str) -> tuple[float, float]:
    return final(KL_GRID[0], key), final(KL_GRID[-1], key)


@lab_text("rlhf-kl-smallest-beta")
def _kl_small() -> str:
    return f"{_extreme('kl')[0]:.2f}"


@lab_text("rlhf-kl-largest-beta")
def _kl_large() -> str:
    return f"{_extreme('kl')[1]:.2f}"


@lab_text("rlhf-proxy-smallest-beta")
def _proxy_small() -> str:
    return f"{_extreme('proxy')[0]:+.2f}"


@lab_text("rlhf-proxy-largest-beta")
def _proxy_large() -> str:
    return f"{_extreme('proxy')[1]:+.2f}"


@lab_text("rlhf-length-smallest-beta")
def _len_small() -> str:
    return f"{_extreme('length')[0]:.1f}"


@lab_text("rlhf-length-largest-beta")
def _len_large() -> str:
    return f"{_extreme('length')[1]:.1f}"


@lab_text("rlhf-length-sft")
def _len_sft() -> str:
    return f"{ppo(DEFAULT_BETA)[1]['history'][0]['length']:.1f}"


@lab_text("rlhf-smallest-beta")
def _smallest() -> str:
    return f"{KL_GRID[0]:g}"


@lab_text("rlhf-largest-beta")
def _largest() -> str:
    return f"{KL_GRID[-1]:g}"


def best_gold_beta() -> float:
    return max(KL_GRID, key=lambda b: final(b, "gold"))


@lab_text("rlhf-gold-verdict")
def _gold_verdict() -> str:
    """Which β ends with the most gold reward, and whether the smallest β's gold fell from its own peak."""
    best = best_gold_beta()
    small = KL_GRID[0]
    g = smooth(history(small, "gold"))
    peak_it = int(np.argmax(g))
    text = (f"the highest final gold reward belongs to β = {best:g} ({final(best, 'gold'):.3f}), not to the run that "
            f"pushed the proxy furthest")
    if best == small:
        text = f"the highest final gold reward belongs to β = {best:g} ({final(best, 'gold'):.3f})"
    drop = g[peak_it] - g[-1]
    text += (f"; at β = {small:g} the smoothed gold reward peaks at iteration {peak_it} ({g[peak_it]:.3f}) and ends "
             f"{drop:.3f} lower" if drop > 0 else f"; at β = {small:g} the smoothed gold reward ends at its peak")
    return text


@lab_text("rlhf-examples-table")
def _examples_table() -> str:
    rows = []
    for beta in (KL_GRID[0], KL_GRID[-1]):
        s = samples(beta)
        first_it, last_it = s[0]["iteration"], s[-1]["iteration"]
        for row in s:
            if row["iteration"] in (first_it, last_it) and row["question"] == s[0]["question"]:
                rows.append([f"{beta:g}", row["iteration"], row["answer"], f"{row['proxy']:+.2f}",
                             f"{row['gold']:.2f}"])
    return html_table(["β", "iteration", "sampled answer", "RM score", "gold"], rows,
                      caption=f"Question: {samples()[0]['question']}")


@lab_text("rlhf-animation-table")
def _animation_table() -> str:
    rows = [[s["iteration"], s["question"], s["answer"], f"{s['proxy']:+.2f}", f"{s['gold']:.2f}"]
            for s in samples()]
    return html_table(["iteration", "question", "sampled answer", "RM score", "gold"], rows,
                      caption=f"β = {DEFAULT_BETA:g}; one answer per question at each shown iteration.")


@lab_text("rlhf-animation-iterations")
def _anim_its() -> str:
    its = sample_iterations()
    return ", ".join(map(str, its[:-1])) + f" and {its[-1]}"


@lab_text("dpo-beta")
def _dpo_beta() -> str:
    return f"{DPOConfig().beta:g}"


@lab_text("dpo-epochs")
def _dpo_epochs() -> str:
    return str(DPO_EPOCHS)


@lab_text("dpo-default-epochs")
def _dpo_default_epochs() -> str:
    return str(DPOConfig().epochs)


@lab_text("dpo-learning-rate")
def _dpo_lr() -> str:
    return f"{DPOConfig().learning_rate:g}"


@lab_text("dpo-rows")
def _dpo_rows() -> str:
    return f"{dpo()[1]['rows']:,}"


@lab_text("dpo-n-pairs")
def _dpo_pairs() -> str:
    return f"{len(rm_run()[2]):,}"


@lab_text("dpo-table")
def _dpo_table() -> str:
    rows = [[n, f"{evaluation(n)['gold']:.3f}", f"{evaluation(n)['length']:.1f}"] for n in ("SFT", "PPO", "DPO")]
    rows[1][0] = f"PPO (β = kl_coef = {DEFAULT_BETA:g}, {iterations()} iterations)"
    rows[2][0] = f"DPO (beta = {DPOConfig().beta:g}, {DPO_EPOCHS} epochs)"
    return html_table(["policy", "mean gold reward", "mean words"], rows,
                      caption="One sampled answer (T = 1) per training question, the same random numbers for "
                              "each policy.")


@lab_text("dpo-history-table")
def _dpo_history() -> str:
    rows = [[h["epoch"], f"{h['loss']:.3f}", f"{h['margin']:+.3f}", f"{h['accuracy']:.0%}", f"{h['gold']:.3f}",
             f"{h['length']:.1f}"] for h in dpo()[1]["history"]]
    return html_table(["epoch", "DPO loss", "implicit reward margin", "pairs ranked right", "gold", "words"], rows,
                      caption="Epoch 0 is the SFT model; loss, margin and accuracy are measured on each minibatch "
                              "just before its step.")


@lab_text("rlhf-max-clipfrac")
def _max_clipfrac() -> str:
    return f"{max(max(history(b, 'clipfrac')) for b in KL_GRID):.1%}"


@lab_text("rlhf-entropy-start")
def _entropy_start() -> str:
    return f"{history(DEFAULT_BETA, 'entropy')[0]:.2f}"


@lab_text("rlhf-entropy-final")
def _entropy_final() -> str:
    return ", ".join(f"{final(b, 'entropy'):.2f}" for b in KL_GRID)


@lab_text("rlhf-policy-comparison")
def _policy_comparison() -> str:
    """The three policies' gold rewards, in order, as a sentence (the order is whatever the runs give)."""
    names = {"SFT": "the SFT model", "PPO": f"PPO at β = {DEFAULT_BETA:g}",
             "DPO": f"DPO after {DPO_EPOCHS} epochs"}
    ranked = sorted(names, key=lambda n: -evaluation(n)["gold"])
    return ("ranked by mean gold reward: " + ", then ".join(f"{names[n]} ({evaluation(n)['gold']:.3f})"
                                                           for n in ranked))


@lab_text("dpo-accuracy-end")
def _dpo_acc_end() -> str:
    return f"{dpo()[1]['history'][-1]['accuracy']:.0%}"


@lab_text("dpo-loss-end")
def _dpo_loss_end() -> str:
    return f"{dpo()[1]['history'][-1]['loss']:.3f}"


@lab_text("dpo-best-epoch")
def _dpo_best_epoch() -> str:
    hist = dpo()[1]["history"]
    best = max(hist, key=lambda h: h["gold"])
    return f"epoch {best['epoch']} ({best['gold']:.3f})"
