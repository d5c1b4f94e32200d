"""The Pharmaceutical applications and Challenges & solutions chapters: markers, the pharmacovigilance arithmetic,
citations, the challenge explorer, and the lab claims their prose makes (relations on the same cached runs, never
numbers copied from a run).

The lab runs are cached per process (build_charts/figures/pharma.py and challenges.py), so the chart tests and the
claim tests share one set of runs (≈ 10 s of CPU).
"""

import math
import re

import numpy as np
import pytest

from build_charts import figures, lab, registry  # noqa: F401  (figures registers charts and lab texts)
from build_charts.figures import _runs, challenges, pharma
from build_charts.figures.pharma import TwoByTwo
from build_charts.render import figure_json
from simulator_wasm.annotators import label_pairs, lab_card
from simulator_wasm.reward_model import RewardModelConfig, train_reward_model
from tests.support import ROOT, chart_ids, lab_ids
from tests.support import page_source as source

PAGES = ("pharma-applications.md", "challenges.md")
CHARTS = {"pharma-applications.md": ("pharma-stage-ablation",),
          "challenges.md": ("challenges-annotation-noise", "challenges-reward-hacking",
                            "challenges-distribution-shift", "challenges-label-scaling")}
# Real drugs and foods the chapters discuss: a paragraph naming one must cite a source.
DRUG_WORDS = ("warfarin", "ibuprofen", "naproxen", "aspirin", "nsaid", "acetaminophen", "paracetamol", "metformin",
              "simvastatin", "atorvastatin", "pravastatin", "rosuvastatin", "lovastatin", "statin", "grapefruit",
              "lisinopril", "aliskiren", "sacubitril", "spironolactone", "amiodarone", "fluconazole", "metronidazole",
              "ace inhibitor")


# ------------------------------------------------------------------------------------------------ markers
@pytest.mark.parametrize("md", PAGES)
def test_every_marker_names_a_registered_chart_or_lab_text(md):
    text = source(md)
    assert set(chart_ids(text)) == set(CHARTS[md]), "each chapter shows exactly its charts"
    unknown = set(lab_ids(text)) - set(lab.known_ids())
    assert not unknown, f"{md}: lab markers without a text function: {sorted(unknown)}"


@pytest.mark.parametrize("md", PAGES)
def test_every_lab_text_of_a_page_renders(md):
    for text_id in set(lab_ids(source(md))):
        out = lab.build(text_id)
        assert out.strip() and "nan" not in out.lower().split(), (text_id, out)


@pytest.mark.parametrize("chart_id", [c for cs in CHARTS.values() for c in cs])
def test_charts_are_titled_labelled_valid_and_name_their_seed(chart_id):
    chart = registry.build(chart_id)
    layout = chart.figure["layout"]
    assert layout["title"]["text"] and "seed" in layout["title"]["text"]
    assert layout["xaxis"]["title"]["text"] and layout["yaxis"]["title"]["text"]
    assert len(chart.alt) > 120 and "seed" in chart.alt
    figure_json(chart)   # validated against Plotly's schema
    for trace in chart.figure["data"]:
        assert trace["type"] in ("scatter", "bar"), "the cartesian Plotly bundle draws these"
        assert all(math.isfinite(v) for v in trace["y"]), trace["name"]


# ------------------------------------------------------------------------------------- pharmacovigilance
def hand(a, b, c, d) -> dict:
    """The fact sheet's formulas, written out again independently of pharma.py."""
    n = a + b + c + d
    expected = [(a + b) * (a + c) / n, (a + b) * (b + d) / n, (c + d) * (a + c) / n, (c + d) * (b + d) / n]
    chi2 = sum((max(0.0, abs(o - e) - 0.5)) ** 2 / e for o, e in zip((a, b, c, d), expected))   # Yates, cell form
    ror = (a / b) / (c / d)
    half = 1.96 * math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return {"prr": (a / (a + b)) / (c / (c + d)), "ror": ror, "lo": ror * math.exp(-half),
            "hi": ror * math.exp(half), "chi2": chi2}


def test_pv_formulas_on_a_table_worked_by_hand():
    t = TwoByTwo("check", a=10, b=90, c=20, d=880)
    assert pharma.prr(t) == pytest.approx(0.1 / (20 / 900))            # = 4.5
    assert pharma.prr(t) == pytest.approx(4.5)
    assert pharma.ror(t) == pytest.approx(10 * 880 / (90 * 20))        # = 4.888…
    lo, hi = pharma.ror_ci(t)
    assert lo < pharma.ror(t) < hi and math.log(hi) - math.log(pharma.ror(t)) == pytest.approx(
        1.96 * math.sqrt(1 / 10 + 1 / 90 + 1 / 20 + 1 / 880))


