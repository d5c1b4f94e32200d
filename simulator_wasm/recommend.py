"""Recommendations derived from what a pipeline run DID (its histories and evaluations), never from the inputs alone."""

import numpy as np

from .curves import CURVE_WINDOW, moving_average, window

# Evidence thresholds, applied to what the run DID (never to the inputs alone).
OVERFIT_RISE = 0.005       # validation loss (a fixed set, no sampling noise) ended ≥ 0.5 % above its best epoch
STILL_LEARNING = 0.03      # validation loss fell ≥ 3 % in the last epoch
UNSTABLE_RISE = 0.25       # a loss rose by ≥ 25 % of its starting value
HACK_DROP = 0.05           # gold fell ≥ 0.05 below its peak (moving average; noise alone gives ≤ ~0.04) …
HACK_EARLY = 0.8           # … and the peak came before 80 % of the iterations
KL_GROWTH = 2.0            # KL at the end ≥ 2× its mid-run value …
KL_FLOOR = 3.0             # … and ≥ 3 nats per answer
LENGTH_GROWTH = 2.0        # answers grew by ≥ 2 words during PPO
WEAK_RM = 0.65             # RM agrees with the gold preference on < 65 % of held-out pairs


def _rec(out, rid, stage, severity, text, **evidence):
    out.append({"id": rid, "stage": stage, "severity": severity, "text": text, "evidence": evidence})


