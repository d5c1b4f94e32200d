"""The Home, Pretraining, SFT and Notation pages: markers, sliders, citations, and the lab claims their prose makes.

The lab runs behind the charts are cached per process (build_charts/figures/_runs.py), so the chart tests and the
claim tests share one set of runs (the plugin tests build the same charts in the same process).
"""

import copy
import itertools
import math
import re

import numpy as np
import pytest

from build_charts import figures, lab, registry  # noqa: F401  (figures registers charts and lab texts)
from build_charts.figures import _runs, pretraining, sft
from build_charts.render import figure_json
from simulator_wasm.pretrain import PretrainConfig, make_corpus, run_pretrain
from tests.support import ROOT, chart_ids, lab_ids
from tests.support import page_source as source

PAGES = ("index.md", "pretraining.md", "sft.md", "notation.md")
CHAPTER_CHARTS = ("pretraining-loss-curves", "pretraining-epochs", "pretraining-chinchilla-loss",
                  "pretraining-compute-optimal", "pretraining-repeated-epochs", "sft-heldout-accuracy",
                  "sft-training-loss")


# ------------------------------------------------------------------------------------------------ markers
@pytest.mark.parametrize("md", PAGES)
def test_every_marker_names_a_registered_chart_or_lab_text(md):
    text = source(md)
    assert set(chart_ids(text)) <= set(registry.known_ids())
    unknown = set(lab_ids(text)) - set(lab.known_ids())
    assert not unknown, f"{md}: lab markers without a text function: {sorted(unknown)}"


def test_chapters_show_their_charts():
    shown = {cid for md in PAGES for cid in chart_ids(source(md))}
    assert set(CHAPTER_CHARTS) <= shown


@pytest.mark.parametrize("md", PAGES)
def test_every_lab_text_of_a_page_renders(md):
    for text_id in set(lab_ids(source(md))):
        out = lab.build(text_id)
        assert out.strip() and "nan" not in out.lower().split(), (text_id, out)


@pytest.mark.parametrize("chart_id", CHAPTER_CHARTS)
def test_chapter_charts_are_titled_labelled_and_valid(chart_id):
    chart = registry.build(chart_id)
    layout = chart.figure["layout"]
    assert layout["title"]["text"]
    assert layout["xaxis"]["title"]["text"] and layout["yaxis"]["title"]["text"]
    assert len(chart.alt) > 80
    figure_json(chart)   # validated against Plotly's schema
    if chart_id.startswith(("pretraining-loss", "pretraining-epochs", "sft-")):
        assert "seed" in layout["title"]["text"] + str(layout["title"]), "a lab chart names its seed"


# ------------------------------------------------------------------------------------------------ sliders
def apply_restyle(data: list[dict], args: list) -> None:
    """Plotly.restyle(gd, attrs, indices) on plain dicts: attrs values are lists, one entry per index."""
    attrs, indices = args
    for key, values in attrs.items():
        for i, value in zip(indices, values):
            target = data[i]
            *path, last = key.split(".")
            for part in path:
                target = target.setdefault(part, {})
            target[last] = value


def slider_charts():
    return [cid for cid in registry.known_ids()
            if cid.startswith(("pretraining", "sft")) and registry.build(cid).figure["layout"].get("sliders")]


def test_the_loss_curves_have_data_size_and_epoch_sliders():
    sliders = registry.build("pretraining-loss-curves").figure["layout"]["sliders"]
    assert [len(s["steps"]) for s in sliders] == [len(_runs.DATA_GRID), _runs.MAX_EPOCHS]
    assert "pretraining-loss-curves" in slider_charts()


