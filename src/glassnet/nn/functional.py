"""``glassnet.nn.functional`` (``F``): activations, ``linear``, ``dropout`` and the losses as
plain functions, with torch's names, arguments and defaults.

Activations reuse the engine's primitives; ``linear``, ``gelu`` and the cross-entropy family
are primitives of ``glassnet.nn._primitives`` (for speed or stability, as said there); ``mse_loss``
and ``l1_loss`` are compositions.  Arguments are checked here, at the edge.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import random as _random
from ..creation import from_numpy
from ..tensor import Tensor
from . import _primitives as P
from ._validation import (_broadcast_target, _check_class_indices, _check_tensors, _class_setup,
                          _constant, _float_target, _reduction)

__all__ = ["relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softmax", "log_softmax", "linear",
           "dropout", "mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "cross_entropy", "nll_loss", "embedding", "one_hot", "layer_norm", "batch_norm",
           "smooth_l1_loss", "huber_loss"]


# -- activations ---------------------------------------------------------------------------
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """Rectified linear unit, element-wise.

        relu(x) = max(0, x),    relu′(x) = 1 if x > 0 else 0

    Parameters
    ----------
    input : Tensor
    inplace : bool
        Accepted for compatibility; the result is always a new tensor.

    Returns
    -------
    Tensor
        Same shape as ``input``.

    Examples
    --------
    >>> F.relu(glassnet.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return input.relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """Leaky ReLU, element-wise: a small slope a instead of zero for negative inputs.

        f(x) = x if x > 0 else a·x,    f′(x) = 1 if x > 0 else a

    Parameters
    ----------
    input : Tensor
    negative_slope : float, default 0.01
        The slope a.
    inplace : bool
        Accepted for compatibility; the result is always a new tensor.
    """
    return input.leaky_relu(negative_slope)


def sigmoid(input: Tensor) -> Tensor:
    """Logistic sigmoid, element-wise, without overflow for any x.

        σ(x) = 1 / (1 + e^−x),    σ′(x) = σ(x)·(1 − σ(x))

    Examples
    --------
    >>> F.sigmoid(glassnet.tensor([0.0, 1000.0]))
    tensor([0.5000, 1.0000])
    """
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent, element-wise.

        tanh(x) = (e^x − e^−x) / (e^x + e^−x),    tanh′(x) = 1 − tanh²(x)
    """
    return input.tanh()


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit, element-wise (Φ: standard normal CDF, φ: its density).

        GELU(x) = x·Φ(x) = ½x·(1 + erf(x/√2)),    GELU′(x) = Φ(x) + x·φ(x)

    Parameters
    ----------
    input : Tensor
    approximate : {'none', 'tanh'}
        'tanh' computes ½x·(1 + tanh(√(2/π)·(x + 0.044715x³))) instead.

    Examples
    --------
    >>> F.gelu(glassnet.tensor([1.0]))
    tensor([0.8413])
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    return P.Gelu.apply(input, approximate=approximate)


def _softmax_dim(ndim: int, name: str, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  f"include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """Softmax along ``dim``: positive values summing to 1 (the maximum is subtracted first, so
    it never overflows).

        softmax(x)ᵢ = e^(xᵢ) / Σⱼ e^(xⱼ),    ∂softmaxᵢ/∂xⱼ = softmaxᵢ·(δᵢⱼ − softmaxⱼ)

    Parameters
    ----------
    input : Tensor
    dim : int
        The dimension that sums to 1.  Omitting it warns and picks torch's legacy default.
    dtype : glassnet dtype, optional
        Cast the input to this dtype first.

    Examples
    --------
    >>> F.softmax(glassnet.tensor([1.0, 2.0, 3.0]), dim=0)
    tensor([0.0900, 0.2447, 0.6652])
    """
    if dim is None:
        dim = _softmax_dim(input.dim(), "softmax", _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return input.softmax(dim)


def log_softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """Logarithm of softmax along ``dim``, computed stably (log-sum-exp).

        log_softmax(x)ᵢ = xᵢ − log Σⱼ e^(xⱼ),    ∂log_softmaxᵢ/∂xⱼ = δᵢⱼ − softmaxⱼ

    Parameters are those of ``softmax``.
    """
    if dim is None:
        dim = _softmax_dim(input.dim(), "log_softmax", _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return input.log_softmax(dim)


# -- layers as functions -----------------------------------------------------------------------
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Affine map: y = x·Wᵀ + b.

    Parameters
    ----------
    input : Tensor, shape (..., in_features)
    weight : Tensor, shape (out_features, in_features)
    bias : Tensor, shape (out_features,), optional

    Returns
    -------
    Tensor, shape (..., out_features)
        One graph node (``Linear``) whose backward is ∂x = G·W, ∂W = Gᵀ·X, ∂b = Σ_rows G.
    """
    try:
        if bias is None:
            return P.Linear.apply(input, weight)
        return P.Linear.apply(input, weight, bias)
    except AttributeError:
        for name, value in (("input", input), ("weight", weight), ("bias", bias)):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"linear(): argument '{name}' must be a glassnet.Tensor, not "
                                f"{type(value).__name__}; wrap it with glassnet.tensor(...)") from None
        raise


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Randomly zero elements while training, keeping the expected value unchanged.

        y = x·m / (1 − p),    m ~ Bernoulli(1 − p) per element (from glassnet's default generator)

    Parameters
    ----------
    input : Tensor
    p : float, default 0.5
        Probability of zeroing an element, in [0, 1].
    training : bool, default True
        When False, ``input`` is returned unchanged.
    inplace : bool
        Accepted for compatibility; the result is always a new tensor.
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    dtype = input.array.dtype
    if p == 1.0:
        return input * from_numpy(np.zeros(np.shape(input.array), dtype=dtype))
    keep = _random.default_generator.rng.random(np.shape(input.array)) >= p
    return input * from_numpy(keep.astype(dtype) / dtype.type(1.0 - p))


# -- losses ------------------------------------------------------------------------------------
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



from ._functional_more import (batch_norm, embedding, huber_loss, layer_norm, one_hot,  # noqa: E402
                               smooth_l1_loss)
