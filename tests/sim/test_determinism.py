"""Same seed → identical full JSON; no dependence on numpy's global RNG; no module-level np.random.<func>."""

import itertools
import json
import pathlib
import re

import numpy as np
import pytest

from simulator_wasm.config import PipelineConfig
from simulator_wasm.pipeline import missing_stages, run_pipeline

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "simulator_wasm"
# np.random.<anything> except the Generator API: default_rng, Generator, the bit generators and SeedSequence.
ALLOWED = {"default_rng", "Generator", "SeedSequence", "PCG64", "PCG64DXSM", "Philox", "SFC64", "BitGenerator"}
CALL = re.compile(r"\b(?:np|numpy)\.random\.([A-Za-z_]\w*)")


def _fake_clock():
    """A deterministic clock: wall times become counts of clock reads, so the FULL JSON can be compared."""
    counter = itertools.count()
    return lambda: float(next(counter))


def _run(config):
    return json.dumps(run_pipeline(config, clock=_fake_clock()), sort_keys=True)


def test_no_global_numpy_random_in_package():
    offenders = []
    for path in sorted(PACKAGE.glob("*.py")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            for name in CALL.findall(code):
                if name not in ALLOWED:
                    offenders.append(f"{path.name}:{lineno}: np.random.{name}")
            if re.search(r"from\s+numpy\.random\s+import|from\s+numpy\s+import\s+random|import\s+numpy\.random",
                         code):
                offenders.append(f"{path.name}:{lineno}: imports numpy.random directly")
    assert offenders == []


def test_grep_rule_catches_a_violation(tmp_path):
    # The rule above must be able to fail: a planted global call is found, a Generator call is not.
    bad = "x = np.random.randn(3)\nrng = np.random.default_rng(0)\n"
    assert [n for n in CALL.findall(bad) if n not in ALLOWED] == ["randn"]


@pytest.mark.skipif(bool(missing_stages()), reason="stage modules missing: pipeline runs only partially")
def test_same_seed_identical_full_json():
    config = PipelineConfig(seed=3)
    assert _run(config) == _run(config)


def test_same_seed_identical_full_json_partial_pipeline_too():
    # Whatever stages exist, the result is a pure function of the config.
    config = PipelineConfig(seed=1, ppo_iterations=10)
    assert _run(config) == _run(config)


def test_independent_of_global_numpy_state():
    config = PipelineConfig(seed=2, ppo_iterations=10)
    np.random.seed(123)
    first = _run(config)
    np.random.seed(999)
    np.random.random(1000)
    assert _run(config) == first


@pytest.mark.skipif(bool({"pretrain", "sft"} & set(missing_stages())), reason="lab core missing")
def test_different_seed_changes_lab_results():
    a = run_pipeline(PipelineConfig(seed=0, ppo_iterations=10), clock=_fake_clock())
    b = run_pipeline(PipelineConfig(seed=1, ppo_iterations=10), clock=_fake_clock())
    assert a["histories"] != b["histories"]
    assert a["real_scale"] == b["real_scale"]   # the laws do not depend on the seed
