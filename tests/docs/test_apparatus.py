"""The book's apparatus: bibliography and glossary links, and the downloadable data sets (docs/data.md).

Links are checked in the Markdown sources (every ``bibliography.md#key`` / ``glossary.md#term-…`` link of every
page against the anchors those two pages define), so a chapter written later is covered without a rebuild. The data
tests read the built site: the downloads must exist there and be byte-identical to what a fresh process
regenerates from the seed with ``python -m simulator_wasm datasets``.
"""

import csv
import io
import json
import re
import subprocess
import sys

import numpy as np
import pytest

from simulator_wasm import datasets
from simulator_wasm.annotators import CONFIDENCE_BIAS, LENGTH_BIAS, lab_grade
from simulator_wasm.config import PipelineConfig, lab_settings
from simulator_wasm.pipeline import STAGES, _run_stage
from simulator_wasm.world import ITEMS, answer_tokens, make_world
from tests.support import ENV, ROOT, mkdocs_build

DOCS = ROOT / "docs"
LINK = r"\]\((?:\./)?{page}#([A-Za-z0-9_.-]+)\)"
ANCHOR = re.compile(r'<a id="([^"]+)"></a>|\{:?\s*#([A-Za-z0-9_-]+)[^}]*\}')


def pages() -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(DOCS.glob("*.md"))}


def anchors(md: str) -> set[str]:
    return {a or b for a, b in ANCHOR.findall((DOCS / md).read_text())}


def links_to(page: str) -> dict[str, set[str]]:
    """{key: pages linking to page#key} over every docs/*.md (the page itself included)."""
    out: dict[str, set[str]] = {}
    for name, text in pages().items():
        for key in re.findall(LINK.format(page=re.escape(page)), text):
            out.setdefault(key, set()).add(name)
    return out


def bibliography_entries() -> list[tuple[set[str], str]]:
    """(anchors, text) of every entry: a list item of bibliography.md that starts with an anchor."""
    text = (DOCS / "bibliography.md").read_text()
    items = re.split(r"\n(?=- |#)", text)
    return [(set(re.findall(r'<a id="([^"]+)"></a>', it)), it) for it in items if it.startswith("- <a id=")]


# ------------------------------------------------------------------------------------------------ bibliography
def test_every_bibliography_link_resolves():
    known = anchors("bibliography.md")
    cited = links_to("bibliography.md")
    assert cited, "no page links to the bibliography"
    broken = {k: sorted(v) for k, v in cited.items() if k not in known}
    assert not broken, f"links to missing bibliography entries (key: pages): {broken}"


def test_keys_follow_the_naming_scheme_and_are_unique():
    text = (DOCS / "bibliography.md").read_text()
    ids = re.findall(r'<a id="([^"]+)"></a>', text)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids), ids
    for required in ("christiano-2017", "ouyang-2022", "schulman-2017", "schulman-2016", "rafailov-2023",
                     "bradley-1952", "stiennon-2020", "gao-2023", "kaplan-2020", "hoffmann-2022",
                     "label-warfarin", "label-metformin", "faers", "meddra", "ich-e2a"):
        assert required in ids, required


def test_every_arxiv_paper_shows_its_id():
    for ids, text in bibliography_entries():
        if any(re.fullmatch(r"[a-z]+-(20[12]\d)", i) for i in ids) and "arxiv.org" in text:
            assert re.search(r"arXiv:\d{4}\.\d{4,5}", text), ids


def test_every_entry_is_cited_or_marked_further_reading():
    """A bibliography entry is cited by a page, by a showcase pair's sources, or says it is further reading."""
    cited = set(links_to("bibliography.md"))
    cited |= {k for row in datasets.showcase_rows(0) for k in row["sources"].split()}
    orphans = [sorted(ids) for ids, text in bibliography_entries()
               if not ids & cited and "further reading" not in text.lower()]
    assert not orphans, f"entries nothing cites (cite them or mark them *Further reading.*): {orphans}"


# ------------------------------------------------------------------------------------------------ glossary
def test_every_glossary_link_resolves():
    known = anchors("glossary.md")
    assert len([k for k in known if k.startswith("term-")]) >= 40
    cited = links_to("glossary.md")
    assert cited, "no page links to the glossary"
    broken = {k: sorted(v) for k, v in cited.items() if k not in known}
    assert not broken, f"links to missing glossary terms (anchor: pages): {broken}"


def test_glossary_anchors_are_term_slugs():
    for key in anchors("glossary.md"):
        assert re.fullmatch(r"term-[a-z0-9]+(-[a-z0-9]+)*", key), key


# ------------------------------------------------------------------------------------------------ data sets
DATA_INPUTS = [*(ROOT / "simulator_wasm").glob("*.py"), ROOT / "build_charts" / "datasets.py"]


@pytest.fixture(scope="module")
def site_data(built_site, tmp_path_factory):
    """site/data, or a fresh build's when site/ predates the code that writes the data (a stale site/)."""
    data = built_site / "data"
    stamp = min((p.stat().st_mtime for p in data.glob("*")), default=0)
    if stamp and stamp >= max(p.stat().st_mtime for p in DATA_INPUTS):
        return data
    site = tmp_path_factory.mktemp("fresh-site")
    result = mkdocs_build(ROOT / "mkdocs.yml", site)
    assert result.returncode == 0, result.stderr[-3000:]
    return site / "data"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """The six files as a fresh process writes them (the command the data card gives)."""
    out = tmp_path_factory.mktemp("regenerated")
    subprocess.run([sys.executable, "-m", "simulator_wasm", "datasets", "--seed", "0", "--out", str(out)],
                   cwd=ROOT, env={**ENV, "OPENBLAS_NUM_THREADS": "1"}, check=True, capture_output=True, timeout=600)
    return {p.name: p.read_bytes() for p in out.iterdir()}


