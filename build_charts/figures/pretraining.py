"""Figures and lab texts of the Pretraining chapter.

Lab charts come from real ``run_pretrain`` runs (``_runs.py``, seed ``SEED``): one run of ``MAX_EPOCHS`` epochs
per corpus size of ``DATA_GRID``, whose first e epochs are exactly an e-epoch run (constant learning rate, same
generators), so the slider's every position is a real run. Real-scale charts evaluate the published fits in
``simulator_wasm.scaling_laws``; every constant is cited there and in the chapter.
"""

import math

import numpy as np

from simulator_wasm import scaling_laws as laws
from simulator_wasm.generate import generate
from simulator_wasm.model import Params
from simulator_wasm.pretrain import PretrainConfig
from simulator_wasm.sft import first_verdict
from simulator_wasm.world import ITEMS, fact_sentence, pair_head

from ..lab import html_table, lab_text, sci, words
from ..registry import Chart, chart
from . import _runs
from ._runs import DATA_GRID, MAX_EPOCHS, SEED

COLOURS = ("#3366cc", "#dc6b19", "#2ca02c", "#b23a8a")   # one per corpus size (BASE_LAYOUT's colorway)
BINS_PER_EPOCH = 8       # training-loss points per epoch on the slider chart (means of consecutive steps)
LOG_TICKS = (0.2, 0.3, 0.5, 1, 2, 3, 5)
INITIAL = (1, MAX_EPOCHS)   # slider start: DATA_GRID[1] highlighted, all epochs shown
SLIDER_STYLE = {"bgcolor": "rgba(128,128,128,0.25)", "bordercolor": "#888", "activebgcolor": "#3366cc",
                "tickcolor": "#888", "len": 0.92, "x": 0.04, "xanchor": "left", "yanchor": "top",
                "transition": {"duration": 0}}


def log_ticks(values) -> dict:
    """Explicit ticks for a log axis (Plotly's default labels every minor tick, e.g. 2, 3, … 9)."""
    return {"tickvals": list(values), "ticktext": [f"{v:,g}" for v in values]}


# ------------------------------------------------------------------------------------------------- lab runs
def grid_results(data_tokens: int) -> dict:
    """Results of the grid run for one corpus size (MAX_EPOCHS epochs, seed SEED)."""
    return _runs.pretrain(SEED, data_tokens, MAX_EPOCHS)[1]


def vocab_size() -> int:
    return len(_runs.world(SEED).vocab)


def val_after(data_tokens: int, epochs: int) -> float:
    """Validation loss after ``epochs`` passes over ``data_tokens`` unique tokens."""
    return grid_results(data_tokens)["val_loss"][epochs]


def best_epoch(data_tokens: int) -> int:
    val = grid_results(data_tokens)["val_loss"]
    return int(np.argmin(val[1:])) + 1