def recommendations(results: dict) -> list[dict]:
    """What to change, derived from the observed histories, evaluations and real-scale predictions."""
    out = []
    h, st, ev = results["histories"], results["stages"], results["evaluation"]
    parts = results["metrics"]["stability_parts"]
    if results["missing_stages"]:
        _rec(out, "missing_stages", "pipeline", "warning",
             "Stage modules missing, not run: " + ", ".join(results["missing_stages"]) + ".",
             missing=results["missing_stages"])
    pre = h.get("pretrain", {})
    val = pre.get("val_curve", {}).get("val_loss") or pre.get("val_loss", [])   # validation points, first = init
    if len(val) >= 3:
        best = int(np.argmin(val))
        if val[-1] > val[best] * (1 + OVERFIT_RISE):
            _rec(out, "pretrain_overfit", "pretrain", "warning",
                 f"Validation loss was lowest at validation point {best} ({val[best]:.3f}) and ended at "
                 f"{val[-1]:.3f}: the lab memorised its repeated corpus. Use more unique data or fewer epochs.",
                 best_point=best, best_val_loss=val[best], final_val_loss=val[-1])
        elif val[-1] < val[-2] * (1 - STILL_LEARNING):
            _rec(out, "pretrain_still_learning", "pretrain", "info",
                 f"Validation loss was still falling at the end of pretraining ({val[-2]:.3f} → {val[-1]:.3f}): "
                 "more data or epochs would still help.", previous=val[-2], final=val[-1])
    rep = results["real_scale"]["repetition"]
    if results["config"]["epochs"] > 1:
        _rec(out, "real_repetition", "pretrain", "info",
             f"At real scale, repeating the data {results['config']['epochs']}x is worth "
             f"{rep['efficiency']:.0%} of fresh tokens, and the last epoch's tokens {rep['marginal_epoch_value']:.0%} "
             f"of fresh ones (Muennighoff23): more unique data beats more epochs.", efficiency=rep["efficiency"],
             marginal_epoch_value=rep["marginal_epoch_value"])
    for stage, key in (("pretrain", "pretrain_loss_rise"), ("sft", "sft_loss_rise")):
        if parts[key] >= UNSTABLE_RISE:
            what = "the learning rate is too high" if stage == "sft" else "training was unstable"
            _rec(out, f"{stage}_unstable", stage, "warning",
                 f"The {stage} loss rose by {parts[key]:.0%} of its starting value during training: {what}."
                 + (" Lower learning_rate." if stage == "sft" else ""), loss_rise=parts[key])
    sft = st.get("sft", {})
    if sft:
        ph, fa = sft["after"]["heldout_phrasing"]["accuracy"], sft["after"]["heldout_facts"]["accuracy"]
        if fa < ph - 0.2:
            _rec(out, "facts_not_transferred", "sft", "info",
                 f"After SFT, facts seen only in pretraining were answered correctly {fa:.0%} of the time against "
                 f"{ph:.0%} for SFT facts in a new phrasing: more pretraining data would carry more knowledge "
                 "into answers.", heldout_facts=fa, heldout_phrasing=ph)
    rm = st.get("reward_model", {})
    if rm and rm.get("accuracy_gold") is not None and rm["accuracy_gold"] < WEAK_RM:
        _rec(out, "weak_reward_model", "reward_model", "warning",
             f"The reward model agrees with the gold preference on only {rm['accuracy_gold']:.0%} of held-out "
             "pairs: PPO will optimise a poor proxy.", accuracy_gold=rm["accuracy_gold"])
    ppo = h.get("ppo", {}).get("history", {})
    if ppo.get("gold"):
        n = len(ppo["gold"])
        w = window(n, CURVE_WINDOW)
        gold, proxy, kl, length = (np.asarray(ppo[k], dtype=float) for k in ("gold", "proxy", "kl", "length"))
        ma, ma_proxy = moving_average(gold, w), moving_average(proxy, w)
        peak = int(np.argmax(ma))
        peak_it = peak + (w - 1) // 2                       # centre of the peak's window
        if ma[-1] <= ma[peak] - HACK_DROP and peak_it < HACK_EARLY * n and ma_proxy[-1] >= ma_proxy[peak]:
            _rec(out, "reward_hacking", "ppo", "warning",
                 f"Gold reward peaked around iteration {peak_it} ({ma[peak]:.3f}) and fell to {ma[-1]:.3f} while "
                 f"the reward model's score rose from {ma_proxy[peak]:.2f} to {ma_proxy[-1]:.2f}: reward hacking. "
                 "Raise kl_coef or stop earlier.",
                 peak_iteration=peak_it, gold_peak=float(ma[peak]), gold_end=float(ma[-1]),
                 proxy_at_peak=float(ma_proxy[peak]), proxy_end=float(ma_proxy[-1]))
        kl_mid, kl_end = kl[n // 3: 2 * n // 3 + 1].mean(), kl[-w:].mean()
        if kl_end >= KL_FLOOR and kl_end >= KL_GROWTH * max(kl_mid, 1e-9):
            _rec(out, "kl_blowup", "ppo", "warning",
                 f"KL to the SFT model grew from {kl_mid:.2f} nats per answer mid-run to {kl_end:.2f} at the end: "
                 "the policy is drifting away from what the reward model was trained on. Raise kl_coef.",
                 kl_mid=float(kl_mid), kl_end=float(kl_end))
        len_start, len_end = length[:w].mean(), length[-w:].mean()
        if len_end - len_start >= LENGTH_GROWTH:
            _rec(out, "length_exploit", "ppo", "warning",
                 f"Answers grew from {len_start:.1f} to {len_end:.1f} words during PPO: the reward model pays for "
                 "length (padding such as '. stay well').", length_start=float(len_start), length_end=float(len_end))
        if ma[-1] - ma[0] < 0.01 and ma[peak] - ma[0] < 0.01:
            _rec(out, "ppo_no_gain", "ppo", "info",
                 "PPO did not raise the gold reward: try more ppo_iterations or a smaller kl_coef.",
                 gold_start=float(ma[0]), gold_end=float(ma[-1]))
    if "ppo" in ev and "dpo" in ev:
        gp, gd = ev["ppo"]["heldout"]["gold"], ev["dpo"]["heldout"]["gold"]
        better = "DPO" if gd > gp else "PPO"
        _rec(out, "ppo_vs_dpo", "dpo", "info",
             f"On held-out questions DPO reached gold {gd:.3f} and PPO {gp:.3f}: {better} did better on this seed "
             "(one seed; the book's sweeps average several).", gold_ppo=gp, gold_dpo=gd)
    if "sft" in ev and "ppo" in ev:
        sp, pp = ev["sft"]["heldout"]["safety"], ev["ppo"]["heldout"]["safety"]
        if pp < sp - 0.05:
            _rec(out, "safety_regressed", "ppo", "warning",
                 f"PPO lowered the safety score from {sp:.0%} to {pp:.0%}: the reward model does not see what the "
                 "rubric's hard gates see.", safety_sft=sp, safety_ppo=pp)
    if not any(r["severity"] == "warning" for r in out):
        _rec(out, "healthy", "pipeline", "info", "No instability, overfitting or reward hacking was observed "
             "in this run.")
    return out
