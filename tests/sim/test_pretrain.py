"""pretrain.py: data size and repetition act on validation loss as the chapter says; facts are learned; configs."""

import json

import numpy as np
import pytest

from simulator_wasm import model as M
from simulator_wasm.errors import ConfigError
from simulator_wasm.generate import prompt_windows
from simulator_wasm.pretrain import PretrainConfig, make_corpus, run_pretrain
from simulator_wasm.world import ITEMS, VERDICT_WORDS, chatter_sentence, fact_sentence, make_world

TINY = dict(data_tokens=640, epochs=1, width=16, embed_dim=8, context_size=6, val_tokens=200, batch_size=64)


def test_pinned_loss_trajectory():
    _, res = run_pretrain(make_world(0), PretrainConfig(**TINY), np.random.default_rng(0))
    pinned = [5.645163932248799, 5.525941503644616, 5.394610721586087, 5.314375081811772, 4.956554299975407,
              4.887131773929003, 5.116163416250631, 4.756245779824313, 4.794979337627267, 4.649612141957687]
    assert res["step_loss"] == pytest.approx(pinned, rel=1e-9)


def test_same_seed_same_results_whatever_the_global_numpy_rng_does():
    np.random.seed(1)
    p1, r1 = run_pretrain(make_world(0), PretrainConfig(**TINY), np.random.default_rng(7))
    np.random.seed(12345)
    np.random.random(10)
    p2, r2 = run_pretrain(make_world(0), PretrainConfig(**TINY), np.random.default_rng(7))
    assert r1 == r2 and np.array_equal(p1.flat, p2.flat)
    _, r3 = run_pretrain(make_world(0), PretrainConfig(**TINY), np.random.default_rng(8))
    assert r3["step_loss"] != r1["step_loss"]


def test_results_are_plain_json():
    _, res = run_pretrain(make_world(0), PretrainConfig(**TINY, ), np.random.default_rng(0))
    assert json.loads(json.dumps(res)) == res
    assert res["tokens"] == 640 and res["steps"] == len(res["step_loss"]) == 10 and res["flops"] > 0
    assert len(res["val_loss"]) == 2 and len(res["val_curve"]) == 5 and res["val_curve"][-1]["step"] == 10


def test_validation_loss_falls_with_data_size_at_a_fixed_number_of_steps():
    # Same compute (24,576 rows = 192 steps of 128): a small corpus repeated, or more distinct text.
    world = make_world(0)
    val = {}
    for tokens, epochs in ((1_536, 16), (6_144, 4), (24_576, 1)):
        _, res = run_pretrain(world, PretrainConfig(data_tokens=tokens, epochs=epochs), np.random.default_rng(0))
        assert res["steps"] == 192
        val[tokens] = res["val_loss"][-1]
    print("validation loss by corpus size at 192 steps:", val)
    assert val[1_536] > val[6_144] + 0.2 > val[24_576] + 0.2


def test_more_epochs_on_fixed_data_give_shrinking_gains_then_overfit():
    _, res = run_pretrain(make_world(0), PretrainConfig(data_tokens=1_536, epochs=16), np.random.default_rng(0))
    print("validation loss by epoch on 1,536 tokens:", [round(v, 3) for v in res["val_loss"]])
    val = res["val_loss"]                                              # val[e]: after e epochs
    gains = [val[a] - val[b] for a, b in ((1, 2), (2, 4), (4, 8))]     # each doubling of the epochs
    assert gains[0] > gains[1] > gains[2]
    best = int(np.argmin(val))
    assert 3 <= best <= 12 and val[-1] > val[best] + 0.2               # validation loss turns up: overfitting
    assert res["train_loss"][-1] < res["train_loss"][best - 1] - 0.2   # while training loss keeps falling


def test_pretraining_stores_the_facts_including_the_heldout_ones(pretrained):
    # Teacher-forced: after "<chatter> drug with other :", the most likely verdict word is the item's verdict.
    for seed, (world, params, _) in pretrained.items():
        rng = np.random.default_rng(5)
        verdict_ids = world.vocab.encode(list(VERDICT_WORDS))
        correct = {}
        for item in ITEMS:
            prefix = chatter_sentence(rng) + fact_sentence(item)[:len(f"{item.drug} with {item.other} :".split())]
            ctx = prompt_windows([world.vocab.encode(prefix)], params.config.context_size)
            logits, _ = M.forward(params, ctx)
            correct[item] = VERDICT_WORDS[int(np.argmax(logits[0, verdict_ids]))] == item.verdict
        assert np.mean(list(correct.values())) >= 0.85, seed
        assert np.mean([correct[i] for i in world.heldout_items]) >= 0.8, seed


def test_corpus_mixes_facts_and_chatter_in_the_requested_share():
    world = make_world(0)
    facts = sorted((" ".join(fact_sentence(i)) for i in ITEMS), key=len, reverse=True)

    def split(fraction):
        text = " ".join(world.vocab.decode(make_corpus(world, 20_000, np.random.default_rng(0), fraction)))
        n_verdicts = sum(text.split().count(v) for v in VERDICT_WORDS)    # one per fact sentence, none in chatter
        for f in facts:
            text = text.replace(f, " ")
        return n_verdicts, len(text.split())

    assert split(0.0)[0] == 0
    assert split(1.0)[1] < 25                                          # only facts (and a cut last sentence)
    n_facts, chatter_tokens = split(0.75)
    n_chatter = chatter_tokens / 9.35                                  # chatter sentences average 9.35 words
    assert 0.68 < n_facts / (n_facts + n_chatter) < 0.82


@pytest.mark.parametrize("field, value, message", [
    ("data_tokens", 100, r"pretrain\.data_tokens must be an integer in \[500, 200000\], got 100"),
    ("data_tokens", 5e3, r"pretrain\.data_tokens must be an integer in \[500, 200000\], got 5000\.0"),
    ("epochs", 0, r"pretrain\.epochs must be an integer in \[1, 200\], got 0"),
    ("epochs", True, r"pretrain\.epochs must be an integer in \[1, 200\], got True"),
    ("learning_rate", 0.0, r"pretrain\.learning_rate must be a number in \(0, 0\.3\], got 0\.0"),
    ("learning_rate", float("nan"), r"pretrain\.learning_rate must be a number in \(0, 0\.3\], got nan"),
    ("learning_rate", "0.01", r"pretrain\.learning_rate must be a number in \(0, 0\.3\], got '0\.01'"),
    ("width", 4, r"pretrain\.width must be an integer in \[8, 512\], got 4"),
    ("fact_fraction", 1.5, r"pretrain\.fact_fraction must be a number in \[0, 1\], got 1\.5"),
    ("fact_fraction", float("inf"), r"pretrain\.fact_fraction must be a number in \[0, 1\], got inf"),
])
def test_bad_config_raises_config_error_naming_field_value_and_range(field, value, message):
    with pytest.raises(ConfigError, match=message):
        PretrainConfig(**{field: value})
    assert issubclass(ConfigError, ValueError)
