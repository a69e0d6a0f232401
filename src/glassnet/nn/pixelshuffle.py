"""``PixelShuffle`` and ``PixelUnshuffle`` with their functions (``F.pixel_shuffle``,
``F.pixel_unshuffle``): channels traded for resolution, as in sub-pixel convolution
(pytorch/examples' super_resolution).  Each is a reshape, a permute and a reshape, so an
explanation shows where every value moves and the gradient is the values moved back.
"""
from __future__ import annotations

from ._validation import _check_tensors
from .module import Module

__all__ = ["pixel_shuffle", "pixel_unshuffle", "PixelShuffle", "PixelUnshuffle"]


def _check_factor(fn: str, name: str, factor) -> None:
    if isinstance(factor, bool) or not isinstance(factor, int):
        raise TypeError(f"{fn}(): argument '{name}' (position 2) must be int, not {type(factor).__name__}")
    if factor <= 0:
        raise RuntimeError(f"{fn} expects a positive {name}, but got {factor}")


def _check_input(fn: str, input) -> None:
    _check_tensors(fn, input=input)
    if input.dim() < 3:
        raise RuntimeError(f"{fn} expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")


def pixel_shuffle(input, upscale_factor: int):
    """(*, C·r², H, W) → (*, C, H·r, W·r) for r = ``upscale_factor``:
    out[..., c, h·r + i, w·r + j] = input[..., c·r² + i·r + j, h, w]."""
    _check_input("pixel_shuffle", input)
    _check_factor("pixel_shuffle", "upscale_factor", upscale_factor)
    r = upscale_factor
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
                           f"square of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    k = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)         # (*, C, H, r, W, r)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor: int):
    """(*, C, H·r, W·r) → (*, C·r², H, W) for r = ``downscale_factor``, the inverse of
    ``pixel_shuffle``: out[..., c·r² + i·r + j, h, w] = input[..., c, h·r + i, w·r + j]."""
    _check_input("pixel_unshuffle", input)
    _check_factor("pixel_unshuffle", "downscale_factor", downscale_factor)
    r = downscale_factor
    *lead, c, h, w = input.shape
    for name, size, axis in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                               f"input.size({axis})={size} is not divisible by {r}")
    k = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)         # (*, C, r, r, H/r, W/r)
    return x.reshape(*lead, c * r * r, h // r, w // r)


class PixelShuffle(Module):
    """Rearrange (*, C·r², H, W) into (*, C, H·r, W·r) (``F.pixel_shuffle``): a convolution to
    C·r² channels followed by this upsamples by r (sub-pixel convolution)."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """Rearrange (*, C, H·r, W·r) into (*, C·r², H, W) (``F.pixel_unshuffle``), the inverse of
    ``PixelShuffle``."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
