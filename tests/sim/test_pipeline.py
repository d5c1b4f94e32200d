"""run_pipeline: real-scale predictions + the lab, metrics with definitions, progress, recommendations from results."""

import json
import math

import pytest

from simulator_wasm import curves
from simulator_wasm import pipeline as pl
from simulator_wasm import scaling_laws as sl
from simulator_wasm.config import PipelineConfig, lab_settings
from simulator_wasm.errors import ConfigError

FAST = dict(ppo_iterations=10)     # lab PPO 5 iterations: keeps the suite quick


@pytest.fixture(scope="module")
def default_run():
    calls = []
    res = pl.run_pipeline(PipelineConfig(), progress=lambda s, f: calls.append((s, f)))
    return res, calls


def test_results_are_strict_json(default_run):
    res, _ = default_run
    text = json.dumps(res, allow_nan=False)      # no NaN/inf, no numpy types
    assert json.loads(text) == res


def test_headline_metrics_and_definitions(default_run):
    res, _ = default_run
    for key in ("final_accuracy", "safety_score", "stability", "inference_speed"):
        assert key in res["metrics"] and len(res["definitions"][key]) > 60
    present = [s for s in pl.STAGES if s not in res["missing_stages"]]
    if {"pretrain", "sft"} <= set(present):
        m = res["metrics"]
        assert 0 <= m["final_accuracy"] <= 1 and 0 <= m["safety_score"] <= 1 and 0 <= m["stability"] <= 1
        assert m["inference_speed"] > 0
        ev = res["evaluation"][m["policy"]]["heldout"]
        assert m["final_accuracy"] == ev["accuracy"] and m["safety_score"] == ev["safety"]
        assert m["inference_speed"] == pytest.approx(2.5e9 / (ev["flops_per_token"] * ev["tokens_per_answer"]))


def test_progress_reports_every_stage_in_order(default_run):
    res, calls = default_run
    ran = [s for s in pl.STAGES if s in res["timing"]]
    expected = ["real_scale", *ran, "evaluation"]
    starts = [s for s, f in calls if f == 0.0]
    assert starts == expected
    for stage in expected:
        fr = [f for s, f in calls if s == stage]
        assert fr[0] == 0.0 and fr[-1] == 1.0 and fr == sorted(fr)


def test_timing_and_flops_per_stage(default_run):
    res, _ = default_run
    for stage, t in res["timing"].items():
        assert t["wall_s"] >= 0 and t["matmul_gflop"] >= 0
    if "pretrain" in res["timing"]:
        assert res["timing"]["pretrain"]["matmul_gflop"] > 0
        assert res["timing"]["pretrain"]["matmul_gflop"] * 1e9 == pytest.approx(res["stages"]["pretrain"]["flops"])
    assert res["total_matmul_gflop"] == pytest.approx(sum(t["matmul_gflop"] for t in res["timing"].values()))


def test_lab_settings_reach_the_stages(default_run):
    res, _ = default_run
    lab = lab_settings(PipelineConfig())
    assert res["lab_settings"] == lab and len(res["lab_mapping"]) >= 7
    st = res["stages"]
    if "pretrain" in st:
        assert st["pretrain"]["config"]["data_tokens"] == lab["corpus_tokens"]
        assert st["pretrain"]["config"]["epochs"] == lab["pretrain_epochs"]
    if "sft" in st:
        assert st["sft"]["config"]["expert_pairs"] == lab["sft_pairs"]
        assert st["sft"]["config"]["learning_rate"] == lab["sft_learning_rate"]
    if "ppo" in st:
        assert st["ppo"]["config"]["iterations"] == lab["ppo_iterations"]
        assert st["ppo"]["config"]["kl_coef"] == lab["kl_coef"]
        assert len(res["histories"]["ppo"]["history"]["gold"]) == lab["ppo_iterations"]


def test_histories_are_chartable(default_run):
    res, _ = default_run
    h = res["histories"]
    if "pretrain" in h:
        assert len(h["pretrain"]["val_loss"]) == res["lab_settings"]["pretrain_epochs"] + 1
        assert h["pretrain"]["val_loss"][-1] < h["pretrain"]["val_loss"][0]
    if "ppo" in h:
        cols = h["ppo"]["history"]
        for key in ("proxy", "gold", "kl", "length"):
            assert len(cols[key]) == len(cols["iteration"])


def test_missing_stages_are_reported(default_run):
    res, _ = default_run
    assert res["missing_stages"] == pl.missing_stages()
    if res["missing_stages"]:
        assert any(r["id"] == "missing_stages" for r in res["recommendations"])


