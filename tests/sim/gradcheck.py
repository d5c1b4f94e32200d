"""Finite-difference helpers shared by the gradient checks of every hand-written backward pass."""

import numpy as np


def numeric_grad(f, x, eps=1e-6):
    """∂f/∂x by central differences (x is perturbed in place and restored)."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f(x)
        x[i] = old - eps
        down = f(x)
        x[i] = old
        g[i] = (up - down) / (2 * eps)
    return g


def rel_error(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), 1e-12))
