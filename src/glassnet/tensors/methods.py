"""``Tensor``'s reductions and shape methods (mixed into ``glassnet.Tensor``).

Each method checks and normalises torch's arguments, then applies one primitive from
``glassnet.ops`` (``reduce.py``, ``shape.py``) or composes a few.  Keyword spellings torch's
parser also accepts (``axis=`` for ``dim=``, ``keepdims=`` for ``keepdim=``) are handled by
``glassnet/tensors/aliases.py``.
"""
from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from . import dtypes
from .arguments import _index_key, _promote, _shape_arg
from .movement import _TYPE_NAME, view_strides
from ..autograd.broadcasting import broadcast_message, broadcast_shape
from ..autograd.engine import STATE, TensorBase
from ..ops import elementwise as E
from ..ops import reduce as R
from ..ops import shape as S

MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])
SortResult = namedtuple("sort", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])


def _dims(dim):
    if isinstance(dim, list):
        return tuple(dim)
    return dim


def _cast(t, dtype):
    return t if dtype is None else t.to(dtype)


class ReductionMethods:
    __slots__ = ()

    def sum(self, dim=None, keepdim: bool = False, dtype=None):
        return R.Sum.apply(_cast(self, dtype), dim=_dims(dim), keepdim=keepdim)

    def mean(self, dim=None, keepdim: bool = False, *, dtype=None):
        self = _cast(self, dtype)
        if self.array.dtype.kind not in "fO":
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be floating "
                               f"point, but got {self.dtype}; call .float() first.")
        return R.Mean.apply(self, dim=_dims(dim), keepdim=keepdim)

    def _extreme(self, dim, keepdim, sign, result):
        if isinstance(dim, TensorBase):  # torch.max(a, b): the element-wise maximum
            a, b = (self, dim) if self.dtype == dim.dtype else _promote(self, dim)
            cond = (a >= b if sign > 0 else a <= b).array   # (shapes that do not broadcast: torch's error)
            return E.Where.apply(a, b, cond=np.asarray(cond))
        if dim is None:
            return R.Max.apply(self, sign=sign)
        values = R.Max.apply(self, dim=dim, keepdim=keepdim, sign=sign)
        idx = self.array.argmax(axis=dim) if sign > 0 else self.array.argmin(axis=dim)
        idx = np.expand_dims(idx, dim) if keepdim else idx
        return result(values, self._from_array(np.asarray(idx, dtype=np.int64)))

    def max(self, dim=None, keepdim: bool = False):
        """Largest value; with ``dim``, a (values, indices) pair; with a tensor, the element-wise
        maximum (as ``torch.max(a, b)``)."""
        return self._extreme(dim, keepdim, 1, MaxResult)

    def min(self, dim=None, keepdim: bool = False):
        return self._extreme(dim, keepdim, -1, MinResult)

    def maximum(self, other):
        return self._extreme(other, False, 1, None)

    def minimum(self, other):
        return self._extreme(other, False, -1, None)

    def argmax(self, dim=None, keepdim: bool = False):
        idx = np.argmax(self.array, axis=dim, keepdims=keepdim) if dim is not None else np.argmax(self.array)
        return self._from_array(np.asarray(idx, dtype=np.int64))

    def argmin(self, dim=None, keepdim: bool = False):
        idx = np.argmin(self.array, axis=dim, keepdims=keepdim) if dim is not None else np.argmin(self.array)
        return self._from_array(np.asarray(idx, dtype=np.int64))

    def var(self, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=1):
        """Σ(x − mean)² / (n − correction); ``unbiased=False`` is ``correction=0``."""
        if not unbiased:
            correction = 0
        dims = _dims(dim)
        shape = np.shape(self.array)
        n = self.numel() if dims is None else int(np.prod([shape[d] for d in np.atleast_1d(dims)]))
        d = self - self.mean(dims, keepdim=True)
        return (d * d).sum(dims, keepdim=keepdim) / max(n - correction, 0)

    def std(self, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=1):
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    def any(self, dim=None, keepdim: bool = False):
        return self._from_array(np.asarray(np.any(self.array, axis=_dims(dim), keepdims=keepdim)))

    def all(self, dim=None, keepdim: bool = False):
        return self._from_array(np.asarray(np.all(self.array, axis=_dims(dim), keepdims=keepdim)))

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False):
        """(values, indices) sorted along ``dim`` (ties keep their order)."""
        idx = self.argsort(dim, descending)
        return SortResult(S.Gather.apply(self, index=idx.array, dim=dim), idx)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False):
        a = self.array
        idx = np.argsort(-a if descending else a, axis=dim, kind="stable")
        return self._from_array(np.asarray(idx, dtype=np.int64))

    def topk(self, k: int, dim=None, largest: bool = True, sorted: bool = True):  # noqa: A002
        """The ``k`` largest (or smallest) values along ``dim`` (default: the last) and their indices."""
        dim = -1 if dim is None else dim
        idx = np.take(self.argsort(dim, descending=largest).array, np.arange(k), axis=dim)
        return TopkResult(S.Gather.apply(self, index=idx, dim=dim), self._from_array(idx))

    def gather(self, dim: int, index, *, sparse_grad: bool = False):
        """``out[i][j] = self[i][index[i][j]]`` for ``dim=1`` (and likewise for other dims)."""
        return S.Gather.apply(self, index=np.asarray(index.array, dtype=np.int64), dim=dim)

    def cumsum(self, dim: int, dtype=None):
        """Running sum along ``dim`` (a composition: a lower-triangular matrix of ones)."""
        a = _cast(self, dtype)
        n = a.shape[dim]
        ones = self._from_array(np.tril(np.ones((n, n), dtype=a.array.dtype)))
        moved = a.transpose(dim, -1) if a.ndim > 1 else a
        out = moved @ ones.T
        return out.transpose(dim, -1) if a.ndim > 1 else out

    def prod(self, dim=None, keepdim: bool = False, dtype=None):
        a = _cast(self, dtype)
        if dim is None:
            return _product(a.reshape(-1), 0, False)
        return _product(a, dim, keepdim)

    def logsumexp(self, dim, keepdim: bool = False):
        """log Σ exp(x) along ``dim``, stably (max subtracted)."""
        m = self.detach().max(dim, keepdim=True).values
        out = (self - m).exp().sum(dim, keepdim=True).log() + m
        return out if keepdim else out.squeeze(dim)

    def norm(self, p="fro", dim=None, keepdim: bool = False, dtype=None):
        """(Σ|x|ᵖ)^(1/p) over ``dim`` (all elements by default); 'fro' is p = 2."""
        self = _cast(self, dtype)
        if p in ("fro", 2):
            return (self * self).sum(dim, keepdim=keepdim).sqrt()
        if p == 1:
            return self.abs().sum(dim, keepdim=keepdim)
        return (self.abs() ** p).sum(dim, keepdim=keepdim) ** (1.0 / p)

    def softmax(self, dim: int = -1, dtype=None):
        return R.Softmax.apply(_cast(self, dtype), dim=dim)

    def log_softmax(self, dim: int = -1, dtype=None):
        return R.LogSoftmax.apply(_cast(self, dtype), dim=dim)


