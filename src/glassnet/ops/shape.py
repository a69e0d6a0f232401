"""Shape primitives: reshape, permute, expand, indexing, cat, stack.  Their backward
moves the gradient back into the input's layout; no arithmetic happens."""
from __future__ import annotations

from itertools import accumulate

import numpy as np

from ..autograd.function import Function


class Reshape(Function):
    """``reshape``/``view``/``flatten``, named as torch names the node: ``ViewBackward0`` when the
    result shares the input's memory, ``UnsafeViewBackward0`` when the input's strides forced a
    copy (``x.t().reshape(-1)``), and ``ReshapeAliasBackward0`` for a ``reshape`` (not a ``view``)
    that shares the memory of an input that is not contiguous."""

    __slots__ = ("shape", "kind")

    def name(self) -> str:
        return f"{self.kind}Backward0"

    def forward(self, a, shape=None, view=True):
        self.shape = np.shape(a)
        try:
            out = np.reshape(a, shape)
        except ValueError:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {np.size(a)} "
                               f"(input shape {tuple(self.shape)})") from None
        self.kind = "View"
        if isinstance(a, np.ndarray) and a.size > 1 and not a.flags.c_contiguous:
            self.kind = ("View" if view else "ReshapeAlias") if np.may_share_memory(out, a) else "UnsafeView"
        return out

    def backward(self, g):
        return (np.reshape(g, self.shape),)

    def backward_graph(self, g):
        return (g.reshape(self.shape),)


class Permute(Function):
    """``permute``, and ``transpose``/``t``/``mT`` (``label``: the name torch gives their node,
    ``TransposeBackward0``, ``TBackward0``)."""

    __slots__ = ("dims", "label")

    def name(self) -> str:
        return f"{self.label}Backward0"

    def forward(self, a, dims=None, label="Permute"):
        self.dims, self.label = dims, label
        return np.transpose(a, dims)

    def backward(self, g):
        return (np.transpose(g, sorted(range(len(self.dims)), key=self.dims.__getitem__)),)  # argsort

    def backward_graph(self, g):
        return (g.permute(*[int(d) for d in np.argsort(self.dims)]),)


class Expand(Function):
    """Broadcast to a larger shape; the backward is the shared unbroadcast (done by the engine)."""

    __slots__ = ()

    def forward(self, a, shape=None):
        return np.broadcast_to(a, shape)

    def backward(self, g):
        return (g,)

    def backward_graph(self, g):
        return (g,)


class Index(Function):
    """``a[key]``: the gradient is scattered back; repeated indices accumulate."""

    __slots__ = ("dtype", "key", "shape")

    def forward(self, a, key=None):
        self.shape, self.dtype, self.key = np.shape(a), a.dtype, key
        return a[key]

    def backward(self, g):
        out = np.zeros(self.shape, dtype=np.result_type(g, self.dtype))
        parts = self.key if isinstance(self.key, tuple) else (self.key,)
        if all(k is None or k is Ellipsis or type(k) in (int, slice) for k in parts):
            out[self.key] = g          # basic indexing reads each entry once: no repeats to add
        else:
            np.add.at(out, self.key, g)
        return (out,)

    def backward_graph(self, g):
        return (IndexAdd.apply(g, key=self.key, shape=self.shape),)

    def name(self) -> str:
        """torch's node for the last indexing step: Select (an int), Slice, Unsqueeze (None) or
        Index (an integer or boolean array)."""
        parts = self.key if isinstance(self.key, tuple) else (self.key,)
        if any(isinstance(k, (np.ndarray, list)) for k in parts):
            return "IndexBackward0"
        for k in reversed(parts):
            if k is None:
                return "UnsqueezeBackward0"
            if isinstance(k, slice):
                if k != slice(None):
                    return "SliceBackward0"
            elif k is not Ellipsis:
                return "SelectBackward0"
        return "AliasBackward0"


class IndexAdd(Function):
    """The backward of ``a[key]`` as an op of its own, so that it can be differentiated (double
    backward): zeros of ``shape`` with ``g`` added at ``key``.  Its own backward is ``Index``."""

    __slots__ = ("key",)

    def forward(self, g, key=None, shape=None):
        self.key = key
        out = np.zeros(shape, dtype=g.dtype)
        np.add.at(out, key, g)
        return out

    def backward(self, g):
        return (g[self.key],)

    def backward_graph(self, g):
        return (Index.apply(g, key=self.key),)


