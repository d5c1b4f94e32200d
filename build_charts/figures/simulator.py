"""Figures of the Interactive simulator page, and the results it shows before (or without) a live run.

At build time the real pipeline runs for a small grid of the most influential controls and for four
reference runs (a healthy one and three typical failures). The grid is what the page shows on
every control change, and all it has when live training is unavailable; the references are drawn
beside the reader's run. Each chart's traces whose ``meta`` is ``run:<key>`` hold the reader's run:
the page swaps their data for ``series(results)["traces"][key]`` (``live/series.py``).

Runs are cached on disk between builds (``live_cache_dir``), keyed by a hash of simulator_wasm's
source, the config and the numpy version, and run in parallel when they are not.
"""

import hashlib
import json
import math
import os
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path

import numpy as np

from simulator_wasm import scaling_laws as laws
from simulator_wasm.config import PipelineConfig

from ..live import archive
from ..live.series import LOSS_STAGES, finite, series
from ..lab import lab_text
from ..registry import Chart, chart

# The controls that move the results most, at a few values each (defaults included). Every other
# control stays at its default in the precomputed results.
GRID = {
    "kl_coef": (0.01, 0.05, 0.2, 1.0),
    "learning_rate": (2e-6, 2e-5, 1e-3),
}
# Reference runs drawn beside the reader's: a healthy run and three typical failures. Each names the
# recommendation id the pipeline raises for it (tests check that it still does).
REFERENCES = {
    # Not the defaults: at the default β PPO over-optimises the lab's small reward model (a default run's
    # recommendations say so); a firmer β gives the run the lab calls healthy.
    "healthy": ("Healthy", "β = 0.5", {"kl_coef": 0.5}, "healthy"),
    "kl_blowup": ("KL blow-up", "tiny β = 0.01, 200 PPO iterations", {"kl_coef": 0.01, "ppo_iterations": 200},
                  "kl_blowup"),
    "reward_hacking": ("Reward hacking", "β = 0.03, 200 PPO iterations", {"kl_coef": 0.03, "ppo_iterations": 200},
                       "reward_hacking"),
    "high_lr": ("Divergence", "learning rate 1e-3", {"learning_rate": 1e-3}, "sft_unstable"),
}
REF_STYLE = {"healthy": "#2ca02c", "kl_blowup": "#b23a8a", "reward_hacking": "#dc6b19", "high_lr": "#7f7f7f"}
RUN_COLOUR = "#3366cc"

cache_dir: Path | None = Path(".cache/build_charts")  # the plugin points this at live_cache_dir


def _key(values: dict) -> str:
    """A grid point's key: the index of each grid control's value, e.g. "1,1,1" for the defaults."""
    return ",".join(str(GRID[name].index(values[name])) for name in GRID)


def _cache_file(config: PipelineConfig) -> Path | None:
    if cache_dir is None:
        return None
    ident = json.dumps({"source": archive.source_hash(), "numpy": np.__version__,
                        "config": config.to_dict()}, sort_keys=True)
    return Path(cache_dir) / "simulator" / (hashlib.sha256(ident.encode()).hexdigest()[:32] + ".json")


def _run(config_dict: dict) -> dict:
    from simulator_wasm.pipeline import run_pipeline
    return finite(run_pipeline(PipelineConfig(**config_dict)))


def run_all(configs: list[PipelineConfig]) -> list[dict]:
    """Results of each config: from the cache when present, else computed (in parallel)."""
    unique = list(dict.fromkeys(configs))
    if len(unique) < len(configs):
        by_config = dict(zip(unique, run_all(unique)))
        return [by_config[c] for c in configs]
    out: list[dict | None] = []
    todo = []
    for i, config in enumerate(configs):
        path = _cache_file(config)
        if path and path.is_file():
            out.append(json.loads(path.read_text()))
        else:
            out.append(None)
            todo.append(i)
    if todo:
        workers = min(len(todo), os.cpu_count() or 1)
        dicts = [configs[i].to_dict() for i in todo]
        if workers > 1:
            with ProcessPoolExecutor(workers) as pool:
                fresh = list(pool.map(_run, dicts))
        else:
            fresh = [_run(d) for d in dicts]
        for i, results in zip(todo, fresh):
            out[i] = results
            path = _cache_file(configs[i])
            if path:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(results, sort_keys=True, allow_nan=False))
    return out


def grid_configs() -> list[PipelineConfig]:
    points = [{}]
    for name, values in GRID.items():
        points = [{**p, name: v} for p in points for v in values]
    return [PipelineConfig(**p) for p in points]


