"""More of ``torch.nn.functional``: ``embedding``, ``one_hot``, ``layer_norm``, ``batch_norm``,
``smooth_l1_loss``, ``huber_loss`` (re-exported by ``glassnet.nn.functional``).

``embedding`` is a primitive (a row lookup whose backward scatters rows back and skips
``padding_idx``); the norms and the robust losses are compositions of the engine's ops, so an
explanation shows each step.
"""
from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..creation import where
from ..tensor import Tensor, _wrap
from ._validation import _broadcast_target, _check_tensors, _reduction

__all__ = ["embedding", "one_hot", "layer_norm", "batch_norm", "smooth_l1_loss", "huber_loss"]


class Embedding(Function):
    """out[..., :] = W[idx[...], :];  ∂L/∂W[r] = Σ over positions holding r of ∂L/∂out (rows of
    ``padding_idx`` get none)."""

    __slots__ = ("idx", "shape", "padding_idx")

    def forward(self, weight, idx=None, padding_idx=None):
        self.idx, self.shape, self.padding_idx = idx, weight.shape, padding_idx
        return weight[idx]

    def backward(self, g):
        grad = np.zeros(self.shape, dtype=g.dtype)
        np.add.at(grad, self.idx, g)
        if self.padding_idx is not None:
            grad[self.padding_idx] = 0
        return (grad,)


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
    dims = tuple(range(input.dim() - len(shape), input.dim()))
    centred = input - input.mean(dims, keepdim=True)
    out = centred / ((centred * centred).mean(dims, keepdim=True) + eps).sqrt()
    if weight is not None:
        out = out * weight
    return out + bias if bias is not None else out


def batch_norm(input: Tensor, running_mean, running_var, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dimension 1) over the batch (and length) dimensions.

        training: y = (x − mean_B) / √(var_B + ε) · γ + β, and (when given) the running
                  statistics move: r ← (1 − momentum)·r + momentum·stat_B (running_var takes the
                  unbiased batch variance)
        eval:     y = (x − running_mean) / √(running_var + ε) · γ + β
    """
    if input.dim() < 2:
        raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")
    dims = (0,) + tuple(range(2, input.dim()))
    view = (1, -1) + (1,) * (input.dim() - 2)
    if training:
        count = input.numel() // input.shape[1]
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{list(input.shape)}")
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
    out = centred / (var + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(view)
    return out + bias.reshape(view) if bias is not None else out


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
