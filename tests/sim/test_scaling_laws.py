"""Scaling laws reproduce every number of /work/shared/reference/laws.md (§1.5, §2.3, §2.4, §4, §7.1, §8.2)."""

import json
import math

import numpy as np
import pytest

from simulator_wasm import scaling_laws as sl

GOPHER = 5.76e23


@pytest.mark.parametrize("law, n_star_b, ratio, chinchilla_loss", [
    (sl.HOFFMANN22_PRINTED, 32.2, 92.6, 1.937),
    (sl.HOFFMANN22_UNROUNDED, 40.4, 58.9, 1.921),
    (sl.BESIROGLU24, 72.2, 18.4, 1.974),
])
def test_chinchilla_table_1_5(law, n_star_b, ratio, chinchilla_loss):
    N, D = law.compute_optimal(GOPHER)
    assert round(N / 1e9, 1) == n_star_b
    assert round(D / N, 1) == ratio
    assert round(law.loss(70e9, 1.4e12), 3) == chinchilla_loss


def test_optimum_spends_the_budget_and_minimises_loss():
    law = sl.BESIROGLU24
    N, D = law.compute_optimal(1e22)
    assert sl.training_flops(N, D) == pytest.approx(1e22, rel=1e-12)
    # Any other split of the same budget has higher loss.
    for f in (0.5, 0.8, 1.25, 2.0):
        assert law.loss(N * f, D / f) > law.loss(N, D)


def test_allocation_exponents():
    assert sl.BESIROGLU24.a == pytest.approx(0.5126, abs=1e-4)
    assert sl.BESIROGLU24.b == pytest.approx(0.4874, abs=1e-4)
    assert sl.HOFFMANN22_UNROUNDED.a == pytest.approx(0.457, abs=1e-3)
    assert sl.HOFFMANN22_PRINTED.a + sl.HOFFMANN22_PRINTED.b == pytest.approx(1.0)


def test_besiroglu_tokens_per_param_drift():
    # laws.md §1.5: 21.6 at 1e21, 17.1 at 1e25, 16.1 at 1e26.
    for C, ratio in ((1e21, 21.6), (1e25, 17.1), (1e26, 16.1)):
        N, D = sl.BESIROGLU24.compute_optimal(C)
        assert round(D / N, 1) == ratio


def test_optimal_params_for_tokens_inverts_frontier():
    N, D = sl.BESIROGLU24.compute_optimal(np.array([1e20, 1e23]))
    assert np.allclose(sl.BESIROGLU24.optimal_params_for_tokens(D), N, rtol=1e-12)


def test_vectorised_and_scalar_types():
    assert isinstance(sl.BESIROGLU24.loss(1e9, 2e10), float)
    out = sl.BESIROGLU24.loss(np.array([1e9, 1e10]), np.array([2e10, 2e11]))
    assert isinstance(out, np.ndarray) and out.shape == (2,) and out[1] < out[0]


def test_muennighoff_readme_checks():
    assert sl.data_constrained_loss(6.34e9, 242e9, 25e9) == pytest.approx(2.2256440889984477, abs=1e-12)
    assert sl.data_constrained_loss(8.67e9, 178e9, 25e9) == pytest.approx(2.2269634075087867, abs=1e-12)


def test_muennighoff_c4_constants():
    law = sl.MUENNIGHOFF23_C4
    assert (round(law.A), round(law.B), round(law.E, 2), round(law.alpha, 3)) == (521, 1488, 1.87, 0.353)
    # U_N = 0.051 U_D (App. A), and the Gopher-budget optimum 70.0B / 1.37T (App. B).
    assert law.optimal_params_for_tokens(1e9) / 1e9 == pytest.approx(0.05099, abs=1e-5)
    N, D = law.compute_optimal(GOPHER)
    assert (round(N / 1e9, 1), round(D / 1e12, 2)) == (70.0, 1.37)
    assert (sl.R_D_STAR, sl.R_N_STAR) == (15.387756, 5.309743)


@pytest.mark.parametrize("epochs, ratio, eff, marginal", [
    (1, 1.00, 1.00, 1.00), (2, 1.97, 0.98, 0.94), (4, 3.73, 0.93, 0.82), (8, 6.62, 0.83, 0.63),
    (16, 10.58, 0.66, 0.38), (40, 15.17, 0.38, 0.08), (64, 16.13, 0.25, 0.02),
])
def test_effective_data_table_2_4(epochs, ratio, eff, marginal):
    assert sl.effective_data(1.0, epochs) == pytest.approx(ratio, abs=0.005)
    assert sl.repetition_efficiency(epochs) == pytest.approx(eff, abs=0.005)
    assert sl.marginal_epoch_value(epochs) == pytest.approx(marginal, abs=0.006)


def test_effective_data_plateau():
    assert sl.effective_data(1.0, 1e6) == pytest.approx(1 + sl.R_D_STAR, rel=1e-9)
    assert 1 + sl.R_D_STAR == pytest.approx(16.39, abs=0.005)


