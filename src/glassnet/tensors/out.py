"""``out=``: torch's functions that write their result into a tensor the caller gives.

``write_out(name, result, out)`` is the one rule: ``out`` takes the result's values (resized to the
result's shape as torch resizes it: silently when empty, with torch's warning otherwise; its dtype
kept, where torch can cast the result to it) and is returned.  Nothing records it in the graph, so,
as in torch, a result or an ``out`` that requires grad (with grad mode on) raises.
"""
from __future__ import annotations

import functools
import warnings

import numpy as np

from ..autograd.engine import STATE, TensorBase
from .arguments import _scalar_if_0d

_NAMES = {"b": "Bool", "u": "Byte", "i": "Long", "f": "Float", "O": "Float"}


def _rank(kind: str) -> int:
    """bool < integers < floats: torch casts a result only upward into ``out`` (canCast)."""
    return {"b": 0, "u": 1, "i": 1, "f": 2, "O": 2}[kind]


def write_out(name: str, result, out):
    """``result`` written into ``out`` (returned); ``result`` itself when ``out`` is None."""
    if out is None:
        return result
    if not isinstance(out, TensorBase):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if STATE.grad_enabled and (result._requires_grad or out._requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           f"differentiation, but one of the arguments requires grad.")
    src, dst = np.asarray(result.array), np.asarray(out.array)
    if _rank(src.dtype.kind) > _rank(dst.dtype.kind):
        raise RuntimeError(f"result type {_NAMES[src.dtype.kind]} can't be cast to the desired output "
                           f"type {_NAMES[dst.dtype.kind]}")
    if src.shape != dst.shape:
        if dst.size:
            warnings.warn(f"An output with one or more elements was resized since it had shape "
                          f"{list(dst.shape)}, which does not match the required output shape "
                          f"{list(src.shape)}. This behavior is deprecated, and in a future PyTorch "
                          f"release outputs will not be resized unless they have zero elements. You "
                          f"can explicitly reuse an out tensor t by resizing it, inplace, to zero "
                          f"elements with t.resize_(0).", UserWarning, stacklevel=3)
        out.array = _scalar_if_0d(np.zeros(src.shape, dtype=dst.dtype))  # the resize: new memory
    return out._inplace(name, src)


def writes_out(fn):
    """``fn(..., out=t)``: ``fn``'s result written into ``t`` (``write_out``)."""
    @functools.wraps(fn)
    def with_out(*args, out=None, **kwargs):
        return write_out(fn.__name__, fn(*args, **kwargs), out)
    return with_out


def creates_into_out(fn):
    """A creation function (``zeros``, ``arange``, ``randn``): with ``out=t`` and no ``dtype``, the
    values are made in ``t``'s dtype, as torch does, and written into ``t``."""
    @functools.wraps(fn)
    def with_out(*args, out=None, **kwargs):
        if out is not None and kwargs.get("dtype") is None and isinstance(out, TensorBase):
            kwargs["dtype"] = out.dtype
        return write_out(fn.__name__, fn(*args, **kwargs), out)
    return with_out
