"""The losses of ``glassnet.nn.functional``, with torch's names, arguments and defaults.

The cross-entropy family calls the loss primitives in ``glassnet/ops/loss.py`` (one node each, for
stability and speed); ``mse_loss``, ``l1_loss``, ``smooth_l1_loss`` and ``huber_loss`` are
compositions of tensor methods, and so are ``kl_div``, ``poisson_nll_loss`` and the ranking and
embedding losses (cosine embedding, margin ranking, triplet margin).  Arguments are checked here,
at the edge.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..ops import loss as P
from ..tensors.creation import where
from ..tensors.tensor import Tensor
from ._validation import (_broadcast_target, _check_class_indices, _check_tensors, _class_setup,
                          _constant, _float_target, _reduction)

__all__ = ["mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "cross_entropy", "nll_loss", "smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss",
           "cosine_embedding_loss", "margin_ranking_loss", "triplet_margin_loss"]


# -- the reduction ------------------------------------------------------------------------------------
def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight=None) -> Tensor:
    """Mean squared error.

        ℓᵢ = (xᵢ − yᵢ)²,    'mean': L = (1/n) Σᵢ ℓᵢ,    ∂L/∂xᵢ = 2(xᵢ − yᵢ)/n

    Composed as (x − y)·(x − y) and a mean, so an explanation shows each step.

    Parameters
    ----------
    input, target : Tensor
        Same shape; a different (broadcastable) target shape warns, as in torch.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Average or add the per-element losses, or return them all.
    size_average, reduce : deprecated
        torch's legacy arguments, mapped to ``reduction`` with a warning.

    Examples
    --------
    >>> F.mse_loss(glassnet.tensor([0.5, 1.0]), glassnet.tensor([0.0, 1.0]))
    tensor(0.1250)
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensors("mse_loss", input=input, target=target)
    if weight is not None:
        raise NotImplementedError("mse_loss: weight= is not supported by glassnet")
    _broadcast_target("mse_loss", input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight=None) -> Tensor:
    """Mean absolute error.

        ℓᵢ = |xᵢ − yᵢ|,    ∂ℓᵢ/∂xᵢ = sign(xᵢ − yᵢ)  (0 where they are equal)

    Parameters
    ----------
    input, target : Tensor
        Same shape; a different (broadcastable) target shape warns, as in torch.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Average or add the per-element losses, or return them all.
    size_average, reduce : deprecated
        torch's legacy arguments, mapped to ``reduction`` with a warning.
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensors("l1_loss", input=input, target=target)
    if weight is not None:
        raise NotImplementedError("l1_loss: weight= is not supported by glassnet")
    _broadcast_target("l1_loss", input, target)
    return _reduce((input - target).abs(), reduction)


def binary_cross_entropy(input: Tensor, target: Tensor, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities p against targets y ∈ [0, 1].

        ℓᵢ = −wᵢ·[yᵢ·log pᵢ + (1 − yᵢ)·log(1 − pᵢ)],    ∂ℓᵢ/∂pᵢ = wᵢ·(pᵢ − yᵢ) / (pᵢ(1 − pᵢ))

    Each log is clamped to ≥ −100 as torch does, so p = 0 or 1 gives a finite loss (at most 100).
    Prefer ``binary_cross_entropy_with_logits`` on raw scores: it is exact where this clamps.

    Parameters
    ----------
    input : Tensor
        Probabilities in [0, 1] (e.g. the output of ``sigmoid``).
    target : Tensor
        Same shape as ``input`` (else ValueError), values in [0, 1].
    weight : Tensor, optional
        Rescales each element's loss; broadcast against ``input``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Average or add the per-element losses, or return them all.
    size_average, reduce : deprecated
        torch's legacy arguments, mapped to ``reduction`` with a warning.
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensors("binary_cross_entropy", input=input, target=target)
    if np.shape(input.array) != np.shape(target.array):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    return P.BinaryCrossEntropy.apply(input, _float_target(target, input),
                                      weight=_constant(weight, input, "weight"), reduction=reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight=None, size_average=None,
                                     reduce=None, reduction: str = "mean", pos_weight=None) -> Tensor:
    """Sigmoid and binary cross-entropy in one stable step, on logits x.

        ℓᵢ = −wᵢ·[q·yᵢ·log σ(xᵢ) + (1 − yᵢ)·log(1 − σ(xᵢ))]
           = wᵢ·[(1 − yᵢ)·xᵢ + (1 + (q − 1)·yᵢ)·softplus(−xᵢ)]
        ∂ℓᵢ/∂xᵢ = wᵢ·[(q·yᵢ + 1 − yᵢ)·σ(xᵢ) − q·yᵢ]   (= wᵢ·(σ(xᵢ) − yᵢ) when q = 1)

    with softplus(−x) = max(−x, 0) + log(1 + e^−|x|), finite for any x (logits of ±1000 too).

    Parameters
    ----------
    input : Tensor
        Logits (raw scores), any real values.
    target : Tensor
        Same shape as ``input`` (else ValueError), values in [0, 1].
    weight : Tensor, optional
        wᵢ, rescaling each element's loss; broadcast against ``input``.
    pos_weight : Tensor, optional
        q, the weight of positive examples per class, broadcast along the last dimension.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Average or add the per-element losses, or return them all.
    size_average, reduce : deprecated
        torch's legacy arguments, mapped to ``reduction`` with a warning.

    Examples
    --------
    >>> F.binary_cross_entropy_with_logits(glassnet.tensor([1000.0, -1000.0]), glassnet.tensor([1.0, 1.0]))
    tensor(500.)
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensors("binary_cross_entropy_with_logits", input=input, target=target)
    if np.shape(input.array) != np.shape(target.array):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    return P.BinaryCrossEntropyWithLogits.apply(
        input, _float_target(target, input), weight=_constant(weight, input, "weight"),
        pos_weight=_constant(pos_weight, input, "pos_weight"), reduction=reduction)


