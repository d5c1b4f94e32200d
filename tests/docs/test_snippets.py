"""The PyTorch snippets the chapters include (docs/snippets/): each one runs, and computes the lab's loss.

torch is a test-only extra (`pip install -e '.[torch]'`, CPU build, torch==2.13.0); without it these tests are
skipped with the reason. `make book` never needs it.
"""

import importlib.util
import re
import runpy
from pathlib import Path

import numpy as np
import pytest

from simulator_wasm.model import cross_entropy_forward, forward, make_rows
from simulator_wasm.pretrain import PretrainConfig, corpus_rows, make_corpus
from tests.support import ROOT

torch = pytest.importorskip("torch", reason="torch is not installed: `pip install -e '.[torch]'` (CPU build, "
                                            "torch==2.13.0) to run the PyTorch snippets")

SNIPPETS = ROOT / "docs" / "snippets"
PAGES = {"pretraining_step.py": "pretraining.md", "sft_masked_loss.py": "sft.md",
         "bradley_terry_loss.py": "reward-modeling.md", "dpo_loss.py": "dpo.md"}
RL_PAGES = {"ppo_clipped_loss.py": "rlhf-ppo.md"}   # prints rewards per iteration, not a loss per step


def load(name: str):
    spec = importlib.util.spec_from_file_location(Path(name).stem, SNIPPETS / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def lab_model():
    """A pretrained-size lab model with fresh weights and its world (no training needed to compare losses)."""
    from build_charts.figures import _runs
    from simulator_wasm.model import init_params
    world = _runs.world(0)
    params = init_params(PretrainConfig().model_config(len(world.vocab)), np.random.default_rng(0))
    return world, params


@pytest.mark.parametrize("name", sorted(PAGES))
def test_snippet_runs_on_cpu(name, capsys):
    torch.manual_seed(0)
    runpy.run_path(str(SNIPPETS / name), run_name="__main__")
    out = capsys.readouterr().out
    losses = [float(m.group(1)) for m in re.finditer(r"^step \d+: (?:loss )?(\d+\.\d+) nats per", out, re.M)]
    assert len(losses) == 5 and losses[-1] < losses[0], out


def test_ppo_snippet_runs_on_cpu_and_its_toy_policy_learns(capsys):
    torch.manual_seed(0)
    runpy.run_path(str(SNIPPETS / "ppo_clipped_loss.py"), run_name="__main__")
    out = capsys.readouterr().out
    rewards = [float(m.group(1)) for m in re.finditer(r"^iteration \d+: reward (\d+\.\d+) per answer", out, re.M)]
    assert len(rewards) == 5 and rewards[-1] > rewards[0], out


@pytest.mark.parametrize("name", sorted(PAGES | RL_PAGES))
def test_snippet_is_included_in_its_chapter(name):
    pages = PAGES | RL_PAGES
    assert f'--8<-- "snippets/{name}"' in (ROOT / "docs" / pages[name]).read_text()


def shifted(lab_logits: np.ndarray) -> "torch.Tensor":
    """Lab rows (row i predicts token i) → the snippets' layout (position t predicts token t + 1), batch of 1."""
    V = lab_logits.shape[1]
    out = np.concatenate([lab_logits[1:], np.zeros((1, V))])
    return torch.tensor(out, dtype=torch.float64)[None]


def test_pretraining_snippet_loss_equals_the_lab_cross_entropy(lab_model):
    world, params = lab_model
    stream = make_corpus(world, 300, np.random.default_rng(1))
    contexts, targets = corpus_rows(stream, params.config.context_size)
    logits, _ = forward(params, contexts)
    lab_loss, _ = cross_entropy_forward(logits[1:], targets[1:])     # row 0 has no real context
    snippet = load("pretraining_step.py")
    loss = snippet.next_token_loss(shifted(logits), torch.tensor(stream)[None])
    assert loss.item() == pytest.approx(lab_loss, rel=1e-10)


def test_sft_snippet_loss_equals_the_lab_masked_loss(lab_model):
    world, params = lab_model
    item = world.sft_items[0]
    from simulator_wasm.world import TRAIN_TEMPLATES, answer_tokens, question_tokens
    prompt = world.vocab.encode(question_tokens(item, TRAIN_TEMPLATES[0]))
    answer = world.vocab.encode(answer_tokens(item))
    contexts, targets, mask = make_rows(prompt, answer, params.config.context_size)
    logits, _ = forward(params, contexts)
    lab_loss, _ = cross_entropy_forward(logits[mask], targets[mask])   # what run_sft trains on
    snippet = load("sft_masked_loss.py")
    tokens = torch.tensor(prompt + answer)[None]
    m = snippet.answer_mask(torch.tensor([len(prompt)]), torch.tensor([len(prompt) + len(answer)]),
                            tokens.shape[1])
    loss = snippet.sft_loss(shifted(logits), tokens, m.double())
    assert loss.item() == pytest.approx(lab_loss, rel=1e-10)


# ------------------------------------------------------------------ reward model, PPO and DPO: same numbers as the lab
def t64(x) -> "torch.Tensor":
    return torch.tensor(np.asarray(x), dtype=torch.float64)


def test_bradley_terry_snippet_equals_the_lab_rm_loss_and_gradient():
    from simulator_wasm.reward_model import bt_loss, bt_loss_backward
    rng = np.random.default_rng(0)
    phi_c, phi_r, w = rng.normal(size=(40, 6)), rng.normal(size=(40, 6)), rng.normal(size=6)
    lab_loss, margins = bt_loss(w, phi_c - phi_r, 0.0)                # the lab's RM: r = w · φ, no weight decay
    snippet = load("bradley_terry_loss.py")
    w_t = t64(w).requires_grad_()
    loss = snippet.bradley_terry_loss(t64(phi_c) @ w_t, t64(phi_r) @ w_t)
    loss.backward()
    assert loss.item() == pytest.approx(lab_loss, rel=1e-12)
    np.testing.assert_allclose(w_t.grad.numpy(), bt_loss_backward(w, phi_c - phi_r, margins, 0.0), rtol=1e-10)
    acc = snippet.preference_accuracy(t64(phi_c @ w), t64(phi_r @ w)).item()
    assert acc == pytest.approx(np.mean(margins > 0))


def _rollout(rng, B=5, N=7):
    """Random per-token arrays and a prefix mask (answers of 1..N tokens), as run_ppo lays them out."""
    lengths = rng.integers(1, N + 1, size=B)
    mask = np.arange(N)[None, :] < lengths[:, None]
    return {"mask": mask, "lengths": lengths, "logp": np.where(mask, -rng.random((B, N)) * 3, 0.0),
            "ref_logp": np.where(mask, -rng.random((B, N)) * 3, 0.0),
            "values": np.where(mask, rng.normal(size=(B, N)), 0.0),
            "scores": rng.normal(size=B)}


def test_ppo_snippet_rewards_and_gae_equal_the_lab():
    from simulator_wasm import ppo
    snippet = load("ppo_clipped_loss.py")
    r = _rollout(np.random.default_rng(1))
    kl_coef, gamma, lam = 0.05, 1.0, 0.95
    # run_ppo step 3, as written there: r_t = −β (log π_old − log π_SFT), plus the RM score on the last token
    kl_tokens = np.where(r["mask"], r["logp"] - r["ref_logp"], 0.0)
    lab_rewards = -kl_coef * kl_tokens
    lab_rewards[np.arange(len(r["scores"])), r["lengths"] - 1] += r["scores"]
    rewards = snippet.kl_penalised_rewards(t64(r["scores"]), t64(r["logp"]), t64(r["ref_logp"]),
                                           t64(r["mask"].astype(float)), kl_coef)
    np.testing.assert_allclose(rewards.numpy(), lab_rewards, rtol=1e-12, atol=1e-15)
    lab_adv, lab_ret = ppo.gae(lab_rewards, r["values"], r["mask"], gamma, lam)
    adv, ret = snippet.gae(rewards, t64(r["values"]), t64(r["mask"].astype(float)), gamma, lam)
    np.testing.assert_allclose(adv.numpy(), lab_adv, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ret.numpy(), lab_ret, rtol=1e-12, atol=1e-15)


def test_ppo_snippet_clipped_and_value_losses_equal_the_lab():
    from simulator_wasm import ppo
    snippet = load("ppo_clipped_loss.py")
    rng = np.random.default_rng(2)
    R = 200
    old_logp = -rng.random(R) * 3
    logp = old_logp + rng.normal(scale=0.3, size=R)                  # ratios well outside 1 ± 0.2 for some rows
    advantages = rng.normal(size=R)
    lab_loss, lab_clipfrac, cache = ppo.clipped_surrogate(logp, old_logp, advantages, 0.2)
    assert 0 < lab_clipfrac < 1, "the inputs must exercise both branches of the clip"
    logp_t = t64(logp).requires_grad_()
    loss, clipfrac = snippet.ppo_clipped_loss(logp_t, t64(old_logp), t64(advantages), 0.2)
    loss.backward()
    assert loss.item() == pytest.approx(lab_loss, rel=1e-12)
    assert clipfrac.item() == pytest.approx(lab_clipfrac)
    np.testing.assert_allclose(logp_t.grad.numpy(), ppo.clipped_surrogate_backward(cache), rtol=1e-10, atol=1e-15)
    values, old_values, returns = rng.normal(size=R), rng.normal(size=R), rng.normal(size=R)
    lab_vf, _ = ppo.value_loss(values, old_values, returns, 0.2)
    assert snippet.value_loss(t64(values), t64(old_values), t64(returns), 0.2).item() == pytest.approx(lab_vf,
                                                                                                    rel=1e-12)


def test_dpo_snippet_equals_the_lab_dpo_loss_and_gradient():
    from simulator_wasm import dpo
    snippet = load("dpo_loss.py")
    rng = np.random.default_rng(3)
    c, r, rc, rr = (-rng.random(30) * 20 for _ in range(4))
    lab_loss, margins, cache = dpo.dpo_loss(c, r, rc, rr, 0.1)
    c_t, r_t = t64(c).requires_grad_(), t64(r).requires_grad_()
    loss, chosen_rewards, rejected_rewards = snippet.dpo_loss(c_t, r_t, t64(rc), t64(rr), beta=0.1)
    loss.backward()
    assert loss.item() == pytest.approx(lab_loss, rel=1e-12)
    np.testing.assert_allclose((chosen_rewards - rejected_rewards).numpy(), margins, rtol=1e-12)
    d_chosen, d_rejected = dpo.dpo_loss_backward(cache)
    np.testing.assert_allclose(c_t.grad.numpy(), d_chosen, rtol=1e-10)
    np.testing.assert_allclose(r_t.grad.numpy(), d_rejected, rtol=1e-10)