@pytest.mark.parametrize("chart_id", ["pretraining-loss-curves"])
def test_every_slider_position_has_precomputed_data(chart_id):
    fig = registry.build(chart_id).figure
    sliders = fig["layout"]["sliders"]
    for s in sliders:
        for step in s["steps"]:
            assert step["method"] == "restyle"
            for key in ("x", "y"):
                assert all(len(v) > 0 for v in step["args"][0].get(key, [[0]])), (s["currentvalue"], step["label"])
    # every combination of positions: each visible trace has points, x and y of equal length
    for combo in itertools.product(*[s["steps"] for s in sliders]):
        data = copy.deepcopy(fig["data"])
        for step in combo:
            apply_restyle(data, step["args"])
        visible = [t for t in data if t.get("visible", True) is True]
        assert len(visible) >= len(_runs.DATA_GRID) + 2
        for t in visible:
            assert len(t["x"]) == len(t["y"]) >= 2, (t["name"], [s["label"] for s in combo])
            assert all(math.isfinite(v) for v in t["y"])
    # the initial figure is the state the sliders' active steps describe
    data = copy.deepcopy(fig["data"])
    for s in sliders:
        apply_restyle(data, s["steps"][s["active"]]["args"])
    initial = [{"visible": True, **t} for t in fig["data"]]
    assert data == initial


def test_epoch_prefix_of_a_longer_run_is_the_shorter_run():
    """What the slider relies on: with a constant learning rate, epoch e of an E-epoch run is an e-epoch run."""
    world = _runs.world(0)
    runs = {e: run_pretrain(world, PretrainConfig(data_tokens=600, epochs=e), _runs.stage_rng(0, "pretrain"))[1]
            for e in (1, 3)}
    assert runs[3]["train_loss"][:1] == runs[1]["train_loss"]
    assert runs[3]["val_loss"][:2] == runs[1]["val_loss"]
    assert runs[3]["step_loss"][:runs[1]["steps"]] == runs[1]["step_loss"]


def test_corpora_of_the_grid_are_prefixes_of_each_other():
    world = _runs.world(0)
    big = make_corpus(world, max(_runs.DATA_GRID), np.random.default_rng(0))
    small = make_corpus(world, min(_runs.DATA_GRID), np.random.default_rng(0))
    assert np.array_equal(big[:len(small)], small)
    starts = {pretraining.grid_results(d)["val_loss"][0] for d in _runs.DATA_GRID}
    assert len(starts) == 1, "every grid run starts from the same weights and validation text"


# ------------------------------------------------------------------------------------------------ citations
@pytest.mark.parametrize("md", PAGES)
def test_every_citation_resolves_to_a_reference_on_the_page(md):
    text = source(md)
    cited = set(re.findall(r"\]\(#(ref-[a-z0-9-]+)\)", text))
    anchors = re.findall(r'<span id="(ref-[a-z0-9-]+)"></span>', text)
    assert len(anchors) == len(set(anchors)), f"{md}: duplicate reference anchors"
    assert cited <= set(anchors), f"{md}: citations without a reference: {sorted(cited - set(anchors))}"
    assert set(anchors) <= cited, f"{md}: references never cited: {sorted(set(anchors) - cited)}"
    assert "## References" in text


@pytest.mark.parametrize("md", ("pretraining.md", "sft.md"))
def test_chapters_end_with_questions_discussion_and_key_concepts(md):
    text = source(md)
    heads = [h for h in re.findall(r"^## (.+)$", text, flags=re.M) if h != "Self-check quiz"]   # appended last
    assert heads[-4:] == ["Study questions", "Discussion topics", "Key concepts", "References"]
    questions = text.count("???+ question")
    assert questions >= 5 and text.count('??? success "Answer"') == questions


def test_notation_page_lists_the_overloaded_symbols_with_code_names():
    text = source("notation.md")
    for code in ("`kl_coef`", "`beta`", "`gamma`", "`lam`", "`cliprange`", "`vf_coef`", "`LossLaw.beta`",
                 "`LossLaw.alpha`", "`R_D_STAR`"):
        assert code in text, code
    assert "\\gamma_{\\text{ptx}}" in text


