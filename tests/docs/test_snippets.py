"""The PyTorch snippets the chapters include (docs/snippets/): each one runs, and computes the lab's loss.

torch is a test-only extra (`pip install -e '.[torch]'`, CPU build, torch==2.13.0); without it these tests are
skipped with the reason. `make book` never needs it.
"""

import importlib.util
import re
import runpy
from pathlib import Path

import numpy as np
import pytest

from simulator_wasm.model import cross_entropy_forward, forward, make_rows
from simulator_wasm.pretrain import PretrainConfig, corpus_rows, make_corpus
from tests.support import ROOT

torch = pytest.importorskip("torch", reason="torch is not installed: `pip install -e '.[torch]'` (CPU build, "
                                            "torch==2.13.0) to run the PyTorch snippets")

SNIPPETS = ROOT / "docs" / "snippets"
PAGES = {"pretraining_step.py": "pretraining.md", "sft_masked_loss.py": "sft.md"}


def load(name: str):
    spec = importlib.util.spec_from_file_location(Path(name).stem, SNIPPETS / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def lab_model():
    """A pretrained-size lab model with fresh weights and its world (no training needed to compare losses)."""
    from build_charts.figures import _runs
    from simulator_wasm.model import init_params
    world = _runs.world(0)
    params = init_params(PretrainConfig().model_config(len(world.vocab)), np.random.default_rng(0))
    return world, params


@pytest.mark.parametrize("name", sorted(PAGES))
def test_snippet_runs_on_cpu(name, capsys):
    torch.manual_seed(0)
    runpy.run_path(str(SNIPPETS / name), run_name="__main__")
    out = capsys.readouterr().out
    losses = [float(m.group(1)) for m in re.finditer(r"^step \d+: (?:loss )?(\d+\.\d+) nats per", out, re.M)]
    assert len(losses) == 5 and losses[-1] < losses[0], out


@pytest.mark.parametrize("name", sorted(PAGES))
def test_snippet_is_included_in_its_chapter(name):
    assert f'--8<-- "snippets/{name}"' in (ROOT / "docs" / PAGES[name]).read_text()


def shifted(lab_logits: np.ndarray) -> "torch.Tensor":
    """Lab rows (row i predicts token i) → the snippets' layout (position t predicts token t + 1), batch of 1."""
    V = lab_logits.shape[1]
    out = np.concatenate([lab_logits[1:], np.zeros((1, V))])
    return torch.tensor(out, dtype=torch.float64)[None]


def test_pretraining_snippet_loss_equals_the_lab_cross_entropy(lab_model):
    world, params = lab_model
    stream = make_corpus(world, 300, np.random.default_rng(1))
    contexts, targets = corpus_rows(stream, params.config.context_size)
    logits, _ = forward(params, contexts)
    lab_loss, _ = cross_entropy_forward(logits[1:], targets[1:])     # row 0 has no real context
    snippet = load("pretraining_step.py")
    loss = snippet.next_token_loss(shifted(logits), torch.tensor(stream)[None])
    assert loss.item() == pytest.approx(lab_loss, rel=1e-10)


def test_sft_snippet_loss_equals_the_lab_masked_loss(lab_model):
    world, params = lab_model
    item = world.sft_items[0]
    from simulator_wasm.world import TRAIN_TEMPLATES, answer_tokens, question_tokens
    prompt = world.vocab.encode(question_tokens(item, TRAIN_TEMPLATES[0]))
    answer = world.vocab.encode(answer_tokens(item))
    contexts, targets, mask = make_rows(prompt, answer, params.config.context_size)
    logits, _ = forward(params, contexts)
    lab_loss, _ = cross_entropy_forward(logits[mask], targets[mask])   # what run_sft trains on
    snippet = load("sft_masked_loss.py")
    tokens = torch.tensor(prompt + answer)[None]
    m = snippet.answer_mask(torch.tensor([len(prompt)]), torch.tensor([len(prompt) + len(answer)]),
                            tokens.shape[1])
    loss = snippet.sft_loss(shifted(logits), tokens, m.double())
    assert loss.item() == pytest.approx(lab_loss, rel=1e-10)
