"""PPO for RLHF in PyTorch: KL-penalised rewards, GAE, and the clipped surrogate with a clipped value loss."""

import torch


def kl_penalised_rewards(scores: torch.Tensor, logp: torch.Tensor, ref_logp: torch.Tensor, mask: torch.Tensor,
                         kl_coef: float) -> torch.Tensor:
    """Per-token rewards r_t = −β (log π_old − log π_SFT), plus the RM score on each answer's last token.

    scores: (B,) reward-model scores; logp, ref_logp, mask: (B, N), mask 1 on answer tokens (a prefix of each row).
    kl_coef is β (TRL's name); log π − log π_SFT is TRL's "k1" estimate of the per-token KL.
    """
    rewards = -kl_coef * (logp - ref_logp) * mask                    # (B, N)
    last = mask.sum(1).long() - 1                                    # (B,) index of each answer's last token
    rewards[torch.arange(len(scores)), last] += scores
    return rewards


def gae(rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float = 1.0, lam: float = 0.95):
    """Â_t = δ_t + γλ Â_{t+1}, δ_t = r_t + γ V(s_{t+1}) − V(s_t), with V = 0 after the last token.

    Returns advantages and returns (the value targets Â + V), both (B, N), zero off the answer."""
    B, N = rewards.shape
    advantages = torch.zeros(B, N, dtype=rewards.dtype)
    next_value = next_adv = torch.zeros(B, dtype=rewards.dtype)
    for t in reversed(range(N)):                                     # backwards: Â_t needs Â_{t+1}
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        next_adv = (delta + gamma * lam * next_adv) * mask[:, t]
        next_value = values[:, t] * mask[:, t]
        advantages[:, t] = next_adv
    return advantages, (advantages + values) * mask


def ppo_clipped_loss(logp: torch.Tensor, old_logp: torch.Tensor, advantages: torch.Tensor,
                     cliprange: float = 0.2):
    """L_CLIP = mean max(−Â ρ, −Â clip(ρ, 1 − ε, 1 + ε)), ρ = π_θ / π_old, over the answer tokens (R,).

    The max of the two negatives is the min of the PPO paper's objective: the update gains nothing from
    moving ρ beyond 1 ± ε in the direction the advantage favours. Returns (loss, clip fraction).
    """
    ratio = torch.exp(logp - old_logp)                               # (R,) ρ_t
    unclipped = -advantages * ratio
    clipped = -advantages * torch.clamp(ratio, 1 - cliprange, 1 + cliprange)
    return torch.max(unclipped, clipped).mean(), (clipped > unclipped).float().mean()


def value_loss(values, old_values, returns, cliprange_value: float = 0.2):
    """½ mean max((V − R)², (V_clip − R)²), V_clip = V_old + clip(V − V_old, ±cliprange_value) (TRL)."""
    v_clip = old_values + torch.clamp(values - old_values, -cliprange_value, cliprange_value)
    return 0.5 * torch.max((values - returns) ** 2, (v_clip - returns) ** 2).mean()


if __name__ == "__main__":
    # A toy RLHF loop: the "answer" is N tokens from V, the reward model likes token 3, β holds the policy near SFT.
    torch.manual_seed(0)
    B, N, V, kl_coef = 64, 4, 8, 0.05
    sft_logits = torch.zeros(N, V)
    policy = torch.nn.Parameter(sft_logits.clone())                  # starts as the SFT model
    value_head = torch.nn.Parameter(torch.zeros(N))                  # V(s_t): one number per position
    optimizer = torch.optim.Adam([policy, value_head], lr=0.1)
    mask = torch.ones(B, N)
    for iteration in range(5):
        with torch.no_grad():                                        # 1. sample; 2. score
            tokens = torch.distributions.Categorical(logits=policy.expand(B, N, V)).sample()      # (B, N)
            old_logp = torch.log_softmax(policy, -1)[torch.arange(N), tokens]
            ref_logp = torch.log_softmax(sft_logits, -1)[torch.arange(N), tokens]
            scores = (tokens == 3).float().sum(1)                    # the reward model's score of each answer
            rewards = kl_penalised_rewards(scores, old_logp, ref_logp, mask, kl_coef)     # 3.
            old_values = value_head.expand(B, N).clone()
            advantages, returns = gae(rewards, old_values, mask)     # 4.
            adv = (advantages - advantages.mean()) / (advantages.std() + 1e-8)            # whitened
        for epoch in range(2):                                       # 5. clipped update
            logp = torch.log_softmax(policy, -1)[torch.arange(N), tokens]
            pg_loss, clipfrac = ppo_clipped_loss(logp.flatten(), old_logp.flatten(), adv.flatten())
            loss = pg_loss + 0.1 * value_loss(value_head.expand(B, N), old_values, returns)   # vf_coef = 0.1
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        print(f"iteration {iteration}: reward {scores.mean().item():.3f} per answer, "
              f"clip fraction {clipfrac.item():.2f}")
