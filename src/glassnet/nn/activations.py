"""Activation layers: each is a thin ``Module`` around the function in ``functional``, with
torch's constructor arguments and repr."""
from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "GELU", "SiLU", "Mish"]


class ReLU(Module):
    """Rectified linear unit, element-wise.

        ReLU(x) = max(0, x),    ReLU′(x) = 1 if x > 0 else 0

    Parameters
    ----------
    inplace : bool, default False
        Accepted (and shown in the repr) for compatibility; glassnet always returns a new tensor,
        because writing in place would destroy values the backward pass needs.

    Examples
    --------
    >>> nn.ReLU()(glassnet.tensor([-2.0, 0.0, 3.0]))
    tensor([0., 0., 3.])
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return input.relu()

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """Leaky ReLU, element-wise.

        LeakyReLU(x) = x if x > 0 else a·x,    derivative 1 or a

    Parameters
    ----------
    negative_slope : float, default 0.01
        The slope a for x ≤ 0.
    inplace : bool, default False
        Accepted for compatibility (see ``ReLU``).
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return input.leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    """Logistic sigmoid, squashing scores into (0, 1).

        σ(x) = 1 / (1 + e^−x),    σ′(x) = σ(x)·(1 − σ(x))

    Examples
    --------
    >>> nn.Sigmoid()(glassnet.tensor([0.0]))
    tensor([0.5000])
    """

    def forward(self, input):
        return input.sigmoid()


class Tanh(Module):
    """Hyperbolic tangent, into (−1, 1).

        tanh(x) = (e^x − e^−x) / (e^x + e^−x),    tanh′(x) = 1 − tanh²(x)
    """

    def forward(self, input):
        return input.tanh()


class Softmax(Module):
    """Softmax along ``dim``: positive values summing to 1.

        softmax(x)ᵢ = e^(xᵢ) / Σⱼ e^(xⱼ),    ∂softmaxᵢ/∂xⱼ = softmaxᵢ·(δᵢⱼ − softmaxⱼ)

    Parameters
    ----------
    dim : int
        The dimension that sums to 1 (omitting it warns, as in torch).

    Examples
    --------
    >>> nn.Softmax(dim=1)(glassnet.tensor([[0.0, 0.0]]))
    tensor([[0.5000, 0.5000]])
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """Log of softmax along ``dim``, computed stably; pair it with ``NLLLoss``.

        log_softmax(x)ᵢ = xᵢ − log Σⱼ e^(xⱼ),    ∂log_softmaxᵢ/∂xⱼ = δᵢⱼ − softmaxⱼ

    Parameters
    ----------
    dim : int
        The dimension over which the softmax is taken.
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.log_softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class GELU(Module):
    """Gaussian error linear unit (Φ: standard normal CDF, φ: its density).

        GELU(x) = x·Φ(x) = ½x·(1 + erf(x/√2)),    GELU′(x) = Φ(x) + x·φ(x)

    Parameters
    ----------
    approximate : {'none', 'tanh'}, default 'none'
        'tanh' computes ½x·(1 + tanh(√(2/π)·(x + 0.044715x³))) instead.
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"



class _InplaceFlag(Module):
    """An element-wise layer with torch's ``inplace`` option: accepted and shown in the repr for
    compatibility; the result is always a new tensor."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class SiLU(_InplaceFlag):
    """Sigmoid linear unit (swish), element-wise.

        SiLU(x) = x·σ(x),    SiLU′(x) = σ(x)·(1 + x·(1 − σ(x)))
    """

    def forward(self, input):
        return F.silu(input)


class Mish(_InplaceFlag):
    """Mish, element-wise: x·tanh(softplus(x))."""

    def forward(self, input):
        return F.mish(input)
