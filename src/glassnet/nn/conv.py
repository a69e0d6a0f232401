"""Convolutions with torch's names, arguments, defaults, shapes, reprs and errors: the functions
``conv1d``, ``conv2d``, ``conv_transpose1d``, ``conv_transpose2d`` (re-exported by
``nn.functional``) and the layers ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``, ``ConvTranspose2d``.

Each function checks its arguments here, at the edge, turns ``padding="same"``/``"valid"`` into
explicit (before, after) pairs (torch's rule: for an odd total the extra zero goes after) and calls
one primitive of ``glassnet/ops/conv.py`` (``ConvNd`` or ``ConvTransposeNd``), where the im2col
forward, the col2im backward and the memory of the window copies are written down.
"""
from __future__ import annotations

import math

from ..ops.conv import ConvNd, ConvTransposeNd
from ..tensors.creation import empty
from ..tensors.tensor import Tensor
from . import init
from ._validation import _check_tensors
from .module import Module, Parameter

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d",
           "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]


def _tuple(value, n: int, name: str) -> tuple:
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            value = tuple(value) * n
        if len(value) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to "
                               f"match the convolution dimensions, but got {name}={list(value)}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def _check_input(fn: str, input: Tensor, weight: Tensor, nd: int):
    """Batched (N, C, *S) or unbatched (C, *S) input; returns (input as batched, was_unbatched)."""
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {fn}, but got "
                           f"input of size: {list(input.shape)}")
    if weight.dim() != nd + 2:
        raise RuntimeError(f"{fn}: expected weight to be {nd + 2}-dimensional (out_channels, "
                           f"in_channels/groups, {', '.join('k' + str(i) for i in range(nd))}), but got "
                           f"weight of size {list(weight.shape)}")
    return (input.unsqueeze(0), True) if input.dim() == nd + 1 else (input, False)


