"""Figures of the Pretraining chapter."""

import numpy as np

from simulator_wasm import scaling_laws as laws

from ..registry import Chart, chart


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
