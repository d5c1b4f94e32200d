"""The language model: a makemore-style MLP over the last T tokens, tied embeddings, a copy pointer, hand backprop.

    x    = [C[w_{t−T}], …, C[w_{t−1}]]        the window's embeddings, concatenated                  (B, T·D)
    h    = tanh(x W1 + b1)                    hidden state                                             (B, H)
    z    = h W2 + b2                          back into embedding space                                (B, D)
    s_j  = (h Wq)·C[w_{t−T+j}] + (h Wp + bp)_j   pointer score of window slot j (PAD slots: 0)         (B, T)
    logits_v = z·C_v + b_out,v + Σ_j [w_{t−T+j} = v] s_j                                             (B, V)
    π(w_t | w_<t) = softmax(logits)[w_t],    L = −(1/Σm) Σ_t m_t log π(w_t | w_<t)

Papers: Bengio et al. 2003, "A Neural Probabilistic Language Model" (the MLP LM, as in Karpathy's makemore);
Press & Wolf 2017, "Using the Output Embedding to Improve Language Models" (tied C); the pointer follows
Merity et al. 2017, "Pointer Sentinel Mixture Models" and Gu et al. 2016, "Incorporating Copying Mechanism in
Sequence-to-Sequence Learning" (CopyNet), simplified to additive scores without a softmax over slots.

Shapes: B batch rows, T context window, V vocabulary, D embedding, H hidden. One ROW is one next-token
prediction: a context of T token ids and the id that follows.

Public API (other stages rely on it exactly):
    ModelConfig(vocab_size, context_size=12, embed_dim=16, hidden_dim=48)   frozen, validated
    init_params(config, rng) -> Params           one flat float64 buffer ``params.flat`` + named views
    forward(params, contexts[B,T]) -> (logits[B,V], cache)   cache["h"] is the hidden state h (B, H)
    backward(params, cache, dlogits[B,V], dh=None) -> Params  gradients in the same flat layout; dh (B, H) adds a
        gradient arriving at h from outside (e.g. a value head that is trained through the trunk)
    loss_and_grads(params, contexts, targets, weights=None) -> (loss, grads)
    logprobs(params, contexts, targets) -> logp[B]  log π(target | context);  log_softmax(logits)
    make_rows(prompt_ids, answer_ids, T) -> (contexts[N,T], targets[N], answer_mask[N])
    pair_rows(prompts, answers, T) -> (contexts, targets, seq_index)   answer tokens only, stacked over pairs
    matmul(a, b) and FLOPS.count: every matmul FLOP (2·m·k·n), forward and backward, counted for the budget

What we simplified and why:
- An MLP over a fixed window instead of a transformer: every gradient fits on a page; T = 12 reaches from the
  answer back to the question's names.
- A copy pointer instead of attention: an answer must repeat the question's two names, which a position-wise MLP
  learns slowly and only for names it has copied before. The pointer gives each window slot one learnable score,
  for any word; tied embeddings let it pick a word by what it is (a drug, a food, a condition).
- float64 throughout, so the finite-difference gradient checks can demand a relative error below 1e-6.
"""

import math
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

import numpy as np

from .errors import ConfigError
from .vocab import PAD


class FlopCounter:
    """Counts matmul FLOPs (2·m·k·n per product; the pointer's small products too): the browser's speed bound."""
    count = 0


FLOPS = FlopCounter()


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b for 2-d arrays, counted in FLOPS. Every stage's matmuls go through here."""
    FLOPS.count += 2 * a.shape[0] * a.shape[1] * b.shape[1]
    return a @ b


def check_number(name: str, value, lo: float, hi: float, integer: bool = False, open_lo: bool = False):
    """Config validation shared by every stage: raise ConfigError naming the field, the value and the allowed
    range when ``value`` has the wrong type, is NaN/inf or lies outside [lo, hi] ((lo, hi] if open_lo)."""
    kind = "an integer" if integer else "a number"
    bounds = f"{'(' if open_lo else '['}{lo:g}, {hi:g}]"
    types = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, types) or not np.isfinite(float(value)) \
            or not (lo < value <= hi if open_lo else lo <= value <= hi):
        raise ConfigError(f"{name} must be {kind} in {bounds}, got {value!r}")


