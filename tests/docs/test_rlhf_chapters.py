"""The Reward modeling, RLHF & PPO and DPO chapters: markers, sliders, the animation, the pseudocode's alignment with
ppo.py, citations, and the lab claims their prose makes (relations only: the lab's numbers may change).

The runs behind the charts are cached per process (build_charts/figures/reward_model.py and rlhf.py), so the chart
tests and the claim tests share them. Built-page tests read the site in $BOOK_SITE if set (e.g. a private build),
else the `built_site` fixture's site/.
"""

import copy
import inspect
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest

from build_charts import figures, lab, registry  # noqa: F401  (figures registers charts and lab texts)
from build_charts.figures import _runs, reward_model as rmf, rlhf
from build_charts.render import figure_dict
from simulator_wasm import ppo
from simulator_wasm.annotators import label_pairs, lab_card
from simulator_wasm.dpo import DPOConfig, run_dpo
from simulator_wasm.ppo import PPOConfig
from tests.docs.test_chapters import apply_restyle
from tests.support import ROOT, chart_ids, lab_ids
from tests.support import page_source as source

PAGES = ("reward-modeling.md", "rlhf-ppo.md", "dpo.md")
CHARTS = {"reward-modeling.md": ("rm-preference-distribution", "rm-bradley-terry", "rm-score-distributions",
                                 "rm-noise-annotators"),
          "rlhf-ppo.md": ("rlhf-beta-slider", "rlhf-dynamics", "rlhf-animation"),
          "dpo.md": ("rlhf-dpo-vs-ppo",)}
DIAGRAMS = {"reward-modeling.md": "reward-model-flow.svg", "rlhf-ppo.md": "rl-loop.svg", "dpo.md": "dpo-flow.svg"}
ALL_CHARTS = [c for cs in CHARTS.values() for c in cs]
KEY_CONCEPTS = {"reward-modeling.md": ("Pairwise comparisons", "Preference learning", "Sigmoid function",
                                       "Reward distribution"),
                "rlhf-ppo.md": ("Trust regions", "KL divergence", "Policy optimi[sz]ation", "Advantage computation"),
                "dpo.md": ("Implicit reward", "Reference model", "Bradley–Terry loss on log-ratios",
                           "Offline preference learning")}


# ------------------------------------------------------------------------------------------------ markers
@pytest.mark.parametrize("md", PAGES)
def test_every_marker_names_a_registered_chart_or_lab_text(md):
    text = source(md)
    assert set(chart_ids(text)) <= set(registry.known_ids())
    unknown = set(lab_ids(text)) - set(lab.known_ids())
    assert not unknown, f"{md}: lab markers without a text function: {sorted(unknown)}"


@pytest.mark.parametrize("md", PAGES)
def test_chapter_shows_its_charts_diagram_and_snippets(md):
    text = source(md)
    assert set(CHARTS[md]) <= set(chart_ids(text))
    diagram = DIAGRAMS[md]
    assert f'--8<-- "diagrams/{diagram}"' in text
    svg = (ROOT / "docs" / "diagrams" / diagram).read_text()
    assert svg.startswith('<svg class="diagram"') and "<title" in svg and "<desc" in svg


@pytest.mark.parametrize("md", PAGES)
def test_every_lab_text_of_a_page_renders(md):
    for text_id in set(lab_ids(source(md))):
        out = lab.build(text_id)
        assert out.strip() and "nan" not in out.lower().split(), (text_id, out)


@pytest.mark.parametrize("chart_id", ALL_CHARTS)
def test_charts_are_titled_labelled_valid_and_name_their_seed(chart_id):
    chart = registry.build(chart_id)
    layout = chart.figure["layout"]
    assert layout["title"]["text"] and f"seed {_runs.SEED}" in layout["title"]["text"]
    axes = {k: v for k, v in layout.items() if re.fullmatch(r"[xy]axis\d*", k) and v.get("visible", True)}
    assert all(v["title"]["text"] for k, v in axes.items() if k.startswith("y")), "every y axis says what it shows"
    assert any(v.get("title", {}).get("text") for k, v in axes.items() if k.startswith("x"))
    assert len(chart.alt) > 120
    fig = figure_dict(chart)   # validated against Plotly's schema
    assert len(fig.get("frames", [])) == len(chart.figure.get("frames", [])), "validation must keep frames"


