"""Reward model: a Bradley–Terry head on frozen SFT features, trained on simulated preference labels.

    P(y_c ≻ y_r | x) = σ(r(x, y_c) − r(x, y_r)),      r(x, y) = w · φ̂(x, y)
    L_RM(w) = −(1/n) Σ log σ(r(x, y_c) − r(x, y_r)) + (λ/2) ‖w‖²

φ(x, y) = [Σ_t h_t , mean_t log π_SFT(y_t | ·), min_t log π_SFT(y_t | ·)]: the frozen SFT model's hidden states
SUM-pooled over the answer tokens (so the score can see length, as a real RM can, and can learn to love it when the
labels do), plus how surprised the SFT model is by the answer (a wrong verdict or a garbled slot is surprising).
φ̂ is φ standardised on the training answers, so one learning rate suits every feature. After training, r is
shifted and scaled so that SFT answers score mean 0 and standard deviation 1 (Ziegler et al. 2019's
lm-human-preferences "normalize_after": "so the KL coefficient always has the same meaning").

Papers: Bradley & Terry 1952; Stiennon et al. 2020 §3.4 and Ouyang et al. 2022 §3.5 Eq. (1) (the loss).

Shapes: n pairs, N answer-token rows, H hidden, F = H + 2 features.

Training, numbered as in the chapter:
    1. sample two answers per prompt from the SFT model (T = 1),
    2. label each pair with simulated annotators (annotators.py: noisy, biased, some pairs by an AI labeller),
    3. compute frozen features φ for every answer (pooled from the SFT model's pass while sampling them),
    4. fit w by full-batch Adam on L_RM, then measure held-out accuracy against the labels and against the gold.

What we simplified and why:
- A linear head on frozen features instead of fine-tuning a copy of the LM: the RM then costs one forward pass,
  and "what the RM can see" is a short list a reader can check. The bias term cancels in σ(r_c − r_r), so there is
  none.
- Pairs are independent examples; InstructGPT puts all K-choose-2 pairs of one prompt in one batch element.
"""

from dataclasses import asdict, dataclass

import numpy as np

from .annotators import (AI_CONFIDENCE_BIAS, AI_LENGTH_BIAS, CONFIDENCE_BIAS, LENGTH_BIAS, answer_features,
                         label_pairs, label_summary, lab_card)
from .generate import generate
from .model import FLOPS, Params, check_number, forward_in_blocks, log_softmax, pair_rows
from .optim import Adam


@dataclass(frozen=True)
class RewardModelConfig:
    """n_pairs            prompts sampled for comparison (identical answer pairs are dropped), 20–5,000
    n_annotators         humans voting on each pair, 1–15 (majority vote)
    label_noise          σ, each annotator's utility noise in gold-reward units, [0, 5]
    length_bias          human utility per answer word, [−1, 1]         (humans like longer answers)
    confidence_bias      human utility for a confident word, [−1, 1]    ("definitely" sounds competent)
    ai_fraction          share of pairs labelled by the AI labeller instead, [0, 1]
    ai_length_bias       the AI labeller's utility per word, [−1, 1]
    ai_confidence_bias   the AI labeller's utility for a confident word, [−1, 1]
    learning_rate        η of Adam on the head, (0, 1]
    steps                full-batch Adam steps, 1–5,000
    weight_decay         λ of the L2 penalty on w, [0, 1]
    heldout_fraction     share of pairs kept for evaluation, [0.05, 0.5]
    max_new_tokens       answer length limit when sampling, 4–64"""

    n_pairs: int = 240
    n_annotators: int = 3
    label_noise: float = 0.1
    length_bias: float = LENGTH_BIAS
    confidence_bias: float = CONFIDENCE_BIAS
    ai_fraction: float = 0.0
    ai_length_bias: float = AI_LENGTH_BIAS
    ai_confidence_bias: float = AI_CONFIDENCE_BIAS
    learning_rate: float = 0.05
    steps: int = 300
    weight_decay: float = 0.01
    heldout_fraction: float = 0.25
    max_new_tokens: int = 24

    def __post_init__(self):
        check_number("rm.n_pairs", self.n_pairs, 20, 5_000, integer=True)
        check_number("rm.n_annotators", self.n_annotators, 1, 15, integer=True)
        check_number("rm.label_noise", self.label_noise, 0, 5)
        for name in ("length_bias", "confidence_bias", "ai_length_bias", "ai_confidence_bias"):
            check_number("rm." + name, getattr(self, name), -1, 1)
        check_number("rm.ai_fraction", self.ai_fraction, 0, 1)
        check_number("rm.learning_rate", self.learning_rate, 0, 1, open_lo=True)
        check_number("rm.steps", self.steps, 1, 5_000, integer=True)
        check_number("rm.weight_decay", self.weight_decay, 0, 1)
        check_number("rm.heldout_fraction", self.heldout_fraction, 0.05, 0.5)
        check_number("rm.max_new_tokens", self.max_new_tokens, 4, 64, integer=True)