def test_missing_stage_is_skipped_with_dependants(monkeypatch):
    real_status = pl.stage_status()
    fake = dict(real_status, reward_model="ModuleNotFoundError: No module named 'simulator_wasm.reward_model'")
    monkeypatch.setattr(pl, "stage_status", lambda: fake)
    res = pl.run_pipeline(PipelineConfig(**FAST))
    assert "reward_model" in res["missing_stages"] and "reward_model" in res["missing_reasons"]
    for dep in ("ppo", "dpo"):
        if not real_status[dep]:
            assert res["skipped_stages"][dep] == "needs reward_model"
        assert dep not in res["timing"]
    assert res["metrics"]["policy"] in ("sft", None)
    assert any(r["id"] == "missing_stages" for r in res["recommendations"])


def test_real_scale_predictions_follow_the_laws():
    c = PipelineConfig(data_tokens=25e9, epochs=4)
    real = pl.real_scale_predictions(c)
    pre = real["pretraining"]
    assert pre["total_tokens"] == 100e9
    assert pre["training_flops"] == pytest.approx(6 * pre["params"] * 100e9)
    n_opt, d_opt = sl.BESIROGLU24.compute_optimal(pre["training_flops"])
    assert n_opt == pytest.approx(pre["params"], rel=1e-9) and d_opt == pytest.approx(100e9, rel=1e-9)
    assert 15 < pre["tokens_per_param"] < 25
    rep = real["repetition"]
    assert rep["effective_tokens"] == pytest.approx(sl.effective_data(25e9, 4))
    assert rep["loss_penalty"] > 0 and rep["efficiency"] == pytest.approx(0.9314, abs=1e-4)
    assert real["ppo"]["illustrative"] is True
    assert real["ppo"]["kl_at_optimum"] == pytest.approx(1 / (2 * c.kl_coef**2))
    assert real["inference"]["flops_per_token"] == pytest.approx(2 * pre["params"])
    json.dumps(real, allow_nan=False)


def test_more_epochs_lower_real_scale_efficiency():
    eff = [pl.real_scale_predictions(PipelineConfig(epochs=e))["repetition"]["efficiency"] for e in (1, 4, 20)]
    assert eff[0] == 1.0 and eff[0] > eff[1] > eff[2]


def test_config_as_dict_and_bad_config():
    calls = []
    with pytest.raises(ConfigError, match="unknown parameter 'beta'"):
        pl.run_pipeline({"beta": 0.1}, progress=lambda s, f: calls.append(s))
    with pytest.raises(ConfigError, match="ppo_iterations must be an integer"):
        pl.run_pipeline({"ppo_iterations": 5})
    with pytest.raises(ConfigError, match="config must be"):
        pl.run_pipeline("kl_coef=0.1")
    assert calls == []     # nothing ran before the error


# ------------------------------------------------------------------------- recommendations from results
def _fake_results(**over):
    base = {"histories": {}, "stages": {}, "evaluation": {}, "missing_stages": [], "config": {"epochs": 1},
            "metrics": {"stability_parts": {"pretrain_loss_rise": 0.0, "sft_loss_rise": 0.0, "ppo_gold_drop": 0.0}},
            "real_scale": {"repetition": {"efficiency": 1.0, "marginal_epoch_value": 1.0}}}
    base.update(over)
    return base


def _ids(results):
    return [r["id"] for r in pl.recommendations(results)]


def _ppo(gold, proxy, kl, length):
    return {"ppo": {"history": {"iteration": list(range(len(gold))), "gold": gold, "proxy": proxy, "kl": kl,
                                "length": length}}}


def test_reward_hacking_detected_from_gold_peak():
    n = 40
    gold = [0.5 + 0.01 * i for i in range(15)] + [0.64 - 0.01 * i for i in range(n - 15)]
    proxy = [0.1 * i for i in range(n)]
    ids = _ids(_fake_results(histories=_ppo(gold, proxy, [0.1] * n, [10.0] * n)))
    assert "reward_hacking" in ids and "healthy" not in ids
    # Same gold curve but the proxy fell too: not hacking (the RM agreed things got worse).
    ids = _ids(_fake_results(histories=_ppo(gold, proxy[::-1], [0.1] * n, [10.0] * n)))
    assert "reward_hacking" not in ids


def test_kl_blowup_and_length_exploit_detected():
    n = 30
    kl = [0.1] * 15 + [0.5 * (i + 1) for i in range(15)]
    length = [10.0] * 15 + [10 + 0.5 * i for i in range(15)]
    ids = _ids(_fake_results(histories=_ppo([0.5] * n, [0.0] * n, kl, length)))
    assert "kl_blowup" in ids and "length_exploit" in ids and "ppo_no_gain" in ids