def test_repetition_never_beats_fresh_data():
    U = 25e9
    for ep in (2, 4, 8, 16):
        assert sl.data_constrained_loss(5e9, ep * U, U) > sl.data_constrained_loss(5e9, ep * U, ep * U)


def test_flops():
    assert sl.training_flops(70e9, 1.4e12) == pytest.approx(5.88e23)
    assert abs(sl.training_flops(70e9, 1.4e12) / GOPHER - 1) < 0.021   # within 2 % of 5.76e23
    assert sl.inference_flops(70e9) == 1.4e11
    assert sl.inference_flops(1e9, 100) == 2e11
    assert sl.training_days(5.88e23, 1000, 1e15, 0.5) == pytest.approx(5.88e23 / 5e17 / 86400)


@pytest.mark.parametrize("n, kl", [(1, 0.0), (2, math.log(2) - 0.5), (1000, 5.909), (60000, 10.002)])
def test_bon_kl(n, kl):
    assert sl.bon_kl(n) == pytest.approx(kl, abs=1e-3)


def test_gao_peaks_are_maxima():
    c = sl.GAO23_ILLUSTRATIVE
    d_bon, r_bon = sl.bon_peak(c.alpha_bon, c.beta_bon)
    assert (d_bon, r_bon) == (c.alpha_bon / (2 * c.beta_bon), c.alpha_bon**2 / (4 * c.beta_bon))
    assert sl.gold_reward_bon(d_bon, c.alpha_bon, c.beta_bon) == pytest.approx(r_bon)
    d_rl, r_rl = sl.rl_peak(c.alpha_rl, c.beta_rl)
    assert d_rl == pytest.approx(math.exp(c.alpha_rl / c.beta_rl - 1))
    assert sl.gold_reward_rl(d_rl, c.alpha_rl, c.beta_rl) == pytest.approx(r_rl)
    assert r_rl == pytest.approx(c.beta_rl * d_rl)
    grid = np.linspace(0.01, 30, 3001)
    assert np.max(sl.gold_reward_rl(grid, c.alpha_rl, c.beta_rl)) <= r_rl + 1e-12
    assert np.max(sl.gold_reward_bon(grid, c.alpha_bon, c.beta_bon)) <= r_bon + 1e-12


def test_gao_rl_zero_and_rounds():
    assert sl.gold_reward_rl(0.0, 0.6, 0.2) == 0.0
    assert np.isfinite(sl.gold_reward_rl(np.array([0.0, 1.0]), 0.6, 0.2)).all()
    d1, _ = sl.rl_peak(0.6, 0.2)
    d3, _ = sl.rl_peak(0.6, 0.2, rounds=3)
    assert d3 == pytest.approx(3 * d1)
    assert sl.gold_reward_rl(d3, 0.6, 0.2, rounds=3) == pytest.approx(0.2 * d3)


def test_gao_coefficients_are_flagged_illustrative():
    assert sl.GAO23_ILLUSTRATIVE.confirmed is False
    curves = sl.overoptimisation_curves()
    assert curves["illustrative"] is True and curves["label"] == "illustrative"
    json.dumps(curves)   # plain lists and floats only
    assert max(curves["gold_bon"]) <= curves["bon_peak"]["gold"] + 1e-12
    rows = [r for r in sl.constants_table() if r["set"] == "gao23_illustrative"]
    assert rows and all(r["tag"] == "U" for r in rows)


def test_gaussian_tilt():
    # laws.md §8.2: sigma = 1.3, beta = 1 → KL 0.845, gain 1.69; gain = sigma sqrt(2 KL).
    assert sl.tilted_kl(1.0, 1.3) == pytest.approx(0.845)
    assert sl.tilted_reward_gain(1.0, 1.3) == pytest.approx(1.69)
    for beta in (0.25, 0.5, 2.0):
        assert sl.tilted_reward_gain(beta, 1.3) == pytest.approx(1.3 * math.sqrt(2 * sl.tilted_kl(beta, 1.3)))


def test_gaussian_tilt_monte_carlo():
    rng = np.random.default_rng(0)
    r = rng.normal(0.3, 1.3, 400_000)
    w = np.exp(r / 1.0)
    w /= w.sum()
    kl = np.sum(w * np.log(w * r.size))
    assert kl == pytest.approx(sl.tilted_kl(1.0, 1.3), rel=0.05)


def test_constants_table_cites_every_row():
    rows = sl.constants_table()
    json.dumps(rows)
    assert {r["set"] for r in rows} == {"besiroglu24", "hoffmann22_printed", "hoffmann22_unrounded",
                                        "muennighoff23_c4", "gao23_illustrative"}
    for r in rows:
        assert r["source"] in sl.SOURCES and r["arxiv"] == sl.SOURCES[r["source"]]["arxiv"] and r["location"]
    besi = {r["symbol"]: r["value"] for r in rows if r["set"] == "besiroglu24"}
    assert besi == {"E": 1.8172, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3658}
    assert sl.DEFAULT_LAW is sl.BESIROGLU24
