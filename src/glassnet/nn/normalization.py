"""``LayerNorm``, ``BatchNorm1d``, ``BatchNorm2d``, ``GroupNorm``, ``InstanceNorm1d`` and
``InstanceNorm2d`` (torch's arguments, parameter names, buffers and reprs)."""
from __future__ import annotations

import warnings

from ..tensors.creation import ones, tensor, zeros
from . import functional as F
from . import init
from .module import Module, Parameter

__all__ = ["LayerNorm", "BatchNorm1d", "BatchNorm2d", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d"]


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


class _BatchNorm(Module):
    """What ``BatchNorm1d`` and ``BatchNorm2d`` share (torch's ``_BatchNorm``): normalise each of
    ``num_features`` channels (dimension 1) over the batch and every other dimension.

    Training uses the batch's mean and biased variance to normalise and moves the running
    statistics (r ← (1 − momentum)·r + momentum·batch statistic, the variance unbiased;
    ``momentum=None`` is the cumulative average, momentum = 1/num_batches_tracked); ``eval()``
    uses the running statistics, or the batch's when ``track_running_stats=False``.  See
    ``F.batch_norm``.

    Attributes
    ----------
    weight, bias : Parameter, shape (num_features,)   γ = 1, β = 0 (when ``affine``)
    running_mean, running_var : buffers, shape (num_features,)   0 and 1 (when tracked)
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

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input) -> None:
        raise NotImplementedError

    def forward(self, input):
        self._check_input_dim(input)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.item())
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        pass_buffers = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if pass_buffers else None,
                            self.running_var if pass_buffers else None,
                            self.weight, self.bias, use_batch, momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs, one mean and variance per channel C
    (see ``_BatchNorm`` for the statistics and ``F.batch_norm`` for the formula)."""

    def _check_input_dim(self, input) -> None:
        if input.dim() not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) inputs, one mean and variance per channel C over
    N·H·W values (see ``_BatchNorm`` for the statistics and ``F.batch_norm`` for the formula).

    Examples
    --------
    >>> bn = nn.BatchNorm2d(16)
    >>> bn(glassnet.randn(8, 16, 5, 5)).shape
    glassnet.Size([8, 16, 5, 5])
    """

    def _check_input_dim(self, input) -> None:
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class GroupNorm(Module):
    """Split the ``num_channels`` channels into ``num_groups`` groups and normalise each sample's
    group over its channels and positions, then scale and shift per channel (``F.group_norm``):

        y = (x − E[x]) / √(Var[x] + ε) · γ + β    (E, Var over one sample's group; Var biased)

    The same in training and evaluation (no running statistics).  ``num_groups=1`` normalises
    each sample over everything (a layer norm with per-channel γ, β); ``num_groups=num_channels``
    is an instance norm.

    Attributes
    ----------
    weight, bias : Parameter, shape (num_channels,)   γ = 1, β = 0 (when ``affine``)

    Examples
    --------
    >>> gn = nn.GroupNorm(2, 8)
    >>> gn(glassnet.randn(4, 8, 5, 5)).shape
    glassnet.Size([4, 8, 5, 5])
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device=None, dtype=None, *, bias: bool = True):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        _affine(self, num_channels, affine, bias, dtype, device)

    def reset_parameters(self) -> None:
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class _InstanceNorm(_BatchNorm):
    """What ``InstanceNorm1d`` and ``InstanceNorm2d`` share (torch's ``_InstanceNorm``): normalise
    each sample's channel over its positions (``F.instance_norm``).  The arguments, parameters,
    buffers and repr are batch norm's (torch's ``_NormBase``, here ``_BatchNorm``), with other
    defaults: ``affine=False`` and ``track_running_stats=False``.  With running statistics,
    training moves them (by the mean over the batch of each sample's statistics; the
    ``num_batches_tracked`` counter stays, as in torch) and ``eval()`` normalises with them.
    An input without the batch dimension is one sample.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum=0.1, affine: bool = False,
                 track_running_stats: bool = False, device=None, dtype=None, *, bias: bool = True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias=bias)

    _no_batch_dim = 0

    def forward(self, input):
        self._check_input_dim(input)
        feature_dim = input.dim() - self._no_batch_dim
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match num_features "
                                 f"({self.num_features}), but got: {input.shape[feature_dim]}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You can "
                          f"silence this warning by not passing in num_features, which is not used "
                          f"because affine=False", stacklevel=2)
        unbatched = input.dim() == self._no_batch_dim
        out = F.instance_norm(input.unsqueeze(0) if unbatched else input, self.running_mean,
                              self.running_var, self.weight, self.bias,
                              self.training or not self.track_running_stats,
                              self.momentum if self.momentum is not None else 0.0, self.eps)
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) inputs (or one (C, L) sample): each sample's channel
    normalised over its L positions (style transfer, CycleGAN); see ``_InstanceNorm``."""

    _no_batch_dim = 2

    def _check_input_dim(self, input) -> None:
        if input.dim() not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) inputs (or one (C, H, W) sample): each sample's
    channel normalised over its H·W positions; see ``_InstanceNorm``.

    Examples
    --------
    >>> inorm = nn.InstanceNorm2d(3)
    >>> inorm(glassnet.randn(2, 3, 8, 8)).shape
    glassnet.Size([2, 3, 8, 8])
    """

    _no_batch_dim = 3

    def _check_input_dim(self, input) -> None:
        if input.dim() not in (3, 4):
            raise ValueError(f"expected 3D or 4D input (got {input.dim()}D input)")
