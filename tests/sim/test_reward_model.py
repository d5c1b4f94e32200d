"""Reward model: the Bradley–Terry head against finite differences, then accuracy and its fall with label noise."""

import numpy as np
import pytest

from tests.sim.gradcheck import numeric_grad, rel_error

from simulator_wasm.annotators import label_pairs, label_summary, panel_vote
from simulator_wasm.errors import ConfigError
from simulator_wasm.reward_model import (RewardModelConfig, _sample_with_features, bt_loss, bt_loss_backward,
                                         features, sample_answer_pairs, score, train_reward_model)
from simulator_wasm.world import answer_tokens, question_tokens


# ------------------------------------------------------------------ pure maths
def test_bt_head_gradient():
    rng = np.random.default_rng(0)
    dphi, w = rng.normal(size=(20, 6)), rng.normal(size=6)
    _, margins = bt_loss(w, dphi, 0.01)
    analytic = bt_loss_backward(w, dphi, margins, 0.01)
    assert rel_error(analytic, numeric_grad(lambda x: bt_loss(x, dphi, 0.01)[0], w.copy())) < 1e-6


def test_bt_loss_is_log_two_at_zero_and_falls_with_the_right_margin():
    dphi = np.ones((4, 1))
    assert bt_loss(np.zeros(1), dphi, 0.0)[0] == pytest.approx(np.log(2))
    assert bt_loss(np.ones(1), dphi, 0.0)[0] < np.log(2) < bt_loss(-np.ones(1), dphi, 0.0)[0]


# ------------------------------------------------------------------ simulated annotators (no model needed)
CARD = {"verdict": "avoid", "risk_words": ["bleeding"], "mechanism_words": ["platelets"],
        "safer_words": ["acetaminophen"], "emergency": False, "source": "pharma.md §1", "max_words": 11}
GOOD = "warfarin with ibuprofen : avoid , bleeding via platelets . use acetaminophen . ask pharmacist <eos>".split()
PADDED = GOOD[:-1] + [".", "stay", "well", "<eos>"]
SURE = GOOD[:4] + ["definitely"] + GOOD[4:]
WRONG = [("caution" if t == "avoid" else t) for t in GOOD]


def _label(answers_a, answers_b, seed=0, **kw):
    n = len(answers_a)
    return label_pairs([["<q>"]] * n, answers_a, answers_b, [CARD] * n, np.random.default_rng(seed), **kw)


def test_panel_vote_majority_and_agreement():
    rng = np.random.default_rng(0)
    assert panel_vote(1.0, 0.0, rng, 5, 0.0) == (True, 1.0)
    assert panel_vote(0.0, 1.0, rng, 5, 0.0) == (False, 1.0)
    wins = [panel_vote(0.1, 0.0, rng, 3, 10.0)[0] for _ in range(400)]
    assert 0.4 < np.mean(wins) < 0.65                                  # σ ≫ gap: nearly a coin


def test_noise_lowers_agreement_with_gold_and_identical_answers_are_skipped():
    a, b = [GOOD] * 300, [WRONG] * 300
    clean = label_summary(_label(a, b, label_noise=0.0, length_bias=0.0))["all"]["gold_agreement"]
    noisy = label_summary(_label(a, b, label_noise=1.0, length_bias=0.0))["all"]["gold_agreement"]
    assert clean == 1.0 and 0.5 < noisy < 0.8
    assert _label([GOOD], [GOOD]) == []


def test_human_length_bias_prefers_padding_and_ai_labeller_prefers_definitely():
    humans = _label([GOOD] * 200, [PADDED] * 200, label_noise=0.0, length_bias=0.1)
    assert all(p["chosen"] == PADDED for p in humans)                  # +0.2 utility beats −0.075 gold
    unbiased = _label([GOOD] * 200, [PADDED] * 200, label_noise=0.0, length_bias=0.0)
    assert all(p["chosen"] == GOOD for p in unbiased)
    ai = _label([GOOD] * 200, [SURE] * 200, ai_fraction=1.0, ai_confidence_bias=0.5, length_bias=0.0)
    assert all(p["labeller"] == "ai" for p in ai)
    assert np.mean([p["chosen"] == SURE for p in ai]) > 0.95
    mixed = _label([GOOD] * 400, [SURE] * 400, ai_fraction=0.25, label_noise=0.0)
    assert 0.18 < np.mean([p["labeller"] == "ai" for p in mixed]) < 0.32


