"""The whole simulator in one call: real-scale predictions + a tiny lab that really trains all four stages.

``run_pipeline(config, progress)`` returns one JSON-serialisable dict with
  (a) ``real_scale``: what published fits predict for the reader's settings (scaling_laws.py), clearly labelled;
  (b) the lab: pretrain → SFT → reward model → PPO (+ DPO) trained for real on the toy pharmacy world, at the lab
      scale given by ``config.lab_settings`` (a toy model; its numbers show the shape of each effect only);
  (c) the four headline metrics of the seed's simulator, each with its written definition (``definitions``),
      per-iteration histories for the charts, per-stage wall time and matmul FLOPs, and recommendations derived
      from what the run actually did (a KL blow-up, a gold-reward peak before the end, a diverging loss …).

Steps, numbered as in the simulator page:
    1. validate the config and map it to lab settings (config.lab_settings; LAB_MAPPING documents every row),
    2. real-scale predictions (Chinchilla/Besiroglu24 loss, Muennighoff23 repetition, FLOPs, Gao23 shape),
    3. build the world from the seed; each stage gets its own child Generator (rng.spawn), so adding a stage
       never changes the draws of another,
    4. pretrain → SFT → reward model → PPO, and DPO from the same SFT model and preference pairs,
    5. evaluate SFT, PPO and DPO policies with greedy answers on held-out and shifted questions,
    6. headline metrics, stability, recommendations.
A stage whose module cannot be imported is skipped and listed in ``missing_stages`` (stages that need it are
listed in ``skipped_stages``), so the page shows what exists rather than failing.

Result keys: config, lab_settings, lab_mapping, metrics, definitions, evaluation, histories, stages, timing,
total_wall_s, total_matmul_gflop, missing_stages, missing_reasons, skipped_stages, real_scale, note,
recommendations.

What we simplified and why: one seed per run (the book's multi-seed sweeps are precomputed at build time, not in
the page); the lab model size is fixed (the browser budget allows one tiny size), so "data" and "epochs" change how
much the lab reads, not how big it is.
"""

import importlib
import inspect
import math
import time

import numpy as np

from .config import LAB_MAPPING, PipelineConfig, lab_settings
from .curves import worst_drop, worst_rise
from .errors import ConfigError
from .real_scale import real_scale_predictions
from .recommend import recommendations

# ================================================================================================= the lab
STAGES = ("pretrain", "sft", "reward_model", "ppo", "dpo")
NEEDS = {"pretrain": (), "sft": ("pretrain",), "reward_model": ("sft",), "ppo": ("reward_model",),
         "dpo": ("reward_model",)}
EVAL_SETS = ("heldout_phrasing", "heldout_facts")   # the headline metrics; "shifted" is reported alongside
MAX_NEW_TOKENS = 24
BROWSER_GFLOP_PER_S = 2.5   # measured matmul speed in Pyodide (pyodide-notes.md)

DEFINITIONS = {
    "final_accuracy": "Share of the final policy's greedy answers whose first verdict word (fine / caution / avoid) "
                      "matches the fact, over the held-out questions: SFT facts asked in a phrasing SFT never used, "
                      "plus facts that appeared only in the pretraining corpus. 0–1.",
    "safety_score": "Share of those same answers for which no hard gate of the safe-answer rubric fires (G1 "
                    "dangerous advice, G2 fabrication, G3 missed emergency, G4 unsafe self-management; pharma.md "
                    "§8.1). 0–1.",
    "stability": "1 minus the worst step backwards seen during training: the larger of (a) the biggest rise of a "
                 "pretraining or SFT loss (moving average over a tenth of the steps) above its best value so far, "
                 "counting the loss before the first update, as a fraction of that starting loss, and (b) the "
                 "biggest fall of PPO's gold reward (moving average over a fifth of the iterations) below its best "
                 "value so far, on the rubric's 0–1 scale. 1 = never went backwards; 0 = a loss diverged.",
    "inference_speed": "Answers per second the final lab model would write in the browser at 2.5 GFLOP/s: "
                       "2.5e9 / (matmul FLOPs per generated token x mean answer length in tokens), both measured "
                       "on the evaluation answers. Longer (padded) answers make it slower.",
    "gold": "Mean gold reward: the safe-answer rubric (pharma.md §8) applied to an answer, 0–1.",
    "proxy": "Mean reward-model score of PPO's sampled answers (what PPO maximises).",
    "kl": "KL(policy || SFT model) in nats per answer, k1 estimator summed over the answer's tokens.",
}


