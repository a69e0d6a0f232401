"""``glassnet.nn.functional`` (``F``): activations, ``linear``, ``dropout``, ``embedding``,
``one_hot``, the norms and (from ``loss_functions.py``, ``conv.py``, ``pooling.py``,
``pixelshuffle.py``, ``fold.py``) the losses and the layers' functions, as plain functions with torch's
names, arguments and defaults.

Activations, ``linear``, ``gelu`` and ``embedding`` call the primitives in ``glassnet/ops/``; the
norms are compositions of tensor methods, so an explanation shows each step.  Arguments are
checked here, at the edge.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import random as _random
from ..ops.elementwise import Gelu, Mish, Silu
from ..ops.linalg import Linear
from ..ops.normalization import GroupNorm, LayerNorm
from ..ops.shape import Embedding
from ..tensors.creation import from_numpy
from ..tensors.tensor import Tensor, _wrap
from ._validation import _check_tensors
from .attention import multi_head_attention_forward, scaled_dot_product_attention  # noqa: F401
from .conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d  # noqa: F401
from .fold import fold, unfold  # noqa: F401
from .loss_functions import (binary_cross_entropy, binary_cross_entropy_with_logits,  # noqa: F401
                             cosine_embedding_loss, cross_entropy, huber_loss, kl_div, l1_loss,
                             margin_ranking_loss, mse_loss, nll_loss, poisson_nll_loss, smooth_l1_loss,
                             triplet_margin_loss)
from .pixelshuffle import pixel_shuffle, pixel_unshuffle  # noqa: F401
from .pooling import (adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool1d, avg_pool2d, interpolate,  # noqa: F401
                      max_pool1d, max_pool2d, pad, upsample)

__all__ = ["relu", "leaky_relu", "sigmoid", "tanh", "gelu", "silu", "mish", "scaled_dot_product_attention", "multi_head_attention_forward", "softmax", "log_softmax", "linear",
           "dropout", "dropout2d", "mse_loss", "l1_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "embedding", "one_hot",
           "layer_norm", "batch_norm", "group_norm", "instance_norm", "smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss",
           "cosine_embedding_loss", "margin_ranking_loss", "triplet_margin_loss",
           "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d",
           "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool2d",
           "adaptive_max_pool2d", "pad", "interpolate", "upsample", "pixel_shuffle", "pixel_unshuffle",
           "unfold", "fold"]


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
    return Gelu.apply(input, approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """Sigmoid linear unit (swish), element-wise.

        silu(x) = x·σ(x),    silu′(x) = σ(x)·(1 + x·(1 − σ(x)))

    ``inplace`` is accepted for compatibility; the result is always a new tensor.
    """
    return Silu.apply(input)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """Mish, element-wise.

        mish(x) = x·tanh(softplus(x)),    mish′(x) = t + x·σ(x)·(1 − t²),  t = tanh(softplus(x))

    ``inplace`` is accepted for compatibility; the result is always a new tensor.
    """
    return Mish.apply(input)


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
            return Linear.apply(input, weight)
        return Linear.apply(input, weight, bias)
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
    return _drop(input, p, np.shape(input.array))


def _drop(input: Tensor, p: float, mask_shape: tuple) -> Tensor:
    """x·m / (1 − p) with m ~ Bernoulli(1 − p) drawn in ``mask_shape`` (broadcast over the rest)."""
    dtype = input.array.dtype
    if p == 1.0:
        return input * from_numpy(np.zeros(mask_shape, dtype=dtype))
    keep = _random.default_generator.rng.random(mask_shape) >= p
    return input * from_numpy(keep.astype(dtype) / dtype.type(1.0 - p))


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Randomly zero whole channels while training: each feature map ``input[n, c]`` is kept
    (and scaled by 1/(1 − p)) or zeroed as one.

        y[n, c] = x[n, c]·m[n, c] / (1 − p),    m[n, c] ~ Bernoulli(1 − p) (glassnet's generator)

    Input (N, C, H, W).  As torch 2.x does, a 3-D input is read as (N, C, L) with a warning (so a
    (C, H, W) sample without its batch dimension drops rows, not channels: add the batch dimension),
    and other ranks warn and drop along dimension 1 likewise.

    Parameters
    ----------
    input : Tensor
    p : float, default 0.5
        Probability of zeroing a channel, in [0, 1].
    training : bool, default True
        When False, ``input`` is returned unchanged.
    inplace : bool
        Accepted for compatibility; the result is always a new tensor.
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    ndim = input.dim()
    if ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {ndim}-D input to dropout2d, which is deprecated and will "
                      f"result in an error in a future release. To retain the behavior and silence this "
                      f"warning, please use dropout instead. Note that dropout2d exists to provide "
                      f"channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and "
                      f"an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
                      "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
                      "the channel dim. This behavior will change in a future release to interpret the "
                      "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
                      "channel-wise dropout behavior, please switch to using dropout1d instead.",
                      stacklevel=2)
    if ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if not training or p == 0.0:
        return input
    return _drop(input, p, tuple(input.shape[:2]) + (1,) * (ndim - 2))


# -- embeddings and norms --------------------------------------------------------------------
def embedding(input: Tensor, weight: Tensor, padding_idx=None, max_norm=None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up rows of ``weight`` (num_embeddings, embedding_dim) by the integer ``input``
    (any shape); the result has shape input.shape + (embedding_dim,).

    ``max_norm``, ``scale_grad_by_freq`` and ``sparse`` are not supported (NotImplementedError).
    """
    _check_tensors("embedding", input=input, weight=weight)
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not "
                                  "supported by glassnet; leave them at their defaults")
    if input.array.dtype.kind not in "iu":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following "
                           f"scalar types: Long, Int; but got {input.dtype} instead (call .long())")
    idx = np.asarray(input.array)
    n = weight.shape[0]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"index out of range in self: indices must be in [0, {n}) for an Embedding "
                         f"of {n} rows, got values from {idx.min()} to {idx.max()}")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    return Embedding.apply(weight, idx=idx, padding_idx=padding_idx)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: shape tensor.shape + (num_classes,), 1 at each index.
    ``num_classes=-1`` takes max + 1."""
    if not isinstance(tensor, Tensor) or tensor.array.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    idx = np.asarray(tensor.array)
    if idx.size and idx.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if not idx.size:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    elif idx.size and idx.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return _wrap(np.eye(num_classes, dtype=np.int64)[idx])


def layer_norm(input: Tensor, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dimensions, then scale and shift.

        y = (x − E[x]) / √(Var[x] + ε) · γ + β    (Var is the biased variance, as in torch)
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[len(input.shape) - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size {list(input.shape)}")
    if weight is None and bias is not None:  # a shift alone: normalise, then add it
        return LayerNorm.apply(input, dims=len(shape), eps=eps) + bias
    affine = [t for t in (weight, bias) if t is not None]
    return LayerNorm.apply(input, *affine, dims=len(shape), eps=eps)


def batch_norm(input: Tensor, running_mean, running_var, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dimension 1 of an (N, C, *) input: (N, C), (N, C, L), (N, C, H, W),
    …) over all the other dimensions, then scale and shift per channel.

        training: y = (x − mean_B) / √(var_B + ε) · γ + β, and (when given) the running
                  statistics move: r ← (1 − momentum)·r + momentum·stat_B (running_var takes the
                  unbiased batch variance, var_B·n/(n − 1) for n = N·H·W values per channel)
        eval:     y = (x − running_mean) / √(running_var + ε) · γ + β

    Composed of tensor ops, so an explanation shows each step: the channel means, the centred
    values, the biased variance, one scale per channel s = γ / √(var + ε), then y = centred · s + β
    (the per-channel scale is folded first so only two element-wise ops touch the whole input).
    """
    if input.dim() < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [-{max(input.dim(), 1)}, "
                         f"{max(input.dim(), 1) - 1}], but got 1)")
    channels = input.shape[1]
    for name, value in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        if value is not None and value.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {value.numel()}")
    if training:
        count = input.numel() // channels if channels else 0
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{input.shape}")
        if eps <= 0.0:
            raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    elif running_mean is None or running_var is None:
        raise RuntimeError(f"running_{'mean' if running_mean is None else 'var'} must be defined in "
                           f"evaluation mode")
    dims = (0,) + tuple(range(2, input.dim()))
    view = (1, -1) + (1,) * (input.dim() - 2)
    if training:
        mean = input.mean(dims, keepdim=True)
        centred = input - mean
        var = (centred * centred).mean(dims, keepdim=True)
        if running_mean is not None:
            m = momentum
            running_mean.mul_(1 - m).add_(mean.detach().reshape(-1) * m)
            running_var.mul_(1 - m).add_(var.detach().reshape(-1) * (m * count / (count - 1)))
    else:
        centred = input - running_mean.reshape(view)
        var = running_var.reshape(view)
    scale = (var + eps).rsqrt()
    if weight is not None:
        scale = scale * weight.reshape(view)
    out = centred * scale
    return out + bias.reshape(view) if bias is not None else out