# ------------------------------------------------------------------ the trained reward model
@pytest.fixture(scope="module")
def lab(pretrained, sft_runs):
    """seed → (world, SFT params) from the shared default runs."""
    return {seed: (pretrained[seed][0], sft_runs[seed]["pretrained"][0]) for seed in sft_runs}


def _train(lab, seed, **overrides):
    world, sft = lab[seed]
    return train_reward_model(world, sft, RewardModelConfig(**overrides), np.random.default_rng(1000 + seed))


def test_rm_beats_chance_against_labels_and_gold(lab):
    results = [_train(lab, seed)[1] for seed in lab]
    assert np.mean([r["accuracy"] for r in results]) > 0.7
    assert np.mean([r["accuracy_gold"] for r in results]) > 0.6
    for r in results:
        assert np.mean(r["chosen_scores"]) > np.mean(r["rejected_scores"])
        assert r["loss"][-1] < r["loss"][0] == pytest.approx(np.log(2))


def test_rm_scores_sft_answers_with_mean_zero_and_unit_spread(lab):
    world, sft = lab[0]
    rm, results, pairs = _train(lab, 0)
    scores = np.array(results["chosen_scores"] + results["rejected_scores"])
    assert abs(scores.mean()) < 0.3 and 0.7 < scores.std() < 1.4          # held-out SFT answers


@pytest.mark.slow
def test_rm_accuracy_falls_as_label_noise_rises(lab):
    noise = (0.0, 0.3, 1.0, 3.0)
    acc = [np.mean([_train(lab, seed, label_noise=s)[1]["accuracy"] for seed in lab]) for s in noise]
    assert all(a > b for a, b in zip(acc, acc[1:])), acc
    assert acc[0] > 0.72 and acc[-1] < 0.62


def test_features_recorded_while_sampling_equal_a_fresh_forward_pass(lab):
    world, sft = lab[0]
    items, prompts, a, b, phi_a, phi_b = _sample_with_features(world, sft, 30, np.random.default_rng(9), 24)
    assert (items, prompts, a, b) == sample_answer_pairs(world, sft, 30, np.random.default_rng(9), 24)
    enc = world.vocab.encode
    for answers, phi in ((a, phi_a), (b, phi_b)):
        fresh = features(sft, [enc(p) for p in prompts], [enc(x) for x in answers])
        np.testing.assert_allclose(phi, fresh, rtol=1e-9, atol=1e-12)


def test_rm_is_deterministic_and_reuses_pairs(lab):
    rm1, r1, pairs = _train(lab, 1)
    rm2, r2, _ = _train(lab, 1)
    assert r1 == r2 and np.array_equal(rm1.w, rm2.w)
    world, sft = lab[1]
    _, r3, same = train_reward_model(world, sft, RewardModelConfig(), np.random.default_rng(1001), pairs=pairs)
    assert same is pairs and r3["n_pairs"] == r1["n_pairs"]


def test_ai_labeller_teaches_the_rm_to_like_definitely(lab):
    world, sft = lab[0]
    item = world.sft_items[0]
    prompt = world.vocab.encode(question_tokens(item, world.train_templates[0]))
    plain, sure = (world.vocab.encode(answer_tokens(item, confident=c)) for c in (False, True))

    def preference(**kw):
        rm = _train(lab, 0, **kw)[0]
        r = score(rm, features(sft, [prompt, prompt], [plain, sure]))
        return r[1] - r[0]

    assert preference(ai_fraction=1.0, ai_confidence_bias=0.5) > preference(ai_fraction=0.0) + 0.5


@pytest.mark.parametrize("field, value", [("n_pairs", 5), ("label_noise", -0.1), ("ai_fraction", 1.5),
                                          ("n_annotators", 0), ("heldout_fraction", 0.9)])
def test_config_rejects_bad_values_with_a_message(field, value):
    with pytest.raises(ConfigError, match=f"rm.{field} must be"):
        RewardModelConfig(**{field: value})


def test_pinned_loss_trajectory(lab):
    # Re-pin (print results["loss"]) only after an intended change to the world, the SFT model or this module.
    _, results, _ = _train(lab, 0)
    pinned = [0.6931471805599453, 0.49469126785660156, 0.4337931148824832, 0.23311847686610657, 0.23067450564278696]
    assert [results["loss"][i] for i in (0, 1, 2, 50, 299)] == pytest.approx(pinned, rel=1e-6)
