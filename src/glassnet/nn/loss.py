"""Loss modules: each stores its options and calls the function of the same name in
``functional`` (where the math is documented in full).  ``reduction`` is 'mean' (default),
'sum' or 'none' (one loss per element or sample)."""
from __future__ import annotations

from . import functional as F
from ._validation import _reduction
from .module import Module

__all__ = ["MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
           "SmoothL1Loss", "HuberLoss", "KLDivLoss", "PoissonNLLLoss", "CosineEmbeddingLoss",
           "MarginRankingLoss", "TripletMarginLoss"]


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        self.reduction = _reduction(size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error (see ``F.mse_loss``).

        'mean': L = (1/n) Σᵢ (xᵢ − yᵢ)²,    ∂L/∂xᵢ = 2(xᵢ − yᵢ)/n

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    size_average, reduce : deprecated (torch's legacy arguments, mapped to ``reduction``)

    Examples
    --------
    >>> nn.MSELoss()(glassnet.tensor([0.5, 1.0]), glassnet.tensor([0.0, 1.0]))
    tensor(0.1250)
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error (see ``F.l1_loss``).

        'mean': L = (1/n) Σᵢ |xᵢ − yᵢ|,    ∂L/∂xᵢ = sign(xᵢ − yᵢ)/n

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    size_average, reduce : deprecated (torch's legacy arguments, mapped to ``reduction``)
    """

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy on probabilities (see ``F.binary_cross_entropy``).

        ℓᵢ = −wᵢ·[yᵢ·log pᵢ + (1 − yᵢ)·log(1 − pᵢ)],  each log clamped to ≥ −100

    Put a ``Sigmoid`` before it, or better, use ``BCEWithLogitsLoss`` on the raw scores.

    Parameters
    ----------
    weight : Tensor, optional
        Rescales each element's loss (broadcast against the input).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    size_average, reduce : deprecated (torch's legacy arguments, mapped to ``reduction``)
    """

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy on logits, computed stably (see
    ``F.binary_cross_entropy_with_logits``).

        ℓᵢ = wᵢ·[(1 − yᵢ)·xᵢ + (1 + (q − 1)·yᵢ)·softplus(−xᵢ)],    ∂ℓᵢ/∂xᵢ = wᵢ·(σ(xᵢ) − yᵢ) if q = 1

    Parameters
    ----------
    weight : Tensor, optional
        wᵢ, rescaling each element's loss.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    size_average, reduce : deprecated (torch's legacy arguments, mapped to ``reduction``)
    pos_weight : Tensor, optional
        q, the weight of positive examples, one per class (last dimension).

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
    """Softmax cross-entropy on raw scores (logits), not probabilities (see ``F.cross_entropy``).

        class indices:       ℓᵢ = −w_yᵢ · log softmax(xᵢ)_yᵢ,        ∂ℓᵢ/∂xᵢ = w_yᵢ·(softmax(xᵢ) − onehot(yᵢ))
        class probabilities: ℓᵢ = −Σ_c w_c · Yᵢc · log softmax(xᵢ)_c

    Parameters
    ----------
    weight : Tensor of shape (C,), optional
        A weight per class.
    ignore_index : int, default -100
        Targets with this value add nothing and are not counted by 'mean'.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    size_average, reduce : deprecated (torch's legacy arguments, mapped to ``reduction``)
    label_smoothing : float in [0, 1], default 0.0
        Replace the target by (1 − ε)·target + ε/C.

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
    """Negative log-likelihood of log-probabilities, e.g. after ``LogSoftmax(dim=1)``
    (see ``F.nll_loss``).

        ℓᵢ = −w_yᵢ · xᵢ,yᵢ,    'mean' = Σᵢ ℓᵢ / Σᵢ w_yᵢ

    Parameters
    ----------
    weight : Tensor of shape (C,), optional
    ignore_index : int, default -100
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    size_average, reduce : deprecated (torch's legacy arguments, mapped to ``reduction``)
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Smooth L1 (see ``F.smooth_l1_loss``): ℓᵢ = 0.5·dᵢ²/β if |dᵢ| < β else |dᵢ| − 0.5·β.

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    beta : float, default 1.0
    size_average, reduce : deprecated (torch's legacy arguments, mapped to ``reduction``)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Huber (see ``F.huber_loss``): ℓᵢ = 0.5·dᵢ² if |dᵢ| < δ else δ·(|dᵢ| − 0.5·δ).

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    delta : float, default 1.0
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(_Loss):
    """Kullback–Leibler divergence (see ``F.kl_div``); the input holds log-probabilities.

        ℓᵢ = yᵢ·(log yᵢ − xᵢ),  or e^{yᵢ}·(yᵢ − xᵢ) with ``log_target=True``

    Parameters
    ----------
    reduction : {'mean', 'batchmean', 'sum', 'none'}, default 'mean'
        'batchmean' (Σ ℓ / N) is the true KL divergence; 'mean' warns, as in torch.
    log_target : bool, default False
    size_average, reduce : deprecated (torch's legacy arguments, mapped to ``reduction``)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False):
        if size_average is not None or reduce is not None:
            super().__init__(size_average, reduce)
        else:
            if reduction not in ("mean", "batchmean", "sum", "none"):
                raise ValueError(f"{reduction} is not a valid value for reduction; use 'mean', 'batchmean', "
                                 f"'sum' or 'none'")
            Module.__init__(self)
            self.reduction = reduction
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood (see ``F.poisson_nll_loss``).

        ℓᵢ = e^{xᵢ} − yᵢ·xᵢ  (``log_input=True``),   xᵢ − yᵢ·log(xᵢ + ε)  (``log_input=False``)

    Parameters
    ----------
    log_input : bool, default True
    full : bool, default False
        Add Stirling's term yᵢ·log yᵢ − yᵢ + ½·log(2π·yᵢ) where yᵢ > 1.
    eps : float, default 1e-8
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    size_average, reduce : deprecated (torch's legacy arguments, mapped to ``reduction``)
    """

    def __init__(self, log_input: bool = True, full: bool = False, size_average=None, eps: float = 1e-8,
                 reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full, eps=self.eps,
                                  reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """Cosine embedding loss (see ``F.cosine_embedding_loss``).

        ℓᵢ = 1 − cos(aᵢ, bᵢ) if yᵢ = 1,   max(0, cos(aᵢ, bᵢ) − margin) if yᵢ = −1

    Parameters
    ----------
    margin : float, default 0.0
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    size_average, reduce : deprecated (torch's legacy arguments, mapped to ``reduction``)
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """Margin ranking loss (see ``F.margin_ranking_loss``): ℓᵢ = max(0, −yᵢ·(x₁ᵢ − x₂ᵢ) + margin).

    Parameters
    ----------
    margin : float, default 0.0
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    size_average, reduce : deprecated (torch's legacy arguments, mapped to ``reduction``)
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """Triplet margin loss (see ``F.triplet_margin_loss``).

        ℓᵢ = max(0, margin + ‖aᵢ − pᵢ + ε‖ₚ − ‖aᵢ − nᵢ + ε‖ₚ)

    Parameters
    ----------
    margin : float, default 1.0
    p : float, default 2.0
    eps : float, default 1e-6
    swap : bool, default False
        Use min(d(a, n), d(p, n)) as the negative distance.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    size_average, reduce : deprecated (torch's legacy arguments, mapped to ``reduction``)
    """

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                 size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p, eps=self.eps,
                                     swap=self.swap, reduction=self.reduction)
