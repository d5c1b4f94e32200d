"""model.py, optim.py, generate.py: every hand-written backward against central differences, Adam, rows, sampling."""

import numpy as np
import pytest

from simulator_wasm import model as M
from simulator_wasm.errors import ConfigError
from simulator_wasm.generate import generate, prompt_windows
from simulator_wasm.optim import Adam
from simulator_wasm.vocab import EOS, PAD

V, T, D, H, B = 11, 5, 4, 9, 6


def numgrad(f, arr, eps=1e-6):
    """Central differences of the scalar f() with respect to every entry of arr (perturbed in place)."""
    g = np.zeros_like(arr)
    flat, gflat = arr.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f()
        flat[i] = old - eps
        down = f()
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return g


def rel_err(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-300)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def contexts(rng):
    ctx = rng.integers(1, V, (B, T))
    ctx[0, :2] = PAD            # start of a sequence: PAD slots
    ctx[1, 3] = ctx[1, 1]       # a word filling two slots
    return ctx


@pytest.fixture
def params(rng):
    p = M.init_params(M.ModelConfig(V, T, D, H), rng)
    p.flat += rng.normal(0.0, 0.3, p.flat.size)   # biases non-zero too
    return p


def test_embedding_backward_matches_finite_differences(rng, contexts):
    C, R = rng.normal(size=(V, D)), rng.normal(size=(B, T * D))
    num = numgrad(lambda: float((M.embed_forward(C, contexts) * R).sum()), C)
    assert rel_err(num, M.embed_backward(R, contexts, V)) < 1e-6


def test_hidden_layer_backward_matches_finite_differences(rng):
    x, W1, b1, R = rng.normal(size=(B, T * D)), rng.normal(size=(T * D, H)) * 0.3, rng.normal(size=H), \
        rng.normal(size=(B, H))
    loss = lambda: float((M.hidden_forward(x, W1, b1) * R).sum())
    dx, dW1, db1 = M.hidden_backward(R, x, M.hidden_forward(x, W1, b1), W1)
    for arr, ana in ((x, dx), (W1, dW1), (b1, db1)):
        assert rel_err(numgrad(loss, arr), ana) < 1e-6


def test_linear_and_tied_output_backward_match_finite_differences(rng):
    h, W, b, R = rng.normal(size=(B, H)), rng.normal(size=(H, D)), rng.normal(size=D), rng.normal(size=(B, D))
    loss = lambda: float((M.linear_forward(h, W, b) * R).sum())
    for arr, ana in zip((h, W, b), M.linear_backward(R, h, W)):
        assert rel_err(numgrad(loss, arr), ana) < 1e-6
    z, C, b_out, Rv = rng.normal(size=(B, D)), rng.normal(size=(V, D)), rng.normal(size=V), rng.normal(size=(B, V))
    loss = lambda: float((M.tied_output_forward(z, C, b_out) * Rv).sum())
    for arr, ana in zip((z, C, b_out), M.tied_output_backward(Rv, z, C)):
        assert rel_err(numgrad(loss, arr), ana) < 1e-6


def test_copy_pointer_backward_matches_finite_differences(rng, contexts):
    h, Wq, Wp, bp = rng.normal(size=(B, H)), rng.normal(size=(H, D)), rng.normal(size=(H, T)), rng.normal(size=T)
    x, R = rng.normal(size=(B, T * D)), rng.normal(size=(B, V))

    def loss():
        s, _ = M.copy_forward(h, Wq, Wp, bp, x, contexts)
        return float((M.add_copy(np.zeros((B, V)), s, contexts) * R).sum())

    _, cache = M.copy_forward(h, Wq, Wp, bp, x, contexts)
    dh, dWq, dWp, dbp, dx = M.copy_backward(R, h, Wq, Wp, contexts, cache)
    for arr, ana in ((h, dh), (Wq, dWq), (Wp, dWp), (bp, dbp), (x, dx)):
        assert rel_err(numgrad(loss, arr), ana) < 1e-6


def test_add_copy_sums_repeated_words_and_ignores_pad(contexts):
    s = np.ones((B, T))
    s[contexts == PAD] = 0.0
    out = M.add_copy(np.zeros((B, V)), s, contexts)
    assert out[1, contexts[1, 1]] == pytest.approx(np.sum(contexts[1] == contexts[1, 1]))
    assert out[:, PAD].sum() == 0.0 and out.sum() == pytest.approx((contexts != PAD).sum())


def test_softmax_cross_entropy_backward_matches_finite_differences(rng):
    logits, y, m = rng.normal(size=(B, V)) * 3, rng.integers(0, V, B), rng.random(B)
    loss = lambda: M.cross_entropy_forward(logits, y, m)[0]
    ana = M.cross_entropy_backward(M.cross_entropy_forward(logits, y, m)[1])
    assert rel_err(numgrad(loss, logits), ana) < 1e-6
    manual = -(m * M.log_softmax(logits)[np.arange(B), y]).sum() / m.sum()
    assert loss() == pytest.approx(manual, rel=1e-12)


