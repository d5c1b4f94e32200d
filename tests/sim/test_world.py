"""world.py and vocab.py: the facts, the split that makes held-out facts pretraining-only, answers and cards."""

from collections import Counter

import numpy as np
import pytest

from simulator_wasm import world as W
from simulator_wasm.pretrain import make_corpus
from simulator_wasm.vocab import EOS, PAD, Q, build_vocab


@pytest.fixture(scope="module")
def world():
    return W.make_world(0)


def test_world_is_deterministic_per_seed_and_accepts_a_generator():
    a, b = W.make_world(3), W.make_world(np.random.default_rng(3))
    assert a.heldout_items == b.heldout_items and a.vocab.words == b.vocab.words
    assert len({W.make_world(s).heldout_items for s in range(6)}) > 1     # the split really depends on the seed


@pytest.mark.parametrize("seed", range(5))
def test_heldout_facts_cannot_be_guessed_from_the_drug_and_every_drug_keeps_sft_examples(seed):
    world = W.make_world(seed)
    assert len(world.heldout_items) >= 6
    assert set(world.sft_items) | set(world.heldout_items) == set(world.items)
    assert not set(world.sft_items) & set(world.heldout_items)
    for item in world.heldout_items:
        same_drug = Counter(o.verdict for o in world.sft_items if o.drug == item.drug)
        assert sum(same_drug.values()) >= 2
        top = max(same_drug.values())
        # the drug's most common SFT verdict is not this item's verdict (or several verdicts tie)
        assert same_drug[item.verdict] < top or list(same_drug.values()).count(top) > 1


def test_heldout_pairs_appear_in_pretraining_but_never_in_sft(world):
    pairs = W.make_sft_pairs(world, 2_000, np.random.default_rng(0))
    shown = {(p["item"].drug, p["item"].other) for p in pairs}
    assert shown == {(i.drug, i.other) for i in world.sft_items}              # every SFT item is demonstrated
    text = " ".join(" ".join(p["prompt"] + p["answer"]) for p in pairs)
    corpus = " ".join(world.vocab.decode(make_corpus(world, 20_000, np.random.default_rng(0))))
    for item in world.heldout_items:
        assert f"{item.drug} with {item.other} :" not in text
        assert " ".join(W.fact_sentence(item)) in corpus


def test_answer_restates_the_pretraining_sentence_word_for_word():
    for item in W.ITEMS:
        fact, answer = W.fact_sentence(item), W.answer_tokens(item)
        assert answer[:len(fact) - 1] == fact[:-1]
        assert answer[:4] == [item.drug, "with", *item.other.split(), ":"][:4]
        assert answer[-1] == "<eos>" and 16 <= len(answer) <= 20
        assert (set(W.URGENT_PHRASE) <= set(answer)) == item.emergency
        assert W.VERDICT_WORDS.count(item.verdict) == 1 and item.verdict in answer


def test_flaws_are_exactly_what_their_names_say():
    item = W.ITEMS[0]
    clean = W.answer_tokens(item)
    assert set(W.CONSULT_WORDS) & set(clean) and not set(W.CONFIDENT_WORDS) & set(clean)
    assert not set(W.CONSULT_WORDS) & set(W.answer_tokens(item, consult=False))
    assert set(W.CONFIDENT_WORDS) <= set(W.answer_tokens(item, confident=True))
    padded = W.answer_tokens(item, pad=2)
    assert padded[:len(clean) - 1] == clean[:-1] and " ".join(padded).count(" ".join(W.FILLER_PHRASE)) == 2
    # the confident word comes after the facts: the verdict still follows "drug with other :"
    confident = W.answer_tokens(item, confident=True)
    assert confident.index(item.verdict) == clean.index(item.verdict)


def test_default_demonstration_mix_is_30_20_5_percent(world):
    pairs = W.make_sft_pairs(world, 4_000, np.random.default_rng(1))
    share = {f: np.mean([f in p["flaws"] for p in pairs]) for f in ("no_consult", "confident", "padded")}
    assert share["no_consult"] == pytest.approx(0.30, abs=0.03)
    assert share["confident"] == pytest.approx(0.20, abs=0.03)
    assert share["padded"] == pytest.approx(0.05, abs=0.015)
    clean = W.make_sft_pairs(world, 200, np.random.default_rng(1), 0.0, 0.0, 0.0)
    assert all(p["flaws"] == [] and p["answer"] == W.answer_tokens(p["item"]) for p in clean)


def test_question_sets_use_the_right_items_and_templates(world):
    n_sft, n_held = len(world.sft_items), len(world.heldout_items)
    assert len(world.questions("train")) == 3 * n_sft
    assert len(world.questions("heldout_phrasing")) == n_sft
    assert len(world.questions("heldout_facts")) == 3 * n_held
    assert len(world.questions("shifted")) == 2 * len(world.items)
    for item, prompt in world.questions("heldout_phrasing"):
        assert prompt[0] == "<q>" and prompt[-1] == "?" and item.drug in prompt
    with pytest.raises(ValueError, match="question set must be one of"):
        world.questions("everything")


def test_every_word_is_in_the_vocabulary_and_chatter_states_no_fact(world):
    rng = np.random.default_rng(0)
    for _ in range(500):
        words = W.chatter_sentence(rng)
        world.vocab.encode(words)                                               # no KeyError
        assert not set(words) & set(W.VERDICT_WORDS)
    for item in W.ITEMS:
        world.vocab.encode(W.answer_tokens(item, consult=True, confident=True, pad=2))


def test_card_has_the_contract_fields_and_the_gold_rubric_rewards_the_canonical_answer(world):
    rubric = pytest.importorskip("simulator_wasm.rubric")
    for item in W.ITEMS:
        card = world.card(item)
        assert {"verdict", "risk_words", "mechanism_words", "safer_words", "emergency", "source"} <= set(card)
        assert card["source"].startswith("pharma.md §")
        good = rubric.grade(W.answer_tokens(item), card)
        assert good["gates"] == [] and good["reward"] >= 0.85
        assert rubric.grade(W.answer_tokens(item, confident=True), card)["reward"] < good["reward"]
        bare = W.answer_tokens(item, consult=False)
        worse = rubric.grade(bare, card)
        if item.emergency:
            assert worse["gates"] == ["G3"]                  # no urgent routing on a red-flag item
        elif not set(W.CONSULT_WORDS) & set(bare):           # (a safer path like "prescriber plan" still refers)
            assert worse["reward"] < good["reward"]


def test_vocab_has_fixed_specials_and_round_trips():
    vocab = build_vocab(["b a", ["c", "a"]])
    assert vocab.words == ("<pad>", "<eos>", "<q>", "a", "b", "c")
    assert (PAD, EOS, Q) == (0, 1, 2)
    assert vocab.decode(vocab.encode("c a <eos>")) == ["c", "a", "<eos>"]
    with pytest.raises(KeyError, match="'zebra' is not in the vocabulary"):
        vocab.encode(["zebra"])