def _norm_affine(fn: str, input: Tensor, weight, bias) -> None:
    """γ and β of a per-channel norm: C values each, of the input's floating dtype."""
    if not input.is_floating_point():
        raise NotImplementedError(f"{fn}: the input must be floating point, got {input.dtype}; "
                                  f"convert it with .float()")
    channels = input.shape[1]
    for name, value in (("weight", weight), ("bias", bias)):
        if value is None:
            continue
        if value.numel() != channels:
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels "
                               f"in input, but got {name} of shape {list(value.shape)} and input of "
                               f"shape {list(input.shape)}")
        if value.dtype != input.dtype:
            raise RuntimeError(f"mixed dtype (CPU): expect parameter to have scalar type of "
                               f"{input.dtype} (the input's), got {name} of {value.dtype}; convert one "
                               f"of them, e.g. model.to(x.dtype)")


def _group_norm(input: Tensor, groups: int, weight, bias, eps: float) -> Tensor:
    """The ``GroupNorm`` primitive, with a shift alone added after it."""
    if weight is None and bias is not None:
        return GroupNorm.apply(input, groups=groups, eps=eps) + bias.reshape((-1,) + (1,) * (input.dim() - 2))
    affine = [t for t in (weight, bias) if t is not None]
    return GroupNorm.apply(input, *affine, groups=groups, eps=eps)


