"""Real-scale scaling laws: what the published fits predict for a model trained on the simulator's settings.

These are closed-form formulas with fitted constants, not the lab: nothing here trains anything. The lab's tiny
models (pretrain.py … dpo.py) show the *shape* of each effect; this module gives the *numbers* the papers fitted at
real scale. Every constant carries its paper, arXiv id and equation/table (see ``SOURCES`` and ``constants_table()``),
and the confidence tag of /work/shared/reference/laws.md: [P] primary artefact, [T] full-text transcription,
[S] secondary, [U] unconfirmed.

1. Chinchilla parametric loss (Hoffmann22 Eq. 2) and compute-optimal allocation (Eq. 4)::

       L(N, D) = E + A / N^alpha + B / D^beta
       N_opt(C) = G (C/6)^a,  D_opt(C) = G^-1 (C/6)^b,  G = (alpha A / (beta B))^(1/(alpha+beta)),
       a = beta / (alpha+beta),  b = alpha / (alpha+beta)

   N counts all parameters (embeddings included), D training tokens, C training FLOPs ~ 6 N D.
2. Data-constrained scaling (Muennighoff23 Eq. 5/6): repeated epochs are worth less than fresh tokens::

       D' = U_D + U_D R_D* (1 - exp(-R_D / R_D*)),   R_D = epochs - 1
       N' = U_N + U_N R_N* (1 - exp(-R_N / R_N*)),   U_N = min(N, N_opt(U_D)),  R_N = max(N/U_N - 1, 0)

   R_D*, R_N* were fitted with Muennighoff's own C4 base law held fixed, so they are paired ONLY with it.
3. FLOP accounting (Kaplan20 Eq. 2.1/2.2): training ~ 6 N per token, generation ~ 2 N per token.
4. Reward over-optimisation (Gao23 §1), with d = sqrt(KL(pi || pi_init)) in nats::

       R_bon(d) = d (alpha_bon - beta_bon d),   R_RL(d) = d (alpha_RL - beta_RL log d),   R(0) = 0

   The functional forms are [T]; the paper gives alpha/beta only in figures, so our coefficients are ILLUSTRATIVE
   (``OveroptimisationCoefficients.confirmed`` is False and every curve says so).
5. KL-regularised optimum under a Gaussian reward (laws.md §8.2, derived and checked numerically):
   KL(pi* || pi_ref) = sigma^2 / (2 beta^2), reward gain sigma^2 / beta.

What we simplified and why: no Kaplan20 surface (it uses non-embedding N, so mixing it with Chinchilla constants
would be wrong; laws.md §1.5 advice); no uncertainty bands (the book quotes the Besiroglu24 bootstrap intervals in
text); exact-FLOP counts (Hoffmann22 App. F) are replaced by 6ND, within ~2 % for Chinchilla.

Functions accept floats or numpy arrays; they return a Python float for scalar input and an ndarray otherwise.
"""

import math
from dataclasses import asdict, dataclass

import numpy as np

SOURCES = {
    "Hoffmann22": {"paper": "Training Compute-Optimal Large Language Models", "authors": "Hoffmann et al.",
                   "year": 2022, "arxiv": "2203.15556"},
    "Besiroglu24": {"paper": "Chinchilla Scaling: A replication attempt", "authors": "Besiroglu, Erdil, Barnett, You",
                    "year": 2024, "arxiv": "2404.10102"},
    "Muennighoff23": {"paper": "Scaling Data-Constrained Language Models", "authors": "Muennighoff et al.",
                      "year": 2023, "arxiv": "2305.16264"},
    "Kaplan20": {"paper": "Scaling Laws for Neural Language Models", "authors": "Kaplan et al.",
                 "year": 2020, "arxiv": "2001.08361"},
    "Gao23": {"paper": "Scaling Laws for Reward Model Overoptimization", "authors": "Gao, Schulman, Hilton",
              "year": 2023, "arxiv": "2210.10760"},
    "Stiennon20": {"paper": "Learning to summarize from human feedback", "authors": "Stiennon et al.",
                   "year": 2020, "arxiv": "2009.01325"},
    "Rafailov23": {"paper": "Direct Preference Optimization: Your Language Model is Secretly a Reward Model",
                   "authors": "Rafailov et al.", "year": 2023, "arxiv": "2305.18290"},
}


