"""Reward-model training in PyTorch: the Bradley–Terry loss on pairs of (chosen, rejected) answers."""

import torch
import torch.nn.functional as F


def bradley_terry_loss(chosen_rewards: torch.Tensor, rejected_rewards: torch.Tensor) -> torch.Tensor:
    """−mean log σ(r(x, y_w) − r(x, y_l)) over a batch of n pairs, in nats per pair.

    chosen_rewards, rejected_rewards: (n,) scalar scores of the preferred and the other answer of each pair.
    F.logsigmoid(m) = −log(1 + e^(−m)) without overflow, even for margins of ±100.
    """
    return -F.logsigmoid(chosen_rewards - rejected_rewards).mean()


def preference_accuracy(chosen_rewards: torch.Tensor, rejected_rewards: torch.Tensor) -> torch.Tensor:
    """Share of pairs the reward model ranks the way the labels do."""
    return (chosen_rewards > rejected_rewards).float().mean()


if __name__ == "__main__":
    torch.manual_seed(0)
    n, F_dim = 64, 8
    # Features of each answer (in a real RM: the LM's last hidden state at the answer's final token).
    chosen, rejected = torch.randn(n, F_dim) + 0.5, torch.randn(n, F_dim)
    head = torch.nn.Linear(F_dim, 1)          # its bias cancels in r_w − r_l, as in the lab's RM
    optimizer = torch.optim.AdamW(head.parameters(), lr=5e-2)
    for step in range(5):
        r_w, r_l = head(chosen).squeeze(-1), head(rejected).squeeze(-1)
        loss = bradley_terry_loss(r_w, r_l)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        print(f"step {step}: loss {loss.item():.3f} nats per pair, "
              f"accuracy {preference_accuracy(r_w, r_l).item():.0%}")