@dataclass(frozen=True)
class ModelConfig:
    """vocab_size V (from the world, 4–100,000); context_size T, the window in tokens (4–32); embed_dim D (4–64);
    hidden_dim H, the tanh width (8–512)."""

    vocab_size: int
    context_size: int = 12
    embed_dim: int = 16
    hidden_dim: int = 48

    def __post_init__(self):
        check_number("model.vocab_size", self.vocab_size, 4, 100_000, integer=True)
        check_number("model.context_size", self.context_size, 4, 32, integer=True)
        check_number("model.embed_dim", self.embed_dim, 4, 64, integer=True)
        check_number("model.hidden_dim", self.hidden_dim, 8, 512, integer=True)

    def shapes(self) -> dict:
        V, T, D, H = self.vocab_size, self.context_size, self.embed_dim, self.hidden_dim
        return {"C": (V, D), "W1": (T * D, H), "b1": (H,), "W2": (H, D), "b2": (D,), "b_out": (V,),
                "Wq": (H, D), "Wp": (H, T), "bp": (T,)}


@lru_cache(maxsize=None)
def _layout(config: ModelConfig) -> tuple:
    """(name, shape, start, stop) of every parameter inside the flat buffer, computed once per config."""
    shapes = config.shapes()
    ends = list(accumulate(math.prod(shape) for shape in shapes.values()))
    return tuple((n, sh, e - math.prod(sh), e) for (n, sh), e in zip(shapes.items(), ends))


class Params:
    """One flat float64 buffer (what Adam updates) and named views into it (what the maths uses)."""

    def __init__(self, config: ModelConfig, flat: np.ndarray):
        self.config, self.flat = config, flat
        for name, shape, start, stop in _layout(config):
            setattr(self, name, flat[start:stop].reshape(shape))

    @staticmethod
    def size(config: ModelConfig) -> int:
        return _layout(config)[-1][3]

    def copy(self) -> "Params":
        return Params(self.config, self.flat.copy())

    def zeros_like(self) -> "Params":
        return Params(self.config, np.zeros_like(self.flat))


def init_params(config: ModelConfig, rng: np.random.Generator) -> Params:
    """Gaussian init scaled by fan-in so tanh starts unsaturated (x W1 ~ N(0, 1)); biases zero."""
    p = Params(config, np.zeros(Params.size(config)))
    T, D, H = config.context_size, config.embed_dim, config.hidden_dim
    p.C[:] = rng.normal(0.0, 1.0, p.C.shape) / np.sqrt(D)
    p.W1[:] = rng.normal(0.0, 1.0, p.W1.shape) / np.sqrt(T)     # x has T·D entries of size ~1/√D
    for W in (p.W2, p.Wq, p.Wp):
        W[:] = rng.normal(0.0, 1.0, W.shape) / np.sqrt(H)
    return p


# ------------------------------------------------------------------ layers: each forward, then its backward
def embed_forward(C: np.ndarray, contexts: np.ndarray) -> np.ndarray:
    """x = concatenated embeddings of the window: (B, T) ids → (B, T·D)."""
    return C[contexts].reshape(contexts.shape[0], -1)


def embed_backward(dx: np.ndarray, contexts: np.ndarray, vocab_size: int) -> np.ndarray:
    """∂L/∂C[v] = Σ over window slots holding v of ∂L/∂x there: one np.bincount over the flat index v·D + d."""
    D = dx.shape[1] // contexts.shape[1]
    index = (contexts[:, :, None] * D + np.arange(D)).ravel()           # (B·T·D,) flat index into C
    return np.bincount(index, weights=dx.ravel(), minlength=vocab_size * D).reshape(vocab_size, D)


def hidden_forward(x, W1, b1):
    """h = tanh(x W1 + b1): (B, T·D) → (B, H)."""
    return np.tanh(matmul(x, W1) + b1)


def hidden_backward(dh, x, h, W1):
    """Through tanh (tanh' = 1 − h²) and the affine map. Returns dx, dW1, db1."""
    da = dh * (1.0 - h * h)                                            # (B, H)
    return matmul(da, W1.T), matmul(x.T, da), da.sum(axis=0)


def linear_forward(h, W, b):
    """z = h W + b: (B, H) → (B, D)."""
    return matmul(h, W) + b


def linear_backward(dz, h, W):
    """Returns dh, dW, db for z = h W + b."""
    return matmul(dz, W.T), matmul(h.T, dz), dz.sum(axis=0)


def tied_output_forward(z, C, b_out):
    """logits = z Cᵀ + b_out: a token's score is the dot product of z with its own input embedding. (B, V)."""
    logits = matmul(z, C.T)
    logits += b_out                                                    # in place: one (B, V) buffer
    return logits


