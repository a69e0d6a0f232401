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

__all__ = ["relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softmax", "log_softmax", "linear",
           "dropout", "mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "cross_entropy", "nll_loss"]


# -- activations ---------------------------------------------------------------------------
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """relu(x) = max(0, x), element-wise; relu′(x) = 1 where x > 0, else 0.

    ``inplace`` is accepted for compatibility; the result is always a new tensor.

    Examples
    --------
    >>> F.relu(glassnet.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return input.relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """leaky_relu(x) = x if x > 0 else negative_slope·x; derivative 1 or negative_slope."""
    return input.leaky_relu(negative_slope)


def sigmoid(input: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e^−x); σ′(x) = σ(x)(1 − σ(x))."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """tanh(x) = (e^x − e^−x) / (e^x + e^−x); tanh′(x) = 1 − tanh²(x)."""
    return input.tanh()


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """GELU(x) = x·Φ(x) = ½x(1 + erf(x/√2)), Φ the standard normal CDF.

    With ``approximate='tanh'``: ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    return P.Gelu.apply(input, approximate=approximate)


def _softmax_dim(ndim: int, name: str, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  f"include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(x)ᵢ = e^(xᵢ) / Σⱼ e^(xⱼ) along ``dim`` (computed with the maximum subtracted, so it
    never overflows); ∂softmaxᵢ/∂xⱼ = softmaxᵢ(δᵢⱼ − softmaxⱼ)."""
    if dim is None:
        dim = _softmax_dim(input.dim(), "softmax", _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return input.softmax(dim)


def log_softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log_softmax(x)ᵢ = xᵢ − log Σⱼ e^(xⱼ) along ``dim`` (log-sum-exp, stable);
    ∂/∂xⱼ = δᵢⱼ − softmaxⱼ."""
    if dim is None:
        dim = _softmax_dim(input.dim(), "log_softmax", _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return input.log_softmax(dim)


# -- layers as functions -----------------------------------------------------------------------
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x·Wᵀ + b, with x (..., in_features), W (out_features, in_features), b (out_features,).

    One graph node (``Linear``); its backward is ∂x = G·W, ∂W = Gᵀ·X, ∂b = Σ G over rows.
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
    """In training, zero each element with probability ``p`` and scale the survivors by 1/(1 − p),
    so the expected value is unchanged: y = x·m/(1 − p), m ~ Bernoulli(1 − p).  Identity when
    ``training`` is False.  The mask comes from glassnet's default generator."""
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
def _reduction(size_average, reduce, reduction: str) -> str:
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else ("sum" if reduce else "none")
        warnings.warn(f"size_average and reduce args will be deprecated, please use "
                      f"reduction='{reduction}' instead.", stacklevel=3)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction; use 'mean', 'sum' or 'none'")
    return reduction


def _check_tensors(fn: str, **tensors) -> None:
    for name, value in tensors.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"{fn}(): argument '{name}' must be a glassnet.Tensor, not "
                            f"{type(value).__name__}; wrap it with glassnet.tensor(...)")


def _constant(value, like: Tensor, name: str):
    """A weight-like argument as a NumPy array of the input's dtype (it gets no gradient)."""
    if value is None:
        return None
    if isinstance(value, Tensor):
        if value.requires_grad:
            raise RuntimeError(f"the derivative for '{name}' is not implemented.")
        value = value.array
    return np.asarray(value, dtype=like.array.dtype)


def _float_target(target: Tensor, input: Tensor) -> Tensor:
    return target if target.array.dtype == input.array.dtype else target.to(input.dtype)


def _broadcast_target(fn: str, input: Tensor, target: Tensor) -> None:
    """torch warns when input and target differ in shape (broadcasting is rarely meant)."""
    if np.shape(input.array) == np.shape(target.array):
        return
    warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                  f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
                  f"Please ensure they have the same size.", stacklevel=3)
    a, b = tuple(input.shape), tuple(target.shape)
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    for i in range(n - 1, -1, -1):
        if a[i] != b[i] and 1 not in (a[i], b[i]):
            raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) "
                               f"at non-singleton dimension {i}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean") -> Tensor:
    """Mean squared error: ℓᵢ = (xᵢ − yᵢ)², then mean (default), sum or none over i.

    ∂ℓ/∂xᵢ = 2(xᵢ − yᵢ)/n for the mean.  Composed as (x − y)·(x − y) so an explanation shows
    each step.  A target of a different shape is broadcast with a warning, as in torch.
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensors("mse_loss", input=input, target=target)
    _broadcast_target("mse_loss", input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean") -> Tensor:
    """Mean absolute error: ℓᵢ = |xᵢ − yᵢ|; ∂ℓᵢ/∂xᵢ = sign(xᵢ − yᵢ) (0 where they are equal)."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensors("l1_loss", input=input, target=target)
    _broadcast_target("l1_loss", input, target)
    return _reduce((input - target).abs(), reduction)


