"""The book's downloadable data sets, regenerated from a seed exactly as the lab makes them.

Three sets, each written as CSV and as JSON Lines (same rows, same columns):

    showcase-qa           50 curated question–answer pairs: every item of the toy world once, plus 15 more in a
                          second phrasing, each with its safe reference answer, category and bibliography keys
    sft-demonstrations    the lab's SFT demonstrations (world.make_sft_pairs, flaws included, as SFT sees them)
    preference-pairs      the lab's labelled answer pairs (reward_model.train_reward_model: two SFT answers per
                          prompt, labelled by the simulated annotators), with both gold rewards and a flag for labels
                          that disagree with the gold rubric

Generators are derived from the seed as run_pipeline derives them (one child Generator per stage), and the stage
settings are the pipeline's at its default controls, so these rows are the ones a default run of the simulator
trains on. Command line: ``python -m simulator_wasm datasets --seed 0 --out DIR``.

Toy facts in toy words, not clinical guidance: each item simplifies one confirmed statement of the sources listed
in its ``sources`` column (keys of the book's bibliography page).
"""

import csv
import io
import json
from functools import cache

import numpy as np

from .config import PipelineConfig, lab_settings
from .pipeline import STAGES
from .reward_model import RewardModelConfig, train_reward_model
from .world import (HELDOUT_TEMPLATE, ITEMS, SHIFTED_TEMPLATES, TRAIN_TEMPLATES, answer_tokens, make_sft_pairs,
                    make_world)

N_SHOWCASE = 50
TEMPLATES = TRAIN_TEMPLATES + (HELDOUT_TEMPLATE,) + SHIFTED_TEMPLATES

# The fact-sheet section each item cites (world.Item.source) → bibliography keys (docs/bibliography.md anchors).
# An item whose source is missing here stops the export: every showcase answer must resolve to a source.
SOURCE_KEYS = {
    "pharma.md §1 (warfarin label [W1,W2])": "label-warfarin-2014 label-warfarin-2015",
    "pharma.md §1.2 (CYP2C9 inhibitors, warfarin label [W3])": "label-warfarin-2026",
    "pharma.md §1.4 (Mahé 2005 [W9]; Hylek 1998 [W11])": "mahe-2005 hylek-1998",
    "pharma.md §2 (metformin label [M1,M2])": "label-metformin label-metformin-boxed",
    "pharma.md §3 (ZOCOR label [S1]; Lilja 1999 [S6])": "label-zocor lilja-1999",
    "pharma.md §3 (rosuvastatin metabolism [S8])": "rosuvastatin-2003",
    "pharma.md §7.2 (ZOCOR §4; lovastatin label)": "label-zocor label-lovastatin",
    "pharma.md §4 (ZESTRIL label [A1,A2,A3])": "label-lisinopril label-zestril",
    "pharma.md §4 (ZESTRIL §4, in diabetes [A2])": "label-zestril",
    "pharma.md §5 (OTC acetaminophen Drug Facts [D1])": "label-acetaminophen-otc",
    "pharma.md §5.3 (acetaminophen overdose)": "label-acetaminophen-otc schmidt-alcohol-apap",
    "pharma.md §7.1 (fluoxetine label; ZOLOFT monograph)": "label-fluoxetine label-sertraline fda-zoloft-2012",
    "pharma.md §7.3 (VIAGRA monograph; ACC/AHA 1999)": "label-viagra-ca cheitlin-1999",
}
# The seed's example categories, by the item's drug (and, for statins, what it is combined with).
CATEGORY = {"warfarin": "drug interaction", "metformin": "renal dosing", "lisinopril": "contraindication",
            "acetaminophen": "liver injury", "sertraline": "drug interaction", "fluoxetine": "drug interaction",
            "sildenafil": "drug interaction"}


def category(item) -> str:
    if item.other == "grapefruit":
        return "food interaction"
    return CATEGORY.get(item.drug, "drug interaction")


