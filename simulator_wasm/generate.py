"""Batched generation: sample (or pick greedily) one token at a time, recording log π of every token written.

    w_t ~ softmax(logits_t / τ)            (τ = temperature; greedy: w_t = argmax logits_t)
    logp_t = log π(w_t | w_<t)             recorded at τ = 1, the policy's own probability

PPO reuses ``logp`` as log π_old and the recorded ``contexts`` to recompute log π and values without re-running
the prompt, so sampling is paid for once.

Public API:
    generate(params, prompts, rng, max_new_tokens=24, temperature=1.0, greedy=False) -> Generation
        prompts: list of token-id lists (any lengths); rng is unused (may be None) when greedy. Fields, with
        N = max_new_tokens:
        tokens (B, N) int (PAD after the end), logp (B, N) float (0 after the end), mask (B, N) bool (True for
        written tokens, "<eos>" included), contexts (B, N, T) int (the window each token was predicted from),
        lengths (B,) int.
    Generation.answers() -> list of id lists, each up to and including "<eos>" (or N tokens if it never ended).

Shapes: B prompts, N new tokens, T context window, V vocabulary.

What we simplified and why: no top-k/top-p and no KV cache (an MLP has nothing to cache: each step is one forward
pass over a T-token window). Finished rows leave the batch, so short answers cost fewer FLOPs.
"""

from typing import NamedTuple

import numpy as np

from .model import Params, forward, log_softmax
from .vocab import EOS, PAD


class Generation(NamedTuple):
    tokens: np.ndarray
    logp: np.ndarray
    mask: np.ndarray
    contexts: np.ndarray
    lengths: np.ndarray

    def answers(self) -> list[list[int]]:
        return [self.tokens[b, :n].tolist() for b, n in enumerate(self.lengths)]


def prompt_windows(prompts, context_size: int) -> np.ndarray:
    """The last T tokens of each prompt, left-padded with PAD: (B, T)."""
    out = np.full((len(prompts), context_size), PAD, dtype=np.int64)
    for b, p in enumerate(prompts):
        tail = list(p)[-context_size:]
        if tail:
            out[b, context_size - len(tail):] = tail
    return out


def generate(params: Params, prompts, rng: np.random.Generator | None, max_new_tokens: int = 24,
             temperature: float = 1.0, greedy: bool = False) -> Generation:
    """Continue every prompt until "<eos>" or ``max_new_tokens``; see the module docstring for the fields."""
    if not (greedy or temperature > 0):
        raise ValueError(f"temperature must be > 0 when sampling, got {temperature}")
    B, T, N = len(prompts), params.config.context_size, max_new_tokens
    window = prompt_windows(prompts, T)                                 # (B, T)
    tokens = np.full((B, N), PAD, dtype=np.int64)
    logp = np.zeros((B, N))
    mask = np.zeros((B, N), dtype=bool)
    contexts = np.full((B, N, T), PAD, dtype=np.int64)
    lengths = np.full(B, N, dtype=np.int64)
    active = np.arange(B)
    for t in range(N):
        if active.size == 0:
            break
        ctx = window[active]                                           # (b, T)
        logits, _ = forward(params, ctx)
        logp_all = log_softmax(logits)                                 # τ = 1: the policy itself
        if greedy:
            w = logp_all.argmax(axis=1)
        else:
            # τ = 1 (PPO, the RM's pairs) samples from logp_all itself: one softmax per step, not two
            scaled = logp_all if temperature == 1.0 else log_softmax(logits / temperature)
            cdf = np.cumsum(np.exp(scaled), axis=1)
            u = rng.random(len(active)) * cdf[:, -1]
            w = np.minimum((cdf < u[:, None]).sum(axis=1), logits.shape[1] - 1)   # inverse-CDF sample
        tokens[active, t], mask[active, t], contexts[active, t] = w, True, ctx
        logp[active, t] = logp_all[np.arange(len(active)), w]
        window[active] = np.concatenate([ctx[:, 1:], w[:, None]], axis=1)
        ended = w == EOS
        lengths[active[ended]] = t + 1
        active = active[~ended]
    return Generation(tokens, logp, mask, contexts, lengths)
