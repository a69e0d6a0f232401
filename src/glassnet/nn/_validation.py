"""Argument checks for the losses, done once at the public edge, with messages that name the
argument, the value and the fix (and torch's wording where torch has one)."""
from __future__ import annotations

import warnings

import numpy as np

from ..autograd.broadcasting import broadcast_shape
from ..tensors.tensor import Tensor


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
    broadcast_shape(tuple(input.shape), tuple(target.shape))


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
