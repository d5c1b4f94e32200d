"""Lab texts of the Home page: the size of each stage in the book's lab (stage defaults, nothing is trained)."""

from simulator_wasm.config import LAB_ANCHOR
from simulator_wasm.model import Params
from simulator_wasm.pretrain import PretrainConfig
from simulator_wasm.reward_model import RewardModelConfig
from simulator_wasm.sft import SFTConfig
from simulator_wasm.world import ITEMS

from ..lab import lab_text
from . import _runs


@lab_text("home-lab-params")
def _params() -> str:
    vocab = _runs.world(_runs.SEED).vocab   # the same for every seed
    return f"{Params.size(PretrainConfig().model_config(len(vocab))):,}"


@lab_text("home-lab-facts")
def _facts() -> str:
    return str(len(ITEMS))


@lab_text("home-lab-corpus")
def _corpus() -> str:
    return f"{PretrainConfig().data_tokens:,}"


@lab_text("home-lab-sft-pairs")
def _sft() -> str:
    return f"{SFTConfig().expert_pairs:,}"


@lab_text("home-lab-rm-pairs")
def _rm() -> str:
    return f"{RewardModelConfig().n_pairs:,}"


@lab_text("home-lab-ppo-iterations")
def _ppo() -> str:
    return str(LAB_ANCHOR["ppo_iterations"])
