"""Functions that make tensors: zeros, ones, arange, linspace, rand, cat, where, ..."""
from __future__ import annotations

import numpy as np

from . import dtypes
from .ops import elementwise as E
from .ops import shape as S
from .random import default_generator
from .tensor import Tensor, _scalar_if_0d, _shape_arg, _wrap, tensor


def _make(array, dtype, requires_grad, device=None, default=dtypes.float32) -> Tensor:
    if device is not None:
        dtypes.device(device)
    d = dtypes.as_dtype(dtype) if dtype is not None else default
    t = _wrap(_scalar_if_0d(E.to_numpy_dtype(array, d.np) if np.asarray(array).dtype != d.np
                            else np.asarray(array)))
    if requires_grad:
        t.requires_grad = True
    return t


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(np.zeros(_shape_arg(size)), dtype, requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(np.ones(_shape_arg(size)), dtype, requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    default = dtypes.float32 if isinstance(fill_value, float) else (
        dtypes.bool if isinstance(fill_value, bool) else dtypes.int64)
    return _make(np.full(_shape_arg((size,)), fill_value), dtype, requires_grad, device, default)


def zeros_like(t: Tensor, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.zeros(t.shape), dtype or t.dtype, requires_grad)


def ones_like(t: Tensor, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.ones(t.shape), dtype or t.dtype, requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.full(t.shape, fill_value), dtype or t.dtype, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    if end is None:
        start, end = 0, start
    is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    default = dtypes.int64 if is_int else dtypes.float32
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    return _make(np.arange(start, end, step, dtype=np.float64 if not is_int else np.int64),
                 dtype, requires_grad, device, default)


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    Computed as PyTorch's CPU kernel does (first half from ``start``, second half from
    ``end``, in the output dtype), so the float32 values are bit-identical to torch's.
    """
    if steps < 0:
        raise RuntimeError("linspace: number of steps must be non-negative")
    d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.float32
    if d.np.kind != "f" or steps <= 1:
        return _make(np.linspace(start, end, steps), d, requires_grad, device)
    f = d.np.type
    step = (f(end) - f(start)) / f(steps - 1)
    idx = np.arange(steps)
    half = steps // 2
    first = f(start) + step * idx[:half].astype(d.np)
    second = f(end) - step * (steps - idx[half:] - 1).astype(d.np)
    return _make(np.concatenate([first, second]).astype(d.np), d, requires_grad, device)


def eye(n: int, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(np.eye(n, m), dtype, requires_grad, device)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    gen = generator or default_generator
    return _make(gen.uniform(0.0, 1.0, _shape_arg(size)), dtype, requires_grad, device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    gen = generator or default_generator
    return _make(gen.normal(0.0, 1.0, _shape_arg(size)), dtype, requires_grad, device)


def randint(low, high=None, size=(), generator=None, dtype=None) -> Tensor:
    if high is None:
        low, high = 0, low
    gen = generator or default_generator
    return _make(gen.rng.integers(low, high, size=_shape_arg((size,))), dtype, False, None, dtypes.int64)


def randperm(n: int, generator=None, dtype=None) -> Tensor:
    gen = generator or default_generator
    return _make(gen.permutation(n), dtype, False, None, dtypes.int64)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (its dtype kept)."""
    dtypes.from_numpy_dtype(array.dtype)
    return _wrap(array)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor) and dtype is None:
        return data
    return tensor(data, dtype=dtype, device=device)


def FloatTensor(data) -> Tensor:  # noqa: N802 - torch's legacy name
    return tensor(data, dtype=dtypes.float32)


def LongTensor(data) -> Tensor:  # noqa: N802
    return tensor(data, dtype=dtypes.int64)


def _as_tensors(tensors, name):
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{name}(): expected a non-empty list of tensors")
    return [t if isinstance(t, Tensor) else tensor(t) for t in tensors]


def cat(tensors, dim: int = 0) -> Tensor:
    tensors = _as_tensors(tensors, "cat")
    shapes = [tuple(t.shape) for t in tensors]
    ndim = len(shapes[0])
    d = dim % ndim if ndim else 0
    for s in shapes[1:]:
        if len(s) != ndim or s[:d] + s[d + 1:] != shapes[0][:d] + shapes[0][d + 1:]:
            raise RuntimeError(f"cat: sizes of tensors must match except in dimension {dim}; got "
                               f"shapes {shapes}")
    return S.Cat.apply(*tensors, dim=d)


concat = concatenate = cat


def stack(tensors, dim: int = 0) -> Tensor:
    tensors = _as_tensors(tensors, "stack")
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise RuntimeError(f"stack expects each tensor to be equal size, but got shapes "
                           f"{[tuple(t.shape) for t in tensors]}")
    return S.Stack.apply(*tensors, dim=dim)


def where(condition, input, other) -> Tensor:  # noqa: A002 - torch's names
    """Elements of ``input`` where ``condition`` holds, of ``other`` elsewhere."""
    cond = condition.array if isinstance(condition, Tensor) else np.asarray(condition)
    a = input if isinstance(input, Tensor) else None
    b = other if isinstance(other, Tensor) else None
    if a is None and b is None:
        return _wrap(np.where(cond, input, other))
    a = a if a is not None else b._lift(input)
    b = b if b is not None else a._lift(other)
    return E.Where.apply(a, b, cond=cond.astype(bool))


def unique(t: Tensor, sorted: bool = True, return_counts: bool = False):  # noqa: A002
    values, counts = np.unique(t.array, return_counts=True)
    out = _wrap(values)
    return (out, _wrap(counts.astype(np.int64))) if return_counts else out


def equal(a: Tensor, b: Tensor) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a.array, b.array))


def allclose(a: Tensor, b: Tensor, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
    return bool(np.allclose(np.asarray(a.array, float), np.asarray(b.array, float), rtol, atol, equal_nan))


def isclose(a: Tensor, b: Tensor, rtol=1e-5, atol=1e-8, equal_nan=False) -> Tensor:
    return _wrap(np.isclose(np.asarray(a.array, float), np.asarray(b.array, float), rtol, atol, equal_nan))
