"""The pipeline config (real-scale controls) and its explicit mapping to lab-scale settings.

``PipelineConfig`` holds the seven controls of ``controls.CONTROLS`` and validates on construction: a wrong type, a
bool where a number is expected, NaN/inf, a value out of range or (in ``from_dict``/``from_query``) an unknown key
raises ``ConfigError`` naming the parameter, the value and the allowed range. Nothing is clamped.

``lab_settings(config)`` is the one place where a real-scale control becomes a lab number. Every row of
``LAB_MAPPING`` says which formula is used and why; the book renders that table next to the results. The lab trains
a ~20k-parameter model on a toy pharmacy world, so a lab number shows the *direction and shape* of an effect, never
a real-scale prediction (those come from ``scaling_laws``).

What we simplified and why: every map is a power law anchored at the defaults, lab = anchor · (real/default)^k.
Data size, epochs and expert pairs use k < 1 because a real control spans two orders of magnitude while the browser
budget allows less than one; the learning rate is proportional (k = 1) so that the top of the real range makes the
lab's SFT diverge the way a 1e-3 fine-tuning rate would at scale.
"""

import math
from dataclasses import asdict, dataclass, fields

from .controls import CONTROL_NAMES, CONTROLS_BY_NAME, Control, format_range
from .errors import ConfigError


def _is_int(value) -> bool:
    """True for int-like values (Python int, numpy integer), False for bool."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return type(value).__module__ == "numpy" and hasattr(value, "dtype") and value.dtype.kind in "iu"


def _is_number(value) -> bool:
    """True for real numbers (int, float, numpy scalars), False for bool and everything else."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return type(value).__module__ == "numpy" and hasattr(value, "dtype") and value.dtype.kind in "iuf" \
        and getattr(value, "ndim", 1) == 0


def _describe(value) -> str:
    """Show the bad value and, when the type is the problem, its type."""
    return f"{value!r} ({type(value).__name__})"


