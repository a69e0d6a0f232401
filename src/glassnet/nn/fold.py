"""``Unfold`` and ``Fold`` with their functions (``F.unfold``, ``F.fold``): the sliding blocks of a
batch of images as columns (im2col) and columns summed back into images (col2im), with torch's
arguments, checks and reprs.  The arithmetic is the convolution's own (``glassnet/ops/fold.py``
calls ``ops/conv.py``'s im2col and col2im).
"""
from __future__ import annotations

from ..ops.fold import Fold as _Fold
from ..ops.fold import Unfold as _Unfold
from ._validation import _check_tensors
from .module import Module

__all__ = ["unfold", "fold", "Unfold", "Fold"]


def _pair(value, name: str) -> tuple:
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(value)}")
        return tuple(int(v) for v in value)
    return (int(value), int(value))


def _geometry(kernel_size, dilation, padding, stride):
    k, d = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    p, s = _pair(padding, "padding"), _pair(stride, "stride")
    for name, short, v, least in (("kernel size", "kernel", k, 1), ("stride", "stride", s, 1),
                                  ("dilation", "dilation", d, 1), ("padding", "pad", p, 0)):
        if min(v) < least:
            raise RuntimeError(f"{name} should be {'greater than zero' if least else 'non-negative'}, but "
                               f"got {short}_height: {v[0]} {short}_width: {v[1]}")
    return k, d, p, s


def _blocks(size, k, d, p, s) -> tuple:
    return tuple((n + 2 * pi - di * (ki - 1) - 1) // si + 1 for n, ki, di, pi, si in zip(size, k, d, p, s))


def _floating(fn: str, input) -> None:
    if not input.is_floating_point():
        raise NotImplementedError(f"{fn}: the input must be floating point, got {input.dtype}; convert "
                                  f"it with .float()")


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding blocks of a (N, C, H, W) input (or one (C, H, W) image) as columns:
    (N, C·kh·kw, L), L = the number of blocks, each column one block's values (channel, then kernel
    row, then kernel column).  A convolution is ``w.view(O, -1) @ unfold(x, k)``."""
    _check_tensors("unfold", input=input)
    if input.dim() not in (3, 4) or any(v == 0 for v in input.shape[1:]):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {list(input.shape)}")
    k, d, p, s = _geometry(kernel_size, dilation, padding, stride)
    _floating("unfold", input)
    blocks = _blocks(input.shape[-2:], k, d, p, s)
    if min(blocks) < 1:
        raise RuntimeError(f"Given input with spatial size {tuple(input.shape[-2:])}, kernel_size={k}, "
                           f"dilation={d}, padding={p}, calculated shape of the array of sliding blocks as "
                           f"{blocks}, but its components must be at least one.")
    unbatched = input.dim() == 3
    out = _Unfold.apply(input.unsqueeze(0) if unbatched else input, kernel=k, dilation=d, padding=p, stride=s)
    return out.squeeze(0) if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The columns (N, C·kh·kw, L) of ``unfold`` (or one (C·kh·kw, L) set) summed back into images
    (N, C, *output_size): each column's values added at the positions its block covers, so
    overlapping blocks add up (``fold(unfold(x))`` is x times how many blocks cover each pixel)."""
    _check_tensors("fold", input=input)
    if input.dim() not in (2, 3) or any(v == 0 for v in input.shape[1:]):
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size "
                           f"and non-zero dimensions for input, but got: {list(input.shape)}")
    out_size = _pair(output_size, "output_size")
    k, d, p, s = _geometry(kernel_size, dilation, padding, stride)
    _floating("fold", input)
    ckk, length = input.shape[-2:]
    if ckk % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of "
                           f"kernel_size, but got input.size(1)={ckk} and kernel_size={k}.")
    blocks = _blocks(out_size, k, d, p, s)
    if blocks[0] * blocks[1] != length or min(blocks) < 1:
        raise RuntimeError(f"Given output_size={out_size}, kernel_size={k}, dilation={d}, padding={p}, "
                           f"stride={s}, expected size of input's dimension 2 to match the calculated number "
                           f"of sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
                           f"input.size(2)={length}.")
    unbatched = input.dim() == 2
    out = _Fold.apply(input.unsqueeze(0) if unbatched else input, output_size=out_size, kernel=k,
                      dilation=d, padding=p, stride=s, blocks=blocks)
    return out.squeeze(0) if unbatched else out


class Unfold(Module):
    """The sliding blocks of a batch of images as columns (``F.unfold``): (N, C, H, W) →
    (N, C·kh·kw, L)."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input):
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
                f"stride={self.stride}")


class Fold(Module):
    """Columns summed back into images (``F.fold``): (N, C·kh·kw, L) → (N, C, *output_size)."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