@pytest.mark.parametrize("t", pharma.ILLUSTRATIVE, ids=lambda t: t.name)
def test_pv_functions_match_the_hand_formulas(t):
    h = hand(t.a, t.b, t.c, t.d)
    assert pharma.prr(t) == pytest.approx(h["prr"])
    assert pharma.ror(t) == pytest.approx(h["ror"])
    assert pharma.ror_ci(t) == pytest.approx((h["lo"], h["hi"]))
    if abs(t.a * t.d - t.b * t.c) > (t.a + t.b + t.c + t.d) / 2:   # the cell form needs no clipping then
        assert pharma.chi2_yates(t) == pytest.approx(h["chi2"])
    assert pharma.evans_signal(t) == (t.a >= 3 and h["prr"] >= 2 and h["chi2"] >= 4)


def test_the_worked_example_prints_what_the_formulas_give():
    a = pharma.ILLUSTRATIVE[0]
    h = hand(a.a, a.b, a.c, a.d)
    assert lab.build("pv-a-prr") == f"{h['prr']:.2f}"
    assert lab.build("pv-a-ror") == f"{h['ror']:.2f}"
    assert (lab.build("pv-a-ror-lo"), lab.build("pv-a-ror-hi")) == (f"{h['lo']:.2f}", f"{h['hi']:.2f}")
    assert lab.build("pv-a-chi2") == f"{h['chi2']:.2f}"
    assert lab.build("pv-a-a") == f"{a.a:,}" and lab.build("pv-a-drug-total") == f"{a.a + a.b:,}"


def test_claims_about_the_three_illustrative_tables():
    a, b, c = pharma.ILLUSTRATIVE
    assert pharma.evans_signal(a) and not pharma.evans_signal(b) and not pharma.evans_signal(c)
    assert pharma.ror_ci(a)[0] > 1, "table A's interval excludes 1"
    assert pharma.prr(b) == pytest.approx(pharma.prr(a)) and b.a < 3, "B: same PRR, too few cases"
    assert pharma.ror_ci(b)[0] < 1 < pharma.ror_ci(b)[1] and pharma.chi2_yates(b) < 4
    assert abs(pharma.prr(c) - 1) < 0.05, "C: no disproportion"
    assert "invented" in lab.build("pv-table-a").lower() and "invented" in lab.build("pv-signals-table").lower()


