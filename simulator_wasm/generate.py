"""Batched generation: sample (or pick greedily) one token at a time, recording log π of every token written.

    w_t ~ softmax(logits_t / τ)            (τ = temperature; greedy: w_t = argmax logits_t)
    logp_t = log π(w_t | w_<t)             recorded at τ = 1, the policy's own probability

PPO reuses ``logp`` as log π_old and the recorded ``contexts`` to recompute log π and values without re-running
the prompt, so sampling is paid for once.

Public API:
    generate(params, prompts, rng, max_new_tokens=24, temperature=1.0, greedy=False, keep_hidden=False) -> Generation
        prompts: list of token-id lists (any lengths); rng is unused (may be None) when greedy. Fields, with
        N = max_new_tokens:
        tokens (B, N) int (PAD after the end), logp (B, N) float (0 after the end), mask (B, N) bool (True for
        written tokens, "<eos>" included), contexts (B, N, T) int (the window each token was predicted from),
        lengths (B,) int, and with keep_hidden the hidden state h each token was predicted from, hidden (B, N, H)
        (the reward model's features are pooled from it, so the SFT model's pass over its answers is paid once).
    Generation.answers() -> list of id lists, each up to and including "<eos>" (or N tokens if it never ended).

Shapes: B prompts, N new tokens, T context window, V vocabulary.

What we simplified and why: no top-k/top-p and no KV cache (an MLP has nothing to cache: each step is one forward
pass over a T-token window). Finished rows leave the batch, so short answers cost fewer FLOPs.
"""

from typing import NamedTuple

import numpy as np

from .model import Params, forward_in_blocks
from .vocab import EOS, PAD


class Generation(NamedTuple):
    tokens: np.ndarray
    logp: np.ndarray
    mask: np.ndarray
    contexts: np.ndarray
    lengths: np.ndarray
    hidden: np.ndarray | None = None

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
             temperature: float = 1.0, greedy: bool = False, keep_hidden: bool = False) -> Generation:
    """Continue every prompt until "<eos>" or ``max_new_tokens``; see the module docstring for the fields."""
    if not (greedy or temperature > 0):
        raise ValueError(f"temperature must be > 0 when sampling, got {temperature}")
    B, T, N = len(prompts), params.config.context_size, max_new_tokens
    tokens = np.full((B, N), PAD, dtype=np.int64)
    logp = np.zeros((B, N))
    contexts = np.full((B, N, T), PAD, dtype=np.int64)
    lengths = np.full(B, N, dtype=np.int64)
    hidden = np.zeros((B, N, params.config.hidden_dim)) if keep_hidden else None
    active = np.arange(B)                                              # (b,) the rows still writing
    ctx = prompt_windows(prompts, T)                                   # (b, T) their windows, in that order
    for t in range(N):
        if active.size == 0:
            break
        logits, h = forward_in_blocks(params, ctx)
        if keep_hidden:
            hidden[active, t] = h
        shifted = logits - logits.max(axis=1, keepdims=True)          # (b, V), for a stable exp
        weights = np.exp(shifted)                                      # unnormalised π at τ = 1
        total = weights.sum(axis=1)                                    # (b,)
        if greedy:
            w = shifted.argmax(axis=1)
        else:
            # inverse-CDF sample from the unnormalised weights: τ = 1 (PPO, the RM's pairs) needs one exp per step
            if temperature != 1.0:
                weights = np.exp(shifted / temperature)
            cdf = np.cumsum(weights, axis=1)
            u = rng.random(len(active)) * cdf[:, -1]
            w = np.minimum((cdf < u[:, None]).sum(axis=1), logits.shape[1] - 1)
        tokens[active, t], contexts[active, t] = w, ctx
        logp[active, t] = shifted[np.arange(len(active)), w] - np.log(total)    # log π(w) at τ = 1
        ctx = np.concatenate([ctx[:, 1:], w[:, None]], axis=1)        # slide each window by the new token
        ended = w == EOS
        if ended.any():                                                # finished rows leave the batch
            lengths[active[ended]] = t + 1
            active, ctx = active[~ended], ctx[~ended]
    mask = np.arange(N) < lengths[:, None]                             # (B, N) the written tokens
    return Generation(tokens, logp, mask, contexts, lengths, hidden)
