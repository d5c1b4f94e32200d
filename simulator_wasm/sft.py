"""Supervised fine-tuning (SFT): next-token cross-entropy on expert answers only; prompt tokens are context.

    L_SFT(θ) = −(1 / Σ|y|) Σ_(x, y) Σ_t log π_θ(y_t | x, y_<t)            x prompt, y demonstration answer

Paper: Ouyang et al. 2022, "Training language models to follow instructions with human feedback" (InstructGPT
§3.5: SFT on labeller demonstrations, then a reward model, then PPO).

Shapes: B batch rows, T context window, V vocabulary, D embedding, H hidden.

Training loop, numbered as in the chapter:
    1. sample ``expert_pairs`` demonstrations of the SFT items (world.make_sft_pairs; a controlled share carries
       the flaws the RLHF chapters need: no referral, "definitely", padding),
    2. turn them into rows and keep only the answer tokens (the loss mask),
    3. each epoch: shuffle the rows; forward, cross-entropy, backward, Adam step,
    4. answer the evaluation questions greedily, before and after: a held-out phrasing, and facts that appear
       only in the pretraining corpus.

Why pretraining knowledge reaches the answers: an answer restates the pair in the words of the pretraining
sentence ("warfarin with ibuprofen : avoid , ..."). Once the model has copied the two names from the question
(model.py's pointer), writing the verdict is the next-token prediction pretraining already taught, so facts SFT
never showed are answered too. A model SFT'd from scratch has only SFT's pattern to go on.

What we simplified and why:
- Full fine-tuning with a constant learning rate (gradient norm clipped at 5). ``freeze_embeddings=True`` keeps the
  pretrained word embeddings fixed (only "<q>" and "<eos>", which SFT introduces, learn); it helped when SFT
  memorised its own names strongly, and changes little at the defaults (held-out facts 0.87 vs 0.85, 6 seeds).
- The chat template is just "<q> question ?" and the answer; no packing of several demonstrations per row.
"""

from dataclasses import asdict, dataclass

import numpy as np

from .errors import ConfigError
from .generate import generate
from .model import FLOPS, ModelConfig, Params, check_number, init_params, loss_and_grads, pair_rows
from .optim import Adam
from .pretrain import mean_loss
from .vocab import SPECIALS
from .world import VERDICT_WORDS, World, answer_tokens, make_sft_pairs, pair_head

EVAL_SETS = ("heldout_phrasing", "heldout_facts")


@dataclass(frozen=True)
class SFTConfig:
    """expert_pairs     number of demonstrations, 10–20,000
    learning_rate      η of Adam, (0, 0.3]
    epochs             passes over the demonstrations, 1–100
    batch_size         rows (answer tokens) per step B, 8–4,096
    no_consult_frac    share of demos without the referral phrase, [0, 1]  (a flaw the RM can see)
    confident_frac     share that end the advice with "definitely", [0, 1]  (a flaw the RM can see)
    pad_frac           share padded with ". stay well", [0, 1]              (the rare exploit)
    max_new_tokens     length limit of the evaluation answers, 4–64
    freeze_embeddings  keep the pretrained word embeddings fixed (a model from scratch must train them)"""

    expert_pairs: int = 240
    learning_rate: float = 0.005
    epochs: int = 2
    batch_size: int = 64
    no_consult_frac: float = 0.3
    confident_frac: float = 0.2
    pad_frac: float = 0.05
    max_new_tokens: int = 24
    freeze_embeddings: bool = False

    def __post_init__(self):
        check_number("sft.expert_pairs", self.expert_pairs, 10, 20_000, integer=True)
        check_number("sft.learning_rate", self.learning_rate, 0, 0.3, open_lo=True)
        check_number("sft.epochs", self.epochs, 1, 100, integer=True)
        check_number("sft.batch_size", self.batch_size, 8, 4096, integer=True)
        for name in ("no_consult_frac", "confident_frac", "pad_frac"):
            check_number(f"sft.{name}", getattr(self, name), 0, 1)
        check_number("sft.max_new_tokens", self.max_new_tokens, 4, 64, integer=True)
        if not isinstance(self.freeze_embeddings, (bool, np.bool_)):
            raise ConfigError(f"sft.freeze_embeddings must be True or False, got {self.freeze_embeddings!r}")


def first_verdict(words) -> str | None:
    """The first verdict word of an answer (world.VERDICT_WORDS), or None."""
    return next((w for w in words if w in VERDICT_WORDS), None)