# ------------------------------------------------------------------------------------------------ sliders
def test_beta_slider_has_one_step_per_beta_and_each_step_shows_that_runs_three_panels():
    fig = registry.build("rlhf-beta-slider").figure
    (slider,) = fig["layout"]["sliders"]
    data = fig["data"]
    assert len(slider["steps"]) == len(rlhf.KL_GRID)
    assert len(data) == len(rlhf.KL_GRID) * len(rlhf.PANELS)
    for k, (step, beta) in enumerate(zip(slider["steps"], rlhf.KL_GRID)):
        assert float(step["label"]) == beta and step["method"] == "restyle"
        shown = copy.deepcopy(data)
        apply_restyle(shown, step["args"])
        visible = [t for t in shown if t.get("visible", True) is True]
        assert [t["yaxis"] for t in visible] == ["y", "y2", "y3"], step["label"]
        for t, (key, _, _) in zip(visible, rlhf.PANELS):
            assert f"β = {beta:g}" in t["name"]
            assert len(t["x"]) == len(t["y"]) == PPOConfig().iterations
            assert all(math.isfinite(v) for v in t["y"])
            raw = rlhf.history(beta, key)
            assert t["y"] == (raw if key == "kl" else rlhf.smooth(raw))
    initial = copy.deepcopy(data)
    apply_restyle(initial, slider["steps"][slider["active"]]["args"])
    assert [t.get("visible") for t in initial] == [t.get("visible") for t in data]


def test_dynamics_chart_has_one_trace_per_beta_in_each_panel():
    data = registry.build("rlhf-dynamics").figure["data"]
    assert len(data) == len(rlhf.DYNAMICS) * len(rlhf.KL_GRID)
    assert len({t["yaxis"] for t in data}) == len(rlhf.DYNAMICS)


def test_noise_chart_has_every_grid_point_for_every_panel_size():
    data = registry.build("rm-noise-annotators").figure["data"]
    assert len(data) == 2 * len(rmf.SWEEP_ANNOTATORS)
    for t in data:
        assert t["x"] == list(rmf.SWEEP_NOISE) and len(t["y"]) == len(rmf.SWEEP_NOISE)
        assert all(0 <= v <= 1 for v in t["y"])
    assert all(len(runs) == len(rmf.SWEEP_SEEDS) for runs in rmf.sweep().values())


# ------------------------------------------------------------------------------------------------ animation
def test_animation_has_one_frame_per_shown_iteration_with_play_pause_and_a_static_table():
    chart = registry.build("rlhf-animation")
    fig = chart.figure
    its = rlhf.sample_iterations()
    assert len(its) == PPOConfig().n_samples
    frames = fig["frames"]
    assert [f["name"] for f in frames] == [str(i) for i in its]
    n_q = len(rlhf.question_labels())
    for frame in frames:
        assert set(frame) == {"name", "data", "traces"}, "frames carry data only (charts.js recolours the layout)"
        assert len(frame["data"]) == len(frame["traces"])
        assert all(fig["data"][i]["type"] == d["type"] for i, d in zip(frame["traces"], frame["data"]))
        assert len(frame["data"][3]["text"]) == n_q and all("→" in t for t in frame["data"][3]["text"])
        assert len(frame["data"][1]["x"]) == len(frame["data"][2]["x"]) == n_q
    (menu,) = fig["layout"]["updatemenus"]
    labels = [b["label"] for b in menu["buttons"]]
    assert any("Play" in x for x in labels) and any("Pause" in x for x in labels)
    play, pause = menu["buttons"]
    assert play["method"] == pause["method"] == "animate"
    assert play["args"][0] is None and pause["args"][0] == [None]
    (slider,) = fig["layout"]["sliders"]
    assert [s["args"][0] for s in slider["steps"]] == [[f["name"]] for f in frames]
    # the static fallback: alt text names every iteration, the table has one row per answer shown
    assert all(str(i) in chart.alt for i in its)
    table = lab.build("rlhf-animation-table")
    assert table.count("<tr>") - 1 == len(frames) * n_q
    assert "rlhf-animation-table" in lab_ids(source("rlhf-ppo.md"))


