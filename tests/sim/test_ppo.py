"""PPO: GAE, the clipped surrogate and the value loss against finite differences, then the RLHF behaviours."""

import numpy as np
import pytest

from tests.sim.gradcheck import numeric_grad, rel_error

from simulator_wasm.errors import ConfigError
from simulator_wasm.model import log_softmax
from simulator_wasm.ppo import (PPOConfig, clipped_surrogate, clipped_surrogate_backward, gae, logp_backward,
                                run_ppo, token_logp, value_backward, value_forward, value_loss, value_loss_backward,
                                whiten)
from simulator_wasm.pretrain import PretrainConfig, run_pretrain
from simulator_wasm.reward_model import RewardModelConfig, train_reward_model
from simulator_wasm.sft import SFTConfig, run_sft
from simulator_wasm.world import make_world


# ------------------------------------------------------------------ pure maths
def test_gae_matches_the_sum_definition():
    rng = np.random.default_rng(0)
    B, N, gamma, lam = 3, 6, 0.9, 0.8
    rewards, values = rng.normal(size=(B, N)), rng.normal(size=(B, N))
    lengths = np.array([6, 4, 1])
    mask = np.arange(N)[None, :] < lengths[:, None]
    advantages, returns = gae(rewards, values, mask, gamma, lam)
    for b, n in enumerate(lengths):
        v_next = np.append(values[b, 1:n], 0.0)                       # V after the last token is 0
        delta = rewards[b, :n] + gamma * v_next - values[b, :n]
        expect = [sum((gamma * lam) ** l * delta[t + l] for l in range(n - t)) for t in range(n)]
        np.testing.assert_allclose(advantages[b, :n], expect, rtol=1e-12)
        assert np.all(advantages[b, n:] == 0) and np.all(returns[b, n:] == 0)
    np.testing.assert_allclose(returns[mask], (advantages + values)[mask])


def test_gae_lambda_one_gamma_one_is_return_minus_value():
    rewards = np.array([[0.0, -0.1, 1.0]])
    values = np.array([[0.3, 0.2, 0.5]])
    advantages, returns = gae(rewards, values, np.ones((1, 3), dtype=bool), 1.0, 1.0)
    np.testing.assert_allclose(returns, [[0.9, 0.9, 1.0]])
    np.testing.assert_allclose(advantages, [[0.6, 0.7, 0.5]])


def test_whiten():
    x = whiten(np.array([1.0, 2.0, 3.0, 10.0]))
    assert x.mean() == pytest.approx(0.0, abs=1e-12) and x.std() == pytest.approx(1.0, rel=1e-6)


def test_clipped_surrogate_gradient_wrt_logits():
    rng = np.random.default_rng(1)
    R, V, eps = 12, 7, 0.2
    logits = rng.normal(size=(R, V))
    targets = rng.integers(V, size=R)
    # old log-probs chosen so ratios straddle both clip edges, yet stay away from the kinks
    old_logp = log_softmax(logits)[np.arange(R), targets] + rng.choice([-0.5, -0.05, 0.05, 0.5], size=R)
    advantages = rng.normal(size=R)

    def loss(z):
        logp = log_softmax(z)[np.arange(R), targets]
        return clipped_surrogate(logp, old_logp, advantages, eps)[0]

    logp = log_softmax(logits)[np.arange(R), targets]
    _, clipfrac, cache = clipped_surrogate(logp, old_logp, advantages, eps)
    analytic = logp_backward(clipped_surrogate_backward(cache), np.exp(log_softmax(logits)), targets)
    assert 0 < clipfrac < 1                                           # both branches are exercised
    assert rel_error(analytic, numeric_grad(loss, logits)) < 1e-6


def test_token_logp_matches_log_softmax_and_the_entropy_definition():
    rng = np.random.default_rng(4)
    logits, targets = rng.normal(0, 3, size=(9, 7)), rng.integers(7, size=9)
    logp, probs, entropy = token_logp(logits, targets)
    logp_all = log_softmax(logits)
    np.testing.assert_allclose(logp, logp_all[np.arange(9), targets], rtol=1e-12)
    np.testing.assert_allclose(probs, np.exp(logp_all), rtol=1e-12)
    np.testing.assert_allclose(entropy, -np.sum(np.exp(logp_all) * logp_all, axis=1), rtol=1e-12)


