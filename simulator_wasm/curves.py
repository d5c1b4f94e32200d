"""Reading trends from noisy training curves: moving averages, worst rise of a loss, worst drop of a reward."""

import numpy as np

# Moving averages before looking for regressions: losses over a tenth of the steps, PPO curves over a fifth of the
# iterations (at least 5), wide enough that batch-to-batch noise (32 sampled answers per PPO batch) is not read as
# a trend, narrow enough to keep a peak.
LOSS_WINDOW, CURVE_WINDOW, MIN_WINDOW = 10, 5, 5


def window(n: int, fraction_of: int) -> int:
    """Moving-average width: n // fraction_of, at least MIN_WINDOW, at most n."""
    return max(1, min(n, max(MIN_WINDOW, n // fraction_of)))


def moving_average(x, window):
    x = np.asarray(x, dtype=np.float64)
    return np.convolve(x, np.ones(window) / window, mode="valid") if len(x) >= window else x


def worst_rise(losses) -> float:
    """max_t (L̄_t − best_t) / L_0, best_t = min(L_0, min_{s≤t} L̄_s); L̄ the moving average, L_0 the first step's
    loss (the model before any update). A jump right after the first updates counts; 1.0 if a loss is not finite."""
    if not len(losses) or not np.all(np.isfinite(losses)):
        return 1.0 if len(losses) else 0.0
    ma = moving_average(losses, window(len(losses), LOSS_WINDOW))
    best = np.minimum.accumulate(np.minimum(ma, losses[0]))
    return float(min(1.0, np.max(ma - best) / max(losses[0], 1e-12)))


def worst_drop(gold) -> float:
    """max_t (max_{s≤t} ḡ_s − ḡ_t) on the moving average ḡ of a 0–1 reward."""
    if not len(gold):
        return 0.0
    ma = moving_average(gold, window(len(gold), CURVE_WINDOW))
    return float(min(1.0, np.max(np.maximum.accumulate(ma) - ma)))