class RewardModel:
    """The frozen SFT model (feature extractor), the feature standardisation (mean, std), the head w and the
    output normalisation r = (φ̂·w − shift) / scale."""

    def __init__(self, sft_params: Params, mean, std, w, shift=0.0, scale=1.0):
        self.sft_params, self.mean, self.std, self.w = sft_params, mean, std, w
        self.shift, self.scale = shift, scale


def sft_forward(sft_params, contexts, targets, seq_index, n_seq):
    """One forward pass of the frozen SFT model over answer-token rows.

    Returns ref_logp (N,) = log π_SFT(target | context) and features φ (n_seq, H + 2) per answer. PPO calls this once
    per iteration: the same pass gives the KL reference and the RM's input.
    """
    logits, h = forward_in_blocks(sft_params, contexts)                      # (N, V), (N, H)
    ref_logp = log_softmax(logits)[np.arange(len(targets)), targets]         # (N,)
    return ref_logp, pool_features(h, ref_logp, seq_index, n_seq)


def pool_features(h, ref_logp, seq_index, n_seq):
    """φ (n_seq, H + 2) from the SFT model's answer-token rows: hidden states h (N, H) summed per answer, log π_SFT
    (N,) averaged and minimised per answer."""
    # Rows come grouped by answer (seq_index non-decreasing, every answer has ≥ 1 token): pool with reduceat.
    starts = np.searchsorted(seq_index, np.arange(n_seq))
    pooled = np.add.reduceat(h, starts, axis=0)                              # (n_seq, H): sum over answer tokens
    count = np.diff(np.append(starts, len(ref_logp)))                       # (n_seq,) answer lengths
    mean_logp = np.add.reduceat(ref_logp, starts) / count
    min_logp = np.minimum.reduceat(ref_logp, starts)
    return np.column_stack([pooled, mean_logp, min_logp])


def features(sft_params, prompts, answers):
    """φ for (prompt ids, answer ids) pairs: (n, H + 2)."""
    X, Y, idx = pair_rows(prompts, answers, sft_params.config.context_size)
    return sft_forward(sft_params, X, Y, idx, len(answers))[1]


def score(rm: RewardModel, phi: np.ndarray) -> np.ndarray:
    """r = (w · standardised φ − shift) / scale, (n,)."""
    return (((phi - rm.mean) / rm.std) @ rm.w - rm.shift) / rm.scale


def bt_loss(w, dphi, weight_decay):
    """L(w) = mean softplus(−dphi·w) + (λ/2)‖w‖², dphi = φ̂_c − φ̂_r (n, F). Returns (L, margins)."""
    margins = dphi @ w                                                      # (n,) r_c − r_r
    return float(np.mean(np.logaddexp(0.0, -margins)) + 0.5 * weight_decay * w @ w), margins


def bt_loss_backward(w, dphi, margins, weight_decay):
    """∂L/∂w = −mean(σ(−m) dphi) + λ w."""
    return -(dphi.T @ (0.5 * (1.0 - np.tanh(0.5 * margins)))) / len(margins) + weight_decay * w


def sample_answer_pairs(world, sft_params, n_pairs, rng, max_new_tokens):
    """Step 1: n_pairs train prompts (drawn with replacement), two SFT answers each (T = 1), as word lists."""
    return _sample_with_features(world, sft_params, n_pairs, rng, max_new_tokens)[:4]


def _sample_with_features(world, sft_params, n_pairs, rng, max_new_tokens):
    """Step 1, plus step 3 for free: sampling ran the SFT model over every answer token, so φ of each answer is
    pooled from the hidden states and log-probs recorded on the way. Returns items, prompts, answers a, answers b,
    φ(a) and φ(b) (n_pairs, H + 2) each."""
    questions = world.questions("train")
    picks = rng.integers(len(questions), size=n_pairs)
    items = [questions[k][0] for k in picks]
    prompts = [questions[k][1] for k in picks]
    ids = [world.vocab.encode(p) for p in prompts]
    gen = generate(sft_params, ids + ids, rng, max_new_tokens, keep_hidden=True)   # both answers in one batch
    answers = [world.vocab.decode(a) for a in gen.answers()]
    phi = pool_features(gen.hidden[gen.mask], gen.logp[gen.mask], np.nonzero(gen.mask)[0], 2 * n_pairs)
    return items, prompts, answers[:n_pairs], answers[n_pairs:], phi[:n_pairs], phi[n_pairs:]


