"""Padding and resizing: ``Pad`` (constant, reflect, replicate, circular) and ``Interpolate``
(nearest, linear, bilinear), each forward beside its backward, on NumPy arrays.

As in ``pool.py``, the last one (1-D) or two (2-D) axes are the spatial ones and all leading axes
are "planes"; resizing is two small matrix products per plane batch (one matrix per axis), and
its backward the two transposed products.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from .pool import sandwich
from .shape import IndexAdd


# -- padding -----------------------------------------------------------------------------------
_NP_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


class Pad(Function):
    """``F.pad``: ``pad`` in torch's order (last axis first: (left, right, top, bottom, ...)).

    mode "constant": out = ``value`` everywhere, the input (cropped where a pad is negative) copied
    into its place; backward is the gradient's slice at that place.
    modes "reflect", "replicate", "circular": along each padded axis the output reads the input at
    an index map (``np.pad`` of ``arange``, modes reflect / edge / wrap); backward adds the gradient
    back along each axis in turn (``np.add.at``, the map repeats indices).
    Memory: the output only (and the index maps).
    """

    __slots__ = ("shape", "pad", "mode", "maps")

    def name(self) -> str:
        return "ConstantPadNdBackward0" if self.mode == "constant" else f"{self.mode.title()}PadBackward0"

    def forward(self, a, pad, mode="constant", value=0.0):
        self.shape, self.mode = a.shape, mode
        n = len(pad) // 2
        pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(n)][::-1]  # first padded axis first
        axes = list(range(a.ndim - n, a.ndim))
        self.pad = list(zip(axes, pairs))
        if mode == "constant":
            new = list(a.shape)
            for ax, (lo, hi) in self.pad:
                new[ax] = a.shape[ax] + lo + hi
                if new[ax] < 0:
                    raise RuntimeError(f"narrow(): length must be non-negative (padding {(lo, hi)} "
                                       f"would leave {new[ax]} entries along dimension {ax} of size "
                                       f"{a.shape[ax]})")
            out = np.full(new, value if value is not None else 0, dtype=a.dtype)
            src, dst = self._slices()
            out[dst] = a[src]
            return out
        self.maps = []
        out = a
        for ax, (lo, hi) in self.pad:
            size = a.shape[ax]
            if min(lo, hi) < 0 and mode != "circular":
                raise RuntimeError(f"{mode} padding needs non-negative pads, got {(lo, hi)}")
            if mode == "reflect" and max(lo, hi) >= size:
                raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input "
                                   f"dimension, but got: padding ({lo}, {hi}) at dimension {ax} of input "
                                   f"{list(a.shape)}")
            if mode == "circular" and max(lo, hi) > size + min(lo, 0) + min(hi, 0):
                raise RuntimeError(f"Padding value causes wrapping around more than once: padding "
                                   f"({lo}, {hi}) at dimension {ax} of input {list(a.shape)}")
            r = np.arange(size)
            if min(lo, hi) < 0:  # circular cropping
                r = r[max(-lo, 0):size - max(-hi, 0)]
                lo, hi = max(lo, 0), max(hi, 0)
            m = np.pad(r, (lo, hi), mode=_NP_MODES[mode])  # circular wraps within the cropped range
            self.maps.append((ax, m))
            out = np.take(out, m, axis=ax)
        return out

    def _slices(self):
        src = [slice(None)] * len(self.shape)
        dst = [slice(None)] * len(self.shape)
        for ax, (lo, hi) in self.pad:
            size = self.shape[ax]
            src[ax] = slice(max(-lo, 0), size - max(-hi, 0))
            dst[ax] = slice(max(lo, 0), max(lo, 0) + max(size - max(-lo, 0) - max(-hi, 0), 0))
        return tuple(src), tuple(dst)

    def backward(self, g):
        if self.mode == "constant":
            src, dst = self._slices()
            gx = np.zeros(self.shape, dtype=g.dtype)
            gx[src] = g[dst]
            return (gx,)
        for ax, m in reversed(self.maps):
            shape = list(g.shape)
            shape[ax] = self.shape[ax]
            back = np.zeros(shape, dtype=g.dtype)
            np.add.at(back, (slice(None),) * ax + (m,), g)
            g = back
        return (g,)

    def backward_graph(self, g):
        """The same on Tensors (double backward): a slice, or an ``IndexAdd`` per padded axis."""
        if self.mode == "constant":
            src, dst = self._slices()
            return (IndexAdd.apply(g[dst], key=src, shape=self.shape),)
        for ax, m in reversed(self.maps):
            shape = list(g.shape)
            shape[ax] = self.shape[ax]
            g = IndexAdd.apply(g, key=(slice(None),) * ax + (m,), shape=tuple(shape))
        return (g,)


# -- resizing ----------------------------------------------------------------------------------
def _scale(n_in, n_out, scale, dtype):
    """torch's ``compute_scales_value``: 1/scale_factor when one was given, else in/out."""
    if scale is not None and scale > 0:
        return dtype(1.0 / scale)
    return dtype(n_in) / dtype(n_out)