def test_charts_js_passes_frames_to_newplot():
    js = (ROOT / "build_charts" / "assets" / "charts.js").read_text()
    assert re.search(r"Plotly\.newPlot\(el, \{ data: fig\.data, layout: \w+, frames: fig\.frames", js)


# ------------------------------------------------------------------------------------------------ pseudocode
def pseudocode_table() -> str:
    text = source("rlhf-ppo.md")
    start = text.index("## PPO step by step")
    return text[start:text.index("\n## ", start + 1)]


def test_pseudocode_names_only_functions_that_run_ppo_calls():
    table = pseudocode_table()
    names = re.findall(r"`(\w+)\(\)`", table)
    assert len(set(names)) >= 12, names
    loop = inspect.getsource(ppo.run_ppo) + inspect.getsource(ppo._score_answers)
    for name in set(names):
        assert callable(getattr(ppo, name, None)), f"ppo.py has no function {name}"
        assert name == "run_ppo" or re.search(rf"\b{name}\(", loop), f"run_ppo never calls {name}"
    for key in ("gae", "whiten", "clipped_surrogate", "value_loss", "token_logp", "value_forward"):
        assert key in names, f"the pseudocode leaves out {key}"


def test_pseudocode_steps_are_the_numbered_steps_of_run_ppo():
    steps = re.findall(r"^\| (\d)[a-c]? \|", pseudocode_table(), flags=re.M)
    numbered = [int(s) for s in steps if 1 <= int(s) <= 5]
    loop_steps = [int(n) for n in re.findall(r"# (\d)\. ", inspect.getsource(ppo.run_ppo))]
    assert sorted(set(numbered)) == sorted(set(loop_steps)) == [1, 2, 3, 4, 5]


# ------------------------------------------------------------------------------------------------ chapter ends
@pytest.mark.parametrize("md", PAGES)
def test_chapters_end_with_questions_discussion_key_concepts_and_references(md):
    text = source(md)
    heads = re.findall(r"^## (.+)$", text, flags=re.M)
    tail = heads[heads.index("Study questions"):]
    assert tail[:4] == ["Study questions", "Discussion topics", "Key concepts", "References"]
    assert set(tail[4:]) <= {"Self-check quiz"}, tail
    questions = text.count("???+ question")
    assert questions >= 5 and text.count('??? success "Answer"') == questions
    concepts = text[text.index("## Key concepts"):text.index("## References")]
    for concept in KEY_CONCEPTS[md]:
        assert re.search(rf"\*\*{concept}\*\*", concepts), concept


CITATION = re.compile(r"\]\(bibliography\.md#([a-z0-9-]+)\)")


@pytest.mark.parametrize("md", PAGES)
def test_citations_link_to_bibliography_anchors(md):
    keys = set(CITATION.findall(source(md)))
    assert keys, "the chapter cites its sources"
    for key in keys:
        assert re.fullmatch(r"[a-z]+-\d{4}|label-[a-z-]+|trl", key), key
    bib = (ROOT / "docs" / "bibliography.md").read_text()
    anchors = set(re.findall(r'id="([a-z0-9-]+)"', bib)) | set(re.findall(r"\{ *#([a-z0-9-]+)", bib))
    if not anchors:
        pytest.skip("docs/bibliography.md has no anchors yet: citation keys checked for format only")
    assert keys <= anchors, f"{md}: keys missing from the bibliography: {sorted(keys - anchors)}"
    for anchor in re.findall(r'href="bibliography\.html#([a-z0-9-]+)"',
                             "".join(lab.build(i) for i in set(lab_ids(source(md))))):
        assert anchor in anchors, anchor


# ------------------------------------------------------------------------------------------------ RM claims
def test_claim_rm_beats_chance_and_learns_the_annotators_taste_for_length():
    res = rmf.results()
    assert res["accuracy"] > 0.5 and res["accuracy_gold"] > 0.5
    assert np.mean(res["chosen_scores"]) > np.mean(res["rejected_scores"])
    assert res["score_per_word"] > 0
    assert res["labels"]["all"]["gold_agreement"] < 1
    assert res["loss"][-1] < res["loss"][0] == pytest.approx(math.log(2))


