"""What the checks read: the observed steps (torch or glassnet), and the tunable thresholds.

Every threshold is a field of ``Thresholds`` with its default, its meaning and where it comes
from; pass ``Thresholds(dead_fraction=0.8)`` (or ``--threshold dead_fraction=0.8``) to change one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np

from ..observe.records import LOSSES, Step

BCE = ("binary_cross_entropy", "binary_cross_entropy_with_logits")
CE = ("cross_entropy", "nll_loss")


@dataclass
class Thresholds:
    """The numbers each check compares with (defaults from the literature, see docs/doctor.md)."""

    #: initial-loss: |L₀ − ln C| / ln C above this at step 0 (Karpathy 2019, "verify loss @ init").
    initial_loss_rel: float = 0.5
    #: initial-loss: a minority-class share below this suggests the final-bias prior log(p/(1−p)).
    bias_prior_share: float = 0.2
    #: unscaled-input: a feature's RMS √(mean² + std²) above this (standardised data: 1;
    #: LeCun et al. 1998, "Efficient BackProp").
    input_scale: float = 10.0
    #: unscaled-input: largest / smallest feature RMS above this.
    input_spread: float = 100.0
    #: lr-too-high: the smoothed loss ends above this many times its minimum (divergence).
    divergence: float = 2.0
    #: lr-too-high: a smoothed loss that rises steadily after its minimum and ends this many times
    #: above it diverges even when it ends below where it started (a late divergence).
    late_rise: float = 10.0
    #: lr-too-high: mean |ΔL|/L per step above this with no progress (oscillation).
    oscillation: float = 0.3
    #: Window (steps) of the moving average the loss checks smooth with.
    window: int = 10
    #: lr-too-high (step size): the largest early median ‖Δw‖/‖w‖ above this (healthy ≈ 1e-3;
    #: Karpathy, CS231n) ...
    update_ratio_high: float = 0.1
    #: ... with a loss that jumped above this many times its first value ...
    loss_jump: float = 3.0
    #: ... and ends above this fraction of its first value (no progress).
    no_progress: float = 0.8
    #: lr-too-low-or-stalled: the smoothed loss drops by less than this fraction over the run.
    min_drop: float = 0.05
    #: lr-too-low-or-stalled: steps needed before a stall is judged.
    stall_steps: int = 50
    #: lr-too-low-or-stalled (chance level): a classifier whose smoothed loss never falls below
    #: (1 − this) × the loss of predicting its class prior (ln C when balanced) has learned nothing.
    chance_margin: float = 0.02
    #: lr-too-low-or-stalled: median ‖Δw‖/‖w‖ below this (healthy ≈ 1e-3; Karpathy, CS231n).
    update_ratio: float = 1e-5
    #: missing-zero-grad: steps whose backward found a gradient left from before the last step().
    stale_steps: int = 2
    #: dead-relu: fraction of a layer's units never active over the last measured batches
    #: (Lu et al. 2019, "Dying ReLU and initialization").
    dead_fraction: float = 0.5
    #: dead-relu: how many of the last measured steps a unit must stay inactive in.
    dead_window: int = 5
    #: saturation: fraction of a hidden sigmoid/tanh layer's inputs beyond ±5 (Glorot & Bengio 2010).
    saturated_fraction: float = 0.5
    #: vanishing-gradient: first-layer / last-layer weight-gradient norm below this
    #: (Pascanu et al. 2013; Hochreiter 1991).
    vanishing_ratio: float = 1e-3
    #: exploding-gradient: first-layer / last-layer weight-gradient norm above this.
    exploding_ratio: float = 1e3
    #: exploding-gradient: any layer's weight-gradient norm at the first step above this.
    exploding_norm: float = 1e3
    #: unshuffled-data: batches with at least this many class targets are counted ...
    unshuffled_batch: int = 8
    #: ... and more than this fraction of them holding one class means a class-sorted order.
    unshuffled_fraction: float = 0.5
    #: label-imbalance: most / least frequent class count above this.
    imbalance_ratio: float = 10.0
    #: noise-limited: k-nearest-neighbour accuracy on held-out points below this.
    knn_ceiling: float = 0.8
    #: noise-limited: neighbours of the baseline (5-fold cross-validated).
    knn_k: int = 5
    #: noise-limited: most input features for which kNN is a fair estimate of what the data allow.
    knn_features: int = 3
    #: target-not-shifted: fraction of token positions whose target equals the input token above
    #: this (a language model's targets are the next tokens); causal-mask-missing: fraction of
    #: positions whose target is the next input token above this (the model predicts ahead).
    target_equal: float = 0.9
    #: causal-mask-missing: mean attention weight a query puts on later positions above this
    #: (a causal mask gives exactly 0).
    causal_leak: float = 0.05
    #: attention-unscaled: fraction of self-attention softmax rows (≥ 4 unmasked keys) whose
    #: largest weight is above 0.99 at the first measured step (near one-hot at initialisation) ...
    attention_onehot: float = 0.2
    #: ... or the logits' standard deviation across a row's keys above this at that step (scaled
    #: by 1/√d, default-initialised q and k give ≈ 0.3; Vaswani et al. 2017, section 3.2.1).
    attention_logit_std: float = 3.0
    #: ... or, at any measured step, q·kᵀ reaching the softmax with no multiply or divide on the
    #: way (nor on q or k), or SDPA given scale ≥ 2/√d, for a head size of at least this.
    attention_head_size: int = 8
    #: padding-last-step: fraction of a batch's token sequences that end in padding (trailing 0s)
    #: above this, while the model reads its output at the last time step for the loss.
    padded_last: float = 0.5
    #: exploding-gradient (spike): a loss above this many times the median of the previous
    #: `window` losses (and above twice the first losses), that later falls back, without clipping.
    loss_spike: float = 5.0
    #: augmentation-target-mismatch: a sample's spatial target counts as moved away from its input
    #: when a flip or rotation of the target agrees with the input's foreground (input above its
    #: per-sample mean) with a correlation above this ...
    augment_match: float = 0.5
    #: ... and above the unmoved target's correlation by more than this ...
    augment_margin: float = 0.3
    #: ... and more than this fraction of the measured samples (at least 16) are so moved.
    augment_fraction: float = 0.2
    #: overfit-one-batch: examples, steps, and the final/initial loss ratio that counts as fitted.
    probe_examples: int = 16
    probe_steps: int = 300
    probe_fit: float = 0.1

    @classmethod
    def parse(cls, items) -> "Thresholds":
        """``["dead_fraction=0.8", ...]`` → Thresholds (ValueError naming a bad item)."""
        known = {f.name: f.type for f in fields(cls)}
        values = {}
        for item in items or ():
            name, _, text = item.partition("=")
            name = name.strip().replace("-", "_")
            if name not in known or not text:
                raise ValueError(f"--threshold takes NAME=VALUE with NAME one of "
                                 f"{', '.join(known)}; got {item!r}")
            try:
                values[name] = int(text) if known[name] in (int, "int") else float(text)
            except ValueError:
                raise ValueError(f"--threshold {name} needs a number; got {text!r}") from None
        return cls(**values)


@dataclass
class Observed:
    """A run as the checks see it: steps (one per optimizer.step), and how the run went."""

    steps: list                          # finished Steps
    trailing: Step | None = None         # calls after the last step (evaluation, a crash)
    backward_calls: int = 0
    grad_calls: int = 0                  # autograd.grad calls: gradients taken without .grad
    engine: str = "torch"
    error: dict | None = None            # {'type', 'message', 'line'} when the program raised
    drives_loop: bool = False            # True in check(): the doctor ran the loop itself
    data: tuple | None = None            # (X, labels) for the data checks (kNN), when known
    probe: dict | None = None            # overfit-one-batch result
    param_order: list = field(default_factory=list)
    batches: dict = field(default_factory=dict)   # {step: {'input', 'target'}}: kept batches

    def all_steps(self) -> list:
        return self.steps + ([self.trailing] if self.trailing is not None else [])

    def calls(self, kinds=None, training: bool | None = True):
        """Calls of these kinds; training=True: with grad on, False: without, None: both."""
        for step in self.all_steps():
            for call in step.calls:
                if (kinds is None or call.kind in kinds) and \
                        (training is None or call.grad_enabled == training):
                    yield call

    def loss_calls(self, training: bool | None = True):
        return list(self.calls(LOSSES, training))

    @property
    def optimizers_take_turns(self) -> int:
        """How many optimizers step in turn (a GAN's discriminator and generator, an actor and a
        critic), 0 when one does or they train one after the other: each one's loss is then
        measured against an opponent that moves, so a loss curve says little about its own
        learning rate."""
        # (steps after a backward only: an encoder's and a decoder's optimizers stepping after
        # one backward are one joint step, not turns)
        ids = [s.optimizer_id for s in self.steps if s.optimizer_id is not None and s.losses]
        changes = sum(a != b for a, b in zip(ids, ids[1:]))
        distinct = len(set(ids))
        return distinct if distinct > 1 and changes > 2 * distinct else 0

    def losses(self) -> np.ndarray:
        """The loss of each finished step (NaN where none was given to backward)."""
        return np.array([s.loss if s.loss is not None else math.nan for s in self.steps], dtype=float)

    def measured(self):
        """Steps whose parameters were measured (gradient norms present)."""
        return [s for s in self.steps if any(p.grad_norm is not None or p.update_norm is not None
                                             for p in s.params.values())]


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Moving average over ``window`` steps (valid part only)."""
    window = max(1, min(window, len(values)))
    return np.convolve(values, np.ones(window) / window, mode="valid")


def soft_bce(c) -> bool:
    """A binary cross-entropy against soft targets (float, not all 0/1: a VAE's or an
    autoencoder's pixel intensities): no classes, no ln 2, and a floor at the targets' entropy."""
    target = c.stats.get("target") or {}
    return c.kind in BCE and bool(target.get("float")) and not target.get("integer")


def ce_classes(c):
    """The number of classes of a cross-entropy call: its input's dim 1, or None."""
    shape = c.stats.get("input_shape", ())
    return shape[1] if len(shape) >= 2 else None


def class_counts(calls):
    """Summed counts per class of the training targets seen (classification losses only)."""
    counts, n_classes = {}, None
    for c in calls:
        t = c.stats.get("target") or {}
        if c.kind not in BCE + CE or not t.get("counts") or t.get("float") and c.kind in CE:
            continue
        if c.kind in CE:
            n_classes = ce_classes(c)
        elif not set(t["counts"]) <= {0.0, 1.0}:
            continue
        for value, k in t["counts"].items():
            counts[value] = counts.get(value, 0) + k
    if n_classes is not None:
        for value in range(n_classes):
            counts.setdefault(float(value), 0)
    return counts
