"""``Unfold`` (torch's ``im2col``) and ``Fold`` (``col2im``): the sliding blocks of a 4-D input as
columns, and the columns added back into an image — the two halves of a convolution
(``ops/conv.py``), whose ``_im2col``/``_col2im`` they call, given to the user as layers.

Names: x (N, C, H, W), K = (kh, kw) the kernel, L = the blocks per sample (one column each),
C·kh·kw the values of one block, channel-major then kernel row then kernel column — torch's
order.  The two are each other's adjoint, so each one's backward is the other's forward, and so
is each one's double backward.
"""
from __future__ import annotations

from ..autograd.function import Function
from .conv import _col2im, _im2col

__all__ = ["Unfold", "Fold"]


def _columns(cols, n):
    """conv's columns (1, C·KK, L·N), samples innermost → torch's (N, C·KK, L)."""
    return cols.reshape(cols.shape[1], -1, n).transpose(2, 0, 1).copy()


def _conv_columns(a):
    """torch's (N, C·KK, L) → conv's columns (1, C·KK, L·N)."""
    return a.transpose(1, 2, 0).reshape(1, a.shape[1], -1)


class Unfold(Function):
    """out[n, (c, i, j), l] = x_pad[n, c, y_l·s + i·δ, x_l·s + j·δ] for block l at (y_l, x_l):
    (N, C, H, W) → (N, C·kh·kw, L).  ∂L/∂x adds each column entry back where it was read
    (col2im, ``Fold``)."""

    __slots__ = ("shape", "kernel", "dilation", "pads", "stride", "out")

    def name(self) -> str:
        return "Im2ColBackward0"

    def forward(self, x, *, kernel, dilation, padding, stride):
        pads = tuple((p, p) for p in padding)
        cols, out = _im2col(x, kernel, stride, dilation, pads, 1)
        self.shape, self.kernel, self.dilation, self.pads, self.stride, self.out = \
            x.shape, kernel, dilation, pads, stride, out
        return _columns(cols, x.shape[0])

    def backward(self, g):
        return (_col2im(_conv_columns(g), self.shape, self.kernel, self.stride, self.dilation,
                        self.pads, 1, self.out),)

    def backward_graph(self, g):
        return (Fold.apply(g, output_size=self.shape[2:], kernel=self.kernel, dilation=self.dilation,
                           padding=tuple(lo for lo, _ in self.pads), stride=self.stride,
                           blocks=self.out),)


class Fold(Function):
    """The adjoint of ``Unfold``: (N, C·kh·kw, L) → (N, C, *output_size), each column's values
    added at the positions its block covers (overlaps sum).  ∂L/∂x reads the blocks of ∂L/∂y
    (im2col, ``Unfold``)."""

    __slots__ = ("kernel", "dilation", "pads", "stride", "blocks")

    def name(self) -> str:
        return "Col2ImBackward0"

    def forward(self, x, *, output_size, kernel, dilation, padding, stride, blocks=None):
        pads = tuple((p, p) for p in padding)
        blocks = blocks or tuple((o + 2 * p - d * (k - 1) - 1) // s + 1 for o, p, d, k, s
                                 in zip(output_size, padding, dilation, kernel, stride))
        n, ckk = x.shape[:2]
        shape = (n, ckk // (kernel[0] * kernel[1])) + tuple(output_size)
        self.kernel, self.dilation, self.pads, self.stride, self.blocks = kernel, dilation, pads, stride, blocks
        return _col2im(_conv_columns(x), shape, kernel, stride, dilation, pads, 1, blocks)

    def backward(self, g):
        cols, _ = _im2col(g, self.kernel, self.stride, self.dilation, self.pads, 1, self.blocks)
        return (_columns(cols, g.shape[0]),)

    def backward_graph(self, g):
        return (Unfold.apply(g, kernel=self.kernel, dilation=self.dilation,
                             padding=tuple(lo for lo, _ in self.pads), stride=self.stride),)