def test_downloads_exist_and_regenerate_byte_identically(site_data, regenerated):
    expected = {f"{n}.{ext}" for n in datasets.DATASETS for ext in ("csv", "jsonl")}
    assert set(regenerated) == expected
    assert {p.name for p in site_data.iterdir()} >= expected
    for name in sorted(expected):
        assert (site_data / name).read_bytes() == regenerated[name], f"{name} differs from the regenerated file"


def test_a_different_seed_gives_different_data(regenerated):
    assert datasets.files(1)["preference-pairs.jsonl"] != regenerated["preference-pairs.jsonl"]


def test_data_page_links_every_download():
    text = (DOCS / "data.md").read_text()
    for name in datasets.DATASETS:
        for ext in ("csv", "jsonl"):
            assert f"](data/{name}.{ext})" in text
    assert "python -m simulator_wasm datasets --seed 0 --out" in text


@pytest.mark.parametrize("name", list(datasets.DATASETS))
def test_csv_and_jsonl_hold_the_same_rows(regenerated, name):
    json_rows = [json.loads(line) for line in regenerated[f"{name}.jsonl"].decode().splitlines()]
    csv_rows = list(csv.DictReader(io.StringIO(regenerated[f"{name}.csv"].decode())))
    assert len(json_rows) == len(csv_rows) > 0
    for j, c in zip(json_rows, csv_rows):
        assert set(j) == set(c) == set(datasets.FIELDS[name]), "the data card documents exactly these columns"
        assert {k: datasets.cell(v) for k, v in j.items()} == c


def test_showcase_has_50_distinct_pairs_covering_every_item():
    rows = datasets.showcase_rows(0)
    assert len(rows) == 50
    assert len({(r["question"], r["answer"]) for r in rows}) == 50
    assert {r["answer"] for r in rows} == {" ".join(answer_tokens(i)[:-1]) for i in ITEMS}
    assert {r["category"] for r in rows} >= {"drug interaction", "food interaction", "renal dosing",
                                              "contraindication", "liver injury"}


def test_showcase_answers_pass_every_gate_of_the_rubric():
    """The data card says no hard gate of the safe-answer rubric fires on a showcase answer."""
    for item in ITEMS:
        grade = lab_grade(item, tuple(answer_tokens(item)))
        assert not grade["gates"] and grade["reward"] > 0.5, (item, grade)


def test_every_showcase_source_key_resolves_in_the_bibliography():
    known = anchors("bibliography.md")
    keys = {k for row in datasets.showcase_rows(0) for k in row["sources"].split()}
    assert keys and keys <= known, sorted(keys - known)
    assert all(row["sources"] for row in datasets.showcase_rows(0))


def test_sft_and_preference_sets_are_the_pipelines_own():
    """Run pretrain → SFT → reward model the way run_pipeline does and compare with the exported rows."""
    config = PipelineConfig(seed=0)
    world_rng, *stage_rngs = np.random.default_rng(config.seed).spawn(1 + len(STAGES))
    world, lab, state = make_world(world_rng), lab_settings(config), {}
    results = {}
    for stage, rng in list(zip(STAGES, stage_rngs))[:3]:
        results[stage] = _run_stage(stage, world, lab, state, rng, lambda *a: None)
    sft = datasets.sft_rows(0)
    assert len(sft) == lab["sft_pairs"]
    for flaw, count in results["sft"]["flaw_counts"].items():
        assert sum(flaw in r["flaws"].split(";") for r in sft) == count, flaw
    prefs = datasets.preference_rows(0)
    words = lambda toks: " ".join(t for t in toks if t not in ("<q>", "<eos>"))  # noqa: E731
    assert [(r["prompt"], r["chosen"], r["rejected"]) for r in prefs] == \
        [(words(p["prompt"]), words(p["chosen"]), words(p["rejected"])) for p in state["pairs"]]
    assert sum(r["split"] == "heldout" for r in prefs) == results["reward_model"]["n_test"]
    human = results["reward_model"]["labels"]["human"]
    agree = [0.5 if r["gold_tie"] else float(not r["label_noise"]) for r in prefs if r["labeller"] == "human"]
    assert np.mean(agree) == pytest.approx(human["gold_agreement"])


def test_the_data_cards_claims_about_the_labels_hold():
    prefs = datasets.preference_rows(0)
    assert LENGTH_BIAS > 0 and CONFIDENCE_BIAS > 0          # "fond of longer and more confident answers"
    assert 0 < sum(r["label_noise"] for r in prefs) < len(prefs) / 2
    assert all(r["label_noise"] == (r["gold_chosen"] < r["gold_rejected"]) for r in prefs)
    assert any(r["flaws"] for r in datasets.sft_rows(0))


# ------------------------------------------------------------------------------------------------ learning paths
def test_learning_paths_add_up_and_link_real_pages():
    text = (DOCS / "learning-paths.md").read_text()
    paths = re.split(r"^## (Path [A-D].*)$", text, flags=re.M)[1:]
    assert [p.split(":")[0] for p in paths[::2]] == ["Path A", "Path B", "Path C", "Path D"]
    for title, body in zip(paths[::2], paths[1::2]):
        steps = [int(m) for m in re.findall(r"^\| \d+ \|.*\| (\d+) min \|", body, flags=re.M)]
        total = int(re.search(r"\*\*total\*\* \| \*\*(\d+) min\*\*", body).group(1))
        assert steps and sum(steps) == total, (title, steps, total)
        for page in re.findall(r"\]\(([a-z-]+\.md)", body):
            assert (DOCS / page).is_file(), (title, page)
