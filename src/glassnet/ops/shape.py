"""Shape primitives: reshape, permute, expand, indexing, cat, stack.  Their backward
moves the gradient back into the input's layout; no arithmetic happens."""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function


class Reshape(Function):
    __slots__ = ("shape",)
    def forward(self, a, shape=None):
        self.shape = np.shape(a)
        try:
            return np.reshape(a, shape)
        except ValueError:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {np.size(a)} "
                               f"(input shape {tuple(self.shape)})") from None

    def backward(self, g):
        return (np.reshape(g, self.shape),)


class Permute(Function):
    __slots__ = ("dims",)
    def forward(self, a, dims=None):
        self.dims = dims
        return np.transpose(a, dims)

    def backward(self, g):
        return (np.transpose(g, np.argsort(self.dims)),)


class Expand(Function):
    """Broadcast to a larger shape; the backward is the shared unbroadcast (done by the engine)."""

    __slots__ = ()

    def forward(self, a, shape=None):
        return np.broadcast_to(a, shape)

    def backward(self, g):
        return (g,)


class Index(Function):
    """``a[key]``: the gradient is scattered back; repeated indices accumulate."""

    __slots__ = ("dtype", "key", "shape")

    def forward(self, a, key=None):
        self.shape, self.dtype, self.key = np.shape(a), a.dtype, key
        return a[key]

    def backward(self, g):
        out = np.zeros(self.shape, dtype=np.result_type(g, self.dtype))
        np.add.at(out, self.key, g)
        return (out,)


class Cat(Function):
    __slots__ = ("dim", "splits")
    def forward(self, *arrays, dim=0):
        self.dim = dim
        self.splits = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=dim)

    def backward(self, g):
        return tuple(np.split(g, self.splits, axis=self.dim))


class Stack(Function):
    __slots__ = ("dim",)
    def forward(self, *arrays, dim=0):
        self.dim = dim
        return np.stack(arrays, axis=dim)

    def backward(self, g):
        return tuple(np.moveaxis(g, self.dim, 0))