def test_claim_positive_margins_are_chosen_more_often():
    points = registry.build("rm-bradley-terry").figure["data"][1]
    pos = [y for x, y in zip(points["x"], points["y"]) if x > 0]
    neg = [y for x, y in zip(points["x"], points["y"]) if x < 0]
    assert pos and neg and np.mean(pos) > np.mean(neg)


def test_claim_wrong_labels_mostly_chose_the_longer_or_surer_answer():
    from simulator_wasm.annotators import answer_features
    pairs = rmf.rm_run()[2]
    assert any(p["agreement"] < 1 for p in pairs)
    wrong = [p for p in pairs if p["gold_chosen"] < p["gold_rejected"]]
    assert wrong

    def longer_or_surer(p):
        (wc, sc), (wr, sr) = answer_features(p["chosen"]), answer_features(p["rejected"])
        return wc > wr or sc > sr
    assert sum(map(longer_or_surer, wrong)) > len(wrong) / 2


def test_claim_split_votes_gather_near_a_gold_gap_of_zero():
    pairs = rmf.rm_run()[2]
    gap = {True: [], False: []}
    for p in pairs:
        gap[p["agreement"] == 1.0].append(abs(p["gold_chosen"] - p["gold_rejected"]))
    assert gap[False] and np.mean(gap[False]) < np.mean(gap[True])


def test_sweep_relabelling_is_label_pairs():
    """The sweep's fast relabelling draws the same random numbers and votes as annotators.label_pairs."""
    d = rmf._sweep_data()
    n = 60
    mine = rmf.relabel({k: v[:n] for k, v in d.items()}, np.random.default_rng(7), 3, 0.5)
    # label_pairs on the same answers (resampled with the sweep's generator) and their items' cards
    w, sft_params = _runs.world(_runs.SEED), _runs.sft(_runs.SEED)[0]
    from simulator_wasm.reward_model import sample_answer_pairs
    items, prompts, a, b = sample_answer_pairs(w, sft_params, rmf.SWEEP_PAIRS,
                                               np.random.default_rng([_runs.SEED, 2]), 24)
    keep = [k for k in range(len(a)) if a[k] != b[k]][:n]
    pairs = label_pairs([prompts[k] for k in keep], [a[k] for k in keep], [b[k] for k in keep],
                        [lab_card(items[k]) for k in keep], np.random.default_rng(7), n_annotators=3,
                        label_noise=0.5)
    assert [p["chosen"] == a[k] for p, k in zip(pairs, keep)] == mine.tolist()


def test_claim_noise_hurts_accuracy_against_labels_more_than_against_gold():
    lo, hi = rmf.SWEEP_NOISE[0], rmf.SWEEP_NOISE[-1]
    for k in rmf.SWEEP_ANNOTATORS:
        assert rmf.sweep_mean(k, hi, "accuracy") < rmf.sweep_mean(k, lo, "accuracy") - 0.1
        assert rmf.noise_drop("accuracy", k) > rmf.noise_drop("accuracy_gold", k)


def test_claim_without_noise_panel_size_changes_nothing_and_bias_remains():
    zero = [rmf.sweep()[k, 0.0] for k in rmf.SWEEP_ANNOTATORS]
    assert all(z == zero[0] for z in zero)
    assert rmf.sweep_mean(rmf.SWEEP_ANNOTATORS[0], 0.0, "label_gold") < 0.95


def test_claim_more_annotators_give_labels_closer_to_gold_under_noise():
    one, most = rmf.SWEEP_ANNOTATORS[0], rmf.SWEEP_ANNOTATORS[-1]
    for s in rmf.SWEEP_NOISE[1:]:
        assert rmf.sweep_mean(most, s, "label_gold") > rmf.sweep_mean(one, s, "label_gold"), s
    assert rmf.MID_NOISE in rmf.SWEEP_NOISE


def test_comparison_examples_tell_the_reader_what_the_rubric_and_rm_said():
    exs = rmf.examples()
    assert len(exs) == 2 and exs[0]["agree"] and exs[0]["k"] != exs[1]["k"]
    for n, ex in enumerate(exs):
        rubric = [s["grade"]["reward"] for s in ex["sides"]]
        assert rubric[0] != rubric[1]
        better = "A" if rubric[0] > rubric[1] else "B"
        for pick, side in ((0, "A"), (1, "B")):
            out = lab.build(f"rm-example{n + 1}-pick-{side.lower()}")
            assert f"You chose answer {side}." in out
            assert ("The rubric agrees with you." in out) == (better == side)
        assert sum(s["chosen"] for s in ex["sides"]) == 1
    if not exs[1]["agree"]:
        rm_pref = max(exs[1]["sides"], key=lambda s: s["rm"])
        assert rm_pref["grade"]["reward"] < max(s["grade"]["reward"] for s in exs[1]["sides"])


