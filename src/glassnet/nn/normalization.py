"""``LayerNorm`` and ``BatchNorm1d`` (torch's arguments, parameter names, buffers and reprs)."""
from __future__ import annotations

from ..tensors.creation import ones, tensor, zeros
from . import functional as F
from .module import Module, Parameter

__all__ = ["LayerNorm", "BatchNorm1d"]


def _affine(module, shape, affine: bool, bias: bool, dtype, device) -> None:
    """γ (``weight``, ones) and β (``bias``, zeros) of ``shape``; None where not learnt."""
    if affine:
        module.weight = Parameter(ones(shape, dtype=dtype, device=device))
        if bias:
            module.bias = Parameter(zeros(shape, dtype=dtype, device=device))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


class LayerNorm(Module):
    """Normalise each sample over its last dimensions (``normalized_shape``), then scale and shift.

        y = (x − E[x]) / √(Var[x] + ε) · γ + β

    Parameters
    ----------
    normalized_shape : int or tuple of int
        The trailing shape normalised over, e.g. the feature count.
    eps : float, default 1e-5
    elementwise_affine : bool, default True
        Learn γ (``weight``, ones) and β (``bias``, zeros) of shape ``normalized_shape``.
    bias : bool, default True
        Learn β (with ``elementwise_affine``).
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine

        _affine(self, shape, elementwise_affine, bias, dtype, device)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class BatchNorm1d(Module):
    """Normalise each of ``num_features`` channels over the batch: input (N, C) or (N, C, L).

    Training uses the batch's mean and (biased) variance and updates the running statistics
    (r ← (1 − momentum)·r + momentum·batch statistic, the variance unbiased); ``eval()`` uses
    the running statistics.  See ``F.batch_norm``.

    Attributes
    ----------
    weight, bias : Parameter, shape (num_features,)   γ = 1, β = 0 (when ``affine``)
    running_mean, running_var : buffers, shape (num_features,)   0 and 1
    num_batches_tracked : buffer, int64 scalar
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum=0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _affine(self, num_features, affine, bias, dtype, device)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", tensor(0))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1.0)
            self.num_batches_tracked.zero_()

    def forward(self, input):
        if input.dim() not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")
        if input.shape[1] != self.num_features:
            raise RuntimeError(f"running_mean should contain {input.shape[1]} elements not "
                               f"{self.num_features}: BatchNorm1d({self.num_features}) expects "
                               f"inputs of shape (N, {self.num_features}) or (N, {self.num_features}, L)")
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if momentum is None:  # a cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.item())
        use_batch = self.training or not self.track_running_stats
        return F.batch_norm(input, self.running_mean if not use_batch or self.training else None,
                            self.running_var if not use_batch or self.training else None,
                            self.weight, self.bias, use_batch, momentum if momentum is not None else 0.0,
                            self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")
