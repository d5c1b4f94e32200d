"""RLHF with PPO: maximise the reward model's score while a per-token KL penalty holds the policy near the SFT model.

    objective(φ) = E_{x, y ~ π_φ} [ r_RM(x, y) − β log(π_φ(y|x) / π_SFT(y|x)) ]          InstructGPT Eq. (2), γ_ptx = 0
    per-token reward  r_t = −β (log π_φ(y_t|·) − log π_SFT(y_t|·))  (+ r_RM at the last token)    β = ``kl_coef``
    δ_t = r_t + γ V(s_{t+1}) − V(s_t),   Â_t = δ_t + γλ Â_{t+1}                        GAE, PPO Eq. (11)–(12)
    L_CLIP = −E_t[ min(ρ_t Â_t, clip(ρ_t, 1 − ε, 1 + ε) Â_t) ],  ρ_t = π_φ(y_t|·) / π_old(y_t|·)        PPO Eq. (7)
    L_VF = ½ E_t[ max((V − R)², (V_clip − R)²) ],  L = L_CLIP + vf_coef · L_VF                  TRL's PPO trainer

Papers: Schulman et al. 2017 (PPO), Schulman et al. 2016 (GAE), Ziegler et al. 2019 and Ouyang et al. 2022 (RLHF);
names and defaults follow Hugging Face TRL's PPOConfig. ``kl_coef`` here and DPO's ``beta`` (dpo.py) are both β.

Shapes: B prompts per iteration, N new tokens at most, R answer-token rows (Σ lengths), T window, V vocabulary,
H hidden.

Each iteration, numbered as in the chapter:
    1. sample: B answers from the policy at temperature 1 (log π_old is recorded while sampling),
    2. score: one forward pass of the frozen SFT model gives log π_SFT and the reward model's score,
    3. KL-penalised reward: r_t = −β (log π_old − log π_SFT), plus the score at the last token,
    4. GAE: values from the value head, advantages Â and returns R, advantages whitened,
    5. clipped update: ``num_ppo_epochs`` full-batch Adam steps on L_CLIP + vf_coef · L_VF.

What we simplified and why:
- The value function is a linear head on the policy's hidden state, detached (InstructGPT uses a separate 6B value
  model initialised from the RM). It is enough for a baseline, and it keeps the policy gradient readable. With Adam
  and no shared weights, vf_coef only matters through the shared gradient-norm clip; we keep it for TRL parity.
- One minibatch per epoch (TRL's num_mini_batches = 1), no entropy bonus (TRL has none), no pretraining mix.
- The KL estimator is TRL's "k1", log π − log π_SFT, summed over the answer for the reported KL.
- The reward model is normalised to mean 0, std 1 on SFT answers (reward_model.py), so β means the same thing
  for every run: at β = 0.3 the policy stays near the SFT model, at β = 0.01 it finds the labellers' taste for
  length and confidence and the gold reward falls while the proxy keeps rising (Gao et al. 2023).
- The gold curve grades only the B answers of each iteration: it is noisy, so read it through a moving average.
"""

from dataclasses import asdict, dataclass

import numpy as np

from .annotators import answer_features, lab_grade
from .errors import ConfigError
from .generate import generate
from .model import FLOPS, Params, backward, check_number, forward
from .optim import Adam
from .reward_model import score, sft_forward
from .sft import first_verdict


