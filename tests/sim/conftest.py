"""Shared, session-scoped lab runs: each default pretraining/SFT run is trained once and reused by several tests."""

import numpy as np
import pytest

from simulator_wasm.pretrain import PretrainConfig, run_pretrain
from simulator_wasm.sft import SFTConfig, run_sft
from simulator_wasm.world import make_world

LAB_SEEDS = (0, 1, 2)


@pytest.fixture(scope="session")
def pretrained():
    """seed → (world, params, results) of the default pretraining run; world and training share the seed."""
    runs = {}
    for seed in LAB_SEEDS:
        world = make_world(seed)
        params, results = run_pretrain(world, PretrainConfig(), np.random.default_rng(seed))
        runs[seed] = (world, params, results)
    return runs


@pytest.fixture(scope="session")
def sft_runs(pretrained):
    """seed → {"pretrained": (params, results), "scratch": (params, results)}: the same default SFT (same
    demonstrations, same row order, same steps) once from the pretrained model and once from a fresh one."""
    runs = {}
    for seed, (world, params, _) in pretrained.items():
        runs[seed] = {
            "pretrained": run_sft(world, params, SFTConfig(), np.random.default_rng(100 + seed)),
            "scratch": run_sft(world, None, SFTConfig(), np.random.default_rng(100 + seed),
                               model_config=params.config),
        }
    return runs