def _words(tokens) -> str:
    """Lab tokens → the text a reader sees (no "<q>" / "<eos>" markers)."""
    return " ".join(t for t in tokens if t not in ("<q>", "<eos>"))


def _rngs(seed: int):
    """(world generator, {stage: generator}), derived exactly as run_pipeline derives them."""
    world_rng, *stage_rngs = np.random.default_rng(seed).spawn(1 + len(STAGES))
    return world_rng, dict(zip(STAGES, stage_rngs))


# ------------------------------------------------------------------------------------------------ the three sets
def showcase_rows(seed: int = 0) -> list[dict]:
    """50 pairs: all items in a random phrasing, then 15 items again in a different phrasing (drawn from ``seed``)."""
    world = make_world(_rngs(seed)[0])
    rng = np.random.default_rng([seed, N_SHOWCASE])           # its own stream: never shifts a lab draw
    picks = [(i, int(rng.integers(len(TEMPLATES)))) for i in range(len(ITEMS))]
    for i in rng.choice(len(ITEMS), N_SHOWCASE - len(ITEMS), replace=False):
        first = picks[int(i)][1]
        picks.append((int(i), (first + 1 + int(rng.integers(len(TEMPLATES) - 1))) % len(TEMPLATES)))
    rows = []
    for n, (i, t) in enumerate(picks):
        item = ITEMS[i]
        rows.append({"id": n + 1, "category": category(item),
                     "question": TEMPLATES[t].format(drug=item.drug, other=item.other),
                     "answer": _words(answer_tokens(item)), "verdict": item.verdict, "risk": item.risk,
                     "mechanism": item.mechanism, "safer": item.safer, "emergency": item.emergency,
                     "in_sft": item in world.sft_items, "sources": SOURCE_KEYS[item.source]})
    return rows


def _settings(seed: int):
    """(world, SFT config) of a default pipeline run: the world from its generator, the SFT stage's settings."""
    from .sft import SFTConfig
    lab = lab_settings(PipelineConfig(seed=seed))
    return make_world(_rngs(seed)[0]), SFTConfig(expert_pairs=lab["sft_pairs"], learning_rate=lab["sft_learning_rate"])


@cache
def _sft_params(seed: int):
    """The SFT model of a default pipeline run (pretrain → SFT), which writes the answers of the preference pairs."""
    from .pretrain import PretrainConfig, run_pretrain
    from .sft import run_sft
    world, sft_config = _settings(seed)
    lab, rngs = lab_settings(PipelineConfig(seed=seed)), _rngs(seed)[1]
    params, _ = run_pretrain(world, PretrainConfig(data_tokens=lab["corpus_tokens"], epochs=lab["pretrain_epochs"]),
                             rngs["pretrain"])
    return run_sft(world, params, sft_config, rngs["sft"])[0]


def sft_rows(seed: int = 0) -> list[dict]:
    """The SFT demonstrations, drawn as run_sft draws them (with the first child of the SFT stage's generator)."""
    world, cfg = _settings(seed)
    pair_rng = _rngs(seed)[1]["sft"].spawn(3)[0]
    pairs = make_sft_pairs(world, cfg.expert_pairs, pair_rng, cfg.no_consult_frac, cfg.confident_frac, cfg.pad_frac)
    return [{"id": n + 1, "drug": p["item"].drug, "other": p["item"].other, "template": p["template"],
             "prompt": _words(p["prompt"]), "answer": _words(p["answer"]), "flaws": ";".join(p["flaws"])}
            for n, p in enumerate(pairs)]