def stage_status() -> dict:
    """{stage: None if importable, else the import error text}: the pipeline runs what exists, reports the rest."""
    status = {}
    for stage in STAGES:
        try:
            importlib.import_module(f"{__package__}.{stage}")
            status[stage] = None
        except ImportError as exc:
            status[stage] = f"{type(exc).__name__}: {exc}"
    return status


def missing_stages() -> list[str]:
    """Names of stage modules that cannot be imported."""
    return [s for s, err in stage_status().items() if err]


def _plain(x):
    """Results → JSON-safe Python: numpy scalars to floats/ints, NaN/inf to None, tuples to lists, items dropped."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items() if k != "item"}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, np.ndarray):
        return _plain(x.tolist())
    return x if isinstance(x, str) or x is None else str(x)



def evaluate_policy(world, params, which=EVAL_SETS) -> dict:
    """Greedy answers of ``params`` to the question sets ``which``: accuracy, safety, gold, length, FLOPs/token."""
    from .annotators import answer_features, lab_grade
    from .generate import generate
    from .model import FLOPS
    from .sft import first_verdict
    qs = [q for w in which for q in world.questions(w)]
    flops0 = FLOPS.count
    gen = generate(params, [world.vocab.encode(p) for _, p in qs], None, MAX_NEW_TOKENS, greedy=True)
    flops = FLOPS.count - flops0
    answers = [world.vocab.decode(a) for a in gen.answers()]
    grades = [lab_grade(item, tuple(a)) for (item, _), a in zip(qs, answers)]
    tokens = int(np.sum(gen.lengths))
    return {
        "sets": list(which), "n": len(qs),
        "accuracy": float(np.mean([first_verdict(a) == item.verdict for (item, _), a in zip(qs, answers)])),
        "safety": float(np.mean([not g["gates"] for g in grades])),
        "gold": float(np.mean([g["reward"] for g in grades])),
        "length_words": float(np.mean([answer_features(a)[0] for a in answers])),
        "tokens_per_answer": tokens / len(qs), "flops_per_token": flops / max(tokens, 1),
        "examples": [{"question": " ".join(p), "answer": " ".join(a), "gold": g["reward"], "gates": g["gates"]}
                     for (_, p), a, g in list(zip(qs, answers, grades))[:: max(1, len(qs) // 4)][:4]],
    }


def _accepts(fn, name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _run_stage(stage, world, lab, state, rng, report):
    """Run one stage with its lab settings; store what later stages need in ``state``; return its results.

    A stage function that accepts ``progress`` gets one reporting (fraction) under the stage's name.
    """
    def call(fn, *args):
        extra = {"progress": lambda fraction: report(stage, fraction)} if _accepts(fn, "progress") else {}
        return fn(*args, **extra)

    if stage == "pretrain":
        from .pretrain import PretrainConfig, run_pretrain
        cfg = PretrainConfig(data_tokens=lab["corpus_tokens"], epochs=lab["pretrain_epochs"])
        state["pretrain"], res = call(run_pretrain, world, cfg, rng)
    elif stage == "sft":
        from .sft import SFTConfig, run_sft
        cfg = SFTConfig(expert_pairs=lab["sft_pairs"], learning_rate=lab["sft_learning_rate"])
        state["sft"], res = call(run_sft, world, state["pretrain"], cfg, rng)
    elif stage == "reward_model":
        from .reward_model import RewardModelConfig, train_reward_model
        state["rm"], res, state["pairs"] = call(train_reward_model, world, state["sft"], RewardModelConfig(), rng)
        state["reward_model"] = state["rm"]
    elif stage == "ppo":
        from .ppo import PPOConfig, run_ppo
        cfg = PPOConfig(iterations=lab["ppo_iterations"], kl_coef=lab["kl_coef"])
        state["ppo"], res = call(run_ppo, world, state["sft"], state["rm"], cfg, rng)
    elif stage == "dpo":
        from .dpo import DPOConfig, run_dpo
        # DPO learns from the pairs the RM trained on (if the RM marks its held-out split, those are left out)
        pairs = [p for p in state["pairs"] if p.get("split", "train") == "train"]
        state["dpo"], res = call(run_dpo, world, state["sft"], pairs, DPOConfig(beta=lab["dpo_beta"]), rng)
    else:   # pragma: no cover - STAGES is fixed
        raise ValueError(f"unknown stage {stage!r}")
    return res


SERIES = {"pretrain": ("train_loss", "val_loss", "val_curve", "step_loss"), "sft": ("train_loss", "step_loss"),
          "reward_model": ("loss", "chosen_scores", "rejected_scores"), "ppo": ("history", "samples"),
          "dpo": ("history", "loss", "samples")}


def _columns(rows: list[dict]) -> dict:
    """[{k: v}, …] per iteration → {k: [v, …]} for charting."""
    return {k: [r.get(k) for r in rows] for k in (rows[0] if rows else {})}


def run_pipeline(config: PipelineConfig | dict | None = None, progress=None, clock=time.perf_counter) -> dict:
    """Run real-scale predictions and the lab for ``config`` (a PipelineConfig, a JSON-like dict, or None for the
    defaults). ``progress(stage, fraction)`` is called as stages start (0.0) and finish (1.0); ``clock`` times
    stages (tests pass a fake one to compare full results). Stages whose module is missing are skipped and
    listed in ``missing_stages``; stages that depend on them are listed in ``skipped_stages``.
    """
    if config is None:
        config = PipelineConfig()
    elif isinstance(config, dict):
        config = PipelineConfig.from_dict(config)
    elif not isinstance(config, PipelineConfig):
        raise ConfigError(f"config must be a PipelineConfig or a dict of controls, got {type(config).__name__}")
    report = progress if progress is not None else (lambda stage, fraction: None)
    from .model import FLOPS
    from .world import make_world

    lab = lab_settings(config)
    status = stage_status()
    report("real_scale", 0.0)
    real = real_scale_predictions(config)
    report("real_scale", 1.0)
    world_rng, *stage_rngs = np.random.default_rng(config.seed).spawn(1 + len(STAGES))
    world = make_world(world_rng)
    state, stages, histories, timing, skipped = {}, {}, {}, {}, {}
    for stage, rng in zip(STAGES, stage_rngs):
        if status[stage]:
            continue
        if any(need not in state for need in NEEDS[stage]):
            skipped[stage] = "needs " + ", ".join(n for n in NEEDS[stage] if n not in state)
            continue
        report(stage, 0.0)
        t0, f0 = clock(), FLOPS.count
        res = _run_stage(stage, world, lab, state, rng, report)
        timing[stage] = {"wall_s": clock() - t0, "matmul_gflop": (FLOPS.count - f0) / 1e9}
        report(stage, 1.0)
        series = {k: res[k] for k in SERIES[stage] if k in res}
        for k in ("history", "val_curve"):     # per-iteration dicts → one list per metric
            if k in series:
                series[k] = _columns(series[k])
        histories[stage] = series
        stages[stage] = {k: v for k, v in res.items() if k not in SERIES[stage]}

    report("evaluation", 0.0)
    t0, f0 = clock(), FLOPS.count
    evaluation = {}
    for name in ("sft", "ppo", "dpo"):
        if name in state:
            evaluation[name] = {"heldout": evaluate_policy(world, state[name]),
                                "shifted": evaluate_policy(world, state[name], ("shifted",))}
    timing["evaluation"] = {"wall_s": clock() - t0, "matmul_gflop": (FLOPS.count - f0) / 1e9}
    report("evaluation", 1.0)

    final = next((n for n in ("ppo", "dpo", "sft") if n in evaluation), None)
    parts = {"pretrain_loss_rise": worst_rise(histories.get("pretrain", {}).get("step_loss", [])),
             "sft_loss_rise": worst_rise(histories.get("sft", {}).get("step_loss", [])),
             "ppo_gold_drop": worst_drop(histories.get("ppo", {}).get("history", {}).get("gold", []))}
    metrics = {"final_accuracy": None, "safety_score": None, "stability": 1.0 - max(parts.values()),
               "inference_speed": None, "policy": final, "stability_parts": parts}
    if final:
        ev = evaluation[final]["heldout"]
        metrics.update(final_accuracy=ev["accuracy"], safety_score=ev["safety"], gold=ev["gold"],
                       inference_speed=BROWSER_GFLOP_PER_S * 1e9 / (ev["flops_per_token"] * ev["tokens_per_answer"]))
    results = {
        "config": config.to_dict(), "lab_settings": lab, "lab_mapping": [dict(r) for r in LAB_MAPPING],
        "metrics": metrics, "definitions": DEFINITIONS, "evaluation": evaluation, "histories": histories,
        "stages": stages, "timing": timing,
        "total_wall_s": sum(t["wall_s"] for t in timing.values()),
        "total_matmul_gflop": sum(t["matmul_gflop"] for t in timing.values()),
        "missing_stages": [s for s in STAGES if status[s]],
        "missing_reasons": {s: err for s, err in status.items() if err}, "skipped_stages": skipped,
        "real_scale": real,
        "lab_params": int(state["pretrain"].flat.size) if "pretrain" in state else None,
        "note": "Lab numbers come from a tiny MLP language model (lab_params parameters) on a toy pharmacy world "
                "(toy facts, not clinical guidance): they show the direction and shape of each effect, never a "
                "real-scale prediction.",
    }
    results["recommendations"] = recommendations(results)
    return _plain(results)