def test_notation_names_the_annotators_symbols_as_the_lab_does():
    # The Reward modeling chapter's u_i, b_len, b_conf and noise σ (not the sigmoid): the code names the page
    # gives must be the lab's own.
    text = source("notation.md")
    annotators = (ROOT / "simulator_wasm" / "annotators.py").read_text()
    for symbol in ("u_i(x, y)", "b_{\\text{len}}", "b_{\\text{conf}}", "annotators' **noise** \\(\\sigma\\)"):
        assert symbol in text, symbol
    for name in ("biased_utility", "panel_vote", "length_bias", "confidence_bias", "label_noise"):
        assert f"`{name}`" in text and re.search(rf"\b{name}\b", annotators), name


# ------------------------------------------------------------------------------------------------ lab claims
# Sentences of the chapters that describe what the lab did; if a change to the lab breaks one, fix the prose.
def test_claim_untrained_model_starts_above_the_uniform_guess():
    assert pretraining.grid_results(_runs.DATA_GRID[0])["val_loss"][0] > math.log(pretraining.vocab_size())


def test_claim_larger_corpora_sit_lower_at_every_epoch_and_each_overfits():
    grid = _runs.DATA_GRID
    for e in range(1, _runs.MAX_EPOCHS + 1):
        losses = [pretraining.val_after(d, e) for d in grid]
        assert losses == sorted(losses, reverse=True), (e, losses)
    for d in grid:
        best = pretraining.best_epoch(d)
        assert best < _runs.MAX_EPOCHS and pretraining.val_after(d, _runs.MAX_EPOCHS) > pretraining.val_after(d, best)
    small = pretraining.grid_results(grid[0])
    assert small["train_loss"][-1] < small["val_loss"][-1] / 2, "memorisation: training far below validation"


def test_claim_fresh_data_beats_repetition_at_the_same_cost():
    budget = max(_runs.DATA_GRID)
    losses = [pretraining.val_after(d, budget // d) for d in _runs.DATA_GRID]
    assert losses == sorted(losses, reverse=True)


def test_claim_base_model_completes_facts_including_heldout_ones():
    done = pretraining.completions()
    assert all(c["verdict_ok"] for c in done if c["heldout"])
    assert sum(c["verdict_ok"] for c in done) > 0.8 * len(done)


def test_claim_pretrain_then_sft_beats_sft_from_scratch_on_pretraining_only_facts():
    assert sft.mean_accuracy(True, "heldout_facts") > sft.mean_accuracy(False, "heldout_facts") + 0.2
    assert sft.mean_accuracy(True, "heldout_phrasing") > sft.mean_accuracy(False, "heldout_phrasing")
    assert sft.result(_runs.SEED, True)["before"]["heldout_facts"]["restated"] < 0.2


def test_claim_pretrained_start_has_lower_sft_loss_throughout():
    pre = sft._smooth(sft.result(_runs.SEED, True)["step_loss"], sft.SMOOTH)
    scratch = sft._smooth(sft.result(_runs.SEED, False)["step_loss"], sft.SMOOTH)
    assert all(p < s for p, s in zip(pre, scratch))


def test_claim_sft_copies_every_flaw_and_greedy_decoding_hides_the_referral_one():
    greedy, _ = sft.flaw_shares(greedy=True)
    sampled, _ = sft.flaw_shares(greedy=False)
    assert all(v > 0 for v in sampled.values()), sampled
    assert greedy["no_consult"] < sampled["no_consult"]


def test_claim_lab_is_millions_of_times_smaller_than_chinchilla():
    params = int(lab.build("home-lab-params").replace(",", ""))
    assert 70e9 / params > 1e6


# ------------------------------------------------------------------------------------------------ built pages
@pytest.mark.parametrize("md", PAGES)
def test_built_page_has_every_lab_text_filled(built_site, md):
    page = built_site / (md.removesuffix(".md") + ".html")
    html = page.read_text()
    assert "bc-lab-marker" not in html
    assert html.count('class="bc-lab"') == len(lab_ids(source(md)))
    assert html.count("<svg class=\"diagram\"") == source(md).count('--8<-- "diagrams/')
