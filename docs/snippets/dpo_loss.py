"""DPO in PyTorch: the Bradley–Terry loss on the policy's own log-ratios against the frozen reference model."""

import torch
import torch.nn.functional as F


def dpo_loss(chosen_logp: torch.Tensor, rejected_logp: torch.Tensor, ref_chosen_logp: torch.Tensor,
             ref_rejected_logp: torch.Tensor, beta: float = 0.1):
    """Mean DPO loss over n pairs, and the implicit rewards β log(π_θ / π_ref) of both answers.

    Each argument is (n,): the log-probability of a whole answer, summed over its tokens, under the policy
    (chosen_logp, rejected_logp, with gradients) or under the frozen SFT model (ref_*, without).
    beta is DPO's β: the same β as PPO's kl_coef, because DPO solves the same KL-regularised objective.
    """
    chosen_rewards = beta * (chosen_logp - ref_chosen_logp)           # (n,) implicit reward of y_w
    rejected_rewards = beta * (rejected_logp - ref_rejected_logp)     # (n,) implicit reward of y_l
    loss = -F.logsigmoid(chosen_rewards - rejected_rewards).mean()     # Bradley–Terry on the implicit rewards
    return loss, chosen_rewards.detach(), rejected_rewards.detach()


def sequence_logp(logits: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Σ_t log π(y_t | ·) over the answer tokens.

    logits (n, L, V) predict tokens (n, L) position by position; mask (n, L) is 1 on answer tokens."""
    logp = torch.gather(F.log_softmax(logits, dim=-1), 2, tokens[..., None]).squeeze(-1)   # (n, L)
    return (logp * mask).sum(-1)


if __name__ == "__main__":
    torch.manual_seed(0)
    n, L, V = 16, 6, 20
    policy = torch.nn.Parameter(torch.zeros(L, V))   # a toy policy: one logit table per answer position
    reference = torch.zeros(L, V)                    # the frozen SFT model it starts from
    chosen, rejected = torch.randint(V, (n, L)), torch.randint(V, (n, L))
    mask = torch.ones(n, L)
    optimizer = torch.optim.Adam([policy], lr=5e-2)
    with torch.no_grad():                            # the reference log-probs are computed once
        ref_c = sequence_logp(reference.expand(n, L, V), chosen, mask)
        ref_r = sequence_logp(reference.expand(n, L, V), rejected, mask)
    for step in range(5):
        logits = policy.expand(n, L, V)
        loss, r_w, r_l = dpo_loss(sequence_logp(logits, chosen, mask), sequence_logp(logits, rejected, mask),
                                  ref_c, ref_r, beta=0.1)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        print(f"step {step}: loss {loss.item():.4f} nats per pair, margin {(r_w - r_l).mean().item():+.4f}")