def curves(data_tokens: int, epochs: int) -> dict:
    """Validation points (one per epoch end, and before training) and binned training loss, for the first
    ``epochs`` epochs; x is tokens processed (one token = one next-token prediction)."""
    res = grid_results(data_tokens)
    n, batch = res["tokens"], res["config"]["batch_size"]
    per_epoch = -(-n // batch)
    seen_in_epoch = np.minimum(np.arange(1, per_epoch + 1) * batch, n)
    steps = np.asarray(res["step_loss"])
    tx, ty = [], []
    for e in range(epochs):
        for chunk in np.array_split(np.arange(per_epoch), min(BINS_PER_EPOCH, per_epoch)):
            tx.append(int(e * n + seen_in_epoch[chunk[-1]]))
            ty.append(float(steps[e * per_epoch + chunk].mean()))
    return {"val_x": [e * n for e in range(epochs + 1)], "val_y": [float(v) for v in res["val_loss"][:epochs + 1]],
            "train_x": tx, "train_y": ty}


# -------------------------------------------------------------------------------------------------- charts
@chart("pretraining-loss-curves")
def loss_curves() -> Chart:
    """Validation (all corpus sizes) and training loss (the highlighted one) against tokens processed, with a
    slider for the highlighted corpus size and one for the number of epochs."""
    log_v = math.log(vocab_size())
    k0, e0 = INITIAL
    n_d = len(DATA_GRID)
    val_idx, train_idx, base_idx = list(range(n_d)), list(range(n_d, 2 * n_d)), 2 * n_d
    all_idx = val_idx + train_idx + [base_idx]

    def xy(epochs):
        cs = [curves(d, epochs) for d in DATA_GRID]
        x = [c["val_x"] for c in cs] + [c["train_x"] for c in cs] + [[0, max(DATA_GRID) * epochs]]
        y = [c["val_y"] for c in cs] + [c["train_y"] for c in cs] + [[log_v, log_v]]
        return x, y

    def look(k):
        return {"opacity": [1.0 if i == k else 0.5 for i in range(n_d)] + [1.0] * (n_d + 1),
                "line.width": [3.5 if i == k else 1.5 for i in range(n_d)] + [2.0] * n_d + [1.5],
                "visible": [True] * n_d + [i == k for i in range(n_d)] + [True]}

    x0, y0 = xy(e0)
    l0 = look(k0)
    traces = []
    for i, d in enumerate(DATA_GRID):
        traces.append({"type": "scatter", "mode": "lines+markers", "name": f"validation, {d:,} unique tokens",
                       "x": x0[i], "y": y0[i], "opacity": l0["opacity"][i],
                       "line": {"color": COLOURS[i], "width": l0["line.width"][i]}, "marker": {"size": 6},
                       "hovertemplate": f"{d:,} unique tokens<br>%{{x:,}} tokens processed<br>"
                                        "validation loss %{y:.3f} nats<extra></extra>"})
    for i, d in enumerate(DATA_GRID):
        traces.append({"type": "scatter", "mode": "lines", "name": f"training, {d:,} unique tokens",
                       "x": x0[n_d + i], "y": y0[n_d + i], "visible": l0["visible"][n_d + i], "opacity": 1.0,
                       "line": {"color": COLOURS[i], "width": 2.0, "dash": "dot"},
                       "hovertemplate": f"{d:,} unique tokens<br>%{{x:,}} tokens processed<br>"
                                        "training loss %{y:.3f} nats (batch mean)<extra></extra>"})
    traces.append({"type": "scatter", "mode": "lines", "name": f"uniform guess, log V = {log_v:.2f}",
                   "x": x0[base_idx], "y": y0[base_idx], "opacity": 1.0,
                   "line": {"color": "#7f7f7f", "dash": "longdash", "width": 1.5},
                   "hoverinfo": "skip"})

    data_steps = [{"label": f"{d:,}", "method": "restyle", "args": [look(k), all_idx]}
                  for k, d in enumerate(DATA_GRID)]
    epoch_steps = []
    for e in range(1, MAX_EPOCHS + 1):
        x, y = xy(e)
        epoch_steps.append({"label": str(e), "method": "restyle", "args": [{"x": x, "y": y}, all_idx]})
    sliders = [
        {**SLIDER_STYLE, "active": k0, "steps": data_steps, "y": -0.16, "pad": {"t": 10},
         "currentvalue": {"prefix": "Highlighted corpus: ", "suffix": " unique tokens"}},
        {**SLIDER_STYLE, "active": e0 - 1, "steps": epoch_steps, "y": -0.42, "pad": {"t": 10},
         "currentvalue": {"prefix": "Epochs (passes over the corpus): "}},
    ]
    small, large = DATA_GRID[0], DATA_GRID[-1]
    return Chart(
        figure={
            "data": traces,
            "layout": {
                "title": {"text": f"Lab pretraining: loss against tokens processed (seed {SEED})",
                          "yref": "container", "y": 0.985, "yanchor": "top"},
                "xaxis": {"title": {"text": "tokens processed (unique tokens × epochs)"}, "tickformat": ",d"},
                "yaxis": {"title": {"text": "loss (nats per token, log scale)"}, "type": "log",
                          "range": [math.log10(0.12), math.log10(7.0)], **log_ticks(LOG_TICKS)},
                "height": 660, "margin": {"l": 65, "r": 30, "t": 130, "b": 230},
                "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "font": {"size": 11}},
                "sliders": sliders,
            },
        },
        alt=(f"Line chart of the lab model's validation loss against tokens processed, one line per corpus size "
             f"({', '.join(f'{d:,}' for d in DATA_GRID)} unique tokens), with the training loss of the highlighted "
             f"size dotted and the uniform-guess level log V = {log_v:.2f} nats. Two sliders choose the highlighted "
             f"corpus and the number of epochs (1 to {MAX_EPOCHS}). After one epoch the validation loss is "
             f"{val_after(small, 1):.2f} nats for {small:,} tokens and {val_after(large, 1):.2f} for {large:,}; "
             f"repeating a small corpus drives the training loss down while the validation loss turns back up. "
             f"Seed {SEED}. The table below the chart lists the values."),
    )


@chart("pretraining-epochs")
def epochs_chart() -> Chart:
    """Validation loss at the end of each epoch, one line per corpus size, best epoch starred."""
    traces = []
    epochs = list(range(1, MAX_EPOCHS + 1))
    for i, d in enumerate(DATA_GRID):
        val = [val_after(d, e) for e in epochs]
        traces.append({"type": "scatter", "mode": "lines+markers", "name": f"{d:,} unique tokens",
                       "x": epochs, "y": val, "line": {"color": COLOURS[i], "width": 2.5},
                       "hovertemplate": f"{d:,} unique tokens<br>epoch %{{x}}<br>validation loss %{{y:.3f}} nats"
                                        "<extra></extra>"})
    best = [(best_epoch(d), val_after(d, best_epoch(d))) for d in DATA_GRID]
    traces.append({"type": "scatter", "mode": "markers", "name": "lowest validation loss",
                   "x": [b[0] for b in best], "y": [b[1] for b in best],
                   "marker": {"symbol": "star", "size": 15, "color": list(COLOURS[:len(DATA_GRID)]),
                              "line": {"width": 1, "color": "#888"}},
                   "hovertemplate": "best epoch %{x}<br>validation loss %{y:.3f} nats<extra></extra>"})
    return Chart(
        figure={
            "data": traces,
            "layout": {
                "title": {"text": f"Lab pretraining: validation loss after each epoch (seed {SEED})"},
                "xaxis": {"title": {"text": "epochs (passes over the same corpus)"}, "dtick": 1},
                "yaxis": {"title": {"text": "validation loss (nats per token)"}},
            },
        },
        alt=(f"Line chart of validation loss after 1 to {MAX_EPOCHS} epochs for corpora of "
             f"{', '.join(f'{d:,}' for d in DATA_GRID)} unique tokens (seed {SEED}). Larger corpora sit lower at "
             f"every epoch; each line falls for the first epochs, reaches its lowest value (starred: epoch "
             f"{', '.join(str(b[0]) for b in best)} respectively) and then rises again as the model memorises "
             f"its corpus."),
    )


@chart("pretraining-chinchilla-loss")
def chinchilla_loss() -> Chart:
    """Chinchilla's parametric loss L(N, D) against training tokens, for three model sizes."""
    law = laws.DEFAULT_LAW
    tokens = np.logspace(9, 13, 41)  # 1B to 10T tokens
    traces = []
    for params, dash in [(1e9, "dot"), (7e9, "dash"), (70e9, "solid")]:
        traces.append({
            "type": "scatter", "mode": "lines", "name": f"N = {params / 1e9:g}B parameters",
            "x": tokens.tolist(), "y": [float(v) for v in law.loss(params, tokens)],
            "line": {"dash": dash, "width": 2.5},
            "hovertemplate": "D = %{x:.3s} tokens<br>loss %{y:.3f} nats<extra></extra>",
        })
    traces.append({
        "type": "scatter", "mode": "lines", "name": f"irreducible loss E = {law.E:g}",
        "x": [tokens[0], tokens[-1]], "y": [law.E, law.E],
        "line": {"dash": "longdashdot", "width": 1.5, "color": "#7f7f7f"}, "hoverinfo": "skip",
    })
    return Chart(
        figure={
            "data": traces,
            "layout": {
                "title": {"text": f"Predicted pretraining loss ({law.name} constants)"},
                "xaxis": {"title": {"text": "training tokens D"}, "type": "log"},
                "yaxis": {"title": {"text": "loss (nats per token)"}},
            },
        },
        alt=(f"Line chart of the loss predicted by L(N, D) = E + A/N^alpha + B/D^beta with the {law.name} "
             f"constants, for 1B, 7B and 70B parameters over 1 billion to 10 trillion training tokens: loss "
             f"falls with more data and with more parameters, and flattens towards the irreducible loss {law.E:g}."),
    )


COMPUTE_LAWS = ("besiroglu24", "hoffmann22_unrounded", "hoffmann22_printed")


@chart("pretraining-compute-optimal")
def compute_optimal() -> Chart:
    """Compute-optimal tokens per parameter against the compute budget, for the three Chinchilla constant sets."""
    budgets = np.logspace(19, 26, 57)
    traces = []
    for key, dash in zip(COMPUTE_LAWS, ("solid", "dash", "dot")):
        law = laws.LOSS_LAWS[key]
        n_opt, d_opt = law.compute_optimal(budgets)
        traces.append({"type": "scatter", "mode": "lines", "name": law.name, "x": budgets.tolist(),
                       "y": (np.asarray(d_opt) / np.asarray(n_opt)).tolist(), "line": {"dash": dash, "width": 2.5},
                       "hovertemplate": "C = %{x:.2e} FLOPs<br>%{y:.1f} tokens per parameter<extra></extra>"})
    n_c, d_c = laws.CHINCHILLA["params"], laws.CHINCHILLA["tokens"]
    c_c = float(laws.training_flops(n_c, d_c))
    traces.append({"type": "scatter", "mode": "markers+text", "name": "Chinchilla as trained (70B, 1.4T tokens)",
                   "x": [c_c], "y": [d_c / n_c], "text": ["Chinchilla"], "textposition": "bottom right",
                   "marker": {"symbol": "diamond", "size": 12, "color": "#2ca02c"},
                   "hovertemplate": "Chinchilla: %{y:.0f} tokens per parameter at 6ND = %{x:.2e} FLOPs<extra></extra>"})
    g = laws.GOPHER_BUDGET_FLOPS
    traces.append({"type": "scatter", "mode": "lines", "name": f"Gopher's budget ({g:.3g} FLOPs)",
                   "x": [g, g], "y": [1, 200], "line": {"color": "#7f7f7f", "dash": "longdash", "width": 1.2},
                   "hoverinfo": "skip"})
    return Chart(
        figure={
            "data": traces,
            "layout": {
                "title": {"text": "Compute-optimal tokens per parameter: three readings of Chinchilla"},
                "xaxis": {"title": {"text": "training compute C (FLOPs)"}, "type": "log", "exponentformat": "power"},
                "yaxis": {"title": {"text": "optimal tokens per parameter D/N"}, "type": "log",
                          "range": [math.log10(8), math.log10(200)], **log_ticks((10, 20, 50, 100, 200))},
                "margin": {"l": 60, "r": 40, "t": 50, "b": 55},
            },
        },
        alt=("Line chart of the compute-optimal ratio of training tokens to parameters against compute from 1e19 "
             "to 1e26 FLOPs, from Hoffmann22 Eq. 4 with three constant sets: "
             + "; ".join(f"{laws.LOSS_LAWS[k].name} gives {_ratio_at_gopher(k):.1f} at Gopher's budget"
                         for k in COMPUTE_LAWS)
             + f". Chinchilla itself was trained at {d_c / n_c:.0f} tokens per parameter."),
    )


def _ratio_at_gopher(key: str) -> float:
    n, d = laws.LOSS_LAWS[key].compute_optimal(laws.GOPHER_BUDGET_FLOPS)
    return d / n


REPEAT_EPOCHS = (1, 2, 4, 8, 16, 40, 64)


@chart("pretraining-repeated-epochs")
def repeated_epochs() -> Chart:
    """Muennighoff23 Eq. 5: what repeated epochs are worth in fresh tokens."""
    ep = np.unique(np.round(np.logspace(0, math.log10(100), 60), 2))
    worth = np.asarray(laws.effective_data(1.0, ep))
    plateau = 1.0 + laws.R_D_STAR
    traces = [
        {"type": "scatter", "mode": "lines", "name": "if every repeated token were fresh", "x": ep.tolist(),
         "y": ep.tolist(), "line": {"color": "#7f7f7f", "dash": "dot", "width": 2},
         "hovertemplate": "%{x:.1f} epochs = %{y:.1f}× the unique data<extra></extra>"},
        {"type": "scatter", "mode": "lines", "name": "Muennighoff23 Eq. 5 (fresh-token equivalent)",
         "x": ep.tolist(), "y": worth.tolist(), "line": {"color": "#3366cc", "width": 3},
         "hovertemplate": "%{x:.1f} epochs are worth %{y:.2f}× the unique data in fresh tokens<extra></extra>"},
        {"type": "scatter", "mode": "lines", "name": f"ceiling 1 + R_D* = {plateau:.1f}", "x": [1, 100],
         "y": [plateau, plateau], "line": {"color": "#dc6b19", "dash": "longdash", "width": 1.5}, "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines", "name": f"epochs = 1 + R_D* ≈ {plateau:.0f}", "x": [plateau, plateau],
         "y": [1, 100], "line": {"color": "#b23a8a", "dash": "dashdot", "width": 1.5}, "hoverinfo": "skip"},
    ]
    return Chart(
        figure={
            "data": traces,
            "layout": {
                "title": {"text": "What repeated data is worth at real scale (Muennighoff23)"},
                "xaxis": {"title": {"text": "epochs over the same unique data"}, "type": "log",
                          **log_ticks((1, 2, 4, 8, 16, 32, 64, 100))},
                "yaxis": {"title": {"text": "fresh-token equivalent (× unique tokens)"}, "type": "log",
                          "range": [0, 2], **log_ticks((1, 2, 4, 8, 16, 32, 64, 100))},
                "margin": {"l": 60, "r": 30, "t": 50, "b": 55},
            },
        },
        alt=(f"Log-log line chart of effective data D' over unique data U_D against epochs, from Muennighoff23 "
             f"Eq. 5 with R_D* = {laws.R_D_STAR:.2f}: up to about 4 epochs it follows the line of fresh data "
             f"(4 epochs are worth {laws.effective_data(1.0, 4):.2f}), bends near 1 + R_D* ≈ {plateau:.0f} epochs "
             f"(worth {laws.effective_data(1.0, 16):.1f} at 16) and flattens towards the ceiling {plateau:.1f}, "
             f"which no number of epochs exceeds."),
    )


# ---------------------------------------------------------------------------------------------- lab texts
@lab_text("lab-seed")
def _seed() -> str:
    return str(SEED)


@lab_text("pretraining-vocab-size")
def _vocab_size() -> str:
    return f"{vocab_size():,}"


@lab_text("pretraining-log-v")
def _log_v() -> str:
    return f"{math.log(vocab_size()):.2f}"


@lab_text("pretraining-init-loss")
def _init_loss() -> str:
    return f"{grid_results(DATA_GRID[0])['val_loss'][0]:.2f}"


@lab_text("pretraining-lab-params")
def _lab_params() -> str:
    return f"{Params.size(PretrainConfig().model_config(vocab_size())):,}"


@lab_text("pretraining-context-size")
def _context() -> str:
    return str(PretrainConfig().context_size)


@lab_text("pretraining-batch-size")
def _batch() -> str:
    return str(PretrainConfig().batch_size)


@lab_text("pretraining-default-tokens")
def _default_tokens() -> str:
    return f"{PretrainConfig().data_tokens:,}"


@lab_text("pretraining-fact-fraction")
def _fact_fraction() -> str:
    return f"{PretrainConfig().fact_fraction:.0%}"


@lab_text("pretraining-n-facts")
def _n_facts() -> str:
    return str(len(ITEMS))


@lab_text("pretraining-grid-sizes")
def _grid_sizes() -> str:
    return ", ".join(f"{d:,}" for d in DATA_GRID[:-1]) + f" and {DATA_GRID[-1]:,}"


@lab_text("pretraining-max-epochs")
def _max_epochs() -> str:
    return str(MAX_EPOCHS)


@lab_text("pretraining-val-1ep-smallest")
def _v1_small() -> str:
    return f"{val_after(DATA_GRID[0], 1):.2f}"


@lab_text("pretraining-val-1ep-largest")
def _v1_large() -> str:
    return f"{val_after(DATA_GRID[-1], 1):.2f}"


@lab_text("pretraining-best-epoch-smallest")
def _best_small() -> str:
    return str(best_epoch(DATA_GRID[0]))


@lab_text("pretraining-smallest")
def _smallest() -> str:
    return f"{DATA_GRID[0]:,}"


@lab_text("pretraining-largest")
def _largest() -> str:
    return f"{DATA_GRID[-1]:,}"


@lab_text("pretraining-train-last-smallest")
def _train_last_small() -> str:
    return f"{grid_results(DATA_GRID[0])['train_loss'][-1]:.2f}"


@lab_text("pretraining-val-last-smallest")
def _val_last_small() -> str:
    return f"{val_after(DATA_GRID[0], MAX_EPOCHS):.2f}"


@lab_text("pretraining-epochs-table")
def _epochs_table() -> str:
    rows = []
    for d in DATA_GRID:
        res = grid_results(d)
        b = best_epoch(d)
        rows.append([f"{d:,}"] + [f"{val_after(d, e):.3f}" for e in range(1, MAX_EPOCHS + 1)]
                    + [f"{b} ({val_after(d, b):.3f})", f"{res['train_loss'][-1]:.3f}"])
    return html_table(["unique tokens"] + [f"val. loss after {e} ep." for e in range(1, MAX_EPOCHS + 1)]
                      + ["best epoch (loss)", f"training loss, epoch {MAX_EPOCHS}"], rows,
                      caption=f"Lab pretraining runs, seed {SEED}, losses in nats per token; before training the "
                              f"validation loss is {grid_results(DATA_GRID[0])['val_loss'][0]:.3f}.")


@lab_text("pretraining-same-budget-table")
def _same_budget() -> str:
    budget = max(DATA_GRID)
    rows = [[f"{d:,}", str(budget // d), f"{budget:,}", f"{val_after(d, budget // d):.3f}"]
            for d in DATA_GRID if budget % d == 0 and budget // d <= MAX_EPOCHS]
    return html_table(["unique tokens", "epochs", "tokens processed", "validation loss (nats per token)"], rows,
                      caption=f"Same compute, different mix of fresh and repeated tokens (lab, seed {SEED}).")


# Base model: how it continues the start of a fact sentence, and how it continues a question.
def completions() -> list[dict]:
    """Greedy continuation of "drug with other :" by the default pretrained model, for every item."""
    w = _runs.world(SEED)
    params = _runs.pretrain(SEED)[0]
    gen = generate(params, [w.vocab.encode(pair_head(i)) for i in ITEMS], None, 12, greedy=True)
    out = []
    for item, ids in zip(ITEMS, gen.answers()):
        cont = w.vocab.decode(ids)
        target = fact_sentence(item)[len(pair_head(item)):]
        out.append({"item": item, "prompt": words(pair_head(item)), "continuation": cont,
                    "verdict_ok": first_verdict(cont) == item.verdict, "exact": cont[:len(target)] == target,
                    "heldout": item in w.heldout_items})
    return out


@lab_text("pretraining-completion-verdicts")
def _completion_verdicts() -> str:
    c = completions()
    return f"{sum(x['verdict_ok'] for x in c)} of {len(c)}"


@lab_text("pretraining-completion-exact")
def _completion_exact() -> str:
    c = completions()
    return f"{sum(x['exact'] for x in c)} of {len(c)}"


@lab_text("pretraining-completions-table")
def _completions_table() -> str:
    rows = [[x["prompt"], words(x["continuation"][:9]) + " …", x["item"].verdict,
             "yes" if x["verdict_ok"] else "no", "yes" if x["exact"] else "no"]
            for x in completions()[:8]]
    return html_table(["text given to the model", "its greedy continuation (first 9 words)", "verdict in the corpus",
                       "verdict right", "whole sentence right"], rows,
                      caption=f"The lab's pretrained model (default settings, seed {SEED}), first 8 of "
                              f"{len(ITEMS)} facts.")


@lab_text("pretraining-base-answers-table")
def _base_answers() -> str:
    before = _runs.sft(SEED)[1]["before"]["heldout_facts"]["examples"][:3]
    rows = [[e["question"], e["answer"]] for e in before]
    return html_table(["question (as the lab writes it)", "the pretrained model's greedy continuation"], rows,
                      caption=f"Default pretrained model, seed {SEED}: the same model as in the table above.")


# Real scale.
@lab_text("pretraining-compute-optimal-table")
def _compute_table() -> str:
    rows = []
    g = laws.GOPHER_BUDGET_FLOPS
    for key in COMPUTE_LAWS:
        law = laws.LOSS_LAWS[key]
        n, d = law.compute_optimal(g)
        rows.append([law.name, f"{law.E:.4g}", f"{law.A:.5g}", f"{law.B:.5g}", f"{law.alpha:.4g}",
                     f"{law.beta:.4g}", f"{n / 1e9:.1f}B", f"{d / 1e12:.2f}T", f"{d / n:.1f}",
                     f"{law.loss(laws.CHINCHILLA['params'], laws.CHINCHILLA['tokens']):.3f}",
                     f"{laws.SOURCES[law.source]['arxiv']}, {law.location} [{law.tag}]"])
    return html_table(["constant set", "E", "A", "B", "α (on N)", "β (on D)", f"N* at {sci(g)} FLOPs", "D*",
                       "D*/N*", "L(70B, 1.4T)", "source"], rows,
                      caption="Evaluated at build time with simulator_wasm/scaling_laws.py (Hoffmann22 Eq. 2 and 4).")


def _gopher_opt(key: str) -> tuple[float, float]:
    return laws.LOSS_LAWS[key].compute_optimal(laws.GOPHER_BUDGET_FLOPS)


@lab_text("scaling-gopher-budget")
def _gopher_budget() -> str:
    return sci(laws.GOPHER_BUDGET_FLOPS, 3)


@lab_text("scaling-nopt-besiroglu")
def _nopt_b() -> str:
    return f"{_gopher_opt('besiroglu24')[0] / 1e9:.0f} billion"


@lab_text("scaling-ratio-besiroglu")
def _ratio_b() -> str:
    return f"{_ratio_at_gopher('besiroglu24'):.0f}"


@lab_text("scaling-nopt-hoffmann-unrounded")
def _nopt_hu() -> str:
    return f"{_gopher_opt('hoffmann22_unrounded')[0] / 1e9:.0f} billion"


@lab_text("scaling-ratio-hoffmann-printed")
def _ratio_hp() -> str:
    return f"{_ratio_at_gopher('hoffmann22_printed'):.0f}"


@lab_text("scaling-ratio-hoffmann-unrounded")
def _ratio_hu() -> str:
    return f"{_ratio_at_gopher('hoffmann22_unrounded'):.0f}"


@lab_text("scaling-rd-star")
def _rd_star() -> str:
    return f"{laws.R_D_STAR:.1f}"


@lab_text("scaling-repetition-ceiling")
def _ceiling() -> str:
    return f"{1 + laws.R_D_STAR:.1f}"


@lab_text("scaling-marginal-40")
def _marginal_40() -> str:
    return f"{laws.marginal_epoch_value(40):.0%}"


@lab_text("scaling-efficiency-4")
def _eff_4() -> str:
    return f"{laws.repetition_efficiency(4):.0%}"


@lab_text("pretraining-repetition-table")
def _repetition_table() -> str:
    rows = [[str(e), f"{laws.effective_data(1.0, e):.2f}", f"{laws.repetition_efficiency(e):.0%}",
             f"{laws.marginal_epoch_value(e):.2f}"] for e in REPEAT_EPOCHS]
    return html_table(["epochs", "D′/U_D (fresh-token equivalent)", "efficiency D′/D",
                       "worth of the last epoch vs a fresh one"], rows,
                      caption=f"Muennighoff23 Eq. 5 with R_D* = {laws.R_D_STAR:.4g} (App. A), evaluated at build time.")



@lab_text("pretraining-perplexity-largest")
def _ppl_large() -> str:
    return f"{math.exp(val_after(DATA_GRID[-1], 1)):.1f}"


@lab_text("pretraining-learning-rate")
def _lr() -> str:
    return f"{PretrainConfig().learning_rate:g}"


@lab_text("scaling-chinchilla-flops")
def _chinchilla_flops() -> str:
    return sci(laws.training_flops(laws.CHINCHILLA['params'], laws.CHINCHILLA['tokens']), 2)