def _out(x):
    """Python float for a 0-d result, the ndarray otherwise (so the book gets plain floats)."""
    x = np.asarray(x, dtype=np.float64)
    return float(x) if x.ndim == 0 else x


# ---------------------------------------------------------------------------------------------- 1. Chinchilla
@dataclass(frozen=True)
class LossLaw:
    """One constant set for L(N, D) = E + A/N^alpha + B/D^beta (Hoffmann22 §3.3 Eq. 2)."""

    name: str
    E: float      # irreducible loss, "entropy of natural text" (nats/token)
    A: float      # capacity term coefficient
    B: float      # data term coefficient
    alpha: float  # exponent on N (all parameters)
    beta: float   # exponent on D (training tokens)
    source: str   # key into SOURCES
    location: str  # equation / table / artefact the numbers come from
    tag: str      # laws.md confidence tag

    def loss(self, N, D):
        """L(N, D) in nats per token (Eq. 2)."""
        N, D = np.asarray(N, dtype=np.float64), np.asarray(D, dtype=np.float64)
        return _out(self.E + self.A / N**self.alpha + self.B / D**self.beta)

    @property
    def G(self) -> float:
        """G = (alpha A / (beta B))^(1/(alpha+beta)) (Eq. 4)."""
        return (self.alpha * self.A / (self.beta * self.B)) ** (1.0 / (self.alpha + self.beta))

    @property
    def a(self) -> float:
        """Exponent in N_opt ∝ C^a: a = beta/(alpha+beta)."""
        return self.beta / (self.alpha + self.beta)

    @property
    def b(self) -> float:
        """Exponent in D_opt ∝ C^b: b = alpha/(alpha+beta)."""
        return self.alpha / (self.alpha + self.beta)

    def compute_optimal(self, C):
        """(N_opt, D_opt) for a budget of C training FLOPs (Eq. 4, with C = 6ND). E does not move the optimum."""
        C6 = np.asarray(C, dtype=np.float64) / 6.0
        return _out(self.G * C6**self.a), _out(C6**self.b / self.G)

    def optimal_params_for_tokens(self, D):
        """The N that is compute-optimal when the optimal token count is D: invert D = G^-1 (C/6)^b."""
        C6 = (np.asarray(D, dtype=np.float64) * self.G) ** (1.0 / self.b)
        return _out(self.G * C6**self.a)


# Hoffmann22 App. D.2 as printed (Eq. 10 in the transcription) [T]; implies a/b = 0.46/0.54 (Table 2).
HOFFMANN22_PRINTED = LossLaw("Hoffmann22 (as printed)", E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28,
                             source="Hoffmann22", location="App. D.2, Approach 3 (Eq. 10 per transcription)",
                             tag="T")
# Hoffmann22 unrounded values from the paper's TeX source, quoted in Besiroglu24's notebook (log-space a, b, e) [P].
HOFFMANN22_UNROUNDED = LossLaw("Hoffmann22 (unrounded)", E=math.exp(0.5267228), A=math.exp(6.0073404),
                               B=math.exp(6.0179186), alpha=0.33917084, beta=0.2849083, source="Hoffmann22",
                               location="TeX-source values via epoch-research/analyzing-chinchilla data_analysis.ipynb",
                               tag="P")
# Besiroglu24 refit of Hoffmann's Fig. 4 data [P] (main results table; "Table 1" is [U]). Default: ≈20 tokens/param,
# consistent with Hoffmann22 Approaches 1 and 2 (laws.md §1.5 advice).
BESIROGLU24 = LossLaw("Besiroglu24 refit", E=1.8172, A=482.01, B=2085.43, alpha=0.3478, beta=0.3658,
                      source="Besiroglu24", location="main results table (Table 1 [U]); notebook values [P]", tag="P")
