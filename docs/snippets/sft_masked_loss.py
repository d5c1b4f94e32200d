"""Supervised fine-tuning in PyTorch: the same next-token cross-entropy, counted on the answer tokens only."""

import torch
import torch.nn.functional as F


def answer_mask(prompt_lengths: torch.Tensor, lengths: torch.Tensor, L: int) -> torch.Tensor:
    """(B, L) mask, 1.0 on answer tokens: after the prompt, before the padding."""
    positions = torch.arange(L)[None, :]
    return ((positions >= prompt_lengths[:, None]) & (positions < lengths[:, None])).float()


def sft_loss(logits: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the answer tokens of the batch, in nats per answer token.

    logits: (B, L, V), position t predicts token t + 1; tokens: (B, L), prompt then answer, right-padded;
    mask: (B, L), 1 where the token is part of an answer (answer_mask).
    Libraries often get the same result by setting the prompt's labels to -100 (F.cross_entropy's ignore_index).
    """
    V = logits.shape[-1]
    per_token = F.cross_entropy(logits[:, :-1].reshape(-1, V), tokens[:, 1:].reshape(-1),
                                reduction="none")              # (B·(L-1),) loss of every next token
    m = mask[:, 1:].reshape(-1)                                # keep the answer tokens, drop prompt and padding
    return (per_token * m).sum() / m.sum()


if __name__ == "__main__":
    torch.manual_seed(0)
    V, D = 50, 32
    model = torch.nn.Sequential(torch.nn.Embedding(V, D), torch.nn.Linear(D, V))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    # Two demonstrations, prompt then answer, right-padded with token 0 to the same length.
    tokens = torch.tensor([[5, 6, 7, 8, 20, 21, 22, 1, 0, 0],
                           [5, 9, 7, 30, 31, 32, 33, 34, 1, 0]])
    prompt_lengths, lengths = torch.tensor([4, 3]), torch.tensor([8, 9])
    mask = answer_mask(prompt_lengths, lengths, tokens.shape[1])
    for step in range(5):
        loss = sft_loss(model(tokens), tokens, mask)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        print(f"step {step}: {loss.item():.3f} nats per answer token")
