"""The records an observation produces: plain data, no torch (glassnet's engine fills them too).

One ``Step`` per ``optimizer.step()``: the ``Call``s seen before it (activations, layers, losses,
the model's outermost module), the losses given to ``backward``, one ``ParamStat`` per parameter
and the ``Clip`` calls.  ``glassnet.observe.observer`` fills them from torch's hooks;
``glassnet.doctor`` fills them from glassnet's own hooks and reads both the same way.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Step", "Call", "ParamStat", "Clip", "StepLimitReached", "summarize_target",
           "SATURATION_Z", "INPUT_STEPS", "ACTIVATIONS", "LOSSES"]

#: A sigmoid/tanh input beyond ±this is saturated (σ'(5) ≈ 0.0066, tanh'(5) ≈ 0.00018).
SATURATION_Z = 5.0
#: Steps whose root-module inputs are summarised (feature means and spreads).
INPUT_STEPS = 3


class StepLimitReached(BaseException):
    """Raised out of ``optimizer.step()`` once ``max_steps`` steps were observed.

    A ``BaseException`` so that a script's own ``except Exception`` does not swallow it.
    """


@dataclass
class Call:
    """One call of an activation, dropout, normalisation, layer or loss, module or function.

    ``kind``: 'relu', 'sigmoid', 'tanh', 'softmax', 'log_softmax', 'dropout', 'norm', 'layer',
    'root' (the model's outermost module), or a loss: 'cross_entropy', 'nll_loss',
    'binary_cross_entropy', 'binary_cross_entropy_with_logits', 'mse_loss', 'l1_loss', ...
    ``stats`` holds what the kind needs: 'active' (bool per unit: output > 0 for some sample),
    'saturated' (fraction of inputs beyond ±SATURATION_Z), 'dim_size' (softmax), 'value',
    'target' (a summary, see ``summarize_target``), 'feature_mean'/'feature_std' (root input).
    """

    kind: str
    where: str                        # module path ('net.0'), or 'fc1 → sigmoid' for functions
    type: str                         # module class or function name
    step: int
    grad_enabled: bool
    training: bool | None = None      # modules only
    shape: tuple = ()
    finite: bool = True
    input_from: str | None = None     # losses: kind of the call whose output is the loss input
    line: int | None = None           # line of the observed script, when known
    stats: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)   # NumPy copies ('input', 'output', 'target'), opt-in


@dataclass
class ParamStat:
    """One parameter at one ``step()``: gradient, weight and update sizes (L2 norms)."""

    name: str
    shape: tuple
    in_optimizer: bool
    requires_grad: bool
    grad_norm: float | None           # None: no gradient at this step
    weight_norm: float
    update_norm: float | None = None  # ‖after − before‖; None when not measured
    grad_finite: bool = True
    values: dict = field(default_factory=dict)   # 'before', 'grad', 'after' (opt-in)
    stepped: bool | None = None       # held by the optimizer whose step() this is (None: no optimizer)


@dataclass
class Clip:
    """A gradient-clipping call: which function, whether it came after the step, its result."""

    function: str
    step: int
    after_step: bool                  # True: no backward since the last step() — clips stale grads
    total_norm: float | None
    line: int | None = None


@dataclass
class Step:
    """What happened up to and including one ``optimizer.step()`` (``index`` counts from 0)."""

    index: int
    calls: list = field(default_factory=list)
    losses: list = field(default_factory=list)       # values given to backward(), in order
    params: dict = field(default_factory=dict)       # name → ParamStat
    clips: list = field(default_factory=list)
    stale_grads: list = field(default_factory=list)  # parameters whose grad survived a step()
    optimizer: str = ""
    lr: float | None = None
    optimizer_id: int | None = None                  # which optimizer stepped (0: the first seen)

    @property
    def loss(self) -> float | None:
        """The last loss given to ``backward`` before this step."""
        return self.losses[-1] if self.losses else None

    @property
    def empty(self) -> bool:
        return not (self.calls or self.losses or self.params or self.clips)


def summarize_target(t: np.ndarray) -> dict:
    """dtype kind, shape, range and, for whole numbers, the count per value (up to 100 values)."""
    t = np.asarray(t)
    flat = t.ravel()
    finite = flat[np.isfinite(flat)] if flat.dtype.kind == "f" else flat
    out = {"dtype": str(t.dtype), "float": t.dtype.kind == "f", "shape": tuple(t.shape),
           "min": float(finite.min()) if finite.size else None,
           "max": float(finite.max()) if finite.size else None}
    whole = finite.size > 0 and bool(np.all(finite == np.round(finite)))
    out["integer"] = whole
    if whole:
        values, counts = np.unique(finite, return_counts=True)
        if len(values) <= 100:
            out["counts"] = {float(v): int(c) for v, c in zip(values, counts)}
    if t.ndim == 2 and t.shape[1] > 1 and finite.size == flat.size:
        rows = t.reshape(len(t), -1)
        out["one_hot"] = bool(np.all((rows == 0) | (rows == 1)) and np.all(rows.sum(1) == 1))
    return out


ACTIVATIONS = ("relu", "sigmoid", "tanh", "softmax", "log_softmax")
LOSSES = ("cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
          "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss")