class Cat(Function):
    __slots__ = ("dim", "splits")
    def forward(self, *arrays, dim=0):
        self.dim = dim
        self.splits = list(accumulate(a.shape[dim] for a in arrays))[:-1]
        return np.concatenate(arrays, axis=dim)

    def backward(self, g):
        dim, bounds = self.dim % g.ndim, [0, *self.splits, g.shape[self.dim]]
        return tuple(g[(slice(None),) * dim + (slice(lo, hi),)] for lo, hi in zip(bounds, bounds[1:]))

    def backward_graph(self, g):
        dim, bounds = self.dim % g.ndim, [0, *self.splits, g.shape[self.dim]]
        return tuple(g[(slice(None),) * dim + (slice(int(lo), int(hi)),)] for lo, hi in zip(bounds, bounds[1:]))


class Stack(Function):
    __slots__ = ("dim",)
    def forward(self, *arrays, dim=0):
        self.dim = dim
        return np.stack(arrays, axis=dim)

    def backward(self, g):
        return tuple(np.moveaxis(g, self.dim, 0))

    def backward_graph(self, g):
        return g.unbind(self.dim)


class Gather(Function):
    """``out = take_along_axis(a, index, dim)`` (``gather``, ``sort``, ``topk``); the backward adds
    each gradient back at the place it was taken from (repeated indices accumulate)."""

    __slots__ = ("dim", "index", "shape")

    def forward(self, a, index=None, dim=0):
        self.shape, self.index, self.dim = np.shape(a), index, dim
        return np.take_along_axis(a, index, axis=dim)

    def backward(self, g):
        out = np.zeros(self.shape, dtype=g.dtype)
        where = list(np.indices(self.index.shape, sparse=True))
        where[self.dim] = self.index
        np.add.at(out, tuple(where), g)
        return (out,)

    def backward_graph(self, g):
        where = list(np.indices(self.index.shape, sparse=True))
        where[self.dim] = self.index
        return (IndexAdd.apply(g, key=tuple(where), shape=self.shape),)


class Embedding(Function):
    """out[..., :] = W[idx[...], :];  ∂L/∂W[r] = Σ over positions holding r of ∂L/∂out (rows of
    ``padding_idx`` get none)."""

    __slots__ = ("idx", "shape", "padding_idx")

    def forward(self, weight, idx=None, padding_idx=None):
        self.idx, self.shape, self.padding_idx = idx, weight.shape, padding_idx
        return weight[idx]

    def backward(self, g):
        # Sort the positions by the row they read (a stable sort keeps their order), then add up
        # each run of equal rows with one np.add.reduceat: several times faster than np.add.at,
        # which adds one position at a time.
        rows = np.reshape(self.idx, -1) % self.shape[0]  # (negative indices count from the end)
        grad = np.zeros(self.shape, dtype=g.dtype)
        if rows.size:
            order = np.argsort(rows, kind="stable")
            rows = rows[order]
            starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
            grad[rows[starts]] = np.add.reduceat(np.reshape(g, (rows.size, -1))[order], starts)
        if self.padding_idx is not None:
            grad[self.padding_idx] = 0
        return (grad,)

    def backward_graph(self, g):
        grad = IndexAdd.apply(g, key=self.idx, shape=self.shape)
        if self.padding_idx is None:
            return (grad,)
        keep = np.ones((self.shape[0], 1), dtype=g.array.dtype)
        keep[self.padding_idx] = 0
        return (grad * g._from_array(keep),)

class IndexPut(Function):
    """``a[key] = v`` as a new value (torch's in-place write on a tensor in the graph):
    ∂L/∂a is g with the written places zeroed, ∂L/∂v is g at those places."""

    __slots__ = ("key",)

    def forward(self, a, v=None, key=None, value=0):
        self.key = key
        out = np.array(a, copy=True)
        out[key] = v if v is not None else value
        return out

    def backward(self, g):
        ga = np.array(g, copy=True)
        ga[self.key] = 0
        return (ga, g[self.key]) if len(self.inputs) == 2 else (ga,)


