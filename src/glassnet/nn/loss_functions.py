"""The losses of ``glassnet.nn.functional``, with torch's names, arguments and defaults.

The cross-entropy family calls the loss primitives in ``glassnet/ops/loss.py`` (one node each, for
stability and speed); ``mse_loss``, ``l1_loss``, ``smooth_l1_loss`` and ``huber_loss`` are
compositions of tensor methods.  Arguments are checked here, at the edge.
"""
from __future__ import annotations

import numpy as np

from ..ops import loss as P
from ..tensors.creation import where
from ..tensors.tensor import Tensor
from ._validation import (_broadcast_target, _check_class_indices, _check_tensors, _class_setup,
                          _constant, _float_target, _reduction)

__all__ = ["mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "cross_entropy", "nll_loss", "smooth_l1_loss", "huber_loss"]


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
