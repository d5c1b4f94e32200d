"""Adam on one flat parameter buffer, updated in place without temporaries.

    m ← β1 m + (1 − β1) g          v ← β2 v + (1 − β2) g²
    θ ← θ − η · (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε)

Paper: Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization" (Algorithm 1).

Shapes: P = number of parameters; θ, g, m, v are all (P,).

What we simplified and why: no weight decay and no learning-rate schedule (a constant η): the lab's runs are a few
hundred steps, and one knob (``learning_rate``) is what the book's controls expose. An optional global-norm clip
keeps a reader's too-large learning rate from producing NaNs in the first steps (it is reported, not hidden).
"""

import numpy as np


class Adam:
    """learning_rate η (1e-4–1e-1 in the lab); beta1 β1, beta2 β2 (moment decays); eps ε; max_grad_norm (None =
    no clipping). ``step(theta, g)`` updates ``theta`` (a flat float64 array) in place."""

    def __init__(self, n_params: int, learning_rate: float, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, max_grad_norm: float | None = None):
        self.learning_rate, self.beta1, self.beta2, self.eps = learning_rate, beta1, beta2, eps
        self.max_grad_norm = max_grad_norm
        self.m, self.v = np.zeros(n_params), np.zeros(n_params)
        self._buf = np.zeros(n_params)          # the one scratch buffer, reused every step
        self.t = 0

    def step(self, theta: np.ndarray, g: np.ndarray) -> float:
        """One Adam update of ``theta`` in place; returns the gradient norm before any clipping."""
        norm = float(np.sqrt(g @ g))
        scale = 1.0
        if self.max_grad_norm is not None and norm > self.max_grad_norm:
            scale = self.max_grad_norm / norm
        self.t += 1
        b1, b2, buf = self.beta1, self.beta2, self._buf
        np.multiply(g, (1.0 - b1) * scale, out=buf)
        self.m *= b1
        self.m += buf                                        # m ← β1 m + (1 − β1) g
        np.multiply(g, g, out=buf)
        buf *= (1.0 - b2) * scale * scale
        self.v *= b2
        self.v += buf                                        # v ← β2 v + (1 − β2) g²
        np.sqrt(self.v, out=buf)
        buf *= 1.0 / np.sqrt(1.0 - b2 ** self.t)
        buf += self.eps                                      # √v̂ + ε
        np.divide(self.m, buf, out=buf)
        buf *= self.learning_rate / (1.0 - b1 ** self.t)     # η m̂ / (√v̂ + ε)
        theta -= buf
        return norm
