"""Pretraining: next-token prediction on a corpus generated from the world (fact sentences + chatter).

    L(θ) = −(1/N) Σ_t log π_θ(w_t | w_{t−T}, …, w_{t−1})          over every token of the corpus

Papers: Bengio et al. 2003 (the MLP language model, model.py); Radford et al. 2019, GPT-2 (next-token prediction
on raw text is the whole pretraining objective); Muennighoff et al. 2023, "Scaling Data-Constrained Language
Models" (repeated epochs give diminishing returns, then overfit).

Shapes: B batch rows, T context window, V vocabulary, D embedding, H hidden (= ``width``).

Training loop, numbered as in the chapter:
    1. generate a corpus of ``data_tokens`` tokens, and a fixed validation corpus from an independent stream,
    2. each epoch, shuffle the corpus positions and cut them into batches of B rows,
    3. forward, cross-entropy, backward, Adam step,
    4. at evenly spaced points (always at each epoch's end), record the validation loss.

What we simplified and why:
- The corpus comes from a tiny grammar (world.py): 3/4 fact sentences, 1/4 chatter. The 35 facts repeat, the
  chatter rarely does, so data size and repetition act on the validation loss as they do at scale, in a second.
- Held-out facts (world.heldout_items) appear here as plain sentences and nowhere else: whatever the SFT'd model
  knows about them, it learned here (see sft.py).
- Windows are cut from one token stream, not packed documents: the MLP sees only T tokens anyway.
- A constant learning rate (a linear decay changed little in our tests) and the gradient norm clipped at 5.
"""

from dataclasses import asdict, dataclass

import numpy as np

from .model import (FLOPS, ModelConfig, check_number, cross_entropy_forward, forward, init_params,
                    loss_and_grads)
from .optim import Adam
from .world import ITEMS, World, chatter_sentence, fact_sentence


@dataclass(frozen=True)
class PretrainConfig:
    """data_tokens    corpus size in tokens (lab scale), 500–200,000
    epochs           passes over the corpus, 1–200
    learning_rate    η of Adam, (0, 0.3]
    width            hidden size H, 8–512
    batch_size       rows per step B, 8–4,096
    context_size     window T in tokens, 4–32
    embed_dim        embedding size D, 4–64
    fact_fraction    share of corpus sentences that state a fact, [0, 1]
    val_tokens       size of the fixed validation corpus, 200–50,000"""

    data_tokens: int = 24_000
    epochs: int = 1
    learning_rate: float = 0.02
    width: int = 48
    batch_size: int = 128
    context_size: int = 12
    embed_dim: int = 16
    fact_fraction: float = 0.75
    val_tokens: int = 1_000

    def __post_init__(self):
        check_number("pretrain.data_tokens", self.data_tokens, 500, 200_000, integer=True)
        check_number("pretrain.epochs", self.epochs, 1, 200, integer=True)
        check_number("pretrain.learning_rate", self.learning_rate, 0, 0.3, open_lo=True)
        check_number("pretrain.width", self.width, 8, 512, integer=True)
        check_number("pretrain.batch_size", self.batch_size, 8, 4096, integer=True)
        check_number("pretrain.context_size", self.context_size, 4, 32, integer=True)
        check_number("pretrain.embed_dim", self.embed_dim, 4, 64, integer=True)
        check_number("pretrain.fact_fraction", self.fact_fraction, 0, 1)
        check_number("pretrain.val_tokens", self.val_tokens, 200, 50_000, integer=True)

    def model_config(self, vocab_size: int) -> ModelConfig:
        return ModelConfig(vocab_size, self.context_size, self.embed_dim, self.width)


def make_corpus(world: World, n_tokens: int, rng: np.random.Generator, fact_fraction: float = 0.75) -> np.ndarray:
    """A stream of exactly ``n_tokens`` token ids. Each sentence is a fact (uniform over ALL items, held-out ones
    included) with probability ``fact_fraction``, else chatter."""
    facts = [world.vocab.encode(fact_sentence(item)) for item in ITEMS]
    ids: list[int] = []
    while len(ids) < n_tokens:
        if rng.random() < fact_fraction:
            ids += facts[int(rng.integers(len(ITEMS)))]
        else:
            ids += world.vocab.encode(chatter_sentence(rng))
    return np.asarray(ids[:n_tokens], dtype=np.int64)


