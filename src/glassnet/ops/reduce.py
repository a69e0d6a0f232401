"""Reductions: sum, mean, max/min, and the numerically stable softmax family.

Softmax and log-softmax are primitives (not compositions) for stability: they
subtract the row maximum before exponentiating.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from .shape import IndexAdd


def _expand_back(g, shape, axis, keepdim):
    """Give a reduced gradient its reduced axes back so it broadcasts against ``shape``."""
    if axis is None:
        return np.full(shape, g)
    if not keepdim:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape)


def _expand_back_graph(g, shape, axis, keepdim):
    """``_expand_back`` for a Tensor ``g`` (double backward): reshape to keep the reduced axes
    as 1, then expand."""
    if axis is None:
        kept = (1,) * len(shape)
    else:
        axes = {a % len(shape) for a in np.atleast_1d(axis)}
        kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    return g.reshape(kept).expand(shape)


class Sum(Function):
    __slots__ = ("dim", "keepdim", "shape")
    def forward(self, a, dim=None, keepdim=False):
        self.shape, self.dim, self.keepdim = np.shape(a), dim, keepdim
        return np.sum(a, axis=dim, keepdims=keepdim)

    def backward(self, g):
        return (_expand_back(g, self.shape, self.dim, self.keepdim),)

    def backward_graph(self, g):
        return (_expand_back_graph(g, self.shape, self.dim, self.keepdim),)


class Mean(Function):
    """One node rather than sum ÷ n, so an explanation shows ``mean`` as the user wrote it."""

    __slots__ = ("dim", "keepdim", "n", "shape")

    def forward(self, a, dim=None, keepdim=False):
        self.shape, self.dim, self.keepdim = np.shape(a), dim, keepdim
        n = np.size(a) if dim is None else int(np.prod([np.shape(a)[d] for d in np.atleast_1d(dim)]))
        self.n = n
        out = np.add.reduce(a, axis=dim, keepdims=keepdim)
        return out / n if a.dtype != object else out * _fraction(1, n)

    def backward(self, g):
        g = g / self.n if g.dtype != object else g * _fraction(1, self.n)
        return (_expand_back(g, self.shape, self.dim, self.keepdim),)

    def backward_graph(self, g):
        return (_expand_back_graph(g / self.n, self.shape, self.dim, self.keepdim),)


def _fraction(p, q):
    from fractions import Fraction
    return Fraction(p, q)


class Max(Function):
    """max (or min with ``sign=-1``) over ``dim``; the gradient goes to the chosen entry.

    Over the whole tensor, ties share the gradient equally (as PyTorch's ``max()`` does).
    """

    __slots__ = ("dim", "indices", "keepdim", "mask", "shape")

    def forward(self, a, dim=None, keepdim=False, sign=1):
        self.shape, self.dim, self.keepdim = np.shape(a), dim, keepdim
        pick = np.argmax if sign > 0 else np.argmin
        if dim is None:
            out = np.max(a) if sign > 0 else np.min(a)
            mask = a == out
            self.mask = mask / mask.sum()
            return out
        idx = pick(a, axis=dim, keepdims=True)
        self.indices = idx
        out = np.take_along_axis(a, idx, axis=dim)
        return out if keepdim else np.squeeze(out, axis=dim)

    def backward(self, g):
        if self.dim is None:
            return (g * self.mask.astype(np.result_type(g)),)
        if not self.keepdim:
            g = np.expand_dims(g, self.dim)
        out = np.zeros(self.shape, dtype=np.result_type(g))
        np.put_along_axis(out, self.indices, g, axis=self.dim)
        return (out,)

    def backward_graph(self, g):
        if self.dim is None:
            return (g * g._from_array(self.mask.astype(g.array.dtype)),)
        where = list(np.indices(self.indices.shape, sparse=True))
        where[self.dim] = self.indices
        g = g if self.keepdim else g.unsqueeze(self.dim)
        return (IndexAdd.apply(g, key=tuple(where), shape=self.shape),)


class Softmax(Function):
    """softmax(z)_i = e^(z_i − max z) / Σ_j e^(z_j − max z); backward s ⊙ (g − Σ g⊙s)."""
    saves_output = True

    __slots__ = ("dim", "out")

    def forward(self, a, dim=-1):
        self.dim = dim
        e = np.exp(a - _maxes(a, dim))
        e /= _sums(e, dim)
        self.out = e
        return e

    def backward(self, g):
        s = self.out
        gs = g * s
        gs -= s * _sums(gs, self.dim)
        return (gs,)

    def backward_graph(self, g):
        s = self.inputs[0].softmax(self.dim)
        return (s * (g - (g * s).sum(self.dim, keepdim=True)),)


def _maxes(a, dim):
    """``np.max(a, axis=dim, keepdims=True)``.  Over a short last axis (attention's rows, a
    classifier's logits) NumPy reduces row by row; reducing a transposed copy along its first axis
    instead is a few whole-array ``np.maximum`` passes, ~2x faster.  (A maximum is exact: the
    same numbers either way.)"""
    if type(a) is np.ndarray and a.ndim > 1 and dim in (-1, a.ndim - 1) and a.shape[-1] <= 128 \
            and a.dtype.kind == "f":
        rows = np.maximum.reduce(a.reshape(-1, a.shape[-1]).T.copy(), axis=0)
        return rows.reshape(a.shape[:-1] + (1,))
    return np.max(a, axis=dim, keepdims=True)


def _sums(a, dim):
    """``np.sum(a, axis=dim, keepdims=True)``; over the last axis as a product with a vector of
    ones, which goes to BLAS and is several times faster on short rows (attention's)."""
    if type(a) is np.ndarray and a.ndim and dim in (-1, a.ndim - 1) and a.dtype.kind == "f":
        n = a.shape[-1]
        if a.ndim > 2 and a.flags.c_contiguous:  # as rows of a matrix: one BLAS call, ~3x faster
            return np.dot(a.reshape(-1, n), np.ones(n, dtype=a.dtype)).reshape(a.shape[:-1] + (1,))
        return np.dot(a, np.ones(n, dtype=a.dtype))[..., None]
    return np.sum(a, axis=dim, keepdims=True)


class LogSoftmax(Function):
    """log_softmax(z) = z − max z − log Σ e^(z − max z); backward g − softmax·Σg."""
    saves_output = True

    __slots__ = ("dim", "out")

    def forward(self, a, dim=-1):
        self.dim = dim
        shifted = a - np.max(a, axis=dim, keepdims=True)
        self.out = shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))
        return self.out

    def backward(self, g):
        return (g - np.exp(self.out) * np.sum(g, axis=self.dim, keepdims=True),)

    def backward_graph(self, g):
        return (g - self.inputs[0].softmax(self.dim) * g.sum(self.dim, keepdim=True),)