def validate_control(control: Control, value):
    """Return ``value`` as a Python int/float if it is allowed for ``control``; raise ConfigError otherwise."""
    rng = format_range(control)
    if control.kind == "int":
        if not _is_int(value):
            raise ConfigError(f"{control.name} must be an integer in {rng}, got {_describe(value)}")
        value = int(value)
        if not control.minimum <= value <= control.maximum:
            raise ConfigError(f"{control.name} must be an integer in {rng}, got {value}")
        return value
    if not _is_number(value):
        raise ConfigError(f"{control.name} must be a number in {rng}, got {_describe(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise ConfigError(f"{control.name} must be a finite number in {rng}, got {value}")
    if not control.minimum <= value <= control.maximum:
        raise ConfigError(f"{control.name} must be a number in {rng}, got {value:g}")
    return value


def parse_control_value(name: str, text: str):
    """Parse a CLI/URL string ('10e9', '0.05', '4') into the control's type, then validate it."""
    control = _control(name)
    s = str(text).strip()
    try:
        if control.kind == "int":
            as_float = float(s)  # accept '1e4' and '20' alike, but not '2.5'
            if not math.isfinite(as_float) or as_float != int(as_float):
                raise ValueError
            value = int(s) if s.lstrip("+-").isdigit() else int(as_float)
        else:
            value = float(s)
    except (ValueError, OverflowError):
        kind = "an integer" if control.kind == "int" else "a number"
        raise ConfigError(f"{name} must be {kind} in {format_range(control)}, got {text!r}") from None
    return validate_control(control, value)


def _control(name: str) -> Control:
    if name not in CONTROLS_BY_NAME:
        raise ConfigError(f"unknown parameter {name!r}; allowed: {', '.join(CONTROL_NAMES)}")
    return CONTROLS_BY_NAME[name]


def _default(name: str):
    c = CONTROLS_BY_NAME[name]
    return int(c.default) if c.kind == "int" else float(c.default)


@dataclass(frozen=True)
class PipelineConfig:
    """Real-scale simulator settings; ranges, units and one-line meanings live in ``controls.CONTROLS``.

    data_tokens     unique pretraining tokens, 1e9–1e11 (log scale)
    epochs          passes over the pretraining corpus, 1–20
    expert_pairs    SFT demonstrations, 1,000–100,000 (log scale)
    learning_rate   real-scale SFT learning rate, 1e-6–1e-3 (log scale)
    kl_coef         β of PPO's KL penalty, 0.01–1.0 (log scale); DPO's ``beta`` is the same β
    ppo_iterations  PPO rounds, 10–200
    seed            non-negative integer seeding every random draw
    """

    data_tokens: float = _default("data_tokens")
    epochs: int = _default("epochs")
    expert_pairs: int = _default("expert_pairs")
    learning_rate: float = _default("learning_rate")
    kl_coef: float = _default("kl_coef")
    ppo_iterations: int = _default("ppo_iterations")
    seed: int = _default("seed")

    def __post_init__(self):
        # Normalise numpy scalars to Python numbers (frozen, hence object.__setattr__); never change a value.
        for f in fields(self):
            object.__setattr__(self, f.name, validate_control(CONTROLS_BY_NAME[f.name], getattr(self, f.name)))

    @classmethod
    def from_dict(cls, data: dict) -> "PipelineConfig":
        """Build from JSON-like data; unknown keys are rejected before anything runs."""
        if not isinstance(data, dict):
            raise ConfigError(f"config must be a JSON object mapping control names to values, got {_describe(data)}")
        for key in data:
            _control(key)
        return cls(**data)

    @classmethod
    def from_query(cls, params: dict) -> "PipelineConfig":
        """Build from string values (URL query, CLI): {'kl_coef': '0.1'}; unknown keys are rejected."""
        return cls(**{key: parse_control_value(key, value) for key, value in params.items()})

    def to_dict(self) -> dict:
        """Plain JSON-ready dict with the control names as keys."""
        return asdict(self)


# ------------------------------------------------------------------------------------------ real → lab mapping
# Lab anchors: the lab settings used at the DEFAULT real-scale controls. They equal the stage modules' own defaults
# (tests/sim/test_config.py checks this), which their owners tuned to the browser budget (≤ 1 s native, ≤ 10 GFLOP).
LAB_ANCHOR = {"corpus_tokens": 24_000, "pretrain_epochs": 1, "sft_pairs": 240, "sft_learning_rate": 0.005,
              "ppo_iterations": 20}
# Exponents of the power-law maps lab = anchor · (real / real_default)^k: k < 1 compresses a real range so the
# extremes still fit the browser; k = 1 is proportional.
LAB_EXPONENT = {"data_tokens": 0.3, "epochs": 0.5, "expert_pairs": 0.4, "learning_rate": 1.0, "ppo_iterations": 1.0}
MIN_LAB_PPO_ITERATIONS = 5


def _power_map(name: str, value: float, anchor: float) -> float:
    """anchor · (value / default)^k for control ``name`` (log-linear: a straight line on log-log axes)."""
    return anchor * (value / CONTROLS_BY_NAME[name].default) ** LAB_EXPONENT[name]


def lab_settings(config: PipelineConfig) -> dict:
    """The lab-scale numbers for a real-scale ``config``: a pure function, documented row by row in LAB_MAPPING.

    Returns plain ints/floats. These configure a toy model (a few thousand parameters, a few dozen facts); they
    are never a real-scale prediction.
    """
    return {
        "corpus_tokens": round(_power_map("data_tokens", config.data_tokens, LAB_ANCHOR["corpus_tokens"])),
        # ceil, not round: 2 real epochs must already repeat the lab corpus (√2 → 2 passes)
        "pretrain_epochs": math.ceil(_power_map("epochs", config.epochs, LAB_ANCHOR["pretrain_epochs"]) - 1e-9),
        "sft_pairs": round(_power_map("expert_pairs", config.expert_pairs, LAB_ANCHOR["sft_pairs"])),
        "sft_learning_rate": _power_map("learning_rate", config.learning_rate, LAB_ANCHOR["sft_learning_rate"]),
        "kl_coef": config.kl_coef,
        "dpo_beta": config.kl_coef,
        "ppo_iterations": max(MIN_LAB_PPO_ITERATIONS, round(_power_map("ppo_iterations", config.ppo_iterations,
                                                                        LAB_ANCHOR["ppo_iterations"]))),
        "seed": config.seed,
    }


def _typed(c: Control, v):
    return int(v) if c.kind == "int" else float(v)


def _row(control, lab, formula, why):
    """One LAB_MAPPING row; the lab values at the ends and at the default are computed, never typed."""
    c = CONTROLS_BY_NAME[control]
    lo, hi = (lab_settings(PipelineConfig(**{control: _typed(c, v)}))[lab] for v in (c.minimum, c.maximum))
    return {"control": control, "real_range": format_range(c), "real_default": _typed(c, c.default), "lab": lab,
            "lab_at_min": lo, "lab_at_default": lab_settings(PipelineConfig())[lab], "lab_at_max": hi,
            "formula": formula, "why": why}


def _law(name, anchor_key, unit=""):
    c = CONTROLS_BY_NAME[name]
    return f"{LAB_ANCHOR[anchor_key]:,g}{unit} × ({name} / {c.default:,g})^{LAB_EXPONENT[name]:g}"


LAB_MAPPING: tuple[dict, ...] = (
    _row("data_tokens", "corpus_tokens", _law("data_tokens", "corpus_tokens") + ", rounded",
         "a 100× range of real data becomes a 4× range of toy tokens: enough to see the loss fall with data, "
         "small enough for the browser"),
    _row("epochs", "pretrain_epochs", "ceil(" + _law("epochs", "pretrain_epochs") + ")",
         "what matters is that the corpus is repeated; the square root keeps 20 passes affordable (5 lab passes)"),
    _row("expert_pairs", "sft_pairs", _law("expert_pairs", "sft_pairs") + ", rounded",
         "the toy world has a few dozen SFT facts × 3 phrasings; more demonstrations cover them more often"),
    _row("learning_rate", "sft_learning_rate", _law("learning_rate", "sft_learning_rate")
         + f"  (= {LAB_ANCHOR['sft_learning_rate'] / CONTROLS_BY_NAME['learning_rate'].default:g} × learning_rate)",
         "proportional: Llama 2's 2e-5 maps to the lab's tuned Adam rate, and 1e-3 makes the lab's SFT diverge as "
         "it would at scale"),
    _row("kl_coef", "kl_coef", "identity (same β)",
         "β multiplies a KL measured in nats, which means the same for a tiny and a huge model"),
    _row("kl_coef", "dpo_beta", "identity (DPO's beta is the same β as PPO's kl_coef)",
         "DPO's loss comes from the same KL-regularised objective (Rafailov23 Eq. 3), so one slider sets both"),
    _row("ppo_iterations", "ppo_iterations", f"max({MIN_LAB_PPO_ITERATIONS}, round("
         + _law("ppo_iterations", "ppo_iterations") + "))",
         "a fifth, to fit the browser; the tiny policy moves further per iteration than a large one"),
    _row("seed", "seed", "identity", "every random draw in the lab comes from it"),
)
