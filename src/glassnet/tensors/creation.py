"""Functions that make tensors: zeros, ones, arange, linspace, rand, cat, where, ..."""
from __future__ import annotations

import numpy as np

from . import dtypes
from .device import check_device
from ..ops import elementwise as E
from ..ops import shape as S
from ..random import default_generator
from .arguments import _scalar_if_0d, _shape_arg
from .out import creates_into_out, writes_out
from .tensor import Tensor, _wrap, tensor


def _make(array, dtype, requires_grad, device=None, default=dtypes.float32) -> Tensor:
    check_device(device)
    d = dtypes.as_dtype(dtype) if dtype is not None else default
    t = _wrap(_scalar_if_0d(E.to_numpy_dtype(array, d.np) if np.asarray(array).dtype != d.np
                            else np.asarray(array)))
    if requires_grad:
        t.requires_grad = True
    return t


def _size_kw(size, kw) -> tuple:
    """``zeros(2, 3)``, ``zeros((2, 3))`` and torch's keyword form ``zeros(size=(2, 3))``."""
    extra = set(kw) - {"size"}
    if extra:
        raise TypeError(f"unexpected keyword argument {sorted(extra)[0]!r}")
    if "size" in kw:
        if size:
            raise TypeError("give the size either by position or as size=, not both")
        return (kw["size"],)
    return size


@creates_into_out
def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, **kw) -> Tensor:
    size = _size_kw(size, kw)
    return _make(np.zeros(_shape_arg(size)), dtype, requires_grad, device)


@creates_into_out
def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, **kw) -> Tensor:
    size = _size_kw(size, kw)
    return _make(np.ones(_shape_arg(size)), dtype, requires_grad, device)


@creates_into_out
def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, **kw) -> Tensor:
    size = _size_kw(size, kw)
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


@creates_into_out
def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    default = dtypes.float32 if isinstance(fill_value, float) else (
        dtypes.bool if isinstance(fill_value, bool) else dtypes.int64)
    return _make(np.full(_shape_arg((size,)), fill_value), dtype, requires_grad, device, default)


def zeros_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    return _make(np.zeros(input.shape), dtype or input.dtype, requires_grad, device)


def ones_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    return _make(np.ones(input.shape), dtype or input.dtype, requires_grad, device)


def empty_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    return _make(np.full(input.shape, fill_value), dtype or input.dtype, requires_grad, device)


@creates_into_out
def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False) -> Tensor:
    if end is None:
        start, end = 0, start
    is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    default = dtypes.int64 if is_int else dtypes.float32
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    return _make(np.arange(start, end, step, dtype=np.float64 if not is_int else np.int64),
                 dtype, requires_grad, device, default)


@creates_into_out
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


@creates_into_out
def eye(n: int, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(np.eye(n, m), dtype, requires_grad, device)


@creates_into_out
def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False, **kw) -> Tensor:
    size = _size_kw(size, kw)
    gen = generator or default_generator
    return _make(gen.uniform(0.0, 1.0, _shape_arg(size)), dtype, requires_grad, device)


@creates_into_out
def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False, **kw) -> Tensor:
    size = _size_kw(size, kw)
    gen = generator or default_generator
    return _make(gen.normal(0.0, 1.0, _shape_arg(size)), dtype, requires_grad, device)


@creates_into_out
def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False) -> Tensor:
    """Integers uniform in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        if not isinstance(high, (tuple, list)):
            raise TypeError("randint(): give the size, e.g. randint(10, (3,)) or randint(0, 10, (3,))")
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    gen = generator or default_generator
    return _make(gen.rng.integers(low, high, size=_shape_arg((size,))), dtype, requires_grad, device,
                 dtypes.int64)


@creates_into_out
def randperm(n: int, *, generator=None, out=None, dtype=dtypes.int64, layout=None, device=None,
             requires_grad=False, pin_memory=False) -> Tensor:
    """A random permutation of 0 … n − 1 (int64)."""
    gen = generator or default_generator
    return _make(gen.permutation(n), dtype, requires_grad, device, dtypes.int64)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (its dtype kept)."""
    dtypes.from_numpy_dtype(ndarray.dtype)
    return _wrap(ndarray)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor) and dtype is None:
        return data
    return tensor(data, dtype=dtype, device=device)


class tensortype(type):  # noqa: N801 - torch's name for the legacy types' type
    """The type of torch's legacy tensor types: ``torch.FloatTensor(2, 3)`` makes a tensor (sizes, a
    ``Size``, a list of data or a tensor), ``isinstance(x, torch.FloatTensor)`` checks the dtype,
    and ``x.type(torch.FloatTensor)`` converts."""

    def __call__(cls, *args, device=None):
        d = dtypes.as_dtype(cls.legacy_dtype)  # raises the one line for a dtype glassnet has not
        check_device(device)
        if len(args) == 1 and isinstance(args[0], Tensor):
            return args[0].to(d)  # torch: the same data, which must already have this dtype
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            if not isinstance(args[0], (list, tuple, np.ndarray)):
                raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
            if not (isinstance(args[0], tuple) and type(args[0]).__name__ == "Size"):
                return tensor(args[0], dtype=d)
            args = tuple(args[0])
        # sizes (none: an empty tensor): torch leaves the memory uninitialised; glassnet fills it with zeros
        args = args or (0,)
        return _make(np.zeros(_shape_arg(args)), d, False)

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.legacy_dtype

    def __repr__(cls):
        return f"<class 'glassnet.{cls.__name__}'>"


