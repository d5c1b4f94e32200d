"""The simulator's controls: the single source of truth for names, ranges, defaults, units and scales.

The API (``PipelineConfig``), the CLI (``python -m simulator_wasm run --kl-coef 0.1``), the page URL
(``?kl_coef=0.1``), the JSON the browser sends and the sliders it draws are all generated from ``CONTROLS``;
nothing else restates a range. Each control is a REAL-SCALE setting (what a team training a production model would
choose). The lab trains tiny models, so ``config.lab_settings`` maps every control to its lab counterpart through
an explicit, documented formula; a lab number is never presented as a real-scale prediction.

The seven controls follow the seed's Interactive Simulator: pretraining (data size, epochs), SFT (expert pairs,
learning rate), RLHF (β, PPO iterations), plus the random seed that makes every run reproducible.
"""

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Control:
    """One simulator control, rendered as a slider and validated by ``PipelineConfig``."""

    name: str        # identical in API, CLI (with '-' for '_'), URL and JSON
    label: str       # slider label
    kind: str        # "int" or "float"
    minimum: float   # inclusive
    maximum: float   # inclusive
    default: float
    scale: str       # "log" or "linear": how the slider moves
    unit: str
    stage: str       # pipeline stage the control acts on
    help: str        # one-line explanation for readers
    source: str      # why this range / default


CONTROLS: tuple[Control, ...] = (
    Control("data_tokens", "Pretraining data (unique tokens)", "float", 1e9, 100e9, 10e9, "log", "tokens",
            "pretrain", "How many unique tokens the pretraining corpus holds (1–100 billion).",
            "Seed simulator range 1–100B; default at its log-midpoint, 10B."),
    Control("epochs", "Pretraining epochs", "int", 1, 20, 1, "linear", "passes",
            "pretrain", "How many times pretraining reads the corpus; repeats are worth less than fresh data.",
            "Seed range 1–20; default 1, the compute-optimal setting of Hoffmann22 (arXiv 2203.15556): every "
            "token fresh. Up to 4 epochs barely differ from unique data (Muennighoff23, arXiv 2305.16264)."),
    Control("expert_pairs", "SFT expert demonstrations", "int", 1_000, 100_000, 10_000, "log", "pairs",
            "sft", "How many expert-written question–answer pairs supervised fine-tuning learns from.",
            "Seed range 1k–100k; InstructGPT used ~13k SFT prompts (arXiv 2203.02155 §3.2), Llama 2 27,540 "
            "(arXiv 2307.09288 §3.1)."),
    Control("learning_rate", "SFT learning rate", "float", 1e-6, 1e-3, 2e-5, "log", "per step",
            "sft", "Step size of the SFT optimiser at real scale; too high makes training unstable.",
            "Default 2e-5 = Llama 2 SFT (arXiv 2307.09288 §3.1); range spans RLHF-scale 1e-6 to a "
            "diverging 1e-3."),
    Control("kl_coef", "KL coefficient β", "float", 0.01, 1.0, 0.05, "log", "reward per nat",
            "ppo", "β in reward − β·KL: how strongly PPO is held near the SFT model (DPO's beta is the same β).",
            "Seed range 0.01–1.0; default 0.05 = TRL PPOConfig.kl_coef; InstructGPT used 0.02 (App. C.4)."),
    Control("ppo_iterations", "PPO iterations", "int", 10, 200, 100, "linear", "iterations",
            "ppo", "How many sample-score-update rounds PPO runs against the reward model.",
            "Seed range 10–200; Llama 2 reports 200–400 RL iterations (arXiv 2307.09288 §3.2.3, [S])."),
    Control("seed", "Random seed", "int", 0, 2**32 - 1, 0, "linear", "",
            "all", "Seeds every random draw; the same seed and settings give bit-identical results.",
            "Any non-negative 32-bit integer (numpy default_rng)."),
)

CONTROLS_BY_NAME: dict[str, Control] = {c.name: c for c in CONTROLS}
CONTROL_NAMES: tuple[str, ...] = tuple(c.name for c in CONTROLS)


def format_range(control: Control) -> str:
    """'[1e+09, 1e+11] tokens' style text used in help and error messages."""
    lo, hi = (f"{int(v)}" if control.kind == "int" else f"{v:g}" for v in (control.minimum, control.maximum))
    return f"[{lo}, {hi}]" + (f" {control.unit}" if control.unit else "")


def controls_list() -> list[dict]:
    """CONTROLS as plain dicts (JSON-ready), in slider order."""
    rows = []
    for c in CONTROLS:
        row = asdict(c)
        if c.kind == "int":
            row.update(minimum=int(c.minimum), maximum=int(c.maximum), default=int(c.default))
        row["cli"] = "--" + c.name.replace("_", "-")
        rows.append(row)
    return rows


def controls_json(indent: int | None = 2) -> str:
    """The controls as a JSON document: what the pages and the browser worker read."""
    return json.dumps({"controls": controls_list()}, indent=indent)