def evaluate(world: World, params: Params, which: str, max_new_tokens: int = 24, n_examples: int = 6) -> dict:
    """Greedy answers to a question set (World.questions). Returns
        accuracy   share whose first verdict word is the item's verdict
        restated   share that begin by restating the pair exactly ("drug with other :")
        answer_loss  mean cross-entropy of the canonical (flawless) answers, teacher-forced
        n          number of questions
        examples   [{"question", "answer"}] for the first question about each of the first n_examples items"""
    qs = world.questions(which)
    gen = generate(params, [world.vocab.encode(p) for _, p in qs], None, max_new_tokens, greedy=True)
    answers = [world.vocab.decode(a) for a in gen.answers()]
    correct = [first_verdict(a) == item.verdict for (item, _), a in zip(qs, answers)]
    heads = [pair_head(item) for item, _ in qs]
    restated = [a[:len(h)] == h for h, a in zip(heads, answers)]
    examples, seen = [], set()
    for (item, prompt), answer in zip(qs, answers):
        if item not in seen and len(examples) < n_examples:
            seen.add(item)
            examples.append({"question": " ".join(prompt), "answer": " ".join(answer)})
    X, Y, _ = pair_rows([world.vocab.encode(p) for _, p in qs],
                        [world.vocab.encode(answer_tokens(item)) for item, _ in qs], params.config.context_size)
    return {"accuracy": float(np.mean(correct)), "restated": float(np.mean(restated)),
            "answer_loss": mean_loss(params, X, Y), "n": len(qs), "examples": examples}


def run_sft(world: World, params: Params | None, config: SFTConfig, rng: np.random.Generator,
            model_config: ModelConfig | None = None):
    """Fine-tune a copy of ``params`` (None: from scratch, a fresh model of ``model_config``).

    Returns (params, results), results a JSON-ready dict: train_loss per epoch, step_loss per step, rows,
    clipped_steps (gradient norm above 5, scaled down),
    flaw_counts of the demonstrations, before / after evaluations (see ``evaluate``) of EVAL_SETS, flops, config.
    """
    if params is None and model_config is None:
        raise ValueError("run_sft needs pretrained params or, to train from scratch, a model_config")
    flops0 = FLOPS.count
    pair_rng, init_rng, order_rng = rng.spawn(3)
    if params is None and config.freeze_embeddings:
        raise ValueError("SFT from scratch must train its embeddings: use freeze_embeddings=False")
    params = init_params(model_config, init_rng) if params is None else params.copy()
    before = {w: evaluate(world, params, w, config.max_new_tokens) for w in EVAL_SETS}
    # 1. demonstrations
    pairs = make_sft_pairs(world, config.expert_pairs, pair_rng, config.no_consult_frac, config.confident_frac,
                           config.pad_frac)
    # 2. answer-token rows only: the prompt is context, never a target
    X, Y, _ = pair_rows([world.vocab.encode(p["prompt"]) for p in pairs],
                        [world.vocab.encode(p["answer"]) for p in pairs], params.config.context_size)
    opt = Adam(params.flat.size, config.learning_rate, max_grad_norm=5.0)
    train_loss, step_loss, clipped = [], [], 0
    for _ in range(config.epochs):
        # 3. shuffle; forward, loss, backward, Adam
        order = order_rng.permutation(len(Y))
        losses = []
        for s in range(0, len(order), config.batch_size):
            b = order[s:s + config.batch_size]
            loss, grads = loss_and_grads(params, X[b], Y[b])
            if config.freeze_embeddings:           # pretrained words keep their embeddings; the tokens
                grads.C[len(SPECIALS):] = 0.0      # SFT introduces ("<q>", "<eos>") learn theirs
            clipped += opt.step(params.flat, grads.flat) > opt.max_grad_norm
            losses.append(loss)
        step_loss += losses
        train_loss.append(float(np.mean(losses)))
    # 4. evaluate the same questions again
    after = {w: evaluate(world, params, w, config.max_new_tokens) for w in EVAL_SETS}
    flaws = {f: sum(f in p["flaws"] for p in pairs) for f in ("no_consult", "confident", "padded")}
    return params, {"train_loss": train_loss, "step_loss": [float(x) for x in step_loss], "rows": int(len(Y)),
                    "clipped_steps": int(clipped),
                    "flaw_counts": flaws, "before": before, "after": after, "flops": int(FLOPS.count - flops0),
                    "config": asdict(config)}
