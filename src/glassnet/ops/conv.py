"""Convolutions: ``ConvNd`` (torch's ``conv1d``/``conv2d``/``conv3d``: cross-correlation with
stride, zero padding, dilation, groups and an optional bias) and ``ConvTransposeNd``
(``conv_transpose1d/2d``: the gradient of a convolution with respect to its input, run forward).
One code path serves any number of spatial dims d (1 for conv1d, 2 for conv2d).

Names: x (N, C, *S) the input, w (O, C/g, *K) the weight, g the groups, s the stride, δ the
dilation, p_lo/p_hi the zero padding before/after each spatial dim, L = ∏ out-sizes the output
positions per sample, KK = ∏ K the kernel's taps.  Each output value is

    out[n, o, y] = b[o] + Σ_{c in o's group, k} w[o, c, k] · x_pad[n, c, y·s + k·δ]

**im2col.** ``sliding_window_view`` of the zero-padded input (copied once with the samples as
its last axis), sliced by stride and dilation, is a view (C, *Out, N, *K) at no cost; it is
copied once into the columns
``cols`` of shape (g, C/g·KK, L·N) — one row per (channel, tap), one column per (position,
sample), samples innermost — and the forward is one batched matrix product over the g groups:
``out_g = W_g · cols_g`` with W_g of shape (O/g, C/g·KK).  Python loops: none over samples or
positions; numpy's batched ``matmul`` iterates the g groups internally.

**Backward** (G = ∂L/∂out laid out as (g, O/g, L·N)):

* ∂L/∂w_g = G_g · cols_gᵀ  (one batched matrix product, computed as (cols_g · G_gᵀ)ᵀ)
* ∂L/∂cols_g = W_gᵀ · G_g, then **col2im**: each tap k's row block is added back at the padded
  input positions y·s + k·δ it was read from — a Python loop over the KK kernel offsets only, each
  step one strided ``+=`` of N·C·L values — and the padding is cut off.
* ∂L/∂b = Σ_{n, y} G.

**Memory.** The forward keeps ``cols`` for ∂L/∂w: N·C·KK·L values (itemsize bytes each; e.g. the
CIFAR tutorial's first conv, batch 32, 3→6 k5 on 32×32: 32·3·25·784 floats = 7.5 MB), i.e. KK
times the (unpadded, stride-1) input; it is dropped when w needs no gradient.  The backward makes
one array of the same size (∂L/∂cols), after ``cols`` is released, and one zero-padded
input-sized buffer; the forward makes one zero-padded, sample-innermost copy of x.  Measured peak
(tracemalloc) of one forward+backward of that layer: 10 MiB, 1.4x the columns.

``ConvTransposeNd`` is the same three pieces in the other order: forward = matrix product + col2im
(∂L/∂x of a convolution); its ∂L/∂x = im2col(grad) + matrix product (a convolution forward);
∂L/∂w = x · im2col(grad)ᵀ.  Its memory is the columns of the output gradient, N·C_out·KK·L_in.

**Double backward** (``backward_graph``, ``create_graph=True``).  Both gradients are linear in the
output gradient G, and each is a convolution again: ∂L/∂x of a convolution is the transposed
convolution of G with w, ∂L/∂x of a transposed convolution is the convolution of G with w, and
∂L/∂w of either is ``ConvWeightGrad`` (x against G), an op of its own whose backward is a
transposed convolution and a convolution with the incoming gradient as the weight.  So every
derivative, of any order, is one of these three ops.
"""
from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..autograd.function import Function

__all__ = ["ConvNd", "ConvTransposeNd", "ConvWeightGrad", "conv_output_size"]


def _dims(x):
    return "(" + " x ".join(str(v) for v in x) + ")"


def conv_output_size(size: int, k: int, s: int, d: int, pad_total: int) -> int:
    """⌊(size + p_lo + p_hi − δ·(k − 1) − 1) / s⌋ + 1 (torch's formula)."""
    return (size + pad_total - d * (k - 1) - 1) // s + 1