class BitwiseMethods:
    """The bitwise family (logical on bool): integer and bool tensors only, no gradient."""
    __slots__ = ()

    def _bitwise(self, ufunc, other, name):
        b = other.array if isinstance(other, TensorBase) else other
        for v in (self.array,) if b is None else (self.array, b):
            if isinstance(v, builtins.float) or np.asarray(v).dtype.kind not in "biu":
                dt = np.asarray(v).dtype.name
                kind = "Float" if isinstance(v, builtins.float) else _TYPE_NAME.get(dt, dt)
                raise NotImplementedError(f'"{name}_cpu" not implemented for \'{kind}\': bitwise ops take '
                                          f"integer or bool tensors (for a logical op on floats compare "
                                          f"first, e.g. (x > 0) & (y > 0))")
        if b is None:
            return self._from_array(np.asarray(ufunc(self.array)))
        try:
            return self._from_array(np.asarray(ufunc(self.array, b)))
        except ValueError:
            raise RuntimeError(broadcast_message([np.shape(self.array), np.shape(b)])) from None

    def bitwise_and(self, other): return self._bitwise(np.bitwise_and, other, "bitwise_and")
    def bitwise_or(self, other): return self._bitwise(np.bitwise_or, other, "bitwise_or")
    def bitwise_xor(self, other): return self._bitwise(np.bitwise_xor, other, "bitwise_xor")
    def bitwise_not(self): return self._bitwise(np.invert, None, "bitwise_not")
    __and__ = __rand__ = bitwise_and
    __or__ = __ror__ = bitwise_or
    __xor__ = __rxor__ = bitwise_xor

    def __invert__(self):
        if self.array.dtype.kind not in "biu":
            raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
        return self.bitwise_not()