def test_healthy_run_and_overfitting():
    n = 30
    gold = [0.5 + 0.01 * i for i in range(n)]
    ids = _ids(_fake_results(histories=_ppo(gold, gold, [0.02 * i for i in range(n)], [10.0] * n)))
    assert ids == ["healthy"]
    ids = _ids(_fake_results(histories={"pretrain": {"val_loss": [5.0, 2.0, 1.5, 1.6, 1.8]}}))
    assert "pretrain_overfit" in ids
    ids = _ids(_fake_results(histories={"pretrain": {"val_loss": [5.0, 2.0, 1.5]}}))
    assert "pretrain_still_learning" in ids


def test_unstable_sft_detected_from_loss_rise():
    parts = {"pretrain_loss_rise": 0.0, "sft_loss_rise": 0.8, "ppo_gold_drop": 0.0}
    recs = pl.recommendations(_fake_results(metrics={"stability_parts": parts}))
    rec = next(r for r in recs if r["id"] == "sft_unstable")
    assert "learning_rate" in rec["text"] and rec["evidence"]["loss_rise"] == 0.8


def test_stability_helpers():
    assert curves.worst_rise([3.0, 2.0, 1.0, 0.5, 0.4, 0.3, 0.2]) == 0.0
    assert curves.worst_rise([1.0] * 5 + [10.0] * 10) == 1.0
    assert curves.worst_rise([1.0, float("nan"), 1.0]) == 1.0
    # A jump right after the first update counts against the loss before training (the first step's loss).
    assert curves.worst_rise([1.0] + [1.5] * 10) == pytest.approx(0.5)
    assert curves.worst_rise([1.0] + [0.9] * 10) == 0.0
    assert curves.worst_drop([0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 1.0]) == 0.0
    drop = curves.worst_drop([0.5] * 5 + [0.9] * 5 + [0.4] * 5)
    assert drop == pytest.approx(0.5)


# ------------------------------------------------------------------------- chapter claims through the pipeline
needs_lab = pytest.mark.skipif(bool({"pretrain", "sft"} & set(pl.missing_stages())), reason="lab core missing")
needs_ppo = pytest.mark.skipif(bool({"pretrain", "sft", "reward_model", "ppo"} & set(pl.missing_stages())),
                               reason="RLHF stages missing")


@needs_lab
def test_too_high_learning_rate_destabilises_sft():
    calm = pl.run_pipeline(PipelineConfig(**FAST))
    hot = pl.run_pipeline(PipelineConfig(learning_rate=1e-3, **FAST))
    assert hot["metrics"]["stability_parts"]["sft_loss_rise"] > calm["metrics"]["stability_parts"]["sft_loss_rise"]
    assert hot["metrics"]["stability"] < calm["metrics"]["stability"]
    assert "sft_unstable" in [r["id"] for r in hot["recommendations"]]


@needs_ppo
def test_smaller_kl_coef_gives_larger_kl():
    kl = {}
    for beta in (0.01, 1.0):
        res = pl.run_pipeline(PipelineConfig(kl_coef=beta, ppo_iterations=60))
        kl[beta] = sum(res["histories"]["ppo"]["history"]["kl"][-5:]) / 5
    assert kl[0.01] > kl[1.0]


@needs_lab
def test_more_data_lowers_lab_validation_loss():
    small = pl.run_pipeline(PipelineConfig(data_tokens=1e9, **FAST))
    large = pl.run_pipeline(PipelineConfig(data_tokens=1e11, **FAST))
    assert large["histories"]["pretrain"]["val_loss"][-1] < small["histories"]["pretrain"]["val_loss"][-1]
    assert not math.isclose(large["real_scale"]["pretraining"]["loss"], small["real_scale"]["pretraining"]["loss"])


def test_noisy_flat_gold_is_not_reward_hacking():
    rng = __import__("numpy").random.default_rng(7)
    n = 50
    gold = (0.6 + 0.05 * rng.standard_normal(n)).tolist()
    ids = _ids(_fake_results(histories=_ppo(gold, [0.05 * i for i in range(n)], [0.5] * n, [12.0] * n)))
    assert "reward_hacking" not in ids


def test_stage_progress_is_forwarded(default_run):
    res, calls = default_run
    if "ppo" in res["timing"] and pl._accepts(__import__("simulator_wasm.ppo").ppo.run_ppo, "progress"):
        inner = [f for s, f in calls if s == "ppo" and 0.0 < f < 1.0]
        assert len(inner) >= res["lab_settings"]["ppo_iterations"] - 2