def cross_entropy(input: Tensor, target: Tensor, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between softmax(input) over the class dimension and the target.

    Class indices yᵢ (int64):        ℓᵢ = −w_yᵢ · log softmax(xᵢ)_yᵢ
        'mean' = Σᵢ ℓᵢ / Σᵢ w_yᵢ, over the samples whose target is not ``ignore_index``
    Class probabilities Yᵢc (float): ℓᵢ = −Σ_c w_c · Yᵢc · log softmax(xᵢ)_c
        'mean' = Σᵢ ℓᵢ / (number of samples)
    Gradient (unweighted indices):   ∂ℓᵢ/∂xᵢ = softmax(xᵢ) − onehot(yᵢ)

    ``label_smoothing`` ε replaces the target by (1 − ε)·target + ε/C.  One stable node: the
    log-softmax subtracts the maximum, so logits of ±1000 are fine.

    Parameters
    ----------
    input : Tensor
        Logits (raw scores), shape (N, C), (N, C, d1, ...) or (C,) for one sample.
    target : Tensor
        Class indices of dtype int64, shape (N,), (N, d1, ...) or (); or class probabilities,
        float with the input's shape.  Float labels of another shape are an error: use
        ``target.long()``.
    weight : Tensor of shape (C,), optional
        A weight per class (w above).
    ignore_index : int, default -100
        Samples with this target add nothing and are not counted by 'mean'.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Average or add the per-element losses, or return them all.
    size_average, reduce : deprecated
        torch's legacy arguments, mapped to ``reduction`` with a warning.
    label_smoothing : float in [0, 1], default 0.0

    Examples
    --------
    >>> F.cross_entropy(glassnet.tensor([[2.0, 0.5, -1.0]]), glassnet.tensor([0]))
    tensor(0.2413)
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensors("cross_entropy", input=input, target=target)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    weight = _class_setup("cross_entropy", input, weight)
    if np.shape(target.array) == np.shape(input.array) and input.dim() > 0:
        if not target.is_floating_point():
            raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                               f"{target.dtype}. (Class indices have the input's shape without the "
                               f"class dimension.)")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        target = _float_target(target, input)
    else:
        _check_class_indices("cross_entropy", input, target)
    return P.CrossEntropy.apply(input, target, weight=weight, ignore_index=ignore_index,
                                reduction=reduction, label_smoothing=float(label_smoothing))