def _infer_shape(shape: tuple, numel: int) -> tuple:
    """``shape`` with its one −1 filled in; torch's error when it cannot hold ``numel`` values."""
    known = int(np.prod([n for n in shape if n != -1]))
    if shape.count(-1) == 1 and known and numel % known == 0:
        return tuple(numel // known if n == -1 else n for n in shape)
    if shape.count(-1) == 0 and known == numel:
        return shape
    raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")


def _product(a, dim, keepdim):
    """Π along ``dim`` as a chain of multiplications (exact gradient even with zeros)."""
    pieces = a.unbind(dim)
    out = pieces[0]
    for piece in pieces[1:]:
        out = out * piece
    return out.unsqueeze(dim) if keepdim else out


class ShapeMethods:
    __slots__ = ()

    def reshape(self, *shape):
        return self._reshape(_shape_arg(shape), view=False)

    def _reshape(self, shape, view):
        if shape == np.shape(self.array):
            return self
        return S.Reshape.apply(self, shape=shape, view=view)

    def view(self, *shape, dtype=None):
        """``view(2, 3)`` reshapes (sharing values); ``view(dtype)`` reinterprets the bytes."""
        if dtype is not None:
            shape = (dtype,)
        if len(shape) == 1 and isinstance(shape[0], (dtypes.dtype, str)) or len(shape) == 1 and shape[0] in (
                builtins.float, builtins.int):
            return self._from_array(np.asarray(self.array).view(dtypes.as_dtype(shape[0]).np))
        a = self.array
        if type(a) is np.ndarray and not a.flags.c_contiguous and a.size > 1:
            new = _infer_shape(_shape_arg(shape), a.size)
            if view_strides(a.shape, tuple(s // a.itemsize for s in a.strides), new) is None:
                raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                                   "least one dimension spans across two contiguous subspaces). Use "
                                   ".reshape(...) instead.")
        return self._reshape(_shape_arg(shape), view=True)

    def view_as(self, other): return self.reshape(other.shape)
    def reshape_as(self, other): return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        shape = np.shape(self.array)
        if not shape:
            return self.reshape(1)
        n = len(shape)
        for d in (start_dim, end_dim):
            if not -n <= d < n:
                raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                                 f"but got {d})")
        s, e = start_dim % n, end_dim % n
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        return self.reshape(shape[:s] + (int(np.prod(shape[s:e + 1])),) + shape[e + 1:])

    def unflatten(self, dim: int, sizes):
        """Split dimension ``dim`` into ``sizes`` (one of them may be −1, inferred):
        (N, 12).unflatten(1, (3, 4)) → (N, 3, 4).  The inverse of ``flatten``."""
        shape = np.shape(self.array)
        n = max(len(shape), 1)
        if not -n <= dim < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                             f"but got {dim})")
        sizes = [int(k) for k in sizes]
        if not sizes:
            raise RuntimeError("unflatten: sizes must be non-empty")
        dim %= n
        size = shape[dim] if shape else 1
        if sizes.count(-1) > 1:
            raise RuntimeError("unflatten: only one dimension can be inferred")
        known = int(np.prod([k for k in sizes if k != -1]))
        inferred = [size // known if k == -1 and known else k for k in sizes]
        if int(np.prod(inferred)) != size or -1 in inferred:
            raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the size of dim "
                               f"{dim} ({size}) in the input tensor")
        return self.reshape(shape[:dim] + tuple(inferred) + shape[dim + 1:])

    def squeeze(self, dim=None):
        shape = np.shape(self.array)
        if dim is None:
            return self.reshape(tuple(n for n in shape if n != 1))
        dims = {d % max(len(shape), 1) for d in (dim if isinstance(dim, (tuple, list)) else (dim,))}
        if not shape:
            return self
        return self.reshape(tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1)))

    def unsqueeze(self, dim: int):
        shape = np.shape(self.array)
        dim = dim % (len(shape) + 1)
        return self.reshape(shape[:dim] + (1,) + shape[dim:])

    def repeat(self, *repeats):
        """Tile the whole tensor ``repeats[i]`` times along dimension i (leading new dimensions
        when ``repeats`` is longer than the shape): (2, 3).repeat(2, 1, 2) → (2, 2, 6).

        Computed as reshape to (1, s₀, 1, s₁, …) → expand to (r₀, s₀, r₁, s₁, …) → reshape to
        (r₀s₀, r₁s₁, …), so the gradient of each input element is the sum over its copies."""
        if not repeats:
            raise TypeError('repeat() missing 1 required positional arguments: "repeats"')
        reps = _shape_arg(repeats)
        if len(reps) < self.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                               "dimensions of tensor")
        if any(r < 0 for r in reps):
            raise RuntimeError(f"Trying to create tensor with negative dimension: repeats={list(reps)}")
        shape = (1,) * (len(reps) - self.ndim) + tuple(np.shape(self.array))
        paired = tuple(n for s in shape for n in (1, s))
        tiled = tuple(n for r, s in zip(reps, shape) for n in (r, s))
        return self.reshape(paired).expand(tiled).reshape(tuple(r * s for r, s in zip(reps, shape)))

    def narrow(self, dimension: int, start, length: int):
        """Elements ``start`` … ``start + length − 1`` along ``dim`` (a view in torch; the gradient
        flows back into that slice)."""
        n, dim = self.ndim, dimension
        if n == 0:
            raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
        if not -n <= dim < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                             f"but got {dim})")
        dim %= n
        size = self.shape[dim]
        start = builtins.int(start.item() if isinstance(start, TensorBase) else start)
        if not -size <= start <= size:
            raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but "
                             f"got {start})")
        if start < 0:
            start += size
        if length < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        if start + length > size:
            raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
        return self[(slice(None),) * dim + (slice(start, start + length),)]

    def permute(self, *dims):
        return S.Permute.apply(self, dims=_shape_arg(dims))

    def transpose(self, dim0: int, dim1: int):
        dims = list(range(self.ndim))
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        return S.Permute.apply(self, dims=tuple(dims), label="Transpose")

    def t(self):
        if self.ndim < 2:
            return self
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return S.Permute.apply(self, dims=(1, 0), label="T")

    @property
    def T(self):
        return self if self.ndim < 2 else S.Permute.apply(self, dims=tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def expand(self, *size):
        shape = _shape_arg(size)
        own = (1,) * (len(shape) - self.ndim) + tuple(np.shape(self.array))
        shape = tuple(o if s == -1 else s for s, o in zip(shape, own))
        try:
            np.broadcast_shapes(own, shape)
        except ValueError:
            raise RuntimeError(f"expand: the expanded size {list(shape)} must match the existing size "
                               f"{list(self.shape)} at non-singleton dimensions") from None
        return S.Expand.apply(self, shape=shape)

    def expand_as(self, other): return self.expand(other.shape)

    def split(self, split_size, dim: int = 0):
        """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the sizes in a list."""
        n = self.shape[dim]
        if isinstance(split_size, int):
            if split_size <= 0:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got {split_size}")
            sizes = [split_size] * (n // split_size) + ([n % split_size] if n % split_size else [])
        else:
            sizes = list(split_size)
            if sum(sizes) != n:
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input "
                                   f"tensor's size at dimension {dim}), but got split_sizes={sizes}")
        pieces, start = [], 0
        for size in sizes:
            key = (slice(None),) * (dim % self.ndim) + (slice(start, start + size),)
            pieces.append(self[key])
            start += size
        return tuple(pieces)

    def chunk(self, chunks: int, dim: int = 0):
        n = self.shape[dim]
        return self.split(max(-(-n // chunks), 1), dim)

    def unbind(self, dim: int = 0):
        return tuple(self.select(dim, i) for i in range(self.shape[dim]))

    def select(self, dim: int, index: int):
        return self[(slice(None),) * (dim % self.ndim) + (index,)]

    def tril(self, diagonal: int = 0):
        """The lower triangle of the last two axes (entries above ``diagonal`` set to 0); the
        gradient flows only to the kept entries."""
        return _triangle(self, np.tril, diagonal, "tril")

    def triu(self, diagonal: int = 0):
        """The upper triangle of the last two axes (entries below ``diagonal`` set to 0)."""
        return _triangle(self, np.triu, diagonal, "triu")

    def masked_fill(self, mask, value):
        """``value`` where ``mask`` is True (broadcast), this tensor elsewhere; no gradient flows
        to the filled places."""
        cond = mask.array if isinstance(mask, TensorBase) else np.asarray(mask)
        # (torch names the mask tensor a, this tensor b)
        cond = np.broadcast_to(cond, broadcast_shape(np.shape(cond), np.shape(self.array)))
        fill = value if isinstance(value, TensorBase) else self._lift(value)
        return E.Where.apply(fill.to(self.dtype), self, cond=np.asarray(cond, dtype=bool))

    def __getitem__(self, key):
        if type(key) is builtins.int and not self._requires_grad and not STATE.observers:
            return self._from_array(self.array[key])  # fast path: reading data that needs no graph
        return S.Index.apply(self, key=_index_key(key))


def _triangle(t, keep, diagonal, name):
    """``tril``/``triu``: a ``Where`` with the kept triangle as its condition."""
    if t.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    rows, cols = t.shape[-2:]
    cond = keep(np.ones((rows, cols), dtype=bool), diagonal)
    return E.Where.apply(t, t._from_array(np.zeros((), dtype=t.array.dtype)), cond=cond)