# Muennighoff23 C4 base law, alpha tied to beta (App. B; datablations README) [T][P]. Unrounded log-space values.
MUENNIGHOFF23_C4 = LossLaw("Muennighoff23 C4 base law", E=math.exp(0.6254804), A=math.exp(6.255414),
                           B=math.exp(7.3049974), alpha=0.3526596, beta=0.3526596, source="Muennighoff23",
                           location="App. B; huggingface/datablations README", tag="P")

LOSS_LAWS = {"besiroglu24": BESIROGLU24, "hoffmann22_printed": HOFFMANN22_PRINTED,
             "hoffmann22_unrounded": HOFFMANN22_UNROUNDED, "muennighoff23_c4": MUENNIGHOFF23_C4}
DEFAULT_LAW = BESIROGLU24
GOPHER_BUDGET_FLOPS = 5.76e23   # Hoffmann22 Table 3 (= Gopher's budget) [T]
CHINCHILLA = {"params": 70e9, "tokens": 1.4e12}   # Hoffmann22 §4 [T]


# ---------------------------------------------------------------------------------- 2. Data-constrained scaling
R_D_STAR = 15.387756  # Muennighoff23 App. A fit table; datablations README [T][P]; half-life of repeated data
R_N_STAR = 5.309743   # same source; decay constant for excess parameters


def effective_data(unique_tokens, epochs, rd_star: float = R_D_STAR):
    """D' = U_D + U_D R_D* (1 - exp(-R_D/R_D*)) with R_D = epochs - 1 (Muennighoff23 Eq. 5).

    Plateaus at U_D (1 + R_D*) ≈ 16.4 U_D: no amount of repetition beats that many fresh tokens.
    """
    U = np.asarray(unique_tokens, dtype=np.float64)
    RD = np.maximum(np.asarray(epochs, dtype=np.float64) - 1.0, 0.0)
    return _out(U + U * rd_star * (1.0 - np.exp(-RD / rd_star)))


def effective_params(params, unique_tokens, law: LossLaw = MUENNIGHOFF23_C4, rn_star: float = R_N_STAR):
    """N' = U_N + U_N R_N* (1 - exp(-R_N/R_N*)), U_N = min(N, N_opt(U_D)), R_N = max(N/U_N - 1, 0) (Eq. 6)."""
    N = np.asarray(params, dtype=np.float64)
    UN = np.minimum(N, law.optimal_params_for_tokens(np.asarray(unique_tokens, dtype=np.float64)))
    RN = np.maximum(N / UN - 1.0, 0.0)
    return _out(UN + UN * rn_star * (1.0 - np.exp(-RN / rn_star)))


def data_constrained_loss(params, tokens, unique_tokens):
    """L = E + A/N'^alpha + B/D'^beta with the C4 base law (Muennighoff23 Eq. 5/6 + App. B).

    ``tokens`` is the total D trained on, ``unique_tokens`` the unique budget U_D; epochs = D / U_D.
    R_D*, R_N* are only valid with the C4 constants they were fitted with, so no ``law`` argument is offered.
    """
    D, U = np.asarray(tokens, dtype=np.float64), np.asarray(unique_tokens, dtype=np.float64)
    U = np.minimum(U, D)
    Dp = effective_data(U, D / U)
    Np = effective_params(params, U)
    law = MUENNIGHOFF23_C4
    return _out(law.E + law.A / np.asarray(Np) ** law.alpha + law.B / np.asarray(Dp) ** law.beta)


def repetition_efficiency(epochs):
    """D'/D: what fraction of the tokens processed were worth fresh tokens (laws.md §2.4 table)."""
    ep = np.asarray(epochs, dtype=np.float64)
    return _out(np.asarray(effective_data(1.0, ep)) / ep)