@dataclass(frozen=True)
class PPOConfig:
    """iterations       sample–score–update rounds, 1–1,000
    batch_size          prompts per iteration B, 4–512; 16 fits the browser budget, 32 halves the curves' noise
    response_length     max answer tokens N, 4–64; a complete answer needs at most 20
    learning_rate       η of Adam, (0, 0.1]; 2.5e-3 finds the real gains within 20 iterations, before the exploit
    kl_coef             β of the per-token KL penalty, [0, 10] (TRL 0.05; InstructGPT 0.02); DPO's beta is also β
    cliprange           ε of the clipped ratio, (0, 1) (TRL 0.2)
    cliprange_value     clip of the value update, (0, 10] (TRL 0.2)
    vf_coef             weight of the value loss, [0, 10] (TRL 0.1)
    gamma               γ, discount, [0, 1] (TRL 1.0)
    lam                 λ of GAE, [0, 1] (TRL 0.95)
    num_ppo_epochs      update epochs per batch, 1–20 (TRL 4; 2 is gentler)
    n_samples           iterations at which example answers are recorded (evenly spaced), 0–50"""

    iterations: int = 20
    batch_size: int = 16
    response_length: int = 24
    learning_rate: float = 2.5e-3
    kl_coef: float = 0.05
    cliprange: float = 0.2
    cliprange_value: float = 0.2
    vf_coef: float = 0.1
    gamma: float = 1.0
    lam: float = 0.95
    num_ppo_epochs: int = 2
    n_samples: int = 6

    def __post_init__(self):
        check_number("ppo.iterations", self.iterations, 1, 1_000, integer=True)
        check_number("ppo.batch_size", self.batch_size, 4, 512, integer=True)
        check_number("ppo.response_length", self.response_length, 4, 64, integer=True)
        check_number("ppo.learning_rate", self.learning_rate, 0, 0.1, open_lo=True)
        check_number("ppo.kl_coef", self.kl_coef, 0, 10)
        if isinstance(self.cliprange, bool) or not isinstance(self.cliprange, (int, float)) \
                or not 0 < self.cliprange < 1:
            raise ConfigError(f"ppo.cliprange must be a number in (0, 1), got {self.cliprange!r}")
        check_number("ppo.cliprange_value", self.cliprange_value, 0, 10, open_lo=True)
        check_number("ppo.vf_coef", self.vf_coef, 0, 10)
        check_number("ppo.gamma", self.gamma, 0, 1)
        check_number("ppo.lam", self.lam, 0, 1)
        check_number("ppo.num_ppo_epochs", self.num_ppo_epochs, 1, 20, integer=True)
        check_number("ppo.n_samples", self.n_samples, 0, 50, integer=True)


def gae(rewards, values, mask, gamma, lam):
    """Generalised advantage estimation over (B, N) arrays; mask marks written tokens (a prefix of each row).

    V after the last token is 0 (the episode ends). Returns advantages (B, N) and returns = advantages + values.
    """
    B, N = rewards.shape
    advantages = np.zeros((B, N))
    next_value, next_adv = np.zeros(B), np.zeros(B)
    for t in reversed(range(N)):
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        next_adv = (delta + gamma * lam * next_adv) * mask[:, t]
        next_value = values[:, t] * mask[:, t]
        advantages[:, t] = next_adv
    return advantages, (advantages + values) * mask


def whiten(x):
    """(x − mean) / std over the given entries (the answer tokens)."""
    return (x - x.mean()) / (x.std() + 1e-8)


def clipped_surrogate(logp, old_logp, advantages, cliprange):
    """L_CLIP = mean_t max(−Â ρ, −Â clip(ρ, 1 ± ε)) over R rows. Returns (loss, clipfrac, cache)."""
    ratio = np.exp(logp - old_logp)                                          # (R,) ρ
    unclipped = -advantages * ratio
    clipped = -advantages * np.clip(ratio, 1.0 - cliprange, 1.0 + cliprange)
    use_unclipped = unclipped >= clipped
    loss = float(np.mean(np.where(use_unclipped, unclipped, clipped)))
    clipfrac = float(np.mean(clipped > unclipped))
    return loss, clipfrac, (ratio, advantages, use_unclipped, cliprange)


def clipped_surrogate_backward(cache):
    """∂L_CLIP/∂logp: −Â ρ / R where the unclipped term is the max; 0 where the clip holds ρ still."""
    ratio, advantages, use_unclipped, cliprange = cache
    inside = (ratio > 1.0 - cliprange) & (ratio < 1.0 + cliprange)
    return np.where(use_unclipped | inside, -advantages * ratio, 0.0) / len(ratio)


def token_logp(logits, targets):
    """logp (R,) = log π(target | context) per row, the rows' softmax probs (R, V) for backward, and each row's
    entropy H = log Z − Σ_v π_v z_v (R,) (z the logits shifted by their max, Z = Σ_v exp z_v): one exp for all three."""
    shifted = logits - logits.max(axis=1, keepdims=True)                  # (R, V) z
    probs = np.exp(shifted)
    total = probs.sum(axis=1)                                              # (R,) Z
    probs /= total[:, None]
    log_total = np.log(total)
    entropy = log_total - np.sum(probs * shifted, axis=1)
    return shifted[np.arange(len(targets)), targets] - log_total, probs, entropy