def preference_rows(seed: int = 0) -> list[dict]:
    """The reward model's labelled pairs of a default run, with its train / held-out split."""
    world, _ = _settings(seed)
    cfg = RewardModelConfig()
    _, _, pairs = train_reward_model(world, _sft_params(seed), cfg, _rngs(seed)[1]["reward_model"])
    # the split as train_reward_model draws it (its third child generator)
    order = _rngs(seed)[1]["reward_model"].spawn(3)[2].permutation(len(pairs))
    heldout = set(order[:max(1, int(round(cfg.heldout_fraction * len(pairs))))].tolist())
    rows = []
    for n, p in enumerate(pairs):
        gold_c, gold_r = round(float(p["gold_chosen"]), 6), round(float(p["gold_rejected"]), 6)
        rows.append({"id": n + 1, "prompt": _words(p["prompt"]), "chosen": _words(p["chosen"]),
                     "rejected": _words(p["rejected"]), "labeller": p["labeller"],
                     "panel_agreement": round(float(p["agreement"]), 6), "gold_chosen": gold_c,
                     "gold_rejected": gold_r, "gold_tie": gold_c == gold_r, "label_noise": gold_c < gold_r,
                     "split": "heldout" if n in heldout else "train"})
    return rows


DATASETS = {"showcase-qa": showcase_rows, "sft-demonstrations": sft_rows, "preference-pairs": preference_rows}

# What each column means (the data card renders these tables; a test checks they match the rows).
FIELDS = {
    "showcase-qa": {
        "id": "row number, 1–50",
        "category": "kind of example: drug interaction, food interaction, renal dosing, contraindication, "
                    "liver injury",
        "question": "the question, in the lab's words (one of its six phrasings)",
        "answer": "the safe reference answer: pair, verdict, risk via mechanism, safer path, referral",
        "verdict": "fine, caution or avoid",
        "risk": "the risk the answer must name",
        "mechanism": "the one-word mechanism",
        "safer": "the safer path",
        "emergency": "true when the answer must send the reader to urgent care",
        "in_sft": "true when the lab's SFT demonstrations show this fact; false when it is held out "
                  "(stated only in the pretraining corpus)",
        "sources": "bibliography keys of the sources the item simplifies, space-separated",
    },
    "sft-demonstrations": {
        "id": "row number, in the order SFT draws them",
        "drug": "the item's drug",
        "other": "what it is combined with",
        "template": "the question phrasing, with {drug} and {other} slots",
        "prompt": "the question as the model reads it",
        "answer": "the demonstration answer (the model is trained on these tokens only)",
        "flaws": "deliberate flaws, ';'-separated: no_consult (no referral), confident (\"definitely\"), "
                 "padded (\". stay well\"); empty for a flawless answer",
    },
    "preference-pairs": {
        "id": "row number, in the order the pairs were labelled",
        "prompt": "the question both answers reply to",
        "chosen": "the answer the labeller preferred (sampled from the SFT model)",
        "rejected": "the other answer",
        "labeller": "human (a simulated panel, majority vote) or ai (the simulated AI labeller)",
        "panel_agreement": "share of the panel that voted with the majority",
        "gold_chosen": "gold reward of the chosen answer (the safe-answer rubric, 0–1)",
        "gold_rejected": "gold reward of the rejected answer",
        "gold_tie": "true when both answers have the same gold reward",
        "label_noise": "true when the label contradicts the gold rubric (the rejected answer was better)",
        "split": "train or heldout: the reward model's split",
    },
}


# ------------------------------------------------------------------------------------------------ serialisation
def cell(value) -> str:
    """A CSV cell: strings as they are, everything else as its JSON text (true, 0.925), so CSV and JSONL agree."""
    return value if isinstance(value, str) else json.dumps(value)


def to_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(rows[0]))
    writer.writerows([cell(v) for v in row.values()] for row in rows)
    return out.getvalue().encode("utf-8")


def to_jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def files(seed: int = 0) -> dict[str, bytes]:
    """{file name: bytes} for every set in both formats, e.g. "showcase-qa.csv"."""
    out = {}
    for name, make in DATASETS.items():
        rows = make(seed)
        out[f"{name}.csv"], out[f"{name}.jsonl"] = to_csv(rows), to_jsonl(rows)
    return out
