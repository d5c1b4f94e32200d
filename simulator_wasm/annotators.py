"""Simulated annotators: noisy, biased readers of the gold rubric, plus an AI labeller with a bias of its own.

Each human annotator i judges an answer y to question x by

    u_i(x, y) = R(x, y) + length_bias · words(y) + confidence_bias · [y sounds sure] + σ · ε_i,   ε_i ~ N(0, 1)

where R is the gold rubric (rubric.py) and σ is ``label_noise``. For a pair (y_a, y_b) every annotator votes for the
answer with the larger u_i and the majority wins (a tie in an even panel is a coin flip), so the label is a noisy,
biased read of the gold preference, as in InstructGPT's labelling (Ouyang et al. 2022, §3.4: trained labellers
agree 72.6 ± 1.5% of the time). An AI labeller (RLAIF, Bai et al. 2022 "Constitutional AI"; Lee et al. 2023)
judges with its own, different bias, ``ai_length_bias`` and ``ai_confidence_bias``, and little noise: it is
consistent, which is exactly why its bias is learned so cleanly. ``ai_fraction`` of the pairs are labelled by it.

The output is a list of preference pairs {prompt, chosen, rejected, ...} that reward_model.py and dpo.py train on;
each pair keeps both gold rewards so a chart can tell "agrees with the labels" from "agrees with the gold".

What we simplified and why:
- Biases are linear in two visible features (length in words, a confident word). Real labeller biases are richer,
  but these two are the ones the book's reward-hacking story needs, and a reader can see both in an answer.
- Annotators are interchangeable (one σ, one bias). Real panels differ per person; one number keeps the
  noise-vs-accuracy chart readable.
"""

from functools import lru_cache

import numpy as np

from .rubric import CONFIDENT_WORDS, count_words, grade, with_length_limit
from .world import answer_tokens, card

# Defaults (the RewardModelConfig fields use them; their doc lines live there).
LENGTH_BIAS = 0.08         # utility per word: ". stay well" adds 0.16, more than the 0.075 the rubric takes off
CONFIDENCE_BIAS = 0.05     # humans trust a confident tone a little
AI_LENGTH_BIAS = 0.0
AI_CONFIDENCE_BIAS = 0.3   # the AI labeller loves "definitely"
AI_NOISE = 0.05


@lru_cache(maxsize=None)
def lab_card(item):
    """The rubric card of a lab item, with the lab's length limit (a complete answer; rubric.with_length_limit).

    Cached per item (items are frozen): treat the returned dict as read-only.
    """
    return with_length_limit(card(item), answer_tokens(item))


@lru_cache(maxsize=1 << 16)
def lab_grade(item, words: tuple) -> dict:
    """rubric.grade of an answer (a tuple of words) to a lab item, memoised: a converging policy repeats its answers,
    and PPO, DPO and the evaluation grade the same ones again. Treat the returned dict as read-only."""
    return grade(list(words), lab_card(item))


def answer_features(answer):
    """(words, sounds_sure) of an answer given as word tokens; the two things annotators are biased by."""
    return count_words(answer), float(any(t in CONFIDENT_WORDS for t in answer))


def biased_utility(answer, gold, length_bias, confidence_bias):
    """The noise-free part of a judge's utility: gold reward plus the judge's taste."""
    words, sure = answer_features(answer)
    return gold + length_bias * words + confidence_bias * sure


def panel_vote(u_a, u_b, rng, n_annotators, label_noise):
    """Majority vote of n annotators, each adding its own N(0, σ²) to both utilities.

    Returns (a_wins, agreement), agreement = share of the panel that voted with the majority.
    """
    noise = label_noise * rng.standard_normal((n_annotators, 2))          # (n_annotators, 2): one draw per answer
    votes_a = int(np.sum(u_a + noise[:, 0] > u_b + noise[:, 1]))
    votes_b = n_annotators - votes_a
    if votes_a == votes_b:
        a_wins = bool(rng.random() < 0.5)
    else:
        a_wins = votes_a > votes_b
    return a_wins, max(votes_a, votes_b) / n_annotators


def label_pairs(prompts, answers_a, answers_b, cards, rng, *, n_annotators=3, label_noise=0.1,
                length_bias=LENGTH_BIAS, confidence_bias=CONFIDENCE_BIAS, ai_fraction=0.0,
                ai_length_bias=AI_LENGTH_BIAS, ai_confidence_bias=AI_CONFIDENCE_BIAS, ai_noise=AI_NOISE):
    """Label each (prompt, answer_a, answer_b, card) and return preference pairs as plain dicts.

    prompts, answers_a, answers_b: lists of word-token lists (answers end with "<eos>" when finished);
    cards: the rubric card of each prompt's item. Identical answers carry no preference and are skipped.
    Each pair: {"prompt", "chosen", "rejected", "labeller": "human" | "ai", "agreement",
    "gold_chosen", "gold_rejected", "index"} where index is the position of the pair's prompt in the inputs.
    """
    cache = {}

    def gold(answer, item_card):
        key = (id(item_card), tuple(answer))                      # the same answer recurs for the same card
        if key not in cache:
            cache[key] = grade(answer, item_card)["reward"]
        return cache[key]

    pairs = []
    for i, (prompt, a, b, item_card) in enumerate(zip(prompts, answers_a, answers_b, cards)):
        if list(a) == list(b):
            continue
        gold_a, gold_b = gold(a, item_card), gold(b, item_card)
        if rng.random() < ai_fraction:
            u_a = biased_utility(a, gold_a, ai_length_bias, ai_confidence_bias)
            u_b = biased_utility(b, gold_b, ai_length_bias, ai_confidence_bias)
            a_wins, agreement = panel_vote(u_a, u_b, rng, 1, ai_noise)
            labeller = "ai"
        else:
            u_a = biased_utility(a, gold_a, length_bias, confidence_bias)
            u_b = biased_utility(b, gold_b, length_bias, confidence_bias)
            a_wins, agreement = panel_vote(u_a, u_b, rng, n_annotators, label_noise)
            labeller = "human"
        chosen, rejected = (a, b) if a_wins else (b, a)
        pairs.append({"prompt": list(prompt), "chosen": list(chosen), "rejected": list(rejected),
                      "labeller": labeller, "agreement": float(agreement),
                      "gold_chosen": gold_a if a_wins else gold_b, "gold_rejected": gold_b if a_wins else gold_a,
                      "index": i})
    return pairs


def label_summary(pairs):
    """How often labels agree with the gold preference (ties in gold count as half), per labeller."""
    out = {}
    for who in ("human", "ai", "all"):
        sel = [p for p in pairs if who == "all" or p["labeller"] == who]
        if sel:
            agree = [1.0 if p["gold_chosen"] > p["gold_rejected"] else 0.5 if p["gold_chosen"] == p["gold_rejected"]
                     else 0.0 for p in sel]
            out[who] = {"pairs": len(sel), "gold_agreement": float(np.mean(agree)),
                        "panel_agreement": float(np.mean([p["agreement"] for p in sel]))}
    return out