def corpus_rows(stream: np.ndarray, context_size: int):
    """Every position of the stream as a row: contexts (N, T), left-padded with PAD = 0, and targets (N,)."""
    padded = np.concatenate([np.zeros(context_size, dtype=np.int64), stream])
    windows = np.lib.stride_tricks.sliding_window_view(padded, context_size + 1)[:len(stream)]  # (N, T+1)
    return windows[:, :-1], windows[:, -1]


def mean_loss(params, contexts, targets, batch: int = 64) -> float:
    """Mean next-token cross-entropy over the rows (forward only, in batches)."""
    total = 0.0
    for s in range(0, len(targets), batch):
        logits, _ = forward(params, contexts[s:s + batch])
        total += cross_entropy_forward(logits, targets[s:s + batch])[0] * len(targets[s:s + batch])
    return total / len(targets)


def run_pretrain(world: World, config: PretrainConfig, rng: np.random.Generator):
    """Pretrain a fresh model on a fresh corpus. Returns (params, results), results a JSON-ready dict:
        train_loss   mean training loss of each epoch
        val_loss     validation loss before training, then at the end of each epoch
        val_curve    [{"step", "tokens_seen", "val_loss"}] at evenly spaced points (≥ 4 per run)
        step_loss    training loss of every step
        clipped_steps  steps whose gradient norm exceeded 5 and was scaled down
        tokens, steps, flops, config"""
    flops0 = FLOPS.count
    # 1. corpus and validation corpus, from independent child streams of rng
    data_rng, val_rng, init_rng, order_rng = rng.spawn(4)
    stream = make_corpus(world, config.data_tokens, data_rng, config.fact_fraction)
    X, Y = corpus_rows(stream, config.context_size)
    Xv, Yv = corpus_rows(make_corpus(world, config.val_tokens, val_rng, config.fact_fraction), config.context_size)
    params = init_params(config.model_config(len(world.vocab)), init_rng)
    opt = Adam(params.flat.size, config.learning_rate, max_grad_norm=5.0)
    per_epoch = -(-len(Y) // config.batch_size)                        # steps per epoch (last batch smaller)
    evals_per_epoch = -(-4 // config.epochs)                           # at least 4 validation points per run
    eval_at = {round(per_epoch * k / evals_per_epoch) for k in range(1, evals_per_epoch + 1)}
    val0 = mean_loss(params, Xv, Yv)
    train_loss, val_loss, step_loss, clipped = [], [val0], [], 0
    val_curve = [{"step": 0, "tokens_seen": 0, "val_loss": val0}]
    for _ in range(config.epochs):
        # 2. shuffle the positions, cut them into batches
        order = order_rng.permutation(len(Y))
        losses = []
        for k, s in enumerate(range(0, len(order), config.batch_size), start=1):
            b = order[s:s + config.batch_size]
            # 3. forward, loss, backward, Adam
            loss, grads = loss_and_grads(params, X[b], Y[b])
            clipped += opt.step(params.flat, grads.flat) > opt.max_grad_norm
            losses.append(loss)
            # 4. validation points
            if k in eval_at:
                step = len(step_loss) + k
                val_curve.append({"step": step, "tokens_seen": int(min(step * config.batch_size,
                                                                       config.epochs * len(Y))),
                                  "val_loss": mean_loss(params, Xv, Yv)})
        step_loss += losses
        train_loss.append(float(np.mean(losses)))
        val_loss.append(val_curve[-1]["val_loss"])
    return params, {"train_loss": train_loss, "val_loss": val_loss, "val_curve": val_curve,
                    "step_loss": [float(x) for x in step_loss], "tokens": int(len(Y)), "steps": len(step_loss),
                    "clipped_steps": int(clipped), "flops": int(FLOPS.count - flops0), "config": asdict(config)}
