"""Pooling, padding and resizing: the functional forms (``F.max_pool1d``, ``F.max_pool2d``,
``F.avg_pool1d``, ``F.avg_pool2d``, ``F.adaptive_avg_pool2d``, ``F.adaptive_max_pool2d``, ``F.pad``,
``F.interpolate``) and the modules (``MaxPool1d``, ``MaxPool2d``, ``AvgPool1d``, ``AvgPool2d``,
``AdaptiveAvgPool2d``, ``AdaptiveMaxPool2d``, ``Upsample``), with torch's arguments, defaults,
reprs and errors.  Arguments are checked and normalised here; the arithmetic (forward beside
backward) is in ``glassnet/ops/pool.py`` and ``glassnet/ops/resize.py``.
"""
from __future__ import annotations

import math

from ..ops.pool import AdaptiveAvgPool, AdaptiveMaxPool, AvgPool, MaxPool
from ..ops.resize import Interpolate, Pad
from ..tensors.creation import from_numpy
from ._validation import _check_tensors
from .module import Module

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool2d",
           "adaptive_max_pool2d", "pad", "interpolate", "upsample", "MaxPool1d", "MaxPool2d", "AvgPool1d",
           "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Upsample"]


def _tuple(value, n: int, name: str) -> tuple:
    """An int, or a sequence of one or ``n`` ints, as an ``n``-tuple (torch's ``_pair``/``_single``)."""
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            value = tuple(value) * n
        if len(value) != n:
            raise RuntimeError(f"{name} must either be a single int, or a tuple of {n} ints, got {value}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def _pool_args(nd, kernel_size, stride, padding, dilation=1):
    k = _tuple(kernel_size, nd, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else \
        _tuple(stride, nd, "stride")
    return k, s, _tuple(padding, nd, "padding"), _tuple(dilation, nd, "dilation")


def _max_pool(nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    _check_tensors(f"max_pool{nd}d", input=input)
    k, s, p, d = _pool_args(nd, kernel_size, stride, padding, dilation)
    node = []
    out = MaxPool.apply(input, kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=bool(ceil_mode),
                        sink=node)
    return (out, from_numpy(node[0].indices_array())) if return_indices else out


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling over the last axis of a (N, C, L) or (C, L) input; padding counts as −∞.
    ``return_indices``: also the int64 position (along L) of each maximum, as torch."""
    return _max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling over the last two axes of a (N, C, H, W) or (C, H, W) input.

        out[n, c, i, j] = max over (a, b) < kernel of x[n, c, i·sH − pH + a·dH, j·sW − pW + b·dW]

    (padding counts as −∞); the gradient goes to the position that won.  ``return_indices``: also
    torch's int64 indices, each the flat position ``row·W + col`` in its (H, W) plane."""
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _avg_pool(nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    _check_tensors(f"avg_pool{nd}d", input=input)
    k, s, p, _ = _pool_args(nd, kernel_size, stride, padding)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    return AvgPool.apply(input, kernel_size=k, stride=s, padding=p, ceil_mode=bool(ceil_mode),
                         count_include_pad=bool(count_include_pad), divisor_override=divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling over the last axis of a (N, C, L) or (C, L) input (zero padding;
    ``count_include_pad=False`` divides by the number of real entries only)."""
    return _avg_pool(1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling: the window's sum divided by ``divisor_override``, or by the window's
    size (padding included with ``count_include_pad``, as torch)."""
    return _avg_pool(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def _adaptive_size(input, output_size):
    if isinstance(output_size, (list, tuple)):
        if len(output_size) == 1:
            output_size = tuple(output_size) * 2
        if len(output_size) != 2:
            raise ValueError(f"output_size must be an int or a tuple of 2 ints (or None), got {output_size}")
        return tuple(int(input.shape[-2 + i]) if v is None else int(v) for i, v in enumerate(output_size))
    return (int(output_size),) * 2


def adaptive_avg_pool2d(input, output_size):
    """Average over torch's adaptive windows: output (oH, oW), window i spanning rows
    ⌊i·H/oH⌋ … ⌈(i+1)·H/oH⌉ − 1 (``None`` in ``output_size`` keeps that input size)."""
    _check_tensors("adaptive_avg_pool2d", input=input)
    return AdaptiveAvgPool.apply(input, output_size=_adaptive_size(input, output_size))


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Maximum over torch's adaptive windows (see ``adaptive_avg_pool2d``); ``return_indices``
    also gives the flat per-plane positions of the maxima."""
    _check_tensors("adaptive_max_pool2d", input=input)
    node = []
    out = AdaptiveMaxPool.apply(input, output_size=_adaptive_size(input, output_size), sink=node)
    return (out, from_numpy(node[0].indices_array())) if return_indices else out


_NON_CONSTANT_DIMS = {1: (2, 3), 2: (3, 4), 3: (4, 5)}


def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative amounts, crop) the last ``len(pad) // 2`` axes; ``pad`` lists the
    last axis first: ``(left, right)``, ``(left, right, top, bottom)``, ...

    mode "constant" fills with ``value`` (0 by default); "reflect", "replicate" and "circular" pad
    the last 1, 2 or 3 axes of a batched or unbatched input, as torch."""
    _check_tensors("pad", input=input)
    pad = tuple(int(v) for v in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    n = len(pad) // 2
    if n > input.dim():
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension "
                           f"but got padding length {len(pad)} and input of dimension {input.dim()}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode != "constant":
        if value is not None and value != 0:
            raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
        if input.dim() not in _NON_CONSTANT_DIMS.get(n, ()):
            raise NotImplementedError(
                f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
                "Supported combinations for non-constant padding:\n"
                "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
        return Pad.apply(input, pad=pad, mode=mode)
    return Pad.apply(input, pad=pad, mode="constant", value=0.0 if value is None else value)


_INTERPOLATING = ("linear", "bilinear", "bicubic", "trilinear")


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial axes of a (N, C, L) or (N, C, H, W) input to ``size`` or by
    ``scale_factor`` (output size ⌊in · scale⌋): mode "nearest" (source index ⌊dst · in/out⌋, or
    ⌊dst / scale_factor⌋ when a scale factor is given and not recomputed), "linear" (3-D) or
    "bilinear" (4-D; ``align_corners`` maps the corner pixels' centres onto each other)."""
    _check_tensors("interpolate", input=input)
    if mode in _INTERPOLATING:
        align_corners = bool(align_corners) if align_corners is not None else False
    elif align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    dim = input.dim() - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    f"Input and output must have the same number of spatial dimensions, but got input with "
                    f"spatial dimensions of {spatial} and output size of {size}. Please provide input tensor "
                    f"in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
            out_size = [int(v) for v in size]
        else:
            out_size = [int(size)] * dim
        scales = [None] * dim
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    f"Input and scale_factor must have the same number of spatial dimensions, but got input "
                    f"with spatial dimensions of {spatial} and scale_factor of shape {scale_factor}. Please "
                    f"provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in "
                    f"(s1, s2, ...,sK) format.")
            factors = [float(v) for v in scale_factor]
        else:
            factors = [float(scale_factor)] * dim
        out_size = [math.floor(float(n) * f) for n, f in zip(spatial, factors)]
        scales = [None] * dim if recompute_scale_factor else factors
    else:
        raise ValueError("either size or scale_factor should be defined")
    if antialias:
        raise NotImplementedError("glassnet's interpolate has no antialias; use antialias=False")
    if mode == "bilinear" and dim != 2:
        raise NotImplementedError(f"Got {input.dim()}D input, but bilinear mode needs 4D input")
    if mode == "linear" and dim != 1:
        raise NotImplementedError(f"Got {input.dim()}D input, but linear mode needs 3D input")
    if mode not in ("nearest", "linear", "bilinear"):
        raise NotImplementedError(f"glassnet's interpolate has modes 'nearest', 'linear' (3-D) and "
                                  f"'bilinear' (4-D), not {mode!r}")
    if dim not in (1, 2):
        raise NotImplementedError(f"glassnet's interpolate takes 3-D (N, C, L) or 4-D (N, C, H, W) input, "
                                  f"got {input.dim()}D")
    if min(out_size) <= 0 or min(spatial) <= 0:
        names = ("W",) if dim == 1 else ("H", "W")
        given = ", ".join(f"{k}: {v}" for k, v in zip(names, spatial))
        wanted = ", ".join(f"{k}: {v}" for k, v in zip(names, out_size))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({given}) "
                           f"output ({wanted})")
    return Interpolate.apply(input, size=tuple(out_size), scales=tuple(scales), mode=mode,
                             align_corners=align_corners)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated in torch in favour of ``interpolate`` (same arguments)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


# -- modules ------------------------------------------------------------------------------------
class _MaxPoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return _max_pool(self._nd, input, self.kernel_size, self.stride, self.padding, self.dilation,
                         self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling (see ``F.max_pool1d``): (N, C, L) → (N, C, L_out)."""
    _nd = 1


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling (see ``F.max_pool2d``): (N, C, H, W) → (N, C, H_out, W_out), with
    H_out = ⌊(H + 2·padding − dilation·(kernel_size − 1) − 1) / stride⌋ + 1 (⌈…⌉ with ceil_mode)."""
    _nd = 2


class AvgPool1d(Module):
    """1-D average pooling (see ``F.avg_pool1d``); stores its sizes as 1-tuples, as torch."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = _tuple(kernel_size, 1, "kernel_size")
        self.stride = _tuple(stride if stride is not None else kernel_size, 1, "stride")
        self.padding = _tuple(padding, 1, "padding")
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """2-D average pooling (see ``F.avg_pool2d``)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size (see ``F.adaptive_avg_pool2d``)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """Max pooling to a fixed output size (see ``F.adaptive_max_pool2d``)."""

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):
        return adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class Upsample(Module):
    """Resize by ``scale_factor`` or to ``size`` (see ``F.interpolate``); modes "nearest",
    "linear" (3-D input) and "bilinear" (4-D input)."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        info = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return info + f", mode={self.mode!r}"