def nll_loss(input: Tensor, target: Tensor, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities (the output of ``log_softmax``).

        ℓᵢ = −w_yᵢ · input[i, yᵢ],    'mean' = Σᵢ ℓᵢ / Σᵢ w_yᵢ (samples not ``ignore_index``),
        ∂ℓᵢ/∂input[i, c] = −w_yᵢ if c = yᵢ else 0

    ``nll_loss(log_softmax(x, 1), y)`` equals ``cross_entropy(x, y)``.  Parameters are those of
    ``cross_entropy`` (class indices only, no smoothing).
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensors("nll_loss", input=input, target=target)
    weight = _class_setup("nll_loss", input, weight)
    _check_class_indices("nll_loss", input, target)
    return P.NllLoss.apply(input, target, weight=weight, ignore_index=ignore_index, reduction=reduction)


def _robust(name, input, target, reduction, size_average, reduce, quadratic_scale, edge, linear_scale):
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensors(name, input=input, target=target)
    _broadcast_target(name, input, target)
    diff = input - target
    size = diff.abs()
    loss = where(size < edge, diff * diff * quadratic_scale, (size - 0.5 * edge) * linear_scale)
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Smooth L1: quadratic near 0, linear beyond ``beta``.

        ℓᵢ = 0.5·dᵢ²/β if |dᵢ| < β else |dᵢ| − 0.5·β,   dᵢ = xᵢ − yᵢ;   ∂ℓᵢ/∂xᵢ = dᵢ/β or sign(dᵢ)

    ``beta=0`` is the L1 loss.
    """
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta (got {beta})")
    if beta == 0:
        return _robust("smooth_l1_loss", input, target, reduction, size_average, reduce, 0.0, 0.0, 1.0)
    return _robust("smooth_l1_loss", input, target, reduction, size_average, reduce, 0.5 / beta, beta, 1.0)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight=None) -> Tensor:
    """Huber loss: δ·smooth_l1 with β = δ.

        ℓᵢ = 0.5·dᵢ² if |dᵢ| < δ else δ·(|dᵢ| − 0.5·δ);   ∂ℓᵢ/∂xᵢ = dᵢ or δ·sign(dᵢ)
    """
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta (got {delta})")
    if weight is not None:
        raise NotImplementedError("huber_loss: weight= is not supported by glassnet")
    return _robust("huber_loss", input, target, reduction, None, None, 0.5, delta, delta)


# -- divergence and count losses ----------------------------------------------------------------------
def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback–Leibler divergence of the target distribution from the input log-probabilities.

        ℓᵢ = yᵢ·(log yᵢ − xᵢ)               (``log_target=False``; 0 where yᵢ = 0, as xlogy)
        ℓᵢ = e^{yᵢ}·(yᵢ − xᵢ)               (``log_target=True``: y holds log-probabilities)
        ∂ℓᵢ/∂xᵢ = −yᵢ  (resp. −e^{yᵢ})

    ``input`` holds log-probabilities (e.g. ``log_softmax``).  'batchmean' is Σᵢ ℓᵢ / N with N the
    size of the first dimension: the true KL divergence per sample.  'mean' divides by every
    element and warns, as torch does.

    Parameters
    ----------
    input : Tensor
        Log-probabilities x.
    target : Tensor
        Probabilities y (or log-probabilities with ``log_target=True``), broadcastable to x.
    reduction : {'mean', 'batchmean', 'sum', 'none'}, default 'mean'
    log_target : bool, default False
    size_average, reduce : deprecated
        torch's legacy arguments, mapped to ``reduction`` with a warning.

    Examples
    --------
    >>> F.kl_div(glassnet.tensor([-1.0, -0.5]), glassnet.tensor([0.25, 0.75]), reduction="batchmean")
    tensor(0.0313)
    """
    batchmean = reduction == "batchmean"
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, "mean")
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support "
                          "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
                          "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
                          "major release.", stacklevel=2)
        reduction = _reduction(None, None, "sum" if batchmean else reduction)
    _check_tensors("kl_div", input=input, target=target)
    target = _float_target(target, input)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # xlogy(y, y): y·log y, and 0 where y = 0 (log of 1 there, so no 0·(−∞) in either pass)
        loss = target * where(target == 0, 1.0, target).log() - target * input
    out = _reduce(loss, reduction)
    if batchmean and input.dim() != 0:
        out = out / input.shape[0]
    return out


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of a Poisson distribution with rate λ, target counts y.

        ``log_input=True`` (x = log λ):   ℓᵢ = e^{xᵢ} − yᵢ·xᵢ,             ∂ℓᵢ/∂xᵢ = e^{xᵢ} − yᵢ
        ``log_input=False`` (x = λ):      ℓᵢ = xᵢ − yᵢ·log(xᵢ + ε),        ∂ℓᵢ/∂xᵢ = 1 − yᵢ/(xᵢ + ε)
        ``full=True`` adds Stirling's approximation of log(yᵢ!) where yᵢ > 1:
                                          yᵢ·log yᵢ − yᵢ + ½·log(2π·yᵢ)

    Parameters
    ----------
    input : Tensor
        The log-rate (``log_input=True``) or the rate.
    target : Tensor
        Counts y ≥ 0, broadcastable to the input.
    log_input : bool, default True
    full : bool, default False
        Add the Stirling term (constant in the input: it changes the value, not the gradient).
    eps : float, default 1e-8
        ε, keeping log(λ + ε) finite at λ = 0 when ``log_input=False``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    size_average, reduce : deprecated
        torch's legacy arguments, mapped to ``reduction`` with a warning.
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensors("poisson_nll_loss", input=input, target=target)
    target = _float_target(target, input)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        big = target > 1
        safe = where(big, target, 1.0)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + where(big, stirling, 0.0)
    return _reduce(loss, reduction)