@cache
def precomputed() -> dict:
    """Everything the page embeds: the grid's series, the references, stage weights, definitions."""
    grid = grid_configs()
    refs = [PipelineConfig(**ref[2]) for ref in REFERENCES.values()]
    results = run_all(grid + refs)
    grid_results, ref_results = results[:len(grid)], results[len(grid):]
    default = grid_results[grid.index(PipelineConfig())]
    timing = default.get("timing") or {}
    flops = {stage: max(t.get("matmul_gflop") or 0.0, 1e-9) for stage, t in timing.items()}
    total = sum(flops.values()) or 1.0
    return {
        "grid": {"controls": list(GRID), "values": {k: list(v) for k, v in GRID.items()}},
        "runs": {_key(c.to_dict()): series(r) for c, r in zip(grid, grid_results)},
        "references": {name: {"label": REFERENCES[name][0], "settings": REFERENCES[name][1],
                              "shows": REFERENCES[name][3], "config": c.to_dict(), "series": series(r)}
                       for name, c, r in zip(REFERENCES, refs, ref_results)},
        "default": series(default),
        "definitions": default.get("definitions") or {},
        "stages": list(timing),
        # Progress-bar weight of each stage: its share of the default run's matmul work
        # (deterministic, unlike wall time).
        "stage_weights": {stage: round(f / total, 4) for stage, f in flops.items()},
    }


# ------------------------------------------------------------------------------------------ figures
# One legend entry per run (click it to hide or show that run in every panel of the chart).
def _run_trace(key: str, first: bool = True, **style) -> dict:
    s = precomputed()["default"]["traces"][key]
    line = {"color": RUN_COLOUR, "width": 3, **style.pop("line", {})}
    return {"type": "scatter", "mode": "lines", "name": "Your run (precomputed)", "meta": f"run:{key}",
            "legendgroup": "run", "showlegend": first, "x": s["x"], "y": s["y"], "line": line, **style}


def _ref_traces(key: str, first: bool = True, only=None, **style) -> list[dict]:
    traces = []
    for name, ref in precomputed()["references"].items():
        if only and name not in only:
            continue
        s = ref["series"]["traces"][key]
        traces.append({"type": "scatter", "mode": "lines", "name": f"{ref['label']} ({ref['settings']})",
                       "legendgroup": name, "showlegend": first, "x": s["x"], "y": s["y"], "opacity": 0.85,
                       "line": {"color": REF_STYLE[name], "width": 1.5, "dash": "dot"}, **style})
    return traces


def _panels(rows: int, columns: int, height: int, title_lines: int = 1) -> dict:
    """A grid of panels with the legend below them, clear of the bottom axis titles (of `title_lines` lines)."""
    return {"grid": {"rows": rows, "columns": columns, "pattern": "independent", "ygap": 0.35, "xgap": 0.15},
            "height": height, "margin": {"l": 60, "r": 20, "t": 50, "b": 40},
            "legend": {"orientation": "h", "y": -(60 + 30 * title_lines) / height - 0.06, "yanchor": "top"}}


def _axis(ref: str) -> str:
    """Layout key of a trace's axis reference: "x" → "xaxis", "y2" → "yaxis2"."""
    return ref[0] + "axis" + ref[1:]


def fixed_ranges(figure: dict) -> dict:
    """Fix every numeric axis to the span of all the runs the page can show on it: this figure's
    traces and, for the reader's run, every precomputed grid point. A control change then moves
    lines on fixed axes, which lets a reader compare settings by eye and lets the page redraw only
    the run's traces (simulator.js, ``draw``); a live run that leaves these ranges widens them."""
    layout, values = figure["layout"], {}
    for trace in figure["data"]:
        runs = [trace]
        if str(trace.get("meta", "")).startswith("run:"):
            runs += [run["traces"][trace["meta"][4:]] for run in precomputed()["runs"].values()]
        for letter in "xy":
            ref = trace.get(letter + "axis", letter)
            axis = _axis(layout.get(_axis(ref), {}).get("matches", ref))   # a matched axis follows its leader
            values.setdefault(axis, []).extend(v for r in runs for v in r[letter]
                                               if isinstance(v, (int, float)) and math.isfinite(v))
    for axis, vs in values.items():
        options = layout.setdefault(axis, {})
        if options.get("type") == "category" or not vs:
            continue
        log = options.get("type") == "log"
        lo, hi = (math.log10(min(vs)), math.log10(max(vs))) if log else (min(vs), max(vs))   # log ranges are in decades
        # 5% of the span each side, as Plotly's autorange gives an axis with markers (every panel here
        # has some: render.distinguish marks the references), but none below zero on a "tozero" axis.
        pad = 0.05 * (hi - lo) if hi > lo else 0.5
        lo, hi = lo - pad, hi + pad
        if options.get("rangemode") == "tozero":
            lo, hi = (0 if min(vs) >= 0 else lo), (0 if max(vs) <= 0 else hi)
        options["range"] = [float(f"{lo:.6g}"), float(f"{hi:.6g}")]
    return figure


