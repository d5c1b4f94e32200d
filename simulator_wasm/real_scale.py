"""What published fits predict for the reader's settings, at real scale (never the lab).

Chinchilla/Besiroglu24 loss and compute-optimal size, Muennighoff23 repetition, FLOP accounting and the
Gao23 over-optimisation shape, each from ``scaling_laws`` with its citation there.
"""

import math

from . import scaling_laws as sl
from .config import PipelineConfig

# Assumptions for the real-scale FLOP estimates of SFT and PPO (none of these is a fitted law).
SFT_TOKENS_PER_PAIR = 800    # order of Llama 2's 798.5 tokens per preference comparison (arXiv 2307.09288 Table 6)
SFT_EPOCHS = 2               # Llama 2 SFT (§3.1)
PPO_BATCH = 512              # InstructGPT rollouts per PPO batch (arXiv 2203.02155 App. C.4)
PPO_RESPONSE_TOKENS = 256    # assumed response length
# Per response token: sample 2N + reference logp 2N + reward 2N + value 2N + policy train 6N + value train 6N
# (reward and value models the size of the policy, as InstructGPT's 6B RM for the 6B policy).
PPO_FLOPS_PER_TOKEN_PER_PARAM = 20


def real_scale_predictions(config: PipelineConfig) -> dict:
    """Scaling-law predictions for the reader's settings, as plain floats (see scaling_laws for every source).

    The model size is the one that is compute-optimal for the total tokens read (unique × epochs) under the
    Besiroglu24 refit; the repetition penalty uses Muennighoff23's own C4 law (its R_D*, R_N* are only valid there).
    """
    U = config.data_tokens
    D = U * config.epochs
    law = sl.DEFAULT_LAW
    N = float(law.optimal_params_for_tokens(D))
    C = float(sl.training_flops(N, D))
    by_law = {}
    for key, other in sl.LOSS_LAWS.items():
        if key == "muennighoff23_c4":
            continue
        n_opt, d_opt = other.compute_optimal(C)
        by_law[key] = {"params": n_opt, "tokens": d_opt, "tokens_per_param": d_opt / n_opt,
                       "loss": other.loss(n_opt, d_opt)}
    c4 = sl.MUENNIGHOFF23_C4
    n_c4 = float(c4.optimal_params_for_tokens(D))
    loss_repeated = sl.data_constrained_loss(n_c4, D, U)
    loss_fresh = sl.data_constrained_loss(n_c4, D, D)
    d_eff = sl.effective_data(U, config.epochs)
    kl_opt = sl.tilted_kl(config.kl_coef)
    coef = sl.GAO23_ILLUSTRATIVE
    d_rl_peak, gold_peak = sl.rl_peak(coef.alpha_rl, coef.beta_rl)
    gold_at_opt = sl.gold_reward_rl(math.sqrt(kl_opt), coef.alpha_rl, coef.beta_rl)
    sft_flops = float(sl.training_flops(N, config.expert_pairs * SFT_TOKENS_PER_PAIR * SFT_EPOCHS))
    ppo_flops = PPO_FLOPS_PER_TOKEN_PER_PARAM * N * config.ppo_iterations * PPO_BATCH * PPO_RESPONSE_TOKENS
    out = {
        "note": "Predictions from published scaling-law fits at real scale; they are not produced by the lab.",
        "pretraining": {
            "unique_tokens": U, "total_tokens": D, "params": N, "tokens_per_param": D / N, "training_flops": C,
            "loss": law.loss(N, D), "law": "besiroglu24",
            "same_budget_by_law": by_law,
        },
        "repetition": {
            "law": "muennighoff23_c4", "effective_tokens": d_eff, "efficiency": d_eff / D,
            "marginal_epoch_value": sl.marginal_epoch_value(config.epochs), "params": n_c4,
            "loss_repeated": loss_repeated, "loss_if_all_fresh": loss_fresh,
            "loss_penalty": loss_repeated - loss_fresh,
        },
        "sft": {"tokens": config.expert_pairs * SFT_TOKENS_PER_PAIR * SFT_EPOCHS, "training_flops": sft_flops,
                "share_of_pretraining_flops": sft_flops / C,
                "assumptions": f"{SFT_TOKENS_PER_PAIR} tokens per pair, {SFT_EPOCHS} epochs"},
        "ppo": {"kl_at_optimum": kl_opt, "sqrt_kl_at_optimum": math.sqrt(kl_opt),
                "gold_at_optimum": gold_at_opt, "gold_peak": gold_peak, "sqrt_kl_at_gold_peak": d_rl_peak,
                "past_gold_peak": math.sqrt(kl_opt) > d_rl_peak, "illustrative": not coef.confirmed,
                "training_flops": ppo_flops, "share_of_pretraining_flops": ppo_flops / C,
                "assumptions": (f"Gaussian reward of unit standard deviation (KL = 1/(2 beta^2)); Gao23 curve with "
                                f"{coef.label} coefficients; {PPO_BATCH} rollouts x {PPO_RESPONSE_TOKENS} tokens "
                                f"per iteration, {PPO_FLOPS_PER_TOKEN_PER_PARAM}N FLOPs per token")},
        "inference": {"flops_per_token": sl.inference_flops(N)},
    }
    out["summary"] = [
        f"Compute-optimal model for {D:.3g} tokens (Besiroglu24): {N:.3g} parameters, {C:.3g} FLOPs, "
        f"loss {out['pretraining']['loss']:.3f} nats/token.",
        f"{config.epochs} epoch(s) over {U:.3g} unique tokens are worth {d_eff:.3g} fresh tokens "
        f"({d_eff / D:.0%} efficiency; Muennighoff23): a loss penalty of {loss_repeated - loss_fresh:.4f} nats "
        f"against {D:.3g} unique tokens.",
        f"SFT on {config.expert_pairs} pairs costs {sft_flops / C:.2g} of the pretraining compute.",
        f"At beta={config.kl_coef:g} the KL-regularised optimum sits at KL={kl_opt:.3g} nats "
        f"(sqrt {math.sqrt(kl_opt):.3g}); Gao23-shaped gold reward {gold_at_opt:.3g} vs peak {gold_peak:.3g} "
        f"at sqrt(KL)={d_rl_peak:.3g} (illustrative coefficients).",
        f"Generating one token costs about {2 * N:.3g} FLOPs (2N).",
    ]
    return out
