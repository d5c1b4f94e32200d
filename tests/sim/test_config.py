"""PipelineConfig validation, the controls table, and the real → lab mapping."""

import dataclasses
import json
import math

import numpy as np
import pytest

from simulator_wasm import config as cfg
from simulator_wasm.config import PipelineConfig, lab_settings, parse_control_value
from simulator_wasm.controls import CONTROL_NAMES, CONTROLS, CONTROLS_BY_NAME, controls_json, controls_list
from simulator_wasm.errors import ConfigError

SEED_RANGES = {  # the seed's Interactive Simulator ranges (PROJECT_SUMMARY.md)
    "data_tokens": (1e9, 100e9), "epochs": (1, 20), "expert_pairs": (1_000, 100_000),
    "kl_coef": (0.01, 1.0), "ppo_iterations": (10, 200),
}


def test_controls_match_seed_and_fields():
    assert CONTROL_NAMES == ("data_tokens", "epochs", "expert_pairs", "learning_rate", "kl_coef",
                             "ppo_iterations", "seed")
    assert tuple(f.name for f in dataclasses.fields(PipelineConfig)) == CONTROL_NAMES
    for name, (lo, hi) in SEED_RANGES.items():
        c = CONTROLS_BY_NAME[name]
        assert (c.minimum, c.maximum) == (lo, hi)
    for c in CONTROLS:
        assert c.minimum <= c.default <= c.maximum
        assert c.kind in ("int", "float") and c.scale in ("log", "linear") and c.help and c.source
        if c.scale == "log":
            assert c.minimum > 0


def test_defaults_come_from_controls():
    d = PipelineConfig().to_dict()
    assert d == {c.name: c.default for c in CONTROLS}
    assert isinstance(d["epochs"], int) and isinstance(d["data_tokens"], float)


def test_controls_json_roundtrip():
    doc = json.loads(controls_json())
    assert [c["name"] for c in doc["controls"]] == list(CONTROL_NAMES)
    assert doc["controls"][1]["cli"] == "--epochs"
    assert controls_list()[2]["maximum"] == 100_000 and isinstance(controls_list()[2]["maximum"], int)


@pytest.mark.parametrize("name, value, fragment", [
    ("epochs", 0, "epochs must be an integer in [1, 20] passes, got 0"),
    ("epochs", 21, "got 21"),
    ("epochs", 2.0, "epochs must be an integer in [1, 20] passes, got 2.0 (float)"),
    ("epochs", True, "got True (bool)"),
    ("epochs", "4", "got '4' (str)"),
    ("expert_pairs", 999, "expert_pairs must be an integer in [1000, 100000] pairs, got 999"),
    ("data_tokens", 5e11, "data_tokens must be a number in [1e+09, 1e+11] tokens, got 5e+11"),
    ("data_tokens", float("nan"), "data_tokens must be a finite number in [1e+09, 1e+11] tokens, got nan"),
    ("kl_coef", float("inf"), "kl_coef must be a finite number in [0.01, 1] reward per nat, got inf"),
    ("kl_coef", 0.0, "kl_coef must be a number in [0.01, 1]"),
    ("kl_coef", False, "got False (bool)"),
    ("kl_coef", None, "got None (NoneType)"),
    ("learning_rate", 1e-2, "learning_rate must be a number in [1e-06, 0.001] per step, got 0.01"),
    ("ppo_iterations", 201, "ppo_iterations must be an integer in [10, 200] iterations, got 201"),
    ("seed", -1, "seed must be an integer in [0, 4294967295], got -1"),
    ("seed", 2**32, "got 4294967296"),
])
def test_bad_values_raise_config_error(name, value, fragment):
    with pytest.raises(ConfigError) as exc:
        PipelineConfig(**{name: value})
    assert fragment in str(exc.value)
    assert isinstance(exc.value, ValueError)


def test_edges_are_inclusive_and_not_clamped():
    for c in CONTROLS:
        for v in (c.minimum, c.maximum):
            v = int(v) if c.kind == "int" else float(v)
            assert getattr(PipelineConfig(**{c.name: v}), c.name) == v


def test_numpy_scalars_are_normalised():
    c = PipelineConfig(epochs=np.int64(3), kl_coef=np.float64(0.2), data_tokens=np.int64(2_000_000_000))
    assert type(c.epochs) is int and type(c.kl_coef) is float and type(c.data_tokens) is float
    json.dumps(c.to_dict())


def test_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PipelineConfig().epochs = 3


def test_from_dict_rejects_unknown_key_listing_allowed():
    with pytest.raises(ConfigError) as exc:
        PipelineConfig.from_dict({"epochs": 2, "beta": 0.1})
    msg = str(exc.value)
    assert "'beta'" in msg and "kl_coef" in msg and "ppo_iterations" in msg
    with pytest.raises(ConfigError):
        PipelineConfig.from_dict([("epochs", 2)])
    assert PipelineConfig.from_dict({"epochs": 2}).epochs == 2
    assert PipelineConfig.from_dict(PipelineConfig(seed=5).to_dict()) == PipelineConfig(seed=5)


@pytest.mark.parametrize("name, text, value", [
    ("data_tokens", "10e9", 1e10), ("data_tokens", "2000000000", 2e9), ("epochs", "4", 4),
    ("expert_pairs", "1e4", 10_000), ("kl_coef", " 0.1 ", 0.1), ("seed", "4294967295", 2**32 - 1),
])
def test_parse_control_value(name, text, value):
    parsed = parse_control_value(name, text)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize("name, text, fragment", [
    ("epochs", "2.5", "epochs must be an integer in [1, 20] passes, got '2.5'"),
    ("epochs", "many", "got 'many'"),
    ("kl_coef", "nan", "finite"),
    ("kl_coef", "abc", "kl_coef must be a number in [0.01, 1] reward per nat, got 'abc'"),
    ("epochs", "inf", "got 'inf'"),
    ("kl", "0.1", "unknown parameter 'kl'"),
])
def test_parse_control_value_errors(name, text, fragment):
    with pytest.raises(ConfigError) as exc:
        parse_control_value(name, text)
    assert fragment in str(exc.value)