def tied_output_backward(dlogits, z, C):
    """Returns dz, dC (the output path's share; the embedding adds its own) and db_out."""
    return matmul(dlogits, C), matmul(dlogits.T, z), dlogits.sum(axis=0)


def copy_forward(h, Wq, Wp, bp, x, contexts):
    """Pointer scores s_j = q·C[w_j] + (h Wp + bp)_j of the window slots: q = h Wq says WHAT to copy (a kind of word,
    by its embedding), h Wp + bp from WHERE. PAD slots score 0. Returns s (B, T) and a cache."""
    B, T = contexts.shape
    E = x.reshape(B, T, -1)                                            # (B, T, D) the window's embeddings
    q = matmul(h, Wq)                                                  # (B, D)
    s = matmul(h, Wp) + bp + np.einsum("btd,bd->bt", E, q)             # (B, T)
    FLOPS.count += 2 * B * T * E.shape[2]
    s[contexts == PAD] = 0.0
    return s, (E, q)


def add_copy(logits, s, contexts):
    """logits[b, v] += Σ_j [w_bj = v] s_bj, in place (np.add.at sums a word filling several slots); its backward
    is the gather ∂L/∂s_bj = ∂L/∂logits[b, w_bj] that opens copy_backward."""
    V = logits.shape[1]
    np.add.at(logits.reshape(-1), (np.arange(len(s))[:, None] * V + contexts).ravel(), s.ravel())
    return logits


def copy_backward(dlogits, h, Wq, Wp, contexts, cache):
    """Returns dh, dWq, dWp, dbp and dx (the pointer's share of the gradient on the window embeddings)."""
    (E, q), (B, T, D) = cache, cache[0].shape
    ds = np.take_along_axis(dlogits, contexts, axis=1)                 # (B, T) ∂L/∂s
    ds[contexts == PAD] = 0.0
    dq = np.einsum("bt,btd->bd", ds, E)                                # (B, D)
    dx = (ds[:, :, None] * q[:, None, :]).reshape(B, T * D)            # (B, T·D)
    FLOPS.count += 3 * B * T * D
    dh = matmul(dq, Wq.T) + matmul(ds, Wp.T)
    return dh, matmul(h.T, dq), matmul(h.T, ds), ds.sum(axis=0), dx


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log softmax, shifted by the row max for stability."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def cross_entropy_forward(logits, targets, weights=None):
    """L = −Σ_b m_b log softmax(logits_b)[y_b] / Σ_b m_b (m = weights, default all 1). Returns (L, cache).
    The softmax is computed once, in place, and reused by the backward: exp is the costliest elementwise op."""
    rows = np.arange(len(targets))
    shifted = logits - logits.max(axis=1, keepdims=True)               # (B, V)
    shifted_y = shifted[rows, targets]                                 # (B,)
    probs = np.exp(shifted, out=shifted)                               # (B, V), same buffer
    total = probs.sum(axis=1)
    probs /= total[:, None]
    m = np.ones(len(targets)) if weights is None else np.asarray(weights, dtype=float)
    logp = shifted_y - np.log(total)                                   # (B,) log π(y_b | context_b)
    return -float(m @ logp / m.sum()), (probs, targets, m)


def cross_entropy_backward(cache):
    """∂L/∂logits = m (softmax − onehot(y)) / Σm."""
    probs, targets, m = cache
    w = m / m.sum()
    dlogits = probs * w[:, None]
    dlogits[np.arange(len(targets)), targets] -= w
    return dlogits


# ------------------------------------------------------------------ the whole model
def forward(params: Params, contexts: np.ndarray):
    """contexts (B, T) int → logits (B, V) and the cache backward needs (cache["h"]: hidden state (B, H))."""
    x = embed_forward(params.C, contexts)                              # (B, T·D)
    h = hidden_forward(x, params.W1, params.b1)                        # (B, H)
    z = linear_forward(h, params.W2, params.b2)                        # (B, D)
    s, copy_cache = copy_forward(h, params.Wq, params.Wp, params.bp, x, contexts)    # (B, T)
    logits = add_copy(tied_output_forward(z, params.C, params.b_out), s, contexts)  # (B, V)
    return logits, {"contexts": contexts, "x": x, "h": h, "z": z, "copy": copy_cache}