def group_norm(input: Tensor, num_groups: int, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Normalise each sample's group of C/G channels (dimension 1 of an (N, C, *) input) over those
    channels and all positions, then scale and shift per channel.

        y = (x − E[x]) / √(Var[x] + ε) · γ[c] + β[c]    (E, Var over one sample's group; Var biased)

    One node (``ops/normalization.py``: ``GroupNorm``, torch's ``NativeGroupNormBackward0``) with a
    closed-form backward.
    """
    _check_tensors("group_norm", input=input)
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    n, channels = input.shape[:2]
    size = [n * channels // num_groups, num_groups] + list(input.shape[2:])
    if math.prod(size) // num_groups == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")
    if channels % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got "
                           f"input of shape {list(input.shape)} and num_groups={num_groups}")
    _norm_affine("group_norm", input, weight, bias)
    return _group_norm(input, num_groups, weight, bias, eps)


def instance_norm(input: Tensor, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each sample's channel (dimension 1 of an (N, C, *) input) over its positions, then
    scale and shift per channel (style transfer, CycleGAN):

        use_input_stats: y = (x − mean_{n,c}) / √(var_{n,c} + ε) · γ + β, and (when given) the
                         running statistics move by the batch's mean of the per-sample statistics:
                         r ← (1 − momentum)·r + momentum·mean_n(stat_{n,c}) (the variance unbiased,
                         var·m/(m − 1) for m positions)
        otherwise:       y = (x − running_mean) / √(running_var + ε) · γ + β  (``F.batch_norm``'s eval)

    The normalisation is the group norm with one channel per group (one node, ``GroupNorm``).
    """
    _check_tensors("instance_norm", input=input)
    if use_input_stats and math.prod(input.shape[2:]) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape}")
    channels = input.shape[1]
    for name, value in (("running_mean", running_mean), ("running_var", running_var)):
        if value is not None and value.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {value.numel()}")
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats "
                               "is false")
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    _norm_affine("instance_norm", input, weight, bias)
    if running_mean is not None or running_var is not None:
        x = input.detach().reshape(input.shape[0], channels, -1)
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(x.mean(-1).mean(0) * momentum)
        if running_var is not None:
            running_var.mul_(1 - momentum).add_(x.var(-1).mean(0) * momentum)
    return _group_norm(input, channels, weight, bias, eps)