def marginal_epoch_value(epochs):
    """dD'/dD at R_D = epochs - 1: exp(-R_D/R_D*), the worth of one more repeated token vs a fresh one."""
    return _out(np.exp(-np.maximum(np.asarray(epochs, dtype=np.float64) - 1.0, 0.0) / R_D_STAR))


# ------------------------------------------------------------------------------------------- 3. FLOP accounting
def training_flops(params, tokens):
    """C ≈ 6 N D: forward 2N + backward 4N per token (Kaplan20 Eq. 2.1/2.2; Hoffmann22 §3.3)."""
    return _out(6.0 * np.asarray(params, dtype=np.float64) * np.asarray(tokens, dtype=np.float64))


def inference_flops(params, tokens=1.0):
    """≈ 2 N FLOPs per generated token, forward pass only, attention term ignored (Kaplan20 §2.1)."""
    return _out(2.0 * np.asarray(params, dtype=np.float64) * np.asarray(tokens, dtype=np.float64))


def training_days(flops, n_chips: int, peak_flops_per_chip: float, mfu: float = 0.4):
    """Wall-clock days = 6ND / (chips · peak · MFU); MFU 0.3–0.5 is realistic (PaLM §4.1 Table 3; laws.md §4)."""
    return _out(np.asarray(flops, dtype=np.float64) / (n_chips * peak_flops_per_chip * mfu) / 86400.0)


# ------------------------------------------------------------------------------ 4. Reward over-optimisation
@dataclass(frozen=True)
class OveroptimisationCoefficients:
    """alpha/beta of Gao23's gold-reward curves, in gold-RM standard deviations (§2.2).

    ``confirmed`` is False for every set we ship: Gao23 plots the fitted values (Fig. 3) but prints no table
    (laws.md §7.2, [U]), so any chart using them must be labelled ``label``.
    """

    alpha_bon: float
    beta_bon: float
    alpha_rl: float
    beta_rl: float
    confirmed: bool
    label: str
    note: str


# Chosen by us to give peaks inside the ranges Gao23 plots (BoN peak near KL ≈ 6 nats, n ≈ 1,400; RL peak near
# d ≈ 7), NOT read from the paper. [U]
GAO23_ILLUSTRATIVE = OveroptimisationCoefficients(
    alpha_bon=1.0, beta_bon=0.2, alpha_rl=0.6, beta_rl=0.2, confirmed=False, label="illustrative",
    note="Functional forms from Gao23 §1 [T]; coefficients chosen for illustration, not fitted (paper gives them "
         "only in Fig. 3) [U].")


def bon_kl(n):
    """KL(best-of-n || base) = log n - (n-1)/n nats (Gao23 §2, citing Stiennon20 App. G.3)."""
    n = np.asarray(n, dtype=np.float64)
    return _out(np.log(n) - (n - 1.0) / n)


def gold_reward_bon(d, alpha_bon: float, beta_bon: float):
    """R_bon(d) = d (alpha_bon - beta_bon d), d = sqrt(KL) (Gao23 §1)."""
    d = np.asarray(d, dtype=np.float64)
    return _out(d * (alpha_bon - beta_bon * d))


def gold_reward_rl(d, alpha_rl: float, beta_rl: float, rounds: int = 1):
    """R_RL(d) = d (alpha_RL - beta_RL log d + beta_RL log k), R(0) := 0 (Gao23 §1; k rounds §4.3)."""
    d = np.asarray(d, dtype=np.float64)
    safe = np.where(d > 0, d, 1.0)  # log(0) is never evaluated; the d=0 entries are set to 0 below
    return _out(np.where(d > 0, d * (alpha_rl - beta_rl * np.log(safe) + beta_rl * math.log(rounds)), 0.0))


def bon_peak(alpha_bon: float, beta_bon: float) -> tuple[float, float]:
    """(d*, R*) = (alpha/(2 beta), alpha^2/(4 beta)) for the BoN curve (laws.md §7.1, our algebra)."""
    return alpha_bon / (2.0 * beta_bon), alpha_bon**2 / (4.0 * beta_bon)