def binary_cross_entropy(input: Tensor, target: Tensor, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities p against targets y ∈ [0, 1]:

    ℓᵢ = −wᵢ·[yᵢ·log pᵢ + (1 − yᵢ)·log(1 − pᵢ)],

    each log clamped to ≥ −100 as torch does, so p = 0 or 1 gives a finite loss (100).
    Prefer ``binary_cross_entropy_with_logits`` on raw scores: it is exact where this clamps.
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
    """Sigmoid and binary cross-entropy in one stable step, on logits x:

    ℓᵢ = −wᵢ·[q·yᵢ·log σ(xᵢ) + (1 − yᵢ)·log(1 − σ(xᵢ))]
       = wᵢ·[(1 − yᵢ)·xᵢ + (1 + (q − 1)·yᵢ)·softplus(−xᵢ)],

    with q = ``pos_weight`` (per class, broadcast along the last dimension; 1 if None) and
    softplus(−x) = max(−x, 0) + log(1 + e^−|x|), finite for any x.  ∂ℓᵢ/∂xᵢ = wᵢ·(σ(xᵢ) − yᵢ)
    without ``pos_weight``.
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensors("binary_cross_entropy_with_logits", input=input, target=target)
    if np.shape(input.array) != np.shape(target.array):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    return P.BinaryCrossEntropyWithLogits.apply(
        input, _float_target(target, input), weight=_constant(weight, input, "weight"),
        pos_weight=_constant(pos_weight, input, "pos_weight"), reduction=reduction)


def _class_setup(fn: str, input: Tensor, weight):
    if input.dim() == 0:
        raise ValueError(f"{fn}(): the input must have a class dimension: shape (C,), (N, C) or "
                         f"(N, C, d1, ...), got a 0-d tensor")
    if not input.is_floating_point():
        raise RuntimeError(f"{fn}(): the input must be floating point scores, got {input.dtype}; "
                           f"convert it with .float()")
    n_classes = input.shape[1 if input.dim() > 1 else 0]
    weight = _constant(weight, input, "weight")
    if weight is not None and weight.shape != (n_classes,):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    return weight


def _check_class_indices(fn: str, input: Tensor, target: Tensor) -> None:
    dt = target.array.dtype
    if dt != np.int64 and dt != np.uint8:
        hint = (f" For class probabilities instead, give a float target with the input's shape "
                f"{tuple(input.shape)}." if fn == "cross_entropy" else "")
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {target.dtype}: {fn} "
                           f"takes class indices (0 ≤ y < C) as int64. Convert them with "
                           f"target.long().{hint}")
    expected = tuple(input.shape[:1]) + tuple(input.shape[2:]) if input.dim() > 1 else ()
    got = tuple(target.shape)
    if got != expected:
        if input.dim() > 1 and got and got[0] != expected[0]:
            raise ValueError(f"Expected input batch_size ({expected[0]}) to match target batch_size "
                             f"({got[0]}).")
        raise RuntimeError(f"size mismatch (got input: {list(input.shape)}, target: {list(got)}): "
                           f"class-index targets have the input's shape without the class dimension, "
                           f"here {list(expected)}")


def cross_entropy(input: Tensor, target: Tensor, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between softmax(input) over the class dimension (dim 1; dim 0 for one
    unbatched sample) and the target.

    With class indices yᵢ (int64, shape (N,) or (N, d1, ...)):
    ℓᵢ = −w_yᵢ·log softmax(xᵢ)_yᵢ, and 'mean' is Σᵢ ℓᵢ / Σᵢ w_yᵢ over samples whose target is not
    ``ignore_index``.  With class probabilities Y (float, the input's shape):
    ℓᵢ = −Σ_c w_c·Yᵢc·log softmax(xᵢ)_c, and 'mean' divides by the number of samples.
    ``label_smoothing`` ε mixes the target with the uniform distribution: (1 − ε)·target + ε/C.
    One stable node: ∂ℓᵢ/∂xᵢ = softmax(xᵢ) − yᵢ (one-hot) for unweighted indices.

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
    """Negative log-likelihood of log-probabilities (the output of ``log_softmax``):
    ℓᵢ = −w_yᵢ·input[i, yᵢ]; 'mean' is Σᵢ ℓᵢ / Σᵢ w_yᵢ over samples not ``ignore_index``.
    ``nll_loss(log_softmax(x, 1), y)`` equals ``cross_entropy(x, y)``."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensors("nll_loss", input=input, target=target)
    weight = _class_setup("nll_loss", input, weight)
    _check_class_indices("nll_loss", input, target)
    return P.NllLoss.apply(input, target, weight=weight, ignore_index=ignore_index, reduction=reduction)