# -- ranking and embedding losses ---------------------------------------------------------------------
def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Whether pairs are alike (y = 1) or not (y = −1), by their cosine similarity.

        cosᵢ = ⟨aᵢ, bᵢ⟩ / √((‖aᵢ‖² + ε)(‖bᵢ‖² + ε)),   ε = 1e−12
        ℓᵢ = 1 − cosᵢ               if yᵢ = 1
        ℓᵢ = max(0, cosᵢ − margin)  if yᵢ = −1      (0 for any other label)

    Parameters
    ----------
    input1, input2 : Tensor
        Shape (N, D) with a target of shape (N,), or (D,) with a 0-d target.
    target : Tensor
        Labels 1 or −1.
    margin : float, default 0.0
        Between −1 and 1; 0 to 0.5 is the usual choice.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    size_average, reduce : deprecated
        torch's legacy arguments, mapped to ``reduction`` with a warning.
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensors("cosine_embedding_loss", input1=input1, input2=input2, target=target)
    dim = target.dim()
    if dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input1.dim() != dim + 1 or input2.dim() != dim + 1:
        raise RuntimeError(f"{dim}D target tensor expects {dim + 1}D input tensors, but found inputs with "
                           f"sizes {list(input1.shape)} and {list(input2.shape)}.")
    eps = 1e-12
    dot = (input1 * input2).sum(dim)
    cos = dot / (((input1 * input1).sum(dim) + eps) * ((input2 * input2).sum(dim) + eps)).sqrt()
    y = target.array
    loss = where(y == 1, 1 - cos, 0.0) + where(y == -1, (cos - margin).clamp(min=0), 0.0)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Hinge loss on the order of two scores: y = 1 wants x₁ above x₂, y = −1 below.

        ℓᵢ = max(0, −yᵢ·(x₁ᵢ − x₂ᵢ) + margin),   ∂ℓᵢ/∂x₁ᵢ = −yᵢ where ℓᵢ > 0, else 0

    Parameters
    ----------
    input1, input2, target : Tensor
        The same number of dimensions (broadcast against each other); target values 1 or −1.
    margin : float, default 0.0
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    size_average, reduce : deprecated
        torch's legacy arguments, mapped to ``reduction`` with a warning.
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensors("margin_ranking_loss", input1=input1, input2=input2, target=target)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got "
                           f"sizes: input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    loss = (-_float_target(target, input1) * (input1 - input2) + margin).clamp(min=0)
    return _reduce(loss, reduction)


def _pairwise_distance(x1: Tensor, x2: Tensor, p: float, eps: float) -> Tensor:
    return (x1 - x2 + eps).norm(p, dim=max(x1.dim(), x2.dim()) - 1)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """Pull the anchor a towards the positive p, push it from the negative n, by a margin.

        d(u, v) = ‖u − v + ε‖ₚ   over the last dimension (torch's ``pairwise_distance``)
        ℓᵢ = max(0, margin + d(aᵢ, pᵢ) − d(aᵢ, nᵢ))
        ``swap=True`` uses min(d(aᵢ, nᵢ), d(pᵢ, nᵢ)) as the negative distance.

    Parameters
    ----------
    anchor, positive, negative : Tensor
        Shape (N, D) or (D,), all with the same number of dimensions.
    margin : float, default 1.0
        Must be > 0.
    p : float, default 2
        The norm degree.
    eps : float, default 1e-6
        ε, added to the difference (keeps the norm's gradient finite at u = v).
    swap : bool, default False
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    size_average, reduce : deprecated
        torch's legacy arguments, mapped to ``reduction`` with a warning.
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensors("triplet_margin_loss", anchor=anchor, positive=positive, negative=negative)
    if margin <= 0:
        raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
    if not anchor.dim() == positive.dim() == negative.dim():
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number "
                           f"of dimensions, but got: anchor {anchor.dim()}D, positive {positive.dim()}D, "
                           f"and negative {negative.dim()}D inputs")
    if anchor.dim() == 0:
        raise RuntimeError("triplet_margin_loss: expected 1-D or 2-D inputs (D,) or (N, D), got 0-d tensors")
    d_pos = _pairwise_distance(anchor, positive, p, eps)
    d_neg = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(_pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction)