def rl_peak(alpha_rl: float, beta_rl: float, rounds: int = 1) -> tuple[float, float]:
    """(d*, R*) = (k·exp(alpha/beta - 1), beta d*) for the RL curve: dR/dd = alpha - beta(log d - log k) - beta = 0."""
    d_star = rounds * math.exp(alpha_rl / beta_rl - 1.0)
    return d_star, beta_rl * d_star


def overoptimisation_curves(coef: OveroptimisationCoefficients = GAO23_ILLUSTRATIVE, d_max: float = 10.0,
                            n_points: int = 101) -> dict:
    """Gold reward vs d = sqrt(KL) for BoN and RL as plain lists, with peaks and the illustrative flag."""
    d = np.linspace(0.0, d_max, n_points)
    bon_d, bon_r = bon_peak(coef.alpha_bon, coef.beta_bon)
    rl_d, rl_r = rl_peak(coef.alpha_rl, coef.beta_rl)
    return {"d": d.tolist(), "kl": (d**2).tolist(),
            "gold_bon": np.asarray(gold_reward_bon(d, coef.alpha_bon, coef.beta_bon)).tolist(),
            "gold_rl": np.asarray(gold_reward_rl(d, coef.alpha_rl, coef.beta_rl)).tolist(),
            "bon_peak": {"d": bon_d, "kl": bon_d**2, "gold": bon_r},
            "rl_peak": {"d": rl_d, "kl": rl_d**2, "gold": rl_r},
            "illustrative": not coef.confirmed, "label": coef.label, "coefficients": asdict(coef)}


# ------------------------------------------------------------------ 5. KL-regularised optimum, Gaussian reward
def tilted_kl(kl_coef, reward_std: float = 1.0):
    """KL(pi* || pi_ref) = sigma^2 / (2 beta^2) for pi* ∝ pi_ref e^(r/beta), r ~ N(mu, sigma^2) (laws.md §8.2).

    beta is PPO's ``kl_coef`` (and DPO's ``beta``: same symbol, same role in Rafailov23 Eq. 3).
    """
    b = np.asarray(kl_coef, dtype=np.float64)
    return _out(reward_std**2 / (2.0 * b**2))


def tilted_reward_gain(kl_coef, reward_std: float = 1.0):
    """Proxy-reward gain sigma^2 / beta = sigma sqrt(2 KL): linear in d = sqrt(KL) (laws.md §8.2)."""
    return _out(reward_std**2 / np.asarray(kl_coef, dtype=np.float64))


# ------------------------------------------------------------------------------------------- book rendering
def constants_table() -> list[dict]:
    """Every fitted constant as a row {set, symbol, value, source, arxiv, location, tag} for the book's tables."""
    rows = []
    for key, law in LOSS_LAWS.items():
        for sym in ("E", "A", "B", "alpha", "beta"):
            rows.append({"set": key, "symbol": sym, "value": float(getattr(law, sym)), "source": law.source,
                         "arxiv": SOURCES[law.source]["arxiv"], "location": law.location, "tag": law.tag})
    for sym, val in (("R_D*", R_D_STAR), ("R_N*", R_N_STAR)):
        rows.append({"set": "muennighoff23_c4", "symbol": sym, "value": val, "source": "Muennighoff23",
                     "arxiv": SOURCES["Muennighoff23"]["arxiv"], "location": "App. A; datablations README",
                     "tag": "P"})
    for sym in ("alpha_bon", "beta_bon", "alpha_rl", "beta_rl"):
        rows.append({"set": "gao23_illustrative", "symbol": sym, "value": getattr(GAO23_ILLUSTRATIVE, sym),
                     "source": "Gao23", "arxiv": SOURCES["Gao23"]["arxiv"],
                     "location": "forms §1 [T]; values chosen by us (illustrative)", "tag": "U"})
    return rows


CONSTANTS = constants_table()