def _im2col(x, kernel, stride, dilation, pads, groups, out_sizes=None):
    """The columns (g, C/g·KK, L·N) of x (N, C, *S), and the output sizes.

    The samples are the innermost axis (column index = position·N + sample): the copies and the
    col2im additions then run over contiguous stretches of N·out-width values, 2-4x faster than
    sample-major columns at the CIFAR tutorial's sizes.  ``pads`` is one (lo, hi) pair per spatial
    dim; ``out_sizes``, when given, trims the windows to that many positions (the transpose's
    backward needs it when output_padding ≥ stride)."""
    nd = len(kernel)
    n, c = x.shape[:2]
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[2:], pads))
    xt = np.zeros((c,) + padded + (n,), dtype=x.dtype)                   # (C, *S_pad, N)
    inner = tuple(slice(lo, lo + s) for s, (lo, hi) in zip(x.shape[2:], pads))
    xt[(slice(None),) + inner] = np.moveaxis(x, 0, -1)
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    win = sliding_window_view(xt, span, axis=tuple(range(1, 1 + nd)))   # (C, *Full, N, *span)
    index = (slice(None),)
    index += tuple(slice(None, None if out_sizes is None else (o - 1) * s + 1, s)
                   for s, o in zip(stride, out_sizes or stride))
    index += (slice(None),) + tuple(slice(None, None, d) for d in dilation)
    win = win[index]                                                    # (C, *Out, N, *K)
    out = win.shape[1:1 + nd]
    win = win.reshape((groups, c // groups) + win.shape[1:])            # (g, C/g, *Out, N, *K)
    order = (0, 1) + tuple(range(3 + nd, 3 + 2 * nd)) + tuple(range(2, 3 + nd))
    cols = np.ascontiguousarray(win.transpose(order))                   # (g, C/g, *K, *Out, N)
    return cols.reshape(groups, (c // groups) * math.prod(kernel), math.prod(out) * n), out


def _col2im(cols, shape, kernel, stride, dilation, pads, groups, out_sizes):
    """Add the columns (g, C/g·KK, L·N) back at the input positions they were read from: the
    adjoint of ``_im2col``, an array of ``shape`` (N, C, *S).  Loops over the KK kernel offsets."""
    n, c = shape[:2]
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(shape[2:], pads))
    # the buffer is laid out (g, C/g, *S_pad, N), as the columns are, so each step adds like to like
    buf = np.zeros((groups, c // groups) + padded + (n,), dtype=cols.dtype)
    cols = cols.reshape((groups, c // groups) + tuple(kernel) + tuple(out_sizes) + (n,))
    for k in np.ndindex(*kernel):
        where = tuple(slice(ki * d, ki * d + (o - 1) * s + 1, s)
                      for ki, d, s, o in zip(k, dilation, stride, out_sizes))
        buf[(slice(None), slice(None)) + where] += cols[(slice(None), slice(None)) + k]
    crop = tuple(slice(lo, lo + s) for s, (lo, hi) in zip(shape[2:], pads))
    buf = buf.reshape((c,) + padded + (n,))[(slice(None),) + crop]
    return np.ascontiguousarray(np.moveaxis(buf, -1, 0))


def _grouped(a, groups):
    """(N, C, *S) → (g, C/g, L·N): one matrix per group, rows = channels, columns = (position, sample)."""
    n, c = a.shape[:2]
    a = a.reshape(n, groups, c // groups, -1)
    return np.ascontiguousarray(a.transpose(1, 2, 3, 0)).reshape(groups, c // groups, -1)


def _ungrouped(a, n, spatial):
    """(g, C/g, L·N) → (N, C, *S): the inverse of ``_grouped``."""
    g, cg = a.shape[:2]
    a = a.reshape(g * cg, -1, n).transpose(2, 0, 1)
    return np.ascontiguousarray(a).reshape((n, g * cg) + tuple(spatial))


def _check_dtypes(x, w, b):
    if x.dtype != w.dtype or (b is not None and b.dtype != x.dtype):
        names = {"float32": "float", "float64": "double"}
        which = "weight" if x.dtype != w.dtype else "bias"
        other = w if which == "weight" else b
        raise RuntimeError(f"Input type ({names.get(x.dtype.name, x.dtype.name)}) and {which} type "
                           f"({names.get(other.dtype.name, other.dtype.name)}) should be the same: "
                           f"convert one of them, e.g. x.float() or model.double().")


class ConvNd(Function):
    """out = x ⋆ w + b (cross-correlation), for 1, 2 or more spatial dims; see the module's
    docstring for the im2col forward, the col2im backward and the memory they take.

    Parameters (keywords): ``stride``, ``dilation`` (tuples, one per spatial dim), ``padding``
    (one (lo, hi) pair per spatial dim: "same" with an odd total puts the extra one at the end),
    ``groups``.
    """

    __slots__ = ("cols", "w", "shape", "kernel", "stride", "dilation", "pads", "groups", "out")
    saves_inputs = True

    def name(self) -> str:
        return "ConvolutionBackward0"  # torch's node for every convolution, transposed or not

    def forward(self, x, w, b=None, *, stride, padding, dilation, groups):
        nd = w.ndim - 2
        _check_dtypes(x, w, b)
        if x.shape[1] != w.shape[1] * groups:
            raise RuntimeError(
                f"Given groups={groups}, weight of size {list(w.shape)}, expected input{list(x.shape)} "
                f"to have {w.shape[1] * groups} channels, but got {x.shape[1]} channels instead")
        if w.shape[0] % groups:
            raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at "
                               f"dimension 0, but got weight of size {list(w.shape)} instead")
        kernel = w.shape[2:]
        padded = tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[2:], padding))
        span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
        if any(p < k for p, k in zip(padded, span)):
            raise RuntimeError(f"Calculated padded input size per channel: {_dims(padded)}. Kernel size: "
                               f"{_dims(span)}. Kernel size can't be greater than actual input size")
        cols, out = _im2col(x, kernel, stride, dilation, padding, groups)
        g, og = groups, w.shape[0] // groups
        wg = w.reshape(g, og, -1)
        y = _ungrouped(np.matmul(wg, cols), x.shape[0], out)
        if b is not None:
            y += b.reshape((1, -1) + (1,) * nd)
        self.cols = cols if self.inputs[1]._requires_grad else None
        self.w, self.shape, self.kernel, self.out = w, x.shape, kernel, out
        self.stride, self.dilation, self.pads, self.groups = stride, dilation, padding, groups
        return y

    def backward(self, grad):
        g = self.groups
        gg = _grouped(grad, g)                                   # (g, O/g, L·N)
        gx = gw = gb = None
        if self.needs_grad(1):
            # (cols · Gᵀ)ᵀ rather than G · colsᵀ: the long axis L·N is then contiguous in both
            # operands of the product, which BLAS runs ~2x faster here
            gw = np.matmul(self.cols, gg.transpose(0, 2, 1)).transpose(0, 2, 1).reshape(self.w.shape)
        self.cols = None                                         # freed before ∂L/∂cols is made
        if self.needs_grad(0):
            wg = self.w.reshape(g, self.w.shape[0] // g, -1)
            gcols = np.matmul(wg.transpose(0, 2, 1), gg)         # (g, C/g·KK, L·N)
            gx = _col2im(gcols, self.shape, self.kernel, self.stride, self.dilation, self.pads, g, self.out)
        if len(self.inputs) == 3 and self.needs_grad(2):
            gb = grad.sum(axis=(0,) + tuple(range(2, grad.ndim)))
        return (gx, gw) if len(self.inputs) == 2 else (gx, gw, gb)

    def backward_graph(self, g):
        """On Tensors (double backward): ∂L/∂x = conv_transpose(G, w), ∂L/∂w = ConvWeightGrad(x, G)."""
        x, w = self.inputs[:2]
        window = dict(stride=self.stride, padding=self.pads, dilation=self.dilation, groups=self.groups)
        gx = _conv_transpose_to(g, w, x.shape[2:], window) if self.needs_grad(0) else None
        gw = ConvWeightGrad.apply(x, g, kernel=self.kernel, **window) if self.needs_grad(1) else None
        if len(self.inputs) == 2:
            return gx, gw
        return gx, gw, (g.sum((0,) + tuple(range(2, g.ndim))) if self.needs_grad(2) else None)


class ConvTransposeNd(Function):
    """The transposed convolution: out = ∂/∂x ⟨conv(x, w), input⟩, i.e. each input value spreads
    w's kernel over the output, s apart.  Weight (C_in, C_out/g, *K).  Output size per dim:
    (S − 1)·s − 2p + δ·(k − 1) + output_padding + 1.

    Forward = matrix product + col2im; backward: ∂L/∂x = im2col(G) · (a convolution of G with w),
    ∂L/∂w = x · im2col(G)ᵀ, ∂L/∂b = Σ G.  Memory: the columns of G in backward,
    N·C_out·KK·L_in values (made once and used for both gradients).
    """

    __slots__ = ("x", "w", "insize", "outshape", "kernel", "stride", "dilation", "pads", "groups")
    saves_inputs = True

    def name(self) -> str:
        return "ConvolutionBackward0"  # torch's node for every convolution, transposed or not

    def forward(self, x, w, b=None, *, stride, padding, output_padding, dilation, groups):
        nd = w.ndim - 2
        _check_dtypes(x, w, b)
        if x.shape[1] != w.shape[0]:
            raise RuntimeError(
                f"Given transposed=1, weight of size {list(w.shape)}, expected input{list(x.shape)} to "
                f"have {w.shape[0]} channels, but got {x.shape[1]} channels instead")
        if w.shape[0] % groups:
            raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at "
                               f"dimension 0, but got weight of size {list(w.shape)} instead")
        for op, s, d in zip(output_padding, stride, dilation):
            if op >= max(s, d) or op < 0:
                raise RuntimeError(f"output padding must be smaller than either stride or dilation, "
                                   f"but got output_padding={op}, stride={s}, dilation={d}")
        kernel = w.shape[2:]
        n, insize = x.shape[0], x.shape[2:]
        outsize = tuple((i - 1) * s - lo - hi + d * (k - 1) + op + 1 for i, s, (lo, hi), d, k, op
                        in zip(insize, stride, padding, dilation, kernel, output_padding))
        if any(o <= 0 for o in outsize):
            raise RuntimeError(f"Given input size per channel: {_dims(insize)}. Calculated output size "
                               f"per channel: {_dims(outsize)}. Output size is too small")
        g = groups
        wg = w.reshape(g, w.shape[0] // g, -1)                   # (g, C_in/g, C_out/g·KK)
        cols = np.matmul(wg.transpose(0, 2, 1), _grouped(x, g))  # (g, C_out/g·KK, L_in·N)
        outshape = (n, w.shape[1] * g) + outsize
        y = _col2im(cols, outshape, kernel, stride, dilation, padding, g, insize)
        if b is not None:
            y = y + b.reshape((1, -1) + (1,) * nd)
        y = np.ascontiguousarray(y)
        self.x, self.w, self.insize, self.outshape, self.kernel = x, w, insize, outshape, kernel
        self.stride, self.dilation, self.pads, self.groups = stride, dilation, padding, groups
        return y

    def backward(self, grad):
        g = self.groups
        cols, _ = _im2col(grad, self.kernel, self.stride, self.dilation, self.pads, g, self.insize)
        gx = gw = gb = None
        if self.needs_grad(0):
            wg = self.w.reshape(g, self.w.shape[0] // g, -1)
            gx = _ungrouped(np.matmul(wg, cols), self.x.shape[0], self.insize)
        if self.needs_grad(1):
            gw = np.matmul(cols, _grouped(self.x, g).transpose(0, 2, 1)).transpose(0, 2, 1).reshape(self.w.shape)
        if len(self.inputs) == 3 and self.needs_grad(2):
            gb = grad.sum(axis=(0,) + tuple(range(2, grad.ndim)))
        return (gx, gw) if len(self.inputs) == 2 else (gx, gw, gb)

    def backward_graph(self, g):
        """On Tensors (double backward): ∂L/∂x = conv(G, w), ∂L/∂w = ConvWeightGrad(G, x) (the
        transposed convolution runs the convolution from its output to its input)."""
        x, w = self.inputs[:2]
        window = dict(stride=self.stride, padding=self.pads, dilation=self.dilation, groups=self.groups)
        gx = _conv_to(g, w, self.insize, window) if self.needs_grad(0) else None
        gw = ConvWeightGrad.apply(g, x, kernel=self.kernel, **window) if self.needs_grad(1) else None
        if len(self.inputs) == 2:
            return gx, gw
        return gx, gw, (g.sum((0,) + tuple(range(2, g.ndim))) if self.needs_grad(2) else None)


class ConvWeightGrad(Function):
    """∂L/∂w of a convolution of ``a`` (N, C, *S) whose output gradient is ``b`` (N, O, *L), as an
    op of its own so that it can be differentiated again (double backward):

        out[o, c, k] = Σ_{n, y} b[n, o, y] · a_pad[n, c, y·s + k·δ]     (c within o's group)

    computed as ``ConvNd.backward`` does, im2col(a) · bᵀ.  It is linear in a and in b; with H the
    gradient of its output (shaped like a weight), ∂L/∂a = conv_transpose(b, H) and
    ∂L/∂b = conv(a, H): a convolution's two other gradients, with H as the weight.
    """

    __slots__ = ("cols", "kernel", "stride", "dilation", "pads", "groups")
    saves_inputs = True

    def forward(self, a, b, *, kernel, stride, padding, dilation, groups):
        cols, _ = _im2col(a, kernel, stride, dilation, padding, groups, b.shape[2:])  # (g, C/g·KK, L·N)
        self.cols, self.kernel, self.stride, self.dilation, self.pads, self.groups = \
            cols, kernel, stride, dilation, padding, groups
        out = np.matmul(cols, _grouped(b, groups).transpose(0, 2, 1)).transpose(0, 2, 1)
        return np.ascontiguousarray(out).reshape((b.shape[1], a.shape[1] // groups) + tuple(kernel))

    def backward(self, h):
        a, b = (t.array for t in self.inputs)
        g = self.groups
        hg = h.reshape(g, h.shape[0] // g, -1)                   # (g, O/g, C/g·KK)
        ga = gb = None
        if self.needs_grad(0):
            gcols = np.matmul(hg.transpose(0, 2, 1), _grouped(b, g))
            ga = _col2im(gcols, a.shape, self.kernel, self.stride, self.dilation, self.pads, g, b.shape[2:])
        if self.needs_grad(1):
            gb = _ungrouped(np.matmul(hg, self.cols), b.shape[0], b.shape[2:])
        return ga, gb

    def backward_graph(self, h):
        a, b = self.inputs
        window = dict(stride=self.stride, padding=self.pads, dilation=self.dilation, groups=self.groups)
        return (_conv_transpose_to(b, h, a.shape[2:], window) if self.needs_grad(0) else None,
                _conv_to(a, h, b.shape[2:], window) if self.needs_grad(1) else None)


def _conv_to(x, w, sizes, window):
    """The convolution of Tensors x and w, cut to ``sizes`` positions per spatial dim (when a
    transposed convolution's output_padding is ≥ its stride, the last positions were never read)."""
    y = ConvNd.apply(x, w, **window)
    if tuple(y.shape[2:]) != tuple(sizes):
        y = y[(slice(None), slice(None)) + tuple(slice(0, n) for n in sizes)]
    return y


def _conv_transpose_to(g, w, sizes, window):
    """The transposed convolution of Tensors g and w with the output_padding that makes it ``sizes``
    long per spatial dim: the input positions past a strided convolution's last window."""
    spans = (d * (k - 1) + 1 for d, k in zip(window["dilation"], w.shape[2:]))
    extra = tuple(n + lo + hi - span - (m - 1) * s for n, (lo, hi), span, m, s
                  in zip(sizes, window["padding"], spans, g.shape[2:], window["stride"]))
    return ConvTransposeNd.apply(g, w, output_padding=extra, **window)