def test_clipped_surrogate_at_ratio_one_is_the_policy_gradient():
    logp = np.log(np.array([0.2, 0.5, 0.9]))
    adv = np.array([1.0, -2.0, 0.5])
    loss, clipfrac, cache = clipped_surrogate(logp, logp, adv, 0.2)
    assert loss == pytest.approx(-adv.mean()) and clipfrac == 0.0
    np.testing.assert_allclose(clipped_surrogate_backward(cache), -adv / 3)


def test_value_loss_and_value_head_gradients():
    rng = np.random.default_rng(2)
    R, H, c = 10, 5, 0.2
    h = rng.normal(size=(R, H))
    v_head = rng.normal(size=H + 1)
    old_values = value_forward(h, v_head) + rng.choice([-0.5, -0.05, 0.05, 0.5], size=R)
    returns = rng.normal(size=R)

    def loss(w):
        return value_loss(value_forward(h, w), old_values, returns, c)[0]

    _, cache = value_loss(value_forward(h, v_head), old_values, returns, c)
    analytic = value_backward(value_loss_backward(cache), h)
    assert rel_error(analytic, numeric_grad(loss, v_head)) < 1e-6


@pytest.mark.parametrize("field, value, message", [
    ("cliprange", 1.5, "ppo.cliprange must be a number in (0, 1), got 1.5"),
    ("kl_coef", -0.1, "ppo.kl_coef"), ("num_ppo_epochs", 0, "ppo.num_ppo_epochs"),
    ("learning_rate", 0.0, "ppo.learning_rate"), ("lam", 1.5, "ppo.lam"), ("iterations", 2.5, "ppo.iterations"),
])
def test_config_rejects_bad_values_with_a_message(field, value, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        PPOConfig(**{field: value})


# ------------------------------------------------------------------ RLHF on the lab
UNBIASED = {"length_bias": 0.0, "confidence_bias": 0.0}     # annotators who see only the gold rubric (+ noise)
HACK_ITERATIONS = 48                                         # long enough for the exploit at β = 0.01 in 4–5 seeds


@pytest.fixture(scope="module")
def lab(pretrained, sft_runs):
    """(seed, rm overrides) → (world, SFT params, reward model); seeds 0–2 reuse the shared default runs and
    seeds 3–4 follow their recipe (tests/sim/conftest.py)."""
    sft = {seed: (pretrained[seed][0], sft_runs[seed]["pretrained"][0]) for seed in sft_runs}
    rms = {}

    def get(seed, **rm_overrides):
        if seed not in sft:
            world = make_world(seed)
            params, _ = run_pretrain(world, PretrainConfig(), np.random.default_rng(seed))
            sft[seed] = (world, run_sft(world, params, SFTConfig(), np.random.default_rng(100 + seed))[0])
        key = (seed, tuple(sorted(rm_overrides.items())))
        if key not in rms:
            world, params = sft[seed]
            rms[key] = train_reward_model(world, params, RewardModelConfig(**rm_overrides),
                                          np.random.default_rng(1000 + seed))[0]
        return (*sft[seed], rms[key])

    return get


@pytest.fixture(scope="module")
def runs(lab):
    """Memoised PPO histories: (seed, kl_coef, iterations, rm overrides) → history."""
    cache = {}

    def get(seed, kl_coef, iterations, **rm_overrides):
        key = (seed, kl_coef, iterations, tuple(sorted(rm_overrides.items())))
        if key not in cache:
            world, sft, rm = lab(seed, **rm_overrides)
            cache[key] = run_ppo(world, sft, rm, PPOConfig(kl_coef=kl_coef, iterations=iterations),
                                 np.random.default_rng(2000 + seed))[1]["history"]
        return cache[key]

    return get


def gao_shape(history, window=9, tail=20):
    """The gold curve's shape: peak, final, drop = peak − final, proxy_gain (final proxy − proxy at the gold peak),
    peak_iteration and rise = peak − start.

    One iteration grades only 16 answers, so the peak is taken on a moving average over ``window`` iterations and
    "final" is the mean of the last ``tail`` iterations.
    """
    gold, proxy = (np.array([h[k] for h in history]) for k in ("gold", "proxy"))
    smooth = np.ones(window) / window
    gold_ma, proxy_ma = np.convolve(gold, smooth, "valid"), np.convolve(proxy, smooth, "valid")
    i = int(np.argmax(gold_ma))
    peak, final = gold_ma[i], gold[-tail:].mean()
    return {"peak": peak, "final": final, "drop": peak - final, "proxy_gain": proxy[-tail:].mean() - proxy_ma[i],
            "peak_iteration": i + window // 2, "rise": peak - gold_ma[0]}


def test_ppo_raises_proxy_reward_changes_every_tensor_and_is_deterministic(lab):
    world, sft, rm = lab(0)
    policy, results = run_ppo(world, sft, rm, PPOConfig(iterations=12), np.random.default_rng(7))
    proxy = [h["proxy"] for h in results["history"]]
    assert np.mean(proxy[-4:]) > np.mean(proxy[:4]) + 0.1
    for name in sft.config.shapes():
        assert not np.array_equal(getattr(policy, name), getattr(sft, name)), name
    assert np.array_equal(sft.flat, lab(0)[1].flat)                    # the reference stays frozen
    again = run_ppo(world, sft, rm, PPOConfig(iterations=12), np.random.default_rng(7))
    assert results == again[1] and np.array_equal(policy.flat, again[0].flat)
    first = results["history"][0]
    assert set(first) >= {"proxy", "gold", "kl", "clipfrac", "entropy", "accuracy", "safety", "length"}
    assert abs(first["kl"]) < 1e-9                                     # the first batch comes from π_SFT itself
    assert {s["iteration"] for s in results["samples"]} == {0, 2, 4, 7, 9, 11}


@pytest.mark.slow
def test_smaller_kl_coef_gives_larger_kl(runs):
    kl = {beta: np.mean([np.mean([h["kl"] for h in runs(seed, beta, 30)[-5:]]) for seed in (0, 1)])
          for beta in (1.0, 0.1, 0.01)}
    assert kl[1.0] < kl[0.1] < kl[0.01], kl
    assert kl[1.0] < 1.0 < kl[0.01]


@pytest.mark.slow
def test_reward_hacking_appears_at_small_kl_coef_only(runs):
    # Gao et al. 2023's shape: with a small β the gold reward peaks and falls while the proxy keeps rising;
    # a larger β holds the policy near the SFT model and the gold does not fall back.
    def hacked(shape):
        return shape["drop"] >= 0.075 and shape["proxy_gain"] >= 0.3

    small = [gao_shape(runs(seed, 0.01, HACK_ITERATIONS)) for seed in range(5)]
    large = [gao_shape(runs(seed, 0.3, HACK_ITERATIONS)) for seed in range(5)]
    assert sum(hacked(s) for s in small) >= 4, small
    assert sum(not hacked(s) for s in large) >= 4, large


@pytest.mark.slow
def test_a_better_reward_model_raises_and_delays_the_peak(runs):
    # annotators without the length/confidence taste: the exploit is not in the labels, so the gold peaks higher,
    # not earlier, and ends higher (Gao et al.: a better proxy moves the peak up; over-optimisation still comes)
    biased = [gao_shape(runs(seed, 0.01, HACK_ITERATIONS)) for seed in range(5)]
    better = [gao_shape(runs(seed, 0.01, HACK_ITERATIONS, **UNBIASED)) for seed in range(5)]
    assert sum(b["peak"] > a["peak"] for a, b in zip(biased, better)) >= 4, (biased, better)
    assert np.mean([b["final"] for b in better]) > np.mean([a["final"] for a in biased]) + 0.03
    assert np.mean([b["peak_iteration"] for b in better]) >= np.mean([a["peak_iteration"] for a in biased])


def test_pinned_trajectory(lab):
    # Re-pin (print the history) only after an intended change to the world, the SFT model, the RM or this module.
    world, sft, rm = lab(0)
    history = run_ppo(world, sft, rm, PPOConfig(iterations=3), np.random.default_rng(7))[1]["history"]
    pinned = [(0.016446103857644476, 0.0, -0.020847527452039594),
              (0.2967268394480543, 0.36649403701105066, -0.011143357096569238),
              (-0.04430679044702743, 0.18993733107508587, -0.031516235690699654)]
    for h, (proxy, kl, pg_loss) in zip(history, pinned):
        assert (h["proxy"], h["pg_loss"]) == pytest.approx((proxy, pg_loss), rel=1e-6)
        assert h["kl"] == pytest.approx(kl, abs=1e-9)