def _check_common(stride, dilation, groups):
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _conv(fn, nd, input, weight, bias, stride, padding, dilation, groups):
    _check_tensors(fn, input=input, weight=weight)
    if bias is not None:
        _check_tensors(fn, bias=bias)
    x, unbatched = _check_input(fn, input, weight, nd)
    stride, dilation = _tuple(stride, nd, "stride"), _tuple(dilation, nd, "dilation")
    _check_common(stride, dilation, groups)
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            total = [d * (k - 1) for d, k in zip(dilation, kernel)]
            pads = tuple((t // 2, t - t // 2) for t in total)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pads = tuple((p, p) for p in _tuple(padding, nd, "padding"))
        if any(p < 0 for p, _ in pads):
            raise RuntimeError("negative padding is not supported")
    params = dict(stride=stride, padding=pads, dilation=dilation, groups=groups)
    out = ConvNd.apply(x, weight, **params) if bias is None else ConvNd.apply(x, weight, bias, **params)
    return out.squeeze(0) if unbatched else out


def _conv_transpose(fn, nd, input, weight, bias, stride, padding, output_padding, groups, dilation):
    _check_tensors(fn, input=input, weight=weight)
    if bias is not None:
        _check_tensors(fn, bias=bias)
    x, unbatched = _check_input(fn, input, weight, nd)
    if isinstance(padding, str):
        raise TypeError(f"{fn}(): argument 'padding' must be a tuple of ints, not str: transposed "
                        f"convolutions take no 'same'/'valid' padding, give the numbers")
    stride, dilation = _tuple(stride, nd, "stride"), _tuple(dilation, nd, "dilation")
    pads = tuple((p, p) for p in _tuple(padding, nd, "padding"))
    output_padding = _tuple(output_padding, nd, "output_padding")
    _check_common(stride, dilation, groups)
    if any(p < 0 for p, _ in pads):
        raise RuntimeError("negative padding is not supported")
    params = dict(stride=stride, padding=pads, output_padding=output_padding, dilation=dilation,
                  groups=groups)
    out = (ConvTransposeNd.apply(x, weight, **params) if bias is None
           else ConvTransposeNd.apply(x, weight, bias, **params))
    return out.squeeze(0) if unbatched else out


# -- functions (torch.nn.functional) ------------------------------------------------------------
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """1-D cross-correlation: out[n, o, y] = b[o] + Σ_{c, k} w[o, c, k]·x_pad[n, g(o)·C/g + c, y·s + k·δ].

    Parameters
    ----------
    input : Tensor, shape (N, C_in, L) or (C_in, L)
    weight : Tensor, shape (C_out, C_in/groups, k)
    bias : Tensor, shape (C_out,), optional
    stride, dilation : int or (int,)
    padding : int, (int,), "valid" or "same" (stride 1 only; an odd total pads one more after)
    groups : int
        C_in and C_out split into this many groups; group j's outputs see group j's inputs only.

    Returns
    -------
    Tensor, shape (N, C_out, ⌊(L + 2p − δ·(k − 1) − 1)/s⌋ + 1)
        One ``ConvNd`` node (im2col forward, col2im backward: see ``glassnet/ops/conv.py``).
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """2-D cross-correlation (what torch and every CNN call a convolution):

        out[n, o, y, x] = b[o] + Σ_{c, i, j} w[o, c, i, j] · x_pad[n, g(o)·C/g + c, y·s + i·δ, x·s + j·δ]

    Parameters
    ----------
    input : Tensor, shape (N, C_in, H, W) or (C_in, H, W)
    weight : Tensor, shape (C_out, C_in/groups, kH, kW)
    bias : Tensor, shape (C_out,), optional
    stride, dilation : int or (int, int)
    padding : int, (int, int), "valid" or "same" (stride 1 only; an odd total pads one more
        after, as torch does)
    groups : int

    Returns
    -------
    Tensor, shape (N, C_out, H_out, W_out), H_out = ⌊(H + 2p − δ·(kH − 1) − 1)/s⌋ + 1
        One ``ConvNd`` node (im2col forward, col2im backward: see ``glassnet/ops/conv.py``).

    Examples
    --------
    >>> x = glassnet.ones(1, 1, 3, 3)
    >>> F.conv2d(x, glassnet.ones(1, 1, 2, 2)).shape
    glassnet.Size([1, 1, 2, 2])
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """1-D transposed convolution (the gradient of ``conv1d`` with respect to its input).

    weight : shape (C_in, C_out/groups, k).  Output length
    (L − 1)·s − 2p + δ·(k − 1) + output_padding + 1.
    """
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding,
                           groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """2-D transposed convolution: each input value adds its kernel, scaled, into the output, s
    apart — the gradient of ``conv2d`` with respect to its input, run forward (upsampling).

    Parameters
    ----------
    input : Tensor, shape (N, C_in, H, W) or (C_in, H, W)
    weight : Tensor, shape (C_in, C_out/groups, kH, kW)
    bias : Tensor, shape (C_out,), optional
    stride, padding, output_padding, dilation : int or (int, int)
        output_padding (< stride or dilation) adds rows/columns at the end of the output.
    groups : int

    Returns
    -------
    Tensor, shape (N, C_out, H_out, W_out), H_out = (H − 1)·s − 2p + δ·(kH − 1) + output_padding + 1
    """
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding,
                           groups, dilation)


# -- layers (torch.nn) ----------------------------------------------------------------------------
_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


class _ConvNd(Module):
    """The part every convolution layer shares: torch's attributes, checks, init and repr."""

    _nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                 output_padding, groups, bias, padding_mode, device=None, dtype=None):
        super().__init__()
        nd, cls = self._nd, type(self).__name__
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        kernel_size, stride = _tuple(kernel_size, nd, "kernel_size"), _tuple(stride, nd, "stride")
        dilation = _tuple(dilation, nd, "dilation")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _tuple(padding, nd, "padding")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got "
                             f"padding_mode='{padding_mode}'")
        if padding_mode != "zeros":
            if transposed:
                raise ValueError(f'Only "zeros" padding mode is supported for {cls}')
            raise NotImplementedError(
                f"{cls}: padding_mode='{padding_mode}' is not implemented in glassnet (only 'zeros'). "
                f"Pad the input yourself (F.pad(x, ..., mode='{padding_mode}')) and use padding=0, or "
                f"use padding_mode='zeros'.")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.transposed, self.output_padding = transposed, _tuple(output_padding, nd, "output_padding")
        self.groups, self.padding_mode = groups, padding_mode
        # torch keeps the padding F.pad would take for the other padding modes ("same": the extra
        # zero after); kept too, so a layer crossing to torch (glassnet.bridge) has every attribute
        pairs = [(p, p) for p in padding] if not isinstance(padding, str) else (
            [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for d, k in zip(dilation, kernel_size)]
            if padding == "same" else [(0, 0)] * nd)
        reversed_pairs = [v for pair in reversed(pairs) for v in pair]
        self._reversed_padding_repeated_twice = (reversed_pairs if isinstance(padding, str)
                                                 else tuple(reversed_pairs))
        shape = ((in_channels, out_channels // groups) if transposed
                 else (out_channels, in_channels // groups)) + kernel_size
        self.weight = Parameter(empty(shape, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty((out_channels,), dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's init: weight ``kaiming_uniform_(a=√5)`` = U(−1/√fan_in, 1/√fan_in), bias the same
        bound, fan_in = weight.shape[1]·∏ kernel_size."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        nd = len(self.kernel_size)
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution layer: ``F.conv1d(x, weight, bias, stride, padding, dilation, groups)``.

    Parameters: in_channels, out_channels, kernel_size, stride=1, padding=0 (int, tuple, "valid"
    or "same"), dilation=1, groups=1, bias=True, padding_mode="zeros" (the only one glassnet has).
    weight: (out_channels, in_channels/groups, k); bias: (out_channels,); both U(−1/√fan_in,
    1/√fan_in) as in torch.  Shapes: (N, C_in, L) → (N, C_out, L_out).
    """

    _nd = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0,
                         groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        return conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv2d(_ConvNd):
    """2-D convolution layer: ``F.conv2d(x, weight, bias, stride, padding, dilation, groups)``.

    Parameters: in_channels, out_channels, kernel_size, stride=1, padding=0 (int, tuple, "valid"
    or "same"), dilation=1, groups=1, bias=True, padding_mode="zeros" (the only one glassnet has).
    weight: (out_channels, in_channels/groups, kH, kW); bias: (out_channels,); both
    U(−1/√fan_in, 1/√fan_in) as in torch.  Shapes: (N, C_in, H, W) → (N, C_out, H_out, W_out).

    Examples
    --------
    >>> nn.Conv2d(3, 6, 5)
    Conv2d(3, 6, kernel_size=(5, 5), stride=(1, 1))
    """

    _nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0,
                         groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        return conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class _ConvTransposeNd(_ConvNd):
    def _output_padding(self, input, output_size):
        """torch's rule: an ``output_size`` picks the output_padding that reaches it."""
        nd = self._nd
        if output_size is None:
            return self.output_padding
        output_size = list(output_size)
        if len(output_size) == input.dim():
            output_size = output_size[input.dim() - nd:]
        if len(output_size) != nd:
            raise ValueError(f"ConvTranspose{nd}D: for {input.dim()}D input, output_size must have {nd} or "
                             f"{input.dim()} elements (got {len(output_size)})")
        sizes = list(input.shape)[-nd:]
        mins = [(sizes[d] - 1) * self.stride[d] - 2 * self.padding[d]
                + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(nd)]
        maxs = [mins[d] + self.stride[d] - 1 for d in range(nd)]
        for size, lo, hi in zip(output_size, mins, maxs):
            if size < lo or size > hi:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes range from "
                                 f"{mins} to {maxs} (for an input of {sizes})")
        return tuple(int(output_size[d]) - mins[d] for d in range(nd))


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution layer (``F.conv_transpose1d``); weight (in_channels,
    out_channels/groups, k).  ``forward(input, output_size=None)`` as in torch."""

    _nd = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 groups=1, bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, True,
                         output_padding, groups, bias, padding_mode, device, dtype)

    def forward(self, input, output_size=None):
        op = self._output_padding(input, output_size)
        return conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding, op, self.groups,
                                self.dilation)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution layer (``F.conv_transpose2d``): upsampling by the gradient of a
    convolution.  Parameters: in_channels, out_channels, kernel_size, stride=1, padding=0,
    output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros" (the only one torch
    allows here).  weight: (in_channels, out_channels/groups, kH, kW), U(−1/√fan_in, 1/√fan_in) with
    fan_in = out_channels/groups·kH·kW, as torch computes it.  ``forward(input, output_size=None)``.

    Examples
    --------
    >>> nn.ConvTranspose2d(16, 8, 3, stride=2)
    ConvTranspose2d(16, 8, kernel_size=(3, 3), stride=(2, 2))
    """

    _nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 groups=1, bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, True,
                         output_padding, groups, bias, padding_mode, device, dtype)

    def forward(self, input, output_size=None):
        op = self._output_padding(input, output_size)
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, op, self.groups,
                                self.dilation)