def _legacy(name):
    return tensortype(name, (), {"legacy_dtype": dtypes.LEGACY[name], "__module__": "glassnet"})


FloatTensor, DoubleTensor, LongTensor, IntTensor, BoolTensor = (
    _legacy(n) for n in ("FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor"))
HalfTensor, BFloat16Tensor, ByteTensor, CharTensor, ShortTensor = (
    _legacy(n) for n in ("HalfTensor", "BFloat16Tensor", "ByteTensor", "CharTensor", "ShortTensor"))


def _as_tensors(tensors, name):
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{name}(): expected a non-empty list of tensors")
    return [t if isinstance(t, Tensor) else tensor(t) for t in tensors]


@writes_out
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


concat = cat


def concatenate(tensors, axis: int = 0) -> Tensor:
    """``cat`` with NumPy's argument name."""
    return cat(tensors, axis)


@writes_out
def hstack(tensors) -> Tensor:
    """Concatenate along dimension 1 (dimension 0 for 1-D tensors)."""
    tensors = _as_tensors(tensors, "hstack")
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1)


@writes_out
def vstack(tensors) -> Tensor:
    """Concatenate along dimension 0, 1-D tensors first made rows."""
    return cat([t.reshape(1, -1) if t.dim() < 2 else t for t in _as_tensors(tensors, "vstack")], 0)


row_stack = vstack


@writes_out
def column_stack(tensors) -> Tensor:
    """1-D tensors (and 0-d) become columns; concatenate along dimension 1."""
    return cat([t.reshape(-1, 1) if t.dim() < 2 else t for t in _as_tensors(tensors, "column_stack")], 1)


@writes_out
def dstack(tensors) -> Tensor:
    """Concatenate along dimension 2 (1-D tensors become (1, n, 1), 2-D (m, n, 1))."""
    def three(t):
        return t.reshape(1, -1, 1) if t.dim() < 2 else (t.unsqueeze(-1) if t.dim() == 2 else t)
    return cat([three(t) for t in _as_tensors(tensors, "dstack")], 2)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids: output k is ``tensors[k]`` spread along axis k of the grid (``"ij"``), or
    with the first two axes swapped (``"xy"``); each is an ``expand`` of its input, so gradients
    sum over the copies.  Without ``indexing`` torch warns and uses ``"ij"``; so does glassnet."""
    import warnings

    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
                      "argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    tensors = [t if isinstance(t, Tensor) else tensor(t) for t in tensors]
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
    sizes = [t.numel() for t in tensors]
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        axes[0], axes[1] = 1, 0
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for t, axis in zip(tensors, axes):
        shape = [1] * len(tensors)
        shape[axis] = t.numel()
        out.append(t.reshape(shape).expand(*sizes))
    return tuple(out)


@writes_out
def stack(tensors, dim: int = 0) -> Tensor:
    tensors = _as_tensors(tensors, "stack")
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise RuntimeError(f"stack expects each tensor to be equal size, but got shapes "
                           f"{[tuple(t.shape) for t in tensors]}")
    return S.Stack.apply(*tensors, dim=dim)


@writes_out
def where(condition, input=None, other=None) -> Tensor:  # noqa: A002 - torch's names
    """Elements of ``input`` where ``condition`` holds, of ``other`` elsewhere; ``where(condition)``
    alone is ``condition.nonzero(as_tuple=True)`` (a tuple of index tensors)."""
    cond = condition.array if isinstance(condition, Tensor) else np.asarray(condition)
    if input is None and other is None:
        return tuple(_wrap(i.astype(np.int64)) for i in np.nonzero(cond))
    a = input if isinstance(input, Tensor) else None
    b = other if isinstance(other, Tensor) else None
    if a is None and b is None:
        return _wrap(np.where(cond, input, other))
    a = a if a is not None else b._lift(input)
    b = b if b is not None else a._lift(other)
    return E.Where.apply(a, b, cond=cond.astype(bool))


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim=None):
    """The distinct values (sorted); optionally the inverse indices and the counts."""
    if dim is not None:
        raise NotImplementedError("unique(dim=...) is not supported by glassnet")
    values, inverse, counts = np.unique(input.array, return_inverse=True, return_counts=True)
    out = [_wrap(values)]
    if return_inverse:
        out.append(_wrap(inverse.reshape(input.shape).astype(np.int64)))
    if return_counts:
        out.append(_wrap(counts.astype(np.int64)))
    return tuple(out) if len(out) > 1 else out[0]


def equal(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    return input.shape == other.shape and bool(np.array_equal(input.array, other.array))


def allclose(input: Tensor, other: Tensor, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:  # noqa: A002
    return bool(np.allclose(np.asarray(input.array, float), np.asarray(other.array, float), rtol, atol,
                            equal_nan))


def isclose(input: Tensor, other: Tensor, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:  # noqa: A002
    return _wrap(np.isclose(np.asarray(input.array, float), np.asarray(other.array, float), rtol, atol,
                            equal_nan))