# ------------------------------------------------------------------------------------------- citations
def paragraphs(text: str) -> list[str]:
    """Prose paragraphs (blank-line separated) outside code, chart and lab fences; headings and tables dropped."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    out = []
    for para in re.split(r"\n\s*\n", text):
        lines = [ln for ln in para.splitlines() if not ln.lstrip().startswith(("#", "|", "===", "???", "!!!"))]
        if lines:
            out.append(" ".join(ln.strip() for ln in lines))
    return out


@pytest.mark.parametrize("md", PAGES)
def test_every_drug_paragraph_carries_a_citation(md):
    missing = [p[:100] for p in paragraphs(source(md))
               if any(w in p.lower() for w in DRUG_WORDS) and "](bibliography.md#" not in p]
    assert not missing, f"{md}: paragraphs naming a drug without a citation: {missing}"


@pytest.mark.parametrize("md", PAGES)
def test_every_citation_resolves_in_the_bibliography(md):
    keys = set(re.findall(r"\]\(bibliography\.md#([a-z0-9-]+)\)", source(md)))
    assert keys, "the chapter cites its sources"
    anchors = set(re.findall(r'id="([a-z0-9-]+)"', source("bibliography.md")))
    assert keys <= anchors, f"{md}: keys missing from bibliography.md: {sorted(keys - anchors)}"


def test_pharma_chapter_opens_with_the_medical_disclaimer():
    head = source("pharma-applications.md").split("\n## ", 1)[0]
    assert re.search(r"^!!! (danger|warning) \"Teaching material, not clinical advice\"", head, flags=re.M)
    assert "not" in head and "substitute" in head


@pytest.mark.parametrize("md", PAGES)
def test_chapters_end_with_study_questions_and_discussion(md):
    text = source(md)
    heads = [h for h in re.findall(r"^## (.+)$", text, flags=re.M) if h != "Self-check quiz"]   # quizzes.py's
    assert heads[-2:] == ["Study questions", "Discussion topics"]
    questions = text.count("???+ question")
    assert questions >= 5 and text.count('??? note "Answer"') == questions


# -------------------------------------------------------------------------------------------- explorer
def explorer(text: str) -> str:
    return text.split("## Challenge explorer", 1)[1].split("\n## ", 1)[0]


def test_the_explorer_has_one_tab_per_challenge():
    tabs = re.findall(r'^=== "(.+)"$', explorer(source("challenges.md")), flags=re.M)
    assert len(tabs) == 4
    for tab, word in zip(tabs, ("annotation", "reward hacking", "distribution shift", "scalability")):
        assert word in tab.lower()
    body = re.split(r'(?m)^=== ".+"$', explorer(source("challenges.md")))[1:]
    for part in body:
        for section in ("**The problem.**", "**A real example.**", "**Solutions, and how to implement them.**",
                        "**In the lab:**"):
            assert section in part
        assert part.count("\n    - *") >= 3, "several solutions"
    for anchor in re.findall(r"\(#(experiment-[a-z-]+)\)", explorer(source("challenges.md"))):
        assert "{#" + anchor + "}" in source("challenges.md"), anchor


def test_the_diagram_is_accessible_and_included():
    svg = (ROOT / "docs/diagrams/one-question-flow.svg").read_text()
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg and "http://" not in svg.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert '--8<-- "diagrams/one-question-flow.svg"' in source("pharma-applications.md")


# ---------------------------------------------------------------------------------- the lab's shortcuts
def test_fit_head_is_train_reward_models_head():
    """challenges.fit_head on a training split gives exactly what train_reward_model fits on the same pairs."""
    p = challenges.pool()
    idx = p["train"][:60]
    a_wins, _ = challenges.label(idx, np.random.default_rng(5))
    pairs = [{"prompt": p["prompts"][k], "chosen": p["a"][k] if w else p["b"][k],
              "rejected": p["b"][k] if w else p["a"][k], "gold_chosen": 0.0, "gold_rejected": 0.0,
              "labeller": "human", "agreement": 1.0}
             for k, w in zip(idx, a_wins)]
    config = RewardModelConfig(steps=50)
    rng = np.random.default_rng(11)
    rm, _, _ = train_reward_model(_runs.world(_runs.SEED), _runs.sft(_runs.SEED)[0], config, rng, pairs=pairs)
    split_rng = np.random.default_rng(11).spawn(3)[2]
    n_test = max(1, int(round(config.heldout_fraction * len(pairs))))
    train = np.sort(split_rng.permutation(len(pairs))[n_test:])
    mine = challenges.fit_head(np.where(a_wins[train, None], p["phi_a"][idx[train]], p["phi_b"][idx[train]]),
                               np.where(a_wins[train, None], p["phi_b"][idx[train]], p["phi_a"][idx[train]]),
                               _runs.sft(_runs.SEED)[0], config)
    assert np.allclose(mine.w, rm.w) and np.allclose(mine.mean, rm.mean) and np.isclose(mine.scale, rm.scale)


@pytest.mark.parametrize("panel", [{"n_annotators": 5, "label_noise": 1.0}, {"ai_fraction": 0.5}])
def test_label_is_label_pairs(panel):
    p = challenges.pool()
    idx = p["train"][:80]
    mine, agreement = challenges.label(idx, np.random.default_rng(3), **panel)
    theirs = label_pairs([p["prompts"][k] for k in idx], [p["a"][k] for k in idx], [p["b"][k] for k in idx],
                         [lab_card(p["items"][k]) for k in idx], np.random.default_rng(3), **panel)
    assert [q["chosen"] == p["a"][k] for q, k in zip(theirs, idx)] == mine.tolist()
    assert [q["agreement"] for q in theirs] == agreement.tolist()


# ------------------------------------------------------------------------------------------ lab claims
# Sentences of the chapters that describe what the lab did; if a change to the lab breaks one, fix the prose.
def ev(key: str) -> dict:
    return pharma.sampled_eval(key)


def test_claim_each_stage_adds_gold_and_preference_training_adds_safety():
    assert ev("base")["gold"] < ev("scratch")["gold"] < ev("sft")["gold"] < ev("ppo")["gold"]
    assert ev("sft")["gold"] < ev("dpo")["gold"]
    assert ev("base")["safety"] < ev("sft")["safety"] < ev("ppo")["safety"]
    assert ev("sft")["safety"] < ev("dpo")["safety"]
    assert ev("ppo")["gates"]["G3"] < ev("sft")["gates"]["G3"]
    assert ev("sft")["referral"] < ev("ppo")["referral"] and ev("sft")["referral"] < ev("dpo")["referral"]
    assert ev("sft")["confident"] > 0, "SFT copied the demonstrators' 'definitely'"


def test_claim_verdicts_barely_move_after_sft():
    assert abs(ev("ppo")["accuracy"] - ev("sft")["accuracy"]) < 0.1
    assert ev("scratch")["accuracy"] < ev("sft")["accuracy"], "without pretraining, unseen facts are guesses"


def test_claim_preference_training_raises_safety_humility_and_ethics():
    for name, _, measure in pharma.PILLARS:
        if name in ("Safety", "Humility", "Ethics"):
            sft = pharma.pillar_value("sft", measure)
            assert pharma.pillar_value("ppo", measure) > sft and pharma.pillar_value("dpo", measure) > sft, name


def test_claim_noise_free_labels_are_biased_and_noise_pulls_towards_chance():
    s = challenges.noise_sweep()
    lo, hi = challenges.NOISE_GRID[0], challenges.NOISE_GRID[-1]
    assert s[lo, 1]["labels"] < 0.85, "even σ = 0 labels disagree with the gold (length and confidence bias)"
    for key in challenges.NOISE_LINES:
        assert s[hi, key]["labels"] < s[lo, key]["labels"] and s[hi, key]["rm"] < s[lo, key]["rm"], key
    assert s[hi, 1]["rm"] < 0.62


def test_claim_a_majority_and_agreement_filtering_help_at_sigma_one():
    s = challenges.noise_sweep()
    assert s[1.0, 1]["labels"] < s[1.0, 5]["labels"] < s[1.0, "filtered"]["labels"]
    assert s[1.0, "filtered"]["rm"] > s[1.0, 1]["rm"]
    assert s[1.0, "filtered"]["kept"] < challenges.NOISE_PAIRS, "filtering costs pairs"
    assert s[1.0, 5]["panel"] < 1.0


def test_claim_weak_kl_penalty_over_optimises():
    h = challenges.hack_summary("b001")
    assert h["gold_peak"] > h["gold_start"] and h["gold_end"] < h["gold_peak"] - 0.1
    assert h["peak_iteration"] < pharma.PPO_ITERATIONS - challenges.SMOOTH
    assert h["proxy_end"] > h["proxy_start"] + 0.5, "the proxy keeps rising"
    assert h["length_end"] > h["length_start"] + 1, "the policy pads"


def test_claim_firmer_beta_and_fair_labels_keep_more_gold():
    weak, firm, fair = (challenges.hack_summary(k) for k in ("b001", "b01", "fair"))
    assert firm["gold_end"] > weak["gold_end"] and firm["kl_end"] < weak["kl_end"]
    assert fair["gold_end"] > weak["gold_end"]
    assert fair["length_end"] - fair["length_start"] < weak["length_end"] - weak["length_start"]
    assert challenges.rm_label_agreement(True) > challenges.rm_label_agreement(False)
    per_word = [pharma.reward_model(_runs.SEED, *b)[1]["score_per_word"] for b in ((), (0.0, 0.0))]
    assert per_word[0] > per_word[1]


def test_claim_new_phrasings_cost_accuracy_more_than_safety():
    for key in challenges.SHIFT_MODELS:
        train = challenges.shift_eval(key, "train")["accuracy"]
        for which in ("heldout_phrasing", "shifted"):
            assert challenges.shift_eval(key, which)["accuracy"] < train - 0.2, (key, which)
    sft = {w: challenges.shift_eval("sft", w) for w in ("train", "shifted", "heldout_facts")}
    assert sft["train"]["accuracy"] - sft["shifted"]["accuracy"] > sft["train"]["safety"] - sft["shifted"]["safety"]
    assert sft["heldout_facts"]["accuracy"] > sft["shifted"]["accuracy"], "phrasing is the bigger shift"


def test_claim_diverse_phrasings_in_sft_fix_the_held_out_phrasing():
    assert (challenges.diversity_eval("heldout_phrasing", True)["accuracy"]
            > challenges.diversity_eval("heldout_phrasing", False)["accuracy"] + 0.2)


def test_claim_human_labels_scale_and_ai_labels_scale_their_bias():
    s = challenges.scale_sweep()
    small, big = challenges.LABEL_GRID[0], challenges.LABEL_GRID[-1]
    assert s["human", big]["rm"] > s["human", small]["rm"]
    assert s["human", big]["rm"] > s["ai", big]["rm"]
    assert s["ai", big]["confident"] < 0.5 < s["human", big]["confident"] + 0.1
    assert s["ai", big]["confident"] < s["human", big]["confident"]
    assert s["human", big]["labels"] < 0.85 and s["ai", big]["labels"] < s["human", big]["labels"]


# ------------------------------------------------------------------------------------------ built pages
@pytest.mark.parametrize("md", PAGES)
def test_built_page_has_every_lab_text_filled_and_the_tabs(built_site, md):
    html = (built_site / (md.removesuffix(".md") + ".html")).read_text()
    assert "bc-lab-marker" not in html and "bc-chart-marker" not in html
    assert html.count('class="bc-lab"') == len(lab_ids(source(md)))
    assert html.count('class="tabbed-set tabbed-alternate"') == 1
    assert len(re.findall(r'<input[^>]*name="__tabbed_1"[^>]*type="radio"', html)) == 4
