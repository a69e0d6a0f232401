"""Loss modules: each stores its options and calls the function of the same name in
``functional`` (where the math is documented in full).  ``reduction`` is 'mean' (default),
'sum' or 'none' (one loss per element or sample)."""
from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = ["MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss"]


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        self.reduction = F._reduction(size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error: ℓ = (1/n) Σᵢ (xᵢ − yᵢ)² for 'mean'.

    Examples
    --------
    >>> nn.MSELoss()(glassnet.tensor([0.5, 1.0]), glassnet.tensor([0.0, 1.0]))
    tensor(0.1250)
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: ℓ = (1/n) Σᵢ |xᵢ − yᵢ| for 'mean'."""

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy on probabilities: ℓᵢ = −wᵢ[yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ)], logs
    clamped to ≥ −100.  Put a ``Sigmoid`` before it, or better use ``BCEWithLogitsLoss``."""

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy on logits, computed stably:
    ℓᵢ = wᵢ[(1 − yᵢ)xᵢ + (1 + (q − 1)yᵢ)·softplus(−xᵢ)], q = ``pos_weight`` (1 if None).

    Examples
    --------
    >>> nn.BCEWithLogitsLoss()(glassnet.tensor([1000.0]), glassnet.tensor([0.0]))
    tensor(1000.)
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy: ℓᵢ = −w_yᵢ log softmax(xᵢ)_yᵢ for class indices (or
    −Σ_c w_c Yᵢc log softmax(xᵢ)_c for class probabilities), with ``ignore_index`` and
    ``label_smoothing``; see ``F.cross_entropy``.  Input: raw scores (logits), not probabilities.

    Examples
    --------
    >>> nn.CrossEntropyLoss()(glassnet.tensor([[2.0, 0.5, -1.0]]), glassnet.tensor([0]))
    tensor(0.2413)
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities: ℓᵢ = −w_yᵢ·xᵢ,yᵢ (after ``LogSoftmax``)."""

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)