# ------------------------------------------------------------------------------------------------ PPO claims
def test_claim_runs_differ_only_in_beta():
    first = [rlhf.ppo(b)[1]["history"][0] for b in rlhf.KL_GRID]
    for key in ("proxy", "gold", "length"):
        assert len({h[key] for h in first}) == 1, key


def test_claim_kl_and_proxy_fall_as_beta_rises():
    kl = [rlhf.final(b, "kl") for b in rlhf.KL_GRID]
    proxy = [rlhf.final(b, "proxy") for b in rlhf.KL_GRID]
    assert kl == sorted(kl, reverse=True) and len(set(kl)) == len(kl)
    assert proxy == sorted(proxy, reverse=True)
    assert proxy[-1] > rlhf.history(rlhf.KL_GRID[-1], "proxy")[0], "even the largest β gains proxy reward"


def test_claim_at_the_smallest_beta_gold_peaks_then_falls_while_proxy_rises():
    beta = rlhf.KL_GRID[0]
    gold, proxy = rlhf.smooth(rlhf.history(beta, "gold")), rlhf.smooth(rlhf.history(beta, "proxy"))
    peak = int(np.argmax(gold))
    assert peak < len(gold) - 1 and gold[-1] < gold[peak]
    assert proxy[-1] > proxy[peak], "the proxy keeps rising after the gold reward's peak"


def test_claim_smallest_beta_writes_longer_answers():
    sft_len = rlhf.history(rlhf.DEFAULT_BETA, "length")[0]
    small, large = rlhf.final(rlhf.KL_GRID[0], "length"), rlhf.final(rlhf.KL_GRID[-1], "length")
    assert small > large and small > sft_len


def test_claim_clip_fraction_stays_small():
    assert max(max(rlhf.history(b, "clipfrac")) for b in rlhf.KL_GRID) < 0.1


def test_gold_verdict_text_matches_the_runs():
    text = lab.build("rlhf-gold-verdict")
    best = rlhf.best_gold_beta()
    assert f"β = {best:g}" in text
    if best != rlhf.KL_GRID[0]:
        assert "not to the run that pushed the proxy furthest" in text


def test_claim_dpo_learns_its_pairs_and_the_default_run_is_a_prefix():
    hist = rlhf.dpo()[1]["history"]
    assert hist[-1]["accuracy"] > 0.5 and hist[-1]["loss"] < math.log(2)
    short = run_dpo(_runs.world(_runs.SEED), _runs.sft(_runs.SEED)[0], rmf.rm_run()[2],
                    DPOConfig(epochs=DPOConfig().epochs), _runs.stage_rng(_runs.SEED, "dpo"))[1]["history"]
    assert short == hist[:len(short)]


def test_policy_comparison_sentence_ranks_by_gold():
    text = lab.build("rlhf-policy-comparison")
    golds = [float(g) for g in re.findall(r"\((\d\.\d{3})\)", text)]
    assert len(golds) == 3 and golds == sorted(golds, reverse=True)


# ------------------------------------------------------------------------------------------------ built pages
@pytest.fixture(scope="module")
def chapter_site(request):
    site = os.environ.get("BOOK_SITE")
    return Path(site) if site else request.getfixturevalue("built_site")


@pytest.mark.parametrize("md", PAGES)
def test_built_page_has_every_lab_text_chart_and_diagram(chapter_site, md):
    html = (chapter_site / (md.removesuffix(".md") + ".html")).read_text()
    assert "bc-lab-marker" not in html
    assert html.count('class="bc-lab"') == len(lab_ids(source(md)))
    assert html.count('<svg class="diagram"') == 1
    for cid in CHARTS[md]:
        assert f'id="chart-{cid}"' in html
    if md == "rlhf-ppo.md":
        assert "&quot;frames&quot;:[{" in html, "the animation ships its frames"
