"""One pretraining step in PyTorch: next-token cross-entropy on a batch of token ids."""

import math

import torch
import torch.nn.functional as F


def next_token_loss(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of each next token, in nats per token.

    logits: (B, L, V), the model's scores at every position; position t predicts token t + 1.
    tokens: (B, L), the token ids of the text.
    """
    V = logits.shape[-1]
    predictions = logits[:, :-1].reshape(-1, V)     # the last position has nothing left to predict
    targets = tokens[:, 1:].reshape(-1)             # the text is its own answer key
    return F.cross_entropy(predictions, targets)    # -mean log softmax(predictions)[targets]


def train_step(model, optimizer, tokens: torch.Tensor, max_grad_norm: float = 1.0) -> float:
    """Forward, loss, backward, gradient clipping, optimiser step. Returns the batch loss."""
    model.train()
    logits = model(tokens)                          # (B, L, V)
    loss = next_token_loss(logits, tokens)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item()


if __name__ == "__main__":
    torch.manual_seed(0)
    V, D, B, L = 50, 32, 8, 16                      # vocabulary, embedding, batch, sequence length
    # The smallest language model: each token's embedding scores the next token (a bigram model).
    model = torch.nn.Sequential(torch.nn.Embedding(V, D), torch.nn.Linear(D, V))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    tokens = torch.randint(0, V, (B, L))            # stand-in for a batch of real text
    print(f"uniform guess: log V = {math.log(V):.3f} nats")
    for step in range(5):
        print(f"step {step}: loss {train_step(model, optimizer, tokens):.3f} nats per token")