def test_whole_model_backward_matches_finite_differences(params, contexts, rng):
    y, m = rng.integers(0, V, B), rng.random(B)
    loss, grads = M.loss_and_grads(params, contexts, y, m)
    num = numgrad(lambda: M.loss_and_grads(params, contexts, y, m)[0], params.flat)
    assert rel_err(num, grads.flat) < 1e-6
    for name in params.config.shapes():
        assert np.any(getattr(grads, name) != 0), f"{name} gets no gradient"


def test_backward_accepts_an_extra_gradient_on_the_hidden_state(params, contexts, rng):
    # A value head trained through the trunk: L = CE + Σ h ⊙ R.
    y, R = rng.integers(0, V, B), rng.normal(size=(B, H))

    def loss():
        logits, cache = M.forward(params, contexts)
        return M.cross_entropy_forward(logits, y)[0] + float((cache["h"] * R).sum())

    logits, cache = M.forward(params, contexts)
    dlogits = M.cross_entropy_backward(M.cross_entropy_forward(logits, y)[1])
    grads = M.backward(params, cache, dlogits, dh=R)
    assert rel_err(numgrad(loss, params.flat), grads.flat) < 1e-6


def test_one_adam_step_changes_every_parameter_and_lowers_the_loss(params, contexts, rng):
    y = rng.integers(0, V, B)
    loss0, grads = M.loss_and_grads(params, contexts, y)
    before = params.flat.copy()
    Adam(params.flat.size, learning_rate=1e-3).step(params.flat, grads.flat)
    assert np.all(params.flat != before)
    assert M.loss_and_grads(params, contexts, y)[0] < loss0


def test_adam_matches_the_textbook_update_over_several_steps(rng):
    theta = rng.normal(size=9)
    ref, m, v = theta.copy(), np.zeros(9), np.zeros(9)
    opt = Adam(9, learning_rate=0.1)
    for t in range(1, 4):
        g = rng.normal(size=9)
        opt.step(theta, g)
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        ref -= 0.1 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    assert np.allclose(theta, ref, rtol=1e-12, atol=1e-14)


def test_adam_clips_the_global_gradient_norm():
    theta = np.zeros(4)
    norm = Adam(4, learning_rate=0.1, max_grad_norm=1.0).step(theta, np.array([300.0, 400.0, 0.0, 0.0]))
    assert norm == pytest.approx(500.0) and np.all(np.isfinite(theta))


def test_flop_counter_counts_every_forward_matmul(params, contexts):
    start = M.FLOPS.count
    M.forward(params, contexts)
    expected = 2 * B * (T * D * H + H * D + D * V + H * D + H * T) + 2 * B * T * D
    assert M.FLOPS.count - start == expected


def test_rows_left_pad_and_mask_only_answer_tokens():
    ctx, tgt, mask = M.make_rows([5, 6, 7], [8, 9], 4)
    assert ctx.shape == (5, 4) and tgt.tolist() == [5, 6, 7, 8, 9]
    assert ctx[0].tolist() == [PAD] * 4 and ctx[3].tolist() == [PAD, 5, 6, 7]
    assert mask.tolist() == [False, False, False, True, True]
    ctx, tgt, idx = M.pair_rows([[5, 6], [7]], [[8, 9, 1], [2]], 4)
    assert tgt.tolist() == [8, 9, 1, 2] and idx.tolist() == [0, 0, 0, 1]
    assert ctx[3].tolist() == [PAD, PAD, PAD, 7]


def test_logprobs_are_normalised_log_probabilities(params, contexts):
    all_logp = np.stack([M.logprobs(params, contexts, np.full(B, v)) for v in range(V)], axis=1)
    assert np.allclose(np.exp(all_logp).sum(axis=1), 1.0)


def test_generate_records_the_policy_logp_and_stops_at_eos(params, rng):
    prompts = [[3, 4, 5], [6], [7, 8, 9, 10, 3, 4, 5]]
    params.b_out[EOS] += 1.5                      # make "<eos>" likely so some rows stop early
    gen = generate(params, prompts, np.random.default_rng(1), max_new_tokens=8)
    again = generate(params, prompts, np.random.default_rng(1), max_new_tokens=8)
    assert all(np.array_equal(a, b) for a, b in zip(gen, again))
    for b, n in enumerate(gen.lengths):
        assert gen.mask[b].sum() == n and not gen.mask[b, n:].any()
        if n < 8:
            assert gen.tokens[b, n - 1] == EOS
    rows = gen.mask
    recomputed = M.logprobs(params, gen.contexts[rows], gen.tokens[rows])
    assert np.allclose(recomputed, gen.logp[rows], atol=1e-12)
    assert np.array_equal(gen.contexts[:, 0], prompt_windows(prompts, T))
    greedy = generate(params, prompts, None, max_new_tokens=8, greedy=True)
    assert np.array_equal(greedy.tokens[:, 0], M.forward(params, prompt_windows(prompts, T))[0].argmax(axis=1))


@pytest.mark.parametrize("field, value", [("context_size", 2), ("embed_dim", 4.5), ("hidden_dim", True),
                                          ("hidden_dim", float("nan")), ("vocab_size", "12")])
def test_model_config_rejects_bad_values_naming_field_value_and_range(field, value):
    with pytest.raises(ConfigError, match=rf"model\.{field} must be an integer in \[\d+, [\d,]+\], got"):
        M.ModelConfig(**{"vocab_size": 12, field: value})
