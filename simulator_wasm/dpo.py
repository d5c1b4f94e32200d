"""DPO: learn from the preference pairs directly, with the policy's own log-ratio as the implicit reward.

    L_DPO(θ) = −E_(x, y_c, y_r) log σ( β [(log π_θ(y_c|x) − log π_ref(y_c|x)) − (log π_θ(y_r|x) − log π_ref(y_r|x))] )
    implicit reward  r̂(x, y) = β (log π_θ(y|x) − log π_ref(y|x))                Rafailov et al. 2023, Eq. (7) and (5)

The optimum of PPO's objective, π* ∝ π_ref · exp(r / β), turned around: every policy defines a reward, and fitting
that reward to the preferences with the Bradley–Terry loss trains the policy itself, with no reward model and no
sampling. π_ref is the frozen SFT model. ``beta`` here and PPO's ``kl_coef`` (ppo.py) are both β.

Paper: Rafailov et al. 2023, "Direct Preference Optimization"; the name ``beta`` and its default 0.1 follow TRL's
DPOConfig.

Shapes: n pairs, R answer-token rows, T window, V vocabulary.

Training, in four steps:
    1. take the pairs labelled for the reward model and keep, for each, the rows where chosen and rejected differ,
    2. compute log π_ref of those rows once (the SFT model is frozen),
    3. each epoch: shuffle the pairs; per minibatch, forward the policy, the DPO loss, backward, Adam step,
    4. after each epoch, sample answers to the training questions and grade them with the gold rubric. Every
       epoch samples with the same random numbers, so a change in gold is the policy's, not the dice's.

What we simplified and why:
- Rows where chosen and rejected share the same context and token (the common opening "warfarin with ibuprofen :")
  are dropped: they add the same log-probability to both sides, so they cancel exactly in the loss and its
  gradient. DPO only ever learns from where two answers differ; skipping the rest keeps ~40% of the rows.
- TRL's sigmoid loss only (no label smoothing, no IPO/hinge variants).
"""

from dataclasses import asdict, dataclass

import numpy as np

from .annotators import answer_features, lab_grade
from .generate import generate
from .model import FLOPS, Params, backward, check_number, forward, forward_in_blocks, make_rows
from .optim import Adam
from .ppo import logp_backward, token_logp


@dataclass(frozen=True)
class DPOConfig:
    """beta           β, the strength of the pull back to π_ref, (0, 10] (TRL 0.1); PPO's kl_coef is also β
    learning_rate     η of Adam, (0, 0.1]
    epochs            passes over the pairs, 1–50
    batch_size        pairs per Adam step, 1–4,096
    response_length   max answer tokens when sampling for the gold evaluation, 4–64"""

    beta: float = 0.1
    learning_rate: float = 1e-3
    epochs: int = 2
    batch_size: int = 24
    response_length: int = 24

    def __post_init__(self):
        check_number("dpo.beta", self.beta, 0, 10, open_lo=True)
        check_number("dpo.learning_rate", self.learning_rate, 0, 0.1, open_lo=True)
        check_number("dpo.epochs", self.epochs, 1, 50, integer=True)
        check_number("dpo.batch_size", self.batch_size, 1, 4096, integer=True)
        check_number("dpo.response_length", self.response_length, 4, 64, integer=True)


def dpo_loss(chosen_logp, rejected_logp, ref_chosen_logp, ref_rejected_logp, beta):
    """Mean DPO loss over n pairs (sequence log-probs, (n,) each). Returns (loss, margins, cache).

    margins = β[(chosen_logp − ref_chosen_logp) − (rejected_logp − ref_rejected_logp)], the implicit reward margin.
    """
    margins = beta * ((chosen_logp - ref_chosen_logp) - (rejected_logp - ref_rejected_logp))     # (n,)
    return float(np.mean(np.logaddexp(0.0, -margins))), margins, (margins, beta)


def dpo_loss_backward(cache):
    """(∂L/∂chosen_logp, ∂L/∂rejected_logp) = (−β σ(−m) / n, +β σ(−m) / n)."""
    margins, beta = cache
    g = beta * 0.5 * (1.0 - np.tanh(0.5 * margins)) / len(margins)                             # β σ(−m) / n
    return -g, g


def differing_rows(world, pairs, context_size):
    """Step 1: for each pair, the (context, target) rows of chosen and of rejected that the other answer lacks.

    Returns contexts (R, T), targets (R,), pair (R,) index, side (R,) +1 chosen / −1 rejected.
    """
    ctx, tgt, pair, side = [], [], [], []
    for k, p in enumerate(pairs):
        prompt = world.vocab.encode(p["prompt"])
        rows = {}
        for s, key in ((1, "chosen"), (-1, "rejected")):
            c, t, m = make_rows(prompt, world.vocab.encode(p[key]), context_size)
            rows[s] = (c[m], t[m])
        n = min(len(rows[1][1]), len(rows[-1][1]))
        same = (rows[1][1][:n] == rows[-1][1][:n]) & np.all(rows[1][0][:n] == rows[-1][0][:n], axis=1)   # (n,)
        shared = n if same.all() else int(np.argmin(same))              # length of the common prefix
        for s in (1, -1):
            c, t = rows[s]
            ctx.append(c[shared:]), tgt.append(t[shared:])
            pair.append(np.full(len(t) - shared, k)), side.append(np.full(len(t) - shared, s))
    return np.concatenate(ctx), np.concatenate(tgt), np.concatenate(pair), np.concatenate(side)


