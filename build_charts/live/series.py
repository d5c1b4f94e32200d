"""Results of ``run_pipeline`` → the data the simulator page shows: chart series, metric texts,
recommendations and each chart's text alternative.

One function for both paths: the build runs it on the precomputed grid, and the browser's worker
runs this very file on a live run (it is copied into the site next to the worker), so the page
cannot show the two differently. Standard library only (it runs before numpy is known to load).
"""

import math

# chart id → its text alternative, filled from the series below.
CHARTS = ("simulator-accuracy", "simulator-reward-kl", "simulator-losses", "simulator-scaling")
LOSS_STAGES = (("pretrain", "pretraining"), ("sft", "SFT"), ("reward_model", "reward model"), ("ppo", "PPO"))
LOSS_PATHS = {"pretrain": ("pretrain", "step_loss"), "sft": ("sft", "step_loss"),
              "reward_model": ("reward_model", "loss"), "ppo": ("ppo", "history", "pg_loss")}
METRICS = ("final_accuracy", "safety_score", "stability", "inference_speed")
POLICIES = (("sft", "SFT"), ("ppo", "SFT → PPO"), ("dpo", "SFT → DPO"))


def _round(v, digits=6):
    """Six significant digits: plenty for a chart, and a compact page."""
    if v is None or isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    if not math.isfinite(v):
        return None
    return float(f"{v:.{digits}g}")


def _get(results, *path):
    node = results
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


MAX_POINTS = 120  # per curve: enough for the shape, light enough to redraw within a frame


def _xy(y, x=None):
    """{x, y} lists for a chart, thinned to at most MAX_POINTS (first and last kept)."""
    y = list(y or [])
    x = list(range(1, len(y) + 1)) if x is None else list(x)
    if len(y) > MAX_POINTS:
        keep = sorted({round(i * (len(y) - 1) / (MAX_POINTS - 1)) for i in range(MAX_POINTS)})
        x, y = [x[i] for i in keep], [y[i] for i in keep]
    return {"x": [v if isinstance(v, str) else _round(v) for v in x], "y": [_round(v) for v in y]}


def finite(x):
    """Replace NaN/inf (a diverged run) by None, recursively, so the results are strict JSON."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [finite(v) for v in x]
    return x


def _pct(v):
    return "–" if v is None else f"{100 * v:.1f}%"


def metrics_text(metrics: dict) -> dict:
    m = {k: (metrics or {}).get(k) for k in METRICS}
    speed = m["inference_speed"]
    return {
        "final_accuracy": _pct(m["final_accuracy"]),
        "safety_score": _pct(m["safety_score"]),
        "stability": _pct(m["stability"]),
        "inference_speed": "–" if speed is None else f"{speed:,.0f} answers/s",
    }


def _num(v) -> str:
    """Three significant digits for readers; rounding noise (|v| < 1e-9, e.g. the first KL) reads 0."""
    return "0" if abs(v) < 1e-9 else f"{v:.3g}"


def _trend(ys) -> str:
    ys = [v for v in ys if v is not None]
    if len(ys) < 2:
        return "has too few points to show a trend"
    return f"goes from {_num(ys[0])} to {_num(ys[-1])} (highest {_num(max(ys))}, lowest {_num(min(ys))})"


def series(results: dict) -> dict:
    h = results.get("histories") or {}
    ev = results.get("evaluation") or {}
    ppo = _get(h, "ppo", "history") or {}
    iterations = [i + 1 for i in ppo.get("iteration", [])] or None
    traces = {}
    # Held-out accuracy after each stage that produced a policy, in pipeline order.
    done = [(label, _get(ev, stage, "heldout", "accuracy")) for stage, label in POLICIES if stage in ev]
    traces["accuracy"] = _xy([a for _, a in done], [label for label, _ in done])
    traces["accuracy:ppo"] = _xy(ppo.get("accuracy"), iterations)
    traces["proxy"] = _xy(ppo.get("proxy"), iterations)
    traces["gold"] = _xy(ppo.get("gold"), iterations)
    traces["kl"] = _xy(ppo.get("kl"), iterations)
    for stage, _ in LOSS_STAGES:
        traces[f"loss:{stage}"] = _xy(_get(h, *LOSS_PATHS[stage]))
    real = _get(results, "real_scale", "pretraining") or {}
    traces["scaling:point"] = _xy([real.get("loss")], [real.get("total_tokens")])

    alt = {
        "simulator-accuracy": "Accuracy on held-out questions after each stage ("
                              + ", ".join(f"{label} {_pct(a)}" for label, a in done)
                              + "), and accuracy of PPO's sampled answers per iteration, which "
                              + _trend(traces["accuracy:ppo"]["y"]) + ".",
        "simulator-reward-kl": "Line chart over PPO iterations: proxy reward (the reward model's score) "
                               + _trend(traces["proxy"]["y"]) + "; gold reward (the rubric) "
                               + _trend(traces["gold"]["y"]) + "; KL from the SFT model in nats "
                               + _trend(traces["kl"]["y"]) + ".",
        "simulator-losses": "Line charts of the training loss of each stage: "
                            + "; ".join(f"{label} {_trend(traces[f'loss:{s}']['y'])}" for s, label in LOSS_STAGES)
                            + ".",
        "simulator-scaling": "Real-scale prediction from published scaling laws, not from the lab: a compute-"
                             "optimal model trained on your total tokens "
                             + (f"{real['total_tokens']:.3g}" if real.get("total_tokens") else "–")
                             + " reaches a predicted loss of "
                             + (f"{real['loss']:.3f}" if real.get("loss") is not None else "–")
                             + " nats per token, marked on the curve of predicted loss against training tokens.",
    }
    return {
        "traces": traces,
        "metrics": {k: _round((results.get("metrics") or {}).get(k)) for k in METRICS},
        "metrics_text": metrics_text(results.get("metrics")),
        "recommendations": [{"id": r.get("id", ""), "severity": r.get("severity", "info"), "text": r.get("text", "")}
                            for r in results.get("recommendations") or []],
        "summary": list(_get(results, "real_scale", "summary") or []),
        "lab_settings": {k: _round(v) for k, v in (results.get("lab_settings") or {}).items()},
        "alt": alt,
    }