def logp_backward(dlogp, probs, targets):
    """∂L/∂logits from ∂L/∂logp, since ∂ log softmax(z)[y] / ∂z = onehot(y) − softmax(z). (R, V)."""
    dlogits = -probs * dlogp[:, None]
    dlogits[np.arange(len(targets)), targets] += dlogp
    return dlogits


def value_loss(values, old_values, returns, cliprange_value):
    """L_VF = ½ mean max((V − R)², (V_clip − R)²), V_clip = V_old + clip(V − V_old, ±c). Returns (loss, cache)."""
    v_clip = old_values + np.clip(values - old_values, -cliprange_value, cliprange_value)
    a, b = (values - returns) ** 2, (v_clip - returns) ** 2
    return float(0.5 * np.mean(np.maximum(a, b))), (values, old_values, returns, v_clip, a >= b, cliprange_value)


def value_loss_backward(cache):
    """∂L_VF/∂V: (V − R)/R where the unclipped term is the max, else (V_clip − R)/R inside the clip, else 0."""
    values, old_values, returns, v_clip, use_unclipped, c = cache
    inside = np.abs(values - old_values) < c
    return np.where(use_unclipped, values - returns, np.where(inside, v_clip - returns, 0.0)) / len(values)


def value_forward(h, v_head):
    """V = h w_v + b_v on the detached hidden state: (R, H) → (R,). v_head = [w_v (H), b_v]."""
    return h @ v_head[:-1] + v_head[-1]


def value_backward(dvalues, h):
    """∂L/∂[w_v, b_v] = [hᵀ dV, Σ dV]."""
    return np.concatenate([h.T @ dvalues, [dvalues.sum()]])


def _example_questions(questions):
    """Three fixed questions for the sample answers: the first item, the first red-flag item, a "fine" item."""
    picks = [questions[0]]
    picks += [next((q for q in questions if test(q[0])), questions[0])
              for test in (lambda item: item.emergency, lambda item: item.verdict == "fine")]
    return picks


def _score_answers(world, policy, rm, questions, rng, response_length):
    """Sample one answer per question; return (items, word lists, generation, ref_logp, proxy scores)."""
    gen = generate(policy, [world.vocab.encode(p) for _, p in questions], rng, response_length)
    mask = gen.mask                                                         # (B, N)
    ref_logp, phi = sft_forward(rm.sft_params, gen.contexts[mask], gen.tokens[mask], np.nonzero(mask)[0],
                                len(questions))
    words = [world.vocab.decode(a) for a in gen.answers()]
    return [item for item, _ in questions], words, gen, ref_logp, score(rm, phi)


def _grades(items, words):
    """Gold rubric grades of the sampled answers (memoised in annotators.lab_grade)."""
    return [lab_grade(item, tuple(w)) for item, w in zip(items, words)]