@chart("simulator-accuracy")
def accuracy() -> Chart:
    d = precomputed()["default"]
    right = {"xaxis": "x2", "yaxis": "y2"}
    data = [_run_trace("accuracy", mode="lines+markers"), _run_trace("accuracy:ppo", first=False, **right)]
    data += _ref_traces("accuracy", mode="lines+markers") + _ref_traces("accuracy:ppo", first=False, **right)
    return Chart(
        figure=fixed_ranges({
            "data": data,
            "layout": {"title": {"text": "Accuracy: after each stage, and during PPO"}, **_panels(1, 2, 540, 2),
                       # Two lines each: side by side on one line, the two titles run into each other on a phone.
                       "xaxis": {"title": {"text": "policy<br>(held-out questions)"}, "type": "category"},
                       "yaxis": {"title": {"text": "accuracy"}, "tickformat": ".0%", "rangemode": "tozero"},
                       "xaxis2": {"title": {"text": "lab PPO iteration<br>(sampled answers)"}},
                       "yaxis2": {"tickformat": ".0%", "rangemode": "tozero"}},
        }),
        alt=d["alt"]["simulator-accuracy"],
    )


@chart("simulator-reward-kl")
def reward_kl() -> Chart:
    d = precomputed()["default"]
    data, layout = [], {"title": {"text": "PPO: proxy vs gold reward, and KL from the SFT model"}, **_panels(3, 1, 760)}
    panels = (("proxy", "proxy reward (RM)"), ("gold", "gold reward (rubric)"), ("kl", "KL (nats)"))
    for i, (key, title) in enumerate(panels, start=1):
        axes = {} if i == 1 else {"xaxis": f"x{i}", "yaxis": f"y{i}"}
        data += [_run_trace(key, first=i == 1, **axes)] + _ref_traces(key, first=i == 1, **axes)
        suffix = "" if i == 1 else str(i)
        # One iteration axis for the three panels (zooming one zooms all), titled once at the bottom.
        layout[f"xaxis{suffix}"] = {**({"matches": "x"} if i > 1 else {}),
                                    **({"title": {"text": "lab PPO iteration"}} if i == len(panels) else {})}
        layout[f"yaxis{suffix}"] = {"title": {"text": title}}
    return Chart(figure=fixed_ranges({"data": data, "layout": layout}), alt=d["alt"]["simulator-reward-kl"])


@chart("simulator-losses")
def losses() -> Chart:
    d = precomputed()["default"]
    data, layout = [], {"title": {"text": "Training loss of each stage"}, **_panels(2, 2, 640)}
    for i, (stage, label) in enumerate(LOSS_STAGES, start=1):
        axes = {} if i == 1 else {"xaxis": f"x{i}", "yaxis": f"y{i}"}
        data += [_run_trace(f"loss:{stage}", first=i == 1, **axes)]
        data += _ref_traces(f"loss:{stage}", first=i == 1, only=("healthy", "high_lr"), **axes)
        suffix = "" if i == 1 else str(i)
        layout[f"xaxis{suffix}"] = {"title": {"text": f"{label}: step" if stage != "ppo" else "PPO: lab iteration"}}
        layout[f"yaxis{suffix}"] = {"title": {"text": "loss"}}
    return Chart(figure=fixed_ranges({"data": data, "layout": layout}), alt=d["alt"]["simulator-losses"])


@chart("simulator-scaling")
def scaling() -> Chart:
    d = precomputed()["default"]
    law = laws.DEFAULT_LAW
    tokens = np.logspace(9, 13, 41)
    params = law.optimal_params_for_tokens(tokens)
    curve = {"type": "scatter", "mode": "lines", "name": f"compute-optimal model ({law.name})",
             "x": tokens.tolist(), "y": [float(v) for v in law.loss(params, tokens)],
             "line": {"color": "#7f7f7f", "width": 2},
             "hovertemplate": "D = %{x:.3s} tokens<br>loss %{y:.3f} nats<extra></extra>"}
    point = _run_trace("scaling:point", mode="markers", marker={"size": 12, "color": RUN_COLOUR, "symbol": "diamond"})
    point["name"] = "Your settings (precomputed)"
    point.pop("line")
    point["hovertemplate"] = "your total tokens %{x:.3s}<br>predicted loss %{y:.3f} nats<extra></extra>"
    return Chart(
        figure=fixed_ranges({
            "data": [curve, point],
            "layout": {"title": {"text": "Real scale: predicted pretraining loss (published fit, not the lab)"},
                       "xaxis": {"title": {"text": "total training tokens D (unique × epochs)"}, "type": "log"},
                       "yaxis": {"title": {"text": "loss (nats per token)"}}},
        }),
        alt=d["alt"]["simulator-scaling"],
    )


@lab_text("simulator-healthy-settings")
def _healthy_settings() -> str:
    return REFERENCES["healthy"][1]