def test_from_query():
    c = PipelineConfig.from_query({"kl_coef": "0.1", "epochs": "3"})
    assert (c.kl_coef, c.epochs) == (0.1, 3)
    with pytest.raises(ConfigError, match="unknown parameter 'klcoef'"):
        PipelineConfig.from_query({"klcoef": "0.1"})


# ------------------------------------------------------------------------------------------ real → lab mapping
def test_lab_settings_at_defaults_are_the_anchors():
    lab = lab_settings(PipelineConfig())
    assert lab["corpus_tokens"] == cfg.LAB_ANCHOR["corpus_tokens"]
    assert lab["pretrain_epochs"] == cfg.LAB_ANCHOR["pretrain_epochs"]
    assert lab["sft_pairs"] == cfg.LAB_ANCHOR["sft_pairs"]
    assert lab["sft_learning_rate"] == cfg.LAB_ANCHOR["sft_learning_rate"]
    assert lab["ppo_iterations"] == cfg.LAB_ANCHOR["ppo_iterations"]
    assert lab["kl_coef"] == lab["dpo_beta"] == PipelineConfig().kl_coef


def test_anchors_equal_stage_defaults():
    # The anchors were tuned by the stage owners for the browser budget; drift is caught here.
    pretrain = pytest.importorskip("simulator_wasm.pretrain")
    sft = pytest.importorskip("simulator_wasm.sft")
    assert pretrain.PretrainConfig().data_tokens == cfg.LAB_ANCHOR["corpus_tokens"]
    assert pretrain.PretrainConfig().epochs == cfg.LAB_ANCHOR["pretrain_epochs"]
    assert sft.SFTConfig().expert_pairs == cfg.LAB_ANCHOR["sft_pairs"]
    assert sft.SFTConfig().learning_rate == cfg.LAB_ANCHOR["sft_learning_rate"]
    ppo = pytest.importorskip("simulator_wasm.ppo")
    assert ppo.PPOConfig().iterations == cfg.LAB_ANCHOR["ppo_iterations"]


@pytest.mark.parametrize("control, lab_key", [
    ("data_tokens", "corpus_tokens"), ("epochs", "pretrain_epochs"), ("expert_pairs", "sft_pairs"),
    ("learning_rate", "sft_learning_rate"), ("kl_coef", "kl_coef"), ("ppo_iterations", "ppo_iterations"),
])
def test_lab_maps_are_monotone(control, lab_key):
    c = CONTROLS_BY_NAME[control]
    if c.scale == "log":
        grid = np.geomspace(c.minimum, c.maximum, 25)
    else:
        grid = np.linspace(c.minimum, c.maximum, 25)
    values = [lab_settings(PipelineConfig(**{control: int(round(v)) if c.kind == "int" else float(v)}))[lab_key]
              for v in grid]
    assert all(b >= a for a, b in zip(values, values[1:]))
    assert values[-1] > values[0]


def test_lab_settings_types_and_purity():
    c = PipelineConfig(data_tokens=3e9, epochs=7, expert_pairs=50_000, learning_rate=1e-4, kl_coef=0.3,
                       ppo_iterations=37, seed=11)
    lab = lab_settings(c)
    assert lab == lab_settings(c)
    for key in ("corpus_tokens", "pretrain_epochs", "sft_pairs", "ppo_iterations", "seed"):
        assert type(lab[key]) is int
    assert lab["sft_learning_rate"] == pytest.approx(250 * 1e-4)
    assert lab["ppo_iterations"] == 7 and lab["seed"] == 11
    json.dumps(lab)


def test_lab_settings_at_extremes_are_valid_stage_configs():
    pretrain = pytest.importorskip("simulator_wasm.pretrain")
    sft = pytest.importorskip("simulator_wasm.sft")
    for pick in ("minimum", "maximum"):
        kw = {c.name: (int if c.kind == "int" else float)(getattr(c, pick)) for c in CONTROLS}
        lab = lab_settings(PipelineConfig(**kw))
        pretrain.PretrainConfig(data_tokens=lab["corpus_tokens"], epochs=lab["pretrain_epochs"])
        sft.SFTConfig(expert_pairs=lab["sft_pairs"], learning_rate=lab["sft_learning_rate"])
        ppo = pytest.importorskip("simulator_wasm.ppo")
        ppo.PPOConfig(iterations=lab["ppo_iterations"], kl_coef=lab["kl_coef"])


def test_lab_mapping_table_matches_lab_settings():
    rows = cfg.LAB_MAPPING
    json.dumps(rows)
    assert {r["control"] for r in rows} == set(CONTROL_NAMES)
    for r in rows:
        c = CONTROLS_BY_NAME[r["control"]]
        typed = (int if c.kind == "int" else float)
        assert r["lab_at_min"] == lab_settings(PipelineConfig(**{c.name: typed(c.minimum)}))[r["lab"]]
        assert r["lab_at_max"] == lab_settings(PipelineConfig(**{c.name: typed(c.maximum)}))[r["lab"]]
        assert r["formula"] and r["why"]
    assert rows[0]["lab_at_min"] == 12028 and rows[0]["lab_at_max"] == 47886


def test_epoch_map_repeats_from_two_real_epochs():
    lab = [lab_settings(PipelineConfig(epochs=e))["pretrain_epochs"] for e in range(1, 21)]
    assert lab == [1, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5]
