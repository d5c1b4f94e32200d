"""The lab runs the Pretraining and SFT chapters share, each computed once per build (functools.cache).

Random generators are derived from a seed exactly as ``simulator_wasm.pipeline.run_pipeline`` derives them:
``default_rng(seed).spawn(6)`` gives the world's generator, then one per stage (pretrain, sft, …). A fresh
generator is made for every run, so two runs that should see the same draws (SFT from a pretrained model and SFT
from scratch: same demonstrations, same order) really do.

Cost on the 2-core build machine (one BLAS thread, CPU time): a default pretraining run ≈ 0.5 s, an SFT run
≈ 0.25 s, the pretraining grid (4 corpus sizes × 8 epochs, 120k token-steps) ≈ 3 s; everything the chapters use
≈ 7 s. Returned objects are shared between callers: never mutate them.
"""

from functools import cache

import numpy as np

from simulator_wasm.model import Params
from simulator_wasm.pipeline import STAGES
from simulator_wasm.pretrain import PretrainConfig, run_pretrain
from simulator_wasm.sft import SFTConfig, run_sft
from simulator_wasm.world import World, make_world

SEED = 0                      # the seed of every single-seed lab chart and table
SFT_SEEDS = (0, 1, 2, 3)      # the seeds of the pretrain → SFT vs SFT-from-scratch comparison
DATA_GRID = (1_000, 2_000, 4_000, 8_000)    # corpus sizes (unique tokens) of the pretraining slider
MAX_EPOCHS = 8                # every grid run goes this far; a run of e epochs is the first e epochs of it


def stage_rng(seed: int, stage: str) -> np.random.Generator:
    """A fresh generator for ``stage``, as run_pipeline derives it from ``seed``."""
    return np.random.default_rng(seed).spawn(1 + len(STAGES))[1 + STAGES.index(stage)]


@cache
def world(seed: int = SEED) -> World:
    return make_world(np.random.default_rng(seed).spawn(1 + len(STAGES))[0])


@cache
def pretrain(seed: int = SEED, data_tokens: int = PretrainConfig.data_tokens,
             epochs: int = PretrainConfig.epochs) -> tuple[Params, dict]:
    """(params, results) of run_pretrain at the lab's defaults but for ``data_tokens`` and ``epochs``.

    The corpus of a smaller ``data_tokens`` is the start of a larger one (same generator), the validation corpus
    and the initial weights are the same for every size, and with a constant learning rate the first e epochs of
    a longer run are exactly an e-epoch run: the grid differs only in what the slider says it does.
    """
    return run_pretrain(world(seed), PretrainConfig(data_tokens=data_tokens, epochs=epochs),
                        stage_rng(seed, "pretrain"))


@cache
def sft(seed: int = SEED, from_pretrained: bool = True) -> tuple[Params, dict]:
    """(params, results) of run_sft at the lab's defaults, from the default pretrained model or from scratch."""
    w = world(seed)
    if from_pretrained:
        return run_sft(w, pretrain(seed)[0], SFTConfig(), stage_rng(seed, "sft"))
    return run_sft(w, None, SFTConfig(), stage_rng(seed, "sft"),
                   model_config=PretrainConfig().model_config(len(w.vocab)))
