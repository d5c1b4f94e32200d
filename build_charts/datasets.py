"""The book's data sets as downloads (site/data/*.csv, *.jsonl) and the lab texts of the data card (docs/data.md).

The files are generated at build time by ``simulator_wasm.datasets`` from SEED, so the download is byte for byte
what ``python -m simulator_wasm datasets --seed 0 --out DIR`` writes. The plugin calls ``add_files`` in
``on_files``; importing this module registers the lab texts.
"""

import hashlib
import json
from collections import Counter
from functools import cache

from mkdocs.structure.files import File

from simulator_wasm import datasets

from .figures._runs import SEED
from .lab import esc, html_table, lab_text

DATA_DIR = "data"


@cache
def generated(seed: int = SEED) -> dict[str, bytes]:
    """{file name: bytes}, computed once per build (≈ 1 s of CPU: a pretrain → SFT run and the labelling)."""
    return datasets.files(seed)


def rows(name: str) -> list[dict]:
    """The rows of one set, read back from its JSONL bytes (what a reader downloads)."""
    return [json.loads(line) for line in generated()[f"{name}.jsonl"].decode().splitlines()]


def add_files(files, config):
    """Append every data file to the site's files (MkDocs writes them to site/data/)."""
    for name, content in generated().items():
        files.append(File.generated(config, f"{DATA_DIR}/{name}", content=content))
    return files


# ------------------------------------------------------------------------------------------------ lab texts
@lab_text("data-files")
def files_table() -> str:
    out = []
    for name in datasets.DATASETS:
        for ext in ("csv", "jsonl"):
            content = generated()[f"{name}.{ext}"]
            out.append([f"{name}.{ext}", len(rows(name)), f"{len(content) / 1024:.1f} KiB",
                        hashlib.sha256(content).hexdigest()[:16]])
    return html_table(["file", "rows", "size", "SHA-256 (first 16 hex digits)"], out,
                      caption=f"Generated from seed {SEED} by this build.")


def _fields(name: str) -> str:
    return html_table(["column", "meaning"], [[k, v] for k, v in datasets.FIELDS[name].items()])


for _name in datasets.FIELDS:      # one fields table per set: data-fields-showcase-qa, …
    lab_text(f"data-fields-{_name}")(lambda name=_name: _fields(name))


@lab_text("data-showcase-preview")
def showcase_preview() -> str:
    """The first showcase pair of each category, sources linked to the bibliography."""
    head = "".join(f"<th>{h}</th>" for h in ("#", "category", "question", "safe answer", "sources"))
    first = {}                                   # category → its first pair, in the set's order
    for r in rows("showcase-qa"):
        first.setdefault(r["category"], r)
    body = ""
    for r in first.values():
        links = ", ".join(f'<a href="bibliography.html#{esc(k)}">{esc(k)}</a>' for k in r["sources"].split())
        body += (f"<tr><td>{r['id']}</td><td>{esc(r['category'])}</td><td>{esc(r['question'])}</td>"
                 f"<td>{esc(r['answer'])}</td><td>{links}</td></tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


@lab_text("data-showcase-categories")
def showcase_categories() -> str:
    counts = Counter(r["category"] for r in rows("showcase-qa"))
    return html_table(["category", "pairs"], sorted(counts.items(), key=lambda kv: -kv[1]))


@lab_text("data-preference-preview")
def preference_preview() -> str:
    """Four pairs: the first two whose label agrees with the gold rubric, the first two whose label does not."""
    prs = rows("preference-pairs")
    pick = [r for r in prs if not r["label_noise"]][:2] + [r for r in prs if r["label_noise"]][:2]
    return html_table(["prompt", "chosen", "rejected", "labeller", "gold chosen / rejected", "label noise"],
                      [[r["prompt"], r["chosen"], r["rejected"], r["labeller"],
                        f"{r['gold_chosen']:.2f} / {r['gold_rejected']:.2f}", "yes" if r["label_noise"] else "no"]
                       for r in pick])


@lab_text("data-sft-preview")
def sft_preview() -> str:
    return html_table(["prompt", "answer", "flaws"],
                      [[r["prompt"], r["answer"], r["flaws"] or "none"] for r in rows("sft-demonstrations")[:5]])


# Inline numbers of the data card.
lab_text("data-showcase-rows")(lambda: str(len(rows("showcase-qa"))))
lab_text("data-sft-rows")(lambda: str(len(rows("sft-demonstrations"))))
lab_text("data-sft-flawed")(lambda: str(sum(1 for r in rows("sft-demonstrations") if r["flaws"])))
lab_text("data-preference-rows")(lambda: str(len(rows("preference-pairs"))))
lab_text("data-preference-noisy")(lambda: str(sum(r["label_noise"] for r in rows("preference-pairs"))))
lab_text("data-preference-ties")(lambda: str(sum(r["gold_tie"] for r in rows("preference-pairs"))))
lab_text("data-preference-heldout")(
    lambda: str(sum(r["split"] == "heldout" for r in rows("preference-pairs"))))
lab_text("data-seed")(lambda: str(SEED))
lab_text("data-items")(lambda: str(len(datasets.ITEMS)))
lab_text("data-phrasings")(lambda: str(len(datasets.TEMPLATES)))
lab_text("data-showcase-repeats")(lambda: str(datasets.N_SHOWCASE - len(datasets.ITEMS)))
lab_text("data-annotators")(lambda: str(datasets.RewardModelConfig().n_annotators))