def pair_features(world, sft_params, pairs):
    """Step 3: φ of every chosen and rejected answer, (n, F) each."""
    enc = world.vocab.encode
    prompts = [enc(p["prompt"]) for p in pairs]
    answers = [enc(p["chosen"]) for p in pairs] + [enc(p["rejected"]) for p in pairs]
    phi = features(sft_params, prompts + prompts, answers)
    return phi[:len(pairs)], phi[len(pairs):]


def train_reward_model(world, sft_params, config: RewardModelConfig, rng: np.random.Generator, pairs=None):
    """Train the RM. Returns (rm, results, pairs); pass ``pairs`` to reuse labelled pairs (DPO trains on the same).

    results: accuracy / accuracy_gold on held-out pairs, train_accuracy, loss per step, chosen_scores and
    rejected_scores (held-out lists, for the score-distribution chart), label agreement, length slope, flops.
    """
    flops0 = FLOPS.count
    sample_rng, label_rng, split_rng = rng.spawn(3)
    if pairs is None:
        # 1. sample (3. φ of every answer comes with the sample), 2. label
        items, prompts, a, b, phi_a, phi_b = _sample_with_features(world, sft_params, config.n_pairs, sample_rng,
                                                                   config.max_new_tokens)
        pairs = label_pairs(prompts, a, b, [lab_card(i) for i in items], label_rng,
                            n_annotators=config.n_annotators, label_noise=config.label_noise,
                            length_bias=config.length_bias, confidence_bias=config.confidence_bias,
                            ai_fraction=config.ai_fraction, ai_length_bias=config.ai_length_bias,
                            ai_confidence_bias=config.ai_confidence_bias)
        k = np.array([p["index"] for p in pairs], dtype=np.int64)
        a_won = np.array([p["chosen"] == a[i] for p, i in zip(pairs, k)], dtype=bool)[:, None]
        phi_c, phi_r = np.where(a_won, phi_a[k], phi_b[k]), np.where(a_won, phi_b[k], phi_a[k])
    else:
        # 3. frozen features of the given pairs: one forward pass of the SFT model
        phi_c, phi_r = pair_features(world, sft_params, pairs)
    # standardised on the training answers
    n_test = max(1, int(round(config.heldout_fraction * len(pairs))))
    order = split_rng.permutation(len(pairs))
    test, train = order[:n_test], order[n_test:]
    both = np.concatenate([phi_c[train], phi_r[train]])
    mean, std = both.mean(axis=0), both.std(axis=0) + 1e-8
    dphi = (phi_c[train] - phi_r[train]) / std                               # (n_train, F)
    # 4. full-batch Adam on the Bradley–Terry loss
    w = np.zeros(phi_c.shape[1])
    opt = Adam(w.size, config.learning_rate)
    losses = []
    for _ in range(config.steps):
        loss, margins = bt_loss(w, dphi, config.weight_decay)
        opt.step(w, bt_loss_backward(w, dphi, margins, config.weight_decay))
        losses.append(loss)
    # normalise: SFT answers (both sides of the training pairs) score mean 0, std 1
    raw = ((both - mean) / std) @ w
    rm = RewardModel(sft_params, mean, std, w, float(raw.mean()), float(raw.std() + 1e-8))
    r_c, r_r = score(rm, phi_c), score(rm, phi_r)
    gold_c = np.array([p["gold_chosen"] for p in pairs])
    gold_r = np.array([p["gold_rejected"] for p in pairs])
    decided = test[gold_c[test] != gold_r[test]]
    right_way = np.sign(r_c - r_r) == np.sign(gold_c - gold_r)
    words = np.array([answer_features(p["chosen"])[0] for p in pairs] + [answer_features(p["rejected"])[0]
                                                                          for p in pairs], dtype=float)
    scores = np.concatenate([r_c, r_r])
    results = {
        "accuracy": float(np.mean(r_c[test] > r_r[test])),
        "accuracy_gold": float(np.mean(right_way[decided])) if len(decided) else None,
        "train_accuracy": float(np.mean(r_c[train] > r_r[train])),
        "loss": [float(x) for x in losses],
        "chosen_scores": [float(x) for x in r_c[test]],
        "rejected_scores": [float(x) for x in r_r[test]],
        "score_per_word": float(np.polyfit(words, scores, 1)[0]) if np.ptp(words) > 0 else 0.0,
        "labels": label_summary(pairs),
        "n_pairs": len(pairs), "n_train": int(len(train)), "n_test": int(len(test)),
        "flops": int(FLOPS.count - flops0), "config": asdict(config),
    }
    return rm, results, pairs
