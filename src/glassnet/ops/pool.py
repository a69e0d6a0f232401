"""Pooling: ``MaxPool``, ``AvgPool`` (1-D and 2-D), ``AdaptiveAvgPool`` and ``AdaptiveMaxPool``
(2-D), each forward beside its backward, on NumPy arrays (padding and resizing: ``resize.py``).

Every op takes an array whose last one (1-D) or two (2-D) axes are the spatial ones; all leading
axes (batch, channels, or none) are flattened into "planes" (B = their product).  A 1-D op is the
2-D one with a height of 1.  No Python loop runs over samples or positions: the window ops loop
over the kernel's kh·kw offsets, each offset one strided view of the (padded) input — the view of
``sliding_window_view`` taken one offset at a time, so no window copy (B·OH·OW·kh·kw values) is
ever made; adaptive average pooling is two small matrix products per plane batch.

Double backward (``backward_graph``): each gradient is linear in the output gradient g.  Max
pooling's routes g to the saved winners, an ``IndexAdd`` (whose own backward gathers from the
winners again); average pooling's spreads g over the windows, ``AvgPoolGrad`` (whose own backward
is the average pooling again); adaptive average pooling's is two matrix products.

Output sizes follow torch's ``pooling_output_shape``:
    out = ⌊(n + 2p − d·(k − 1) − 1 + (s − 1 if ceil_mode)) / s⌋ + 1,
minus one in ceil mode when the last window would start in the right padding.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from .shape import IndexAdd


# -- geometry and argument checks (shared with nn.pooling) ----------------------------------------
def pool_output_size(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """torch's ``pooling_output_shape`` for one spatial axis (see the module docstring)."""
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _pool_geometry(shape, nd, k, s, p, d, ceil_mode, kind):
    """(planes, in sizes, out sizes) after torch's checks; 1-D is promoted to 2-D (height 1)."""
    if len(shape) not in (nd + 1, nd + 2) or 0 in shape[-nd - 1:]:
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input, "
                           f"got a tensor of shape {tuple(shape)}")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_size={k}")
    if any(v <= 0 for v in s):
        raise RuntimeError("stride should not be zero" if 0 in s else
                           f"stride should be greater than zero, but got stride={s}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation={d}")
    for kk, pp, dd in zip(k, p, d):
        if pp < 0 or pp > (dd * (kk - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation={dd}")
    if any(pp > kk // 2 for kk, pp in zip(k, p)):  # torch's second, stricter check
        kk, pp = (1,) * (2 - nd) + tuple(k), (0,) * (2 - nd) + tuple(p)
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {pp[1]}, padH = {pp[0]}, kW = {kk[1]}, kH = {kk[0]}")
    sizes = tuple(shape[-nd:])
    outs = tuple(pool_output_size(n, kk, ss, pp, dd, ceil_mode) for n, kk, ss, pp, dd in zip(sizes, k, s, p, d))
    if min(outs) < 1:
        lead = "x".join(str(v) for v in shape[:-nd][-1:])
        given = "x".join(str(v) for v in sizes)
        calc = "x".join(str(v) for v in outs)
        raise RuntimeError(f"Given input size: ({lead + 'x' if lead else ''}{given}). Calculated output "
                           f"size: ({lead + 'x' if lead else ''}{calc}). Output size is too small")
    planes = int(np.prod(shape[:-nd], dtype=np.int64))
    if nd == 1:
        return planes, (1,) + sizes, (1,) + outs, (1,) + tuple(k), (1,) + tuple(s), (0,) + tuple(p), (1,) + tuple(d)
    return planes, sizes, outs, tuple(k), tuple(s), tuple(p), tuple(d)


def _first_inside(n, out, k, s, p, d):
    """Per output index along one axis: the first window position at or after 0 (torch's
    start, which may lie past the input) and whether no position of the window is inside."""
    start = np.arange(out) * s - p
    first = np.where(start < 0, start + (-start + d - 1) // d * d, start)
    return first, first >= np.minimum(start + (k - 1) * d + 1, n)


def _padded(x, ph, pw, rows, cols, fill):
    """``x`` (B, H, W) inside a (B, rows, cols) array of ``fill``, offset by (ph, pw); ``x`` itself
    when nothing is added (rows/cols may be smaller than ph + H: the windows never read past them)."""
    b, h, w = x.shape
    if ph == 0 and pw == 0 and rows <= h and cols <= w:
        return x
    out = np.full((b, max(rows, ph + h), max(cols, pw + w)), fill, dtype=x.dtype)
    out[:, ph:ph + h, pw:pw + w] = x
    return out


def _offsets(kh, kw, dh, dw, sh, sw, oh, ow):
    """For each kernel offset (i, j), the strided slices that pick that offset of every window."""
    for i in range(kh):
        for j in range(kw):
            yield i, j, (slice(None), slice(i * dh, i * dh + (oh - 1) * sh + 1, sh),
                         slice(j * dw, j * dw + (ow - 1) * sw + 1, sw))


def _scatter(flat, g, planes, hw, unique):
    """Σ of ``g`` into ``planes × hw`` positions at per-plane flat indices ``flat`` (B, n):
    a plain assignment when no position is hit twice, else one ``np.bincount``."""
    where = flat + (np.arange(planes, dtype=flat.dtype) * hw)[:, None]
    g = g.reshape(planes, -1)
    if unique:
        out = np.zeros(planes * hw, dtype=g.dtype)
        out[where.ravel()] = g.ravel()
        return out
    return np.bincount(where.ravel(), weights=g.ravel(), minlength=planes * hw).astype(g.dtype, copy=False)


def _route(g, indices, shape):
    """g (a Tensor) added at the winners ``indices`` (B, ...) (per-plane flat indices) of a zero
    Tensor of ``shape``: max pooling's backward, itself differentiable (``IndexAdd``)."""
    planes = indices.shape[0]
    where = (np.arange(planes)[:, None], indices.reshape(planes, -1))
    hw = int(np.prod(shape)) // planes
    return IndexAdd.apply(g.reshape(planes, -1), key=where, shape=(planes, hw)).reshape(shape)


def _dim_tag(nd):
    return f"{nd}D"


# -- max pooling -----------------------------------------------------------------------------
class MaxPool(Function):
    """Max pooling over the last ``nd`` (1 or 2) axes, padding counted as −∞.

    Forward: for each of the kh·kw kernel offsets, one strided view of the padded input
    (B, OH, OW) is compared with the running maximum (``>``: the first maximum in row-major window
    order wins, as in torch), and the winner's per-plane flat index ``row·W + col`` (torch's
    ``return_indices``) taken where it won (``np.where``: branch-free, unlike a masked copy).
    Backward: ∂L/∂x[p] = Σ of ∂L/∂out over the outputs whose winner is p — an assignment when the
    windows do not overlap (stride ≥ effective kernel), else a ``bincount`` scatter-add.
    Memory: a −∞-padded copy of the input only when padding or ceil_mode reach outside it; the
    running maximum and index (B·OH·OW each); the indices (int32, 4 bytes per output) kept for
    backward.  ``window`` = (kernel, stride, padding, dilation) is kept for observers (explain's
    receptive field and winners).
    """

    __slots__ = ("nd", "shape", "indices", "unique", "dead", "window")

    def name(self) -> str:
        return f"MaxPool{_dim_tag(self.nd)}WithIndicesBackward0"

    def forward(self, a, kernel_size, stride, padding=(0, 0), dilation=(1, 1), ceil_mode=False, sink=None):
        """``sink``: a list the node appends itself to, so ``return_indices`` can read
        ``indices_array()`` even when no graph is built."""
        self.nd, self.shape = len(kernel_size), a.shape
        self.window = (tuple(kernel_size), tuple(stride), tuple(padding), tuple(dilation))  # for observers
        if sink is not None:
            sink.append(self)
        planes, (h, w), (oh, ow), (kh, kw), (sh, sw), (ph, pw), (dh, dw) = _pool_geometry(
            a.shape, self.nd, kernel_size, stride, padding, dilation, ceil_mode, "max")
        x = _padded(a.reshape(planes, h, w), ph, pw, (oh - 1) * sh + dh * (kh - 1) + 1,
                    (ow - 1) * sw + dw * (kw - 1) + 1, -np.inf)
        itype = np.int32 if planes * h * w < 2 ** 31 else np.int64
        base = ((np.arange(oh) * sh - ph)[:, None] * w + (np.arange(ow) * sw - pw)[None, :]).astype(itype)
        best = idx = None
        for i, j, view in _offsets(kh, kw, dh, dw, sh, sw, oh, ow):
            v, at = x[view], base + itype(i * dh * w + j * dw)
            if best is None:
                best, idx = v.copy(), np.broadcast_to(at, v.shape)
                continue
            won = v > best  # strict: the first maximum in row-major window order wins, as in torch
            np.maximum(best, v, out=best)  # a NaN value propagates, as in torch (not its index)
            idx = np.where(won, at, idx)
        self.indices = np.ascontiguousarray(idx)  # (B, OH, OW) per-plane flat indices
        self.dead = None
        if (ph or pw) and (dh > 1 or dw > 1):  # a dilated window may hold only padding (value −∞)
            (r0, rdead), (c0, cdead) = _first_inside(h, oh, kh, sh, ph, dh), _first_inside(w, ow, kw, sw, pw, dw)
            dead = rdead[:, None] | cdead[None, :]
            if dead.any():  # torch's index there: its first row and column at or after 0
                self.indices[:, dead] = np.broadcast_to(r0[:, None] * w + c0[None, :], dead.shape)[dead]
                self.dead = dead
        self.unique = sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1
        out_shape = a.shape[:-self.nd] + ((oh, ow) if self.nd == 2 else (ow,))
        return best.reshape(out_shape)

    def indices_array(self):
        """The int64 indices in the output's shape (torch's second output)."""
        return self.indices.astype(np.int64).reshape(self.shape[:-self.nd] + self.indices.shape[-self.nd:])

    def backward(self, g):
        planes = self.indices.shape[0]
        hw = int(np.prod(self.shape[-self.nd:]))
        idx = self.indices
        if self.dead is not None:  # windows of padding only pass no gradient (as torch)
            g = g.reshape(idx.shape) * ~self.dead
            idx = np.where(self.dead, 0, idx)
        return (_scatter(idx.reshape(planes, -1), g, planes, hw, self.unique).reshape(self.shape),)

    def backward_graph(self, g):
        """The same routing on Tensors (double backward)."""
        idx = self.indices
        if self.dead is not None:
            g = g * g._from_array((~self.dead).astype(g.array.dtype))
            idx = np.where(self.dead, 0, idx)
        return (_route(g, idx, self.shape),)


# -- average pooling ---------------------------------------------------------------------------
def _avg_counts(n, oc, k, s, p, include_pad):
    """torch's divisor along one axis: window length clipped to [−p, n + p) (count_include_pad)
    or to [0, n) (not)."""
    start = np.arange(oc) * s - p
    end = np.minimum(start + k, n + p)
    if include_pad:
        return end - start
    return np.minimum(end, n) - np.maximum(start, 0)


class AvgPool(Function):
    """Average pooling over the last ``nd`` (1 or 2) axes, zero padding.

    out = (Σ over the window of x) / divisor, the divisor being ``divisor_override``, or the window
    size clipped to the padded input (``count_include_pad``) or to the input (not) — torch's rule;
    it is a product of one count per axis.
    Forward: a sum of kh·kw strided views of the zero-padded input.  Backward: g / divisor added
    back into each of the kh·kw views of a zero array the padded input's size, then the padding cut
    off.  Memory: one zero-padded copy of the input (forward) and of its gradient (backward), only
    when padding or ceil_mode reach outside it; nothing of the input is kept.
    """

    __slots__ = ("nd", "shape", "geometry", "divisor", "params")

    def name(self) -> str:
        return f"AvgPool{_dim_tag(self.nd)}Backward0"

    def forward(self, a, kernel_size, stride, padding=(0, 0), ceil_mode=False, count_include_pad=True,
                divisor_override=None):
        self.nd, self.shape = len(kernel_size), a.shape
        geometry = _pool_geometry(a.shape, self.nd, kernel_size, stride, padding, (1,) * self.nd,
                                  ceil_mode, "avg")
        planes, (h, w), (oh, ow), (kh, kw), (sh, sw), (ph, pw), _ = self.geometry = geometry
        self.params = dict(kernel_size=kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode,
                           count_include_pad=count_include_pad, divisor_override=divisor_override)
        if divisor_override:
            self.divisor = np.asarray(divisor_override, dtype=a.dtype)
        else:
            self.divisor = np.multiply.outer(_avg_counts(h, oh, kh, sh, ph, count_include_pad),
                                             _avg_counts(w, ow, kw, sw, pw, count_include_pad)).astype(a.dtype)
        return _window_means(a, self.geometry, self.divisor).reshape(
            a.shape[:-self.nd] + ((oh, ow) if self.nd == 2 else (ow,)))

    def backward(self, g):
        return (_spread(g, self.geometry, self.divisor).reshape(self.shape),)

    def backward_graph(self, g):
        """The same spreading as an op of its own (double backward)."""
        return (AvgPoolGrad.apply(g, pool=self.params, geometry=self.geometry, divisor=self.divisor,
                                  shape=self.shape),)


def _window_means(a, geometry, divisor):
    """Average pooling's forward: the sum of the kh·kw strided views of the zero-padded input,
    divided by ``divisor``; (B, OH, OW)."""
    planes, (h, w), (oh, ow), (kh, kw), (sh, sw), (ph, pw), _ = geometry
    x = _padded(a.reshape(planes, h, w), ph, pw, (oh - 1) * sh + kh, (ow - 1) * sw + kw, 0)
    acc = np.zeros((planes, oh, ow), dtype=a.dtype)
    for _, _, view in _offsets(kh, kw, 1, 1, sh, sw, oh, ow):
        acc += x[view]
    acc /= divisor
    return acc


def _spread(g, geometry, divisor):
    """Average pooling's backward: g / divisor added back into each of the kh·kw views of a zero
    array the padded input's size, then the padding cut off; (B, H, W)."""
    planes, (h, w), (oh, ow), (kh, kw), (sh, sw), (ph, pw), _ = geometry
    gs = g.reshape(planes, oh, ow) / divisor
    rows, cols = max((oh - 1) * sh + kh, ph + h), max((ow - 1) * sw + kw, pw + w)
    gx = np.zeros((planes, rows, cols), dtype=g.dtype)
    for _, _, view in _offsets(kh, kw, 1, 1, sh, sw, oh, ow):
        gx[view] += gs
    return gx[:, ph:ph + h, pw:pw + w]


class AvgPoolGrad(Function):
    """Average pooling's backward (``_spread``) as an op of its own, so that it can be
    differentiated again: it is linear in g, and its own backward is the average pooling
    (``_window_means``: spreading and averaging are each other's transpose)."""

    __slots__ = ("pool", "geometry", "divisor", "shape")

    def forward(self, g, pool, geometry, divisor, shape):
        self.pool, self.geometry, self.divisor, self.shape = pool, geometry, divisor, np.shape(g)
        return _spread(g, geometry, divisor).reshape(shape)

    def backward(self, h):
        return (_window_means(h, self.geometry, self.divisor).reshape(self.shape),)

    def backward_graph(self, h):
        return (AvgPool.apply(h, **self.pool),)


# -- adaptive pooling --------------------------------------------------------------------------
def adaptive_bounds(n: int, out: int):
    """torch's adaptive windows along one axis: start_i = ⌊i·n/out⌋, end_i = ⌈(i+1)·n/out⌉."""
    i = np.arange(out, dtype=np.int64)
    return (i * n) // out, -((-(i + 1) * n) // out)


def _adaptive_check(shape, output_size):
    if len(shape) not in (3, 4) or 0 in shape[-3:]:
        raise RuntimeError(f"adaptive pooling: non-empty 3D or 4D (batch mode) tensor expected for input, "
                           f"got a tensor of shape {tuple(shape)}")
    if min(output_size) < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(output_size)}: "
                           f"{list(shape[:-2]) + list(output_size)}")


def sandwich(rows, x, cols):
    """rows · x · colsᵀ for every plane of ``x`` (B, H, W): (OH, H), (OW, W) → (B, OH, OW)."""
    b, h, w = x.shape
    y = np.dot(x.reshape(b * h, w), cols.T).reshape(b, h, -1) if cols is not None else x
    return np.matmul(rows, y) if rows is not None else y


class AdaptiveAvgPool(Function):
    """Adaptive average pooling 2-D: output (OH, OW), window (i, j) = rows [start_i, end_i) ×
    columns [start_j, end_j) of ``adaptive_bounds``, averaged.

    The average is separable: out = A_h · x · A_wᵀ per plane, A_h[i, r] = 1/(end_i − start_i) for r
    in window i (0 elsewhere); backward ∂L/∂x = A_hᵀ · g · A_w.  Two matrix products, no window
    copies; memory: the two small matrices (OH·H + OW·W) and one intermediate (B·OH·W or B·H·OW).
    """

    __slots__ = ("shape", "mats")

    def name(self) -> str:
        return "AdaptiveAvgPool2DBackward0"

    def forward(self, a, output_size):
        _adaptive_check(a.shape, output_size)
        self.shape = a.shape
        h, w = a.shape[-2:]
        mats = []
        for n, o in zip((h, w), output_size):
            start, end = adaptive_bounds(n, o)
            r = np.arange(n)
            inside = (r[None, :] >= start[:, None]) & (r[None, :] < end[:, None])
            mats.append((inside / (end - start)[:, None]).astype(a.dtype))
        self.mats = mats
        out = sandwich(mats[0], a.reshape(-1, h, w), mats[1])
        return out.reshape(a.shape[:-2] + tuple(output_size))

    def backward(self, g):
        ah, aw = self.mats
        gx = sandwich(ah.T, g.reshape((-1,) + g.shape[-2:]), aw.T)
        return (gx.reshape(self.shape),)

    def backward_graph(self, g):
        """A_hᵀ · g · A_w on Tensors (double backward)."""
        ah, aw = (g._from_array(m) for m in self.mats)
        gx = ah.T @ g.reshape((-1,) + tuple(g.shape[-2:])) @ aw
        return (gx.reshape(self.shape),)


class AdaptiveMaxPool(Function):
    """Adaptive max pooling 2-D over ``adaptive_bounds`` windows; torch's per-plane flat indices.

    Windows differ in size (at most kh = max(end − start) rows), so the loop runs over the kh·kw
    offsets of the largest window, each offset one gather x[:, r, c] with r = min(start + i, end − 1)
    (a window shorter than kh re-reads its last row, which never changes its maximum or the first
    winner).  Backward: ``bincount`` scatter-add of g to the winners (windows may overlap).
    Memory: one gathered (B, OH, OW) array per offset, the running maximum and the indices.
    """

    __slots__ = ("shape", "indices")

    def name(self) -> str:
        return "AdaptiveMaxPool2DBackward0"

    def forward(self, a, output_size, sink=None):
        _adaptive_check(a.shape, output_size)
        self.shape = a.shape
        if sink is not None:  # as MaxPool's
            sink.append(self)
        h, w = a.shape[-2:]
        (rs, re), (cs, ce) = adaptive_bounds(h, output_size[0]), adaptive_bounds(w, output_size[1])
        x = a.reshape(-1, h, w)
        best = idx = None
        for i in range(int((re - rs).max(initial=1))):
            r = np.minimum(rs + i, re - 1)
            for j in range(int((ce - cs).max(initial=1))):
                c = np.minimum(cs + j, ce - 1)
                v = x[:, r[:, None], c[None, :]]
                flat = r[:, None] * w + c[None, :]
                if best is None:
                    best, idx = v, np.broadcast_to(flat, v.shape).copy()
                    continue
                won = (v > best) | np.isnan(v)
                np.copyto(best, v, where=won)
                np.copyto(idx, flat, where=won)
        self.indices = idx
        return best.reshape(a.shape[:-2] + tuple(output_size))

    def indices_array(self):
        return self.indices.reshape(self.shape[:-2] + self.indices.shape[-2:])

    def backward(self, g):
        planes = self.indices.shape[0]
        h, w = self.shape[-2:]
        return (_scatter(self.indices.reshape(planes, -1), g, planes, h * w, False).reshape(self.shape),)

    def backward_graph(self, g):
        """The same routing on Tensors (double backward)."""
        return (_route(g, self.indices, self.shape),)