def sequence_logp(params, contexts, targets, pair, side, n_pairs):
    """Σ log π over each pair's chosen rows and rejected rows: (n,), (n,), plus the rows' softmax probs and the cache
    for backward."""
    logits, cache = forward(params, contexts)                               # (R, V)
    logp, probs, _ = token_logp(logits, targets)                            # (R,), (R, V)
    return *pair_sums(logp, pair, side, n_pairs), probs, cache


def pair_sums(logp, pair, side, n_pairs):
    """Σ of the rows' log π over each pair's chosen rows and over its rejected rows: (n,), (n,)."""
    return (np.bincount(pair, weights=logp * (side > 0), minlength=n_pairs),
            np.bincount(pair, weights=logp * (side < 0), minlength=n_pairs))


def sampled_gold(world, params, rng, response_length, n_examples=3):
    """Step 4: one sampled answer (T = 1) per training question. Returns mean gold reward, mean length in words
    and ``n_examples`` example answers (evenly spaced over the questions, the same questions every epoch)."""
    questions = world.questions("train")
    gen = generate(params, [world.vocab.encode(p) for _, p in questions], rng, response_length)
    words = [world.vocab.decode(a) for a in gen.answers()]
    gold = [lab_grade(item, tuple(w))["reward"] for (item, _), w in zip(questions, words)]
    step = max(1, len(questions) // n_examples)
    examples = [{"question": " ".join(questions[k][1]), "answer": " ".join(words[k]), "gold": gold[k]}
                for k in range(0, len(questions), step)][:n_examples]
    return float(np.mean(gold)), float(np.mean([answer_features(w)[0] for w in words])), examples


def run_dpo(world, sft_params: Params, pairs, config: DPOConfig, rng: np.random.Generator):
    """Train a copy of the SFT model with DPO on ``pairs`` (dicts with prompt/chosen/rejected word lists).

    Returns (params, results); results["history"] has one entry per epoch (epoch 0 = the SFT model): loss, margin
    (mean implicit reward margin), accuracy (share of pairs with margin > 0), chosen_reward / rejected_reward
    (mean implicit rewards), all measured on each minibatch just before its step, then gold and length (words) of
    sampled answers after the epoch; results["samples"] example answers per epoch; results["loss"] per step.
    """
    flops0 = FLOPS.count
    order_rng, eval_rng = rng.spawn(2)
    eval_seed = int(eval_rng.integers(2**63))     # the same dice every epoch (common random numbers, see step 4)
    params = sft_params.copy()
    n = len(pairs)
    # 1. rows where the two answers differ, 2. their reference log-probs (once)
    X, Y, pair, side = differing_rows(world, pairs, params.config.context_size)
    ref_logp = token_logp(forward_in_blocks(sft_params, X)[0], Y)[0]        # (R,) no backward through π_ref
    ref_chosen_logp, ref_rejected_logp = pair_sums(ref_logp, pair, side, n)
    rows_of = [np.flatnonzero(pair == k) for k in range(n)]
    opt = Adam(params.flat.size, config.learning_rate, max_grad_norm=5.0)
    gold, length, examples = sampled_gold(world, params, np.random.default_rng(eval_seed), config.response_length)
    samples = [{"epoch": 0, **e} for e in examples]
    # at π = π_ref every margin is 0: loss log 2, and the implicit preference is a coin (accuracy 0.5)
    history = [{"epoch": 0, "loss": float(np.log(2.0)), "margin": 0.0, "accuracy": 0.5, "chosen_reward": 0.0,
                "rejected_reward": 0.0, "gold": gold, "length": length}]
    step_loss = []
    for epoch in range(1, config.epochs + 1):
        # 3. minibatches of pairs: forward, DPO loss, backward, Adam
        perm = order_rng.permutation(n)
        margins_all, chosen_all, rejected_all, losses = np.zeros(n), np.zeros(n), np.zeros(n), []
        for s in range(0, n, config.batch_size):
            ids = np.sort(perm[s:s + config.batch_size])                    # the minibatch's pairs
            rows = np.concatenate([rows_of[k] for k in ids])
            local = np.searchsorted(ids, pair[rows])                        # (R_batch,) position of each row's pair
            chosen_logp, rejected_logp, probs, cache = sequence_logp(params, X[rows], Y[rows], local, side[rows],
                                                                     len(ids))
            loss, margins, loss_cache = dpo_loss(chosen_logp, rejected_logp, ref_chosen_logp[ids],
                                                 ref_rejected_logp[ids], config.beta)
            d_chosen, d_rejected = dpo_loss_backward(loss_cache)
            dlogp = np.where(side[rows] > 0, d_chosen[local], d_rejected[local])          # (R_batch,)
            grads = backward(params, cache, logp_backward(dlogp, probs, Y[rows]))
            opt.step(params.flat, grads.flat)
            margins_all[ids] = margins
            chosen_all[ids] = config.beta * (chosen_logp - ref_chosen_logp[ids])
            rejected_all[ids] = config.beta * (rejected_logp - ref_rejected_logp[ids])
            losses.append(loss)
        step_loss += losses
        # 4. gold reward of sampled answers
        gold, length, examples = sampled_gold(world, params, np.random.default_rng(eval_seed),
                                              config.response_length)
        samples += [{"epoch": epoch, **e} for e in examples]
        history.append({"epoch": epoch, "loss": float(np.mean(losses)), "margin": float(margins_all.mean()),
                        "accuracy": float(np.mean(margins_all > 0)), "chosen_reward": float(chosen_all.mean()),
                        "rejected_reward": float(rejected_all.mean()), "gold": gold, "length": length})
    return params, {"history": history, "samples": samples, "loss": [float(x) for x in step_loss],
                    "rows": int(len(Y)), "flops": int(FLOPS.count - flops0), "config": asdict(config)}