def run_ppo(world, sft_params: Params, rm, config: PPOConfig, rng: np.random.Generator, progress=None):
    """PPO from the SFT model against reward model ``rm`` (reward_model.RewardModel). Returns (params, results).

    progress: optional callback, called with the finished fraction (0–1] after each iteration.
    results["history"]: one dict per iteration with proxy (mean RM score), gold (mean rubric reward), kl (nats per
    answer, k1 estimator), clipfrac, entropy (nats per token), accuracy (share whose first verdict word is right),
    safety (share with no gate fired), length (words), pg_loss, vf_loss; all over that iteration's sampled answers.
    results["samples"]: one sampled answer to each of three fixed questions at ``n_samples`` evenly spaced
    iterations, with its proxy and gold reward (the book's animation).
    """
    flops0 = FLOPS.count
    prompt_rng, sample_rng, example_rng = rng.spawn(3)
    P, H = sft_params.flat.size, sft_params.config.hidden_dim
    flat = np.concatenate([sft_params.flat, np.zeros(H + 1)])               # policy θ and value head, one buffer
    policy, v_head = Params(sft_params.config, flat[:P]), flat[P:]
    opt = Adam(flat.size, config.learning_rate, max_grad_norm=5.0)
    questions = world.questions("train")
    examples = _example_questions(questions)
    sample_at = set(np.linspace(0, config.iterations - 1, config.n_samples).round().astype(int).tolist())
    history, samples, queue = [], [], []
    for it in range(config.iterations):
        # 1. sample B answers at temperature 1 (every question once per cycle); generate records log π_old,
        # 2. score: one frozen SFT forward pass gives log π_SFT per token and the RM score per answer
        while len(queue) < config.batch_size:
            queue += prompt_rng.permutation(len(questions)).tolist()
        batch, queue = [questions[k] for k in queue[:config.batch_size]], queue[config.batch_size:]
        items, words, gen, ref_logp, proxy = _score_answers(world, policy, rm, batch, sample_rng,
                                                            config.response_length)
        mask = gen.mask                                                     # (B, N)
        rows_ctx, rows_tgt, old_logp = gen.contexts[mask], gen.tokens[mask], gen.logp[mask]   # (R, T), (R,), (R,)
        # 3. KL-penalised reward, per token; the RM score lands on the last token
        kl_tokens = np.zeros(mask.shape)                                    # (B, N)
        kl_tokens[mask] = old_logp - ref_logp
        rewards = -config.kl_coef * kl_tokens
        rewards[np.arange(config.batch_size), gen.lengths - 1] += proxy
        # 4. GAE with values from the current policy's hidden state; whitened advantages
        logits, cache = forward(policy, rows_ctx)                           # (R, V)
        old_values = value_forward(cache["h"], v_head)                      # (R,)
        values = np.zeros(mask.shape)
        values[mask] = old_values
        advantages, returns = gae(rewards, values, mask, config.gamma, config.lam)
        adv, ret = whiten(advantages[mask]), returns[mask]
        logp, probs, row_entropy = token_logp(logits, rows_tgt)
        entropy = float(np.mean(row_entropy))
        # 5. clipped update: num_ppo_epochs full-batch steps (the first reuses the forward pass of step 4)
        clipfracs = []
        for epoch in range(config.num_ppo_epochs):
            if epoch:
                logits, cache = forward(policy, rows_ctx)
                logp, probs, _ = token_logp(logits, rows_tgt)
            pg_loss, clipfrac, pg_cache = clipped_surrogate(logp, old_logp, adv, config.cliprange)
            vf_loss, vf_cache = value_loss(value_forward(cache["h"], v_head), old_values, ret,
                                           config.cliprange_value)
            grads = backward(policy, cache, logp_backward(clipped_surrogate_backward(pg_cache), probs, rows_tgt))
            dv = value_backward(config.vf_coef * value_loss_backward(vf_cache), cache["h"])
            opt.step(flat, np.concatenate([grads.flat, dv]))
            clipfracs.append(clipfrac)
        grades = _grades(items, words)
        history.append({
            "iteration": it, "proxy": float(proxy.mean()), "gold": float(np.mean([g["reward"] for g in grades])),
            "kl": float(kl_tokens.sum(axis=1).mean()), "clipfrac": float(np.mean(clipfracs)), "entropy": entropy,
            "accuracy": float(np.mean([first_verdict(w) == i.verdict for i, w in zip(items, words)])),
            "safety": float(np.mean([not g["gates"] for g in grades])),
            "length": float(np.mean([answer_features(w)[0] for w in words])),
            "pg_loss": pg_loss, "vf_loss": vf_loss})
        if it in sample_at and config.n_samples:
            ex_items, ex_words, _, _, ex_proxy = _score_answers(world, policy, rm, examples, example_rng,
                                                                config.response_length)
            ex_grades = _grades(ex_items, ex_words)
            samples += [{"iteration": it, "question": " ".join(q), "answer": " ".join(w), "proxy": float(r),
                         "gold": g["reward"]} for (_, q), w, r, g in zip(examples, ex_words, ex_proxy, ex_grades)]
        if progress is not None:
            progress((it + 1) / config.iterations)
    return policy, {"history": history, "samples": samples, "flops": int(FLOPS.count - flops0),
                    "config": asdict(config)}