def nearest_indices(n_in: int, n_out: int, scale=None) -> np.ndarray:
    """torch's ``nearest_idx``: src = min(⌊dst · scale⌋, n_in − 1), computed in float32 as torch."""
    if n_out == n_in:
        return np.arange(n_out)
    if n_out == 2 * n_in:
        return np.arange(n_out) >> 1
    s = _scale(n_in, n_out, scale, np.float32)
    src = np.floor(np.arange(n_out, dtype=np.float32) * s).astype(np.int64)
    return np.minimum(src, n_in - 1)


def linear_matrix(n_in: int, n_out: int, scale, align_corners: bool, dtype) -> np.ndarray:
    """The (n_out, n_in) matrix of linear interpolation along one axis, torch's source index:
    align_corners: src = dst·(n_in − 1)/(n_out − 1); else src = max((dst + ½)·scale − ½, 0);
    i0 = ⌊src⌋, i1 = min(i0 + 1, n_in − 1), weights (1 − λ, λ) with λ = src − i0; the identity
    when n_out = n_in."""
    t = np.dtype(dtype).type if np.dtype(dtype).kind == "f" else np.float64
    if n_out == n_in:  # torch copies an axis whose size does not change, whatever the scale factor
        return np.eye(n_in, dtype=dtype)
    # The scale is rounded to the dtype, the source index computed once in float64 and rounded
    # once: torch's float32 kernel computes (dst + ½)·scale − ½ as one fused multiply-add.
    dst = np.arange(n_out, dtype=np.float64)
    if align_corners:
        s = t(n_in - 1) / t(n_out - 1) if n_out > 1 else t(0)
        src = (dst * np.float64(s)).astype(t)
    else:
        s = np.float64(_scale(n_in, n_out, scale, t))
        src = np.maximum((dst + 0.5) * s - 0.5, 0.0).astype(t)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = np.minimum(src - i0.astype(t), t(1))
    m = np.zeros((n_out, n_in), dtype=t)
    rows = np.arange(n_out)
    np.add.at(m, (rows, i0), t(1) - lam)
    np.add.at(m, (rows, i1), lam)
    return m.astype(dtype, copy=False)


class Interpolate(Function):
    """``F.interpolate`` for "nearest" (1-D, 2-D), "linear" (1-D) and "bilinear" (2-D).

    Both modes are separable, one matrix per spatial axis: out = R_h · x · R_wᵀ per plane (R a
    one-hot row per output index for nearest — forward is then plain indexing — or two weights for
    linear); backward ∂L/∂x = R_hᵀ · g · R_w, two matrix products, no scatter.  Memory: the
    matrices (OH·H + OW·W) and one intermediate of B·OH·W or B·H·OW values.
    """

    __slots__ = ("shape", "mode", "nd", "mats", "picks")

    def name(self) -> str:
        kind = {"nearest": "Nearest", "linear": "Linear", "bilinear": "Bilinear"}[self.mode]
        return f"Upsample{kind}{self.nd}DBackward0"

    def forward(self, a, size, scales=(None, None), mode="nearest", align_corners=False):
        self.shape, self.mode, self.nd = a.shape, mode, len(size)
        ins = a.shape[-self.nd:]
        if mode == "nearest":
            self.picks = [nearest_indices(n, o, s) for n, o, s in zip(ins, size, scales)]
            self.mats = [np.eye(n, dtype=a.dtype)[p] for n, p in zip(ins, self.picks)]
        else:
            self.mats = [linear_matrix(n, o, s, align_corners, a.dtype) for n, o, s in zip(ins, size, scales)]
        x = a.reshape((-1, 1) + ins if self.nd == 1 else (-1,) + ins)
        if mode == "nearest":
            out = x[..., self.picks[-1]] if self.nd == 1 else x[:, self.picks[0][:, None], self.picks[1][None, :]]
        else:
            out = sandwich(self.mats[0] if self.nd == 2 else None, x, self.mats[-1])
        return out.reshape(a.shape[:-self.nd] + tuple(size))

    def backward(self, g):
        x = g.reshape((-1, 1) + g.shape[-1:] if self.nd == 1 else (-1,) + g.shape[-2:])
        gx = sandwich(self.mats[0].T if self.nd == 2 else None, x, self.mats[-1].T)
        return (gx.reshape(self.shape),)