def backward(params: Params, cache: dict, dlogits: np.ndarray, dh: np.ndarray | None = None) -> Params:
    """∂L/∂θ for every parameter, given ∂L/∂logits (and optionally an extra ∂L/∂h); same flat layout as params."""
    g = params.zeros_like()
    dz, dC_out, g.b_out[:] = tied_output_backward(dlogits, cache["z"], params.C)
    dh_z, g.W2[:], g.b2[:] = linear_backward(dz, cache["h"], params.W2)
    dh_copy, g.Wq[:], g.Wp[:], g.bp[:], dx_copy = copy_backward(dlogits, cache["h"], params.Wq, params.Wp,
                                                               cache["contexts"], cache["copy"])
    dh_total = dh_z + dh_copy if dh is None else dh_z + dh_copy + dh
    dx, g.W1[:], g.b1[:] = hidden_backward(dh_total, cache["x"], cache["h"], params.W1)
    # tied: C gets the output path's share and the input path's (window embeddings: MLP and pointer)
    g.C[:] = dC_out + embed_backward(dx + dx_copy, cache["contexts"], params.config.vocab_size)
    return g


def forward_in_blocks(params: Params, contexts: np.ndarray, block: int = 128):
    """Logits (B, V) and hidden states (B, H) of many rows, computed ``block`` rows at a time, for callers that need
    no backward (sampling, scoring). The numbers are those of one ``forward``; blocks keep every (block, V) array in
    the CPU cache, which made a batch of 480 rows about 1.5 times faster natively (the reward model's sampling)."""
    if len(contexts) <= block:
        logits, cache = forward(params, contexts)
        return logits, cache["h"]
    parts = [forward(params, contexts[s:s + block]) for s in range(0, len(contexts), block)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1]["h"] for p in parts])


def loss_and_grads(params: Params, contexts, targets, weights=None):
    """Mean next-token cross-entropy over the rows (weighted by ``weights``) and its gradient."""
    logits, cache = forward(params, contexts)
    loss, ce = cross_entropy_forward(logits, targets, weights)
    return loss, backward(params, cache, cross_entropy_backward(ce))


def logprobs(params: Params, contexts, targets) -> np.ndarray:
    """logp[b] = log π(targets[b] | contexts[b])   (B,)."""
    logits, _ = forward(params, contexts)
    return log_softmax(logits)[np.arange(len(targets)), targets]


# ------------------------------------------------------------------ sequences → rows
def make_rows(prompt_ids, answer_ids, context_size: int):
    """One row per token of prompt + answer: the T tokens before it (left-padded with PAD) and the token itself.
    Returns contexts (N, T), targets (N,) and answer_mask (N,): True where the target is an answer token, the only
    rows SFT trains on and the only tokens an RL stage scores."""
    seq = np.concatenate([np.full(context_size, PAD), prompt_ids, answer_ids]).astype(np.int64)
    n = len(seq) - context_size
    windows = seq[np.arange(n)[:, None] + np.arange(context_size + 1)]            # (N, T+1): window i is seq[i:i+T+1]
    return windows[:, :-1], windows[:, -1], np.arange(n) >= len(prompt_ids)


def pair_rows(prompts, answers, context_size: int):
    """Answer-token rows of many (prompt, answer) id sequences, stacked: contexts (N, T), targets (N,) and
    seq_index (N,), the pair each row belongs to, so a per-answer sum (a sequence log-prob for DPO, pooled features
    for the RM) is ``np.bincount(seq_index, weights=...)``.

    The same rows as ``make_rows`` per pair, cut in one gather: every sequence (PAD × T, prompt, answer) goes into
    one stream, and answer token j of a sequence starting at ``offset`` is predicted from the window that starts
    at offset + len(prompt) + j (one fancy index instead of hundreds of small arrays)."""
    stream, starts, lengths = [], [], []
    for p, a in zip(prompts, answers):
        starts.append(len(stream) + len(p))                                       # window of the first answer token
        lengths.append(len(a))
        stream += [PAD] * context_size + list(p) + list(a)
    lengths = np.array(lengths, dtype=np.intp)                                    # repeat counts: intp (int32 in Pyodide)
    seq_index = np.repeat(np.arange(len(lengths)), lengths)                       # (N,)
    first_row = np.cumsum(lengths) - lengths                                      # row of each answer's first token
    window_start = np.repeat(starts, lengths) + np.arange(len(seq_index)) - first_row[seq_index]
    windows = np.array(stream, dtype=np.int64)[window_start[:, None] + np.arange(context_size + 1)]
    return windows[:, :-1], windows[:, -1], seq_index