class RepeatInterleave(Function):
    """Each slice along ``dim`` repeated ``repeats`` times in place (``np.repeat``); the gradient of
    a slice is the sum over its copies: a reshape and a sum for an int, ``np.add.at`` otherwise."""

    __slots__ = ("repeats", "dim", "n")

    def forward(self, a, repeats=None, dim=0):
        self.repeats, self.dim, self.n = repeats, dim, a.shape[dim]
        return np.repeat(a, repeats, axis=dim)

    def backward(self, g):
        dim, r = self.dim, self.repeats
        if np.ndim(r) == 0 or len(r) == 1:
            r = int(np.reshape(r, -1)[0])
            shape = g.shape[:dim] + (self.n, r) + g.shape[dim + 1:]
            return (np.reshape(g, shape).sum(axis=dim + 1),)
        out = np.zeros(g.shape[:dim] + (self.n,) + g.shape[dim + 1:], dtype=g.dtype)
        np.add.at(out, (slice(None),) * dim + (np.repeat(np.arange(self.n), r),), g)
        return (out,)


def _scatter_key(index, dim):
    """The places ``scatter`` writes: index[i][j] replaces the coordinate along ``dim``."""
    where = list(np.indices(index.shape, sparse=True))
    where[dim] = index
    return tuple(where)


class Scatter(Function):
    """``out = a; out[…index…] = src`` along ``dim`` (``src`` an array, or ``value``).

    ∂L/∂a = g with the written places zeroed; ∂L/∂src = g gathered at ``index`` (torch's rule;
    where an index repeats, which write survives is unspecified in torch too)."""

    __slots__ = ("key", "part", "src_shape")

    def forward(self, a, src=None, index=None, dim=0, value=None):
        self.key = _scatter_key(index, dim)
        self.part = tuple(slice(0, n) for n in index.shape)
        out = np.array(a, copy=True)
        if src is None:
            out[self.key] = value
        else:
            self.src_shape = src.shape
            out[self.key] = src[self.part]
        return out

    def backward(self, g):
        ga = np.array(g, copy=True)
        ga[self.key] = 0
        if len(self.inputs) == 1:
            return (ga,)
        gs = np.zeros(self.src_shape, dtype=g.dtype)
        gs[self.part] = g[self.key]
        return ga, gs


class ScatterAdd(Function):
    """``out = a; out[…index…] += src`` along ``dim`` (repeated indices accumulate).

    ∂L/∂a = g; ∂L/∂src = g gathered at ``index``."""

    __slots__ = ("key", "part", "src_shape")

    def forward(self, a, src, index=None, dim=0):
        self.key = _scatter_key(index, dim)
        self.part = tuple(slice(0, n) for n in index.shape)
        self.src_shape = src.shape
        out = np.array(a, copy=True)
        np.add.at(out, self.key, src[self.part])
        return out

    def backward(self, g):
        gs = np.zeros(self.src_shape, dtype=g.dtype)
        gs[self.part] = g[self.key]
        return g, gs


class Roll(Function):
    """Shift the elements along ``dims`` cyclically; backward shifts the gradient back."""

    __slots__ = ("shifts", "dims")

    def forward(self, a, shifts=(), dims=None):
        self.shifts, self.dims = shifts, dims
        return np.roll(a, shifts, axis=dims)

    def backward(self, g):
        back = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return (np.roll(g, back, axis=self.dims),)

    def backward_graph(self, g):
        back = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return (Roll.apply(g, shifts=back, dims=self.dims),)


class Flip(Function):
    """Reverse the order along ``dims``; its own inverse, so backward flips the gradient."""

    __slots__ = ("dims",)

    def forward(self, a, dims=()):
        self.dims = dims
        return np.flip(a, dims).copy()

    def backward(self, g):
        return (np.flip(g, self.dims),)

    def backward_graph(self, g):
        return (Flip.apply(g, dims=self.dims),)


class Contiguous(Function):
    """A row-major copy (``contiguous()`` of a transposed or strided tensor); the gradient passes
    through unchanged."""

    __slots__ = ()

    def forward(self, a):
        return np.ascontiguousarray(a)

    def backward(self, g):
        return (g,)

    def backward_graph(self, g):
        return (g,)

    def name(self) -> str:
        return "CloneBackward0"
