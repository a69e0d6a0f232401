"""Lazy modules: layers whose input size is read from the first input, torch's
``LazyModuleMixin``, ``nn.LazyLinear``, ``nn.LazyConv1d``/``2d``, ``nn.LazyConvTranspose1d``/``2d``
and ``nn.LazyBatchNorm1d``/``2d`` (d2l writes its CNNs with these).

Until its first call a lazy module holds ``UninitializedParameter``s (and a lazy batch norm
``UninitializedBuffer``s for its running statistics; ``nn/parameter.py``): no shape, no values.  The first call, before any forward hook, runs ``initialize_parameters(input)``
— ``LazyLinear`` sets ``in_features = input.shape[-1]``, materializes ``weight``
(out_features, in_features) and ``bias``, and draws them as ``Linear`` does — then the module
*becomes* its ``cls_to_become`` (``LazyLinear`` → ``Linear``; its class changes in place).

Materializing changes the parameter objects in place, so everything that holds them already
(an optimizer built before the first forward, as torch allows; ``parameters()`` lists) keeps
working.  ``load_state_dict`` with real tensors materializes them with the loaded shapes; the
module stays lazy until its first call, as in torch.
"""
from __future__ import annotations

from ..tensors.tensor import tensor
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .layers import Linear
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d
from .parameter import UninitializedBuffer, UninitializedParameter, _Uninitialized

__all__ = ["LazyModuleMixin", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConvTranspose1d",
           "LazyConvTranspose2d", "LazyBatchNorm1d", "LazyBatchNorm2d"]


def is_lazy(param) -> bool:
    return isinstance(param, _Uninitialized)


class LazyModuleMixin:
    """What lazy modules share: ``has_uninitialized_params()``, the first call's
    ``initialize_parameters`` and class change, and materializing on ``load_state_dict``."""

    cls_to_become = None

    def has_uninitialized_params(self) -> bool:
        """True while some parameter or buffer of this module (not its children) has no shape."""
        return any(is_lazy(p) for p in list(self._parameters.values()) + list(self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs) -> None:
        """Materialize the parameters from the first input (each lazy module writes its own)."""
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    def __call__(self, *args, **kwargs):
        if not self.__dict__.get("_lazy_done"):
            self._infer_parameters(args, kwargs)
        return Module.__call__(self, *args, **kwargs)

    def _infer_parameters(self, args, kwargs=None) -> None:
        self.initialize_parameters(*args, **(kwargs or {}))
        if self.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        if self.cls_to_become is not None:
            self.__class__ = self.cls_to_become
        else:
            self._lazy_done = True

    def _load_local(self, state_dict, prefix, assign, missing, unexpected, errors):
        for name, param in list(self._parameters.items()) + list(self._buffers.items()):
            key = prefix + name
            if key in state_dict and is_lazy(param) and not is_lazy(state_dict[key]):
                param.materialize(tuple(state_dict[key].shape))
        super()._load_local(state_dict, prefix, assign, missing, unexpected, errors)


class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` whose ``in_features`` is the last size of its first input.

    Parameters
    ----------
    out_features : int
    bias : bool, default True

    Before the first call ``in_features`` is 0 and ``weight``/``bias`` are
    ``UninitializedParameter``s; the first call makes the module a ``Linear``, drawing the
    weights as ``Linear`` does (U(−1/√in, 1/√in)).

    Examples
    --------
    >>> layer = nn.LazyLinear(3)
    >>> layer(glassnet.zeros(2, 5)).shape
    glassnet.Size([2, 3])
    >>> layer
    Linear(in_features=5, out_features=3, bias=True)
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None):
        Module.__init__(self)
        self.in_features = 0
        self.out_features = out_features
        self.weight = UninitializedParameter(dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()
        if self.in_features == 0:
            if input.shape[-1] != self.weight.shape[-1]:
                raise AssertionError(f"The in_features inferred from input: {input.shape[-1]} is not equal to "
                                     f"in_features from self.weight: {self.weight.shape[-1]}")
            self.in_features = input.shape[-1]


class _LazyConvNd(LazyModuleMixin):
    """A convolution whose ``in_channels`` is dimension 1 of its first input (dimension 0 of an
    unbatched one); ``weight`` is then (out, in/groups, *kernel), or (in, out/groups, *kernel)
    for a transposed one, drawn as the layer it becomes draws it."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, device, dtype)
        self._lazy_init(out_channels, bias, dtype)

    def _lazy_init(self, out_channels, bias, dtype) -> None:
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if not self.has_uninitialized_params():
            return
        dims = len(self.kernel_size) + 1  # the channels and the spatial dimensions
        if input.dim() not in (dims, dims + 1):
            raise RuntimeError(f"Expected {dims}D (unbatched) or {dims + 1}D (batched) input to "
                               f"{type(self).__name__}, but got input of size: {input.shape}")
        self.in_channels = input.shape[1] if input.dim() == dims + 1 else input.shape[0]
        if self.in_channels % self.groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        shape = ((self.in_channels, self.out_channels // self.groups) if self.transposed
                 else (self.out_channels, self.in_channels // self.groups)) + self.kernel_size
        self.weight.materialize(shape)
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


class LazyConv1d(_LazyConvNd, Conv1d):
    """``Conv1d`` whose ``in_channels`` is read from the first input; it becomes a ``Conv1d``."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConvNd, Conv2d):
    """``Conv2d`` whose ``in_channels`` is read from the first input; it becomes a ``Conv2d``.

    Examples
    --------
    >>> conv = nn.LazyConv2d(6, kernel_size=5, padding=2)
    >>> conv(glassnet.zeros(1, 1, 28, 28)).shape
    glassnet.Size([1, 6, 28, 28])
    >>> conv
    Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
    """

    cls_to_become = Conv2d


class _LazyConvTransposeNd(_LazyConvNd):
    """A transposed convolution's arguments (output_padding before groups, dilation after bias)."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, padding_mode="zeros", device=None, dtype=None):
        super(_LazyConvNd, self).__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False,
                                          dilation, padding_mode, device, dtype)
        self._lazy_init(out_channels, bias, dtype)


class LazyConvTranspose1d(_LazyConvTransposeNd, ConvTranspose1d):
    """``ConvTranspose1d`` whose ``in_channels`` is read from the first input."""

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTransposeNd, ConvTranspose2d):
    """``ConvTranspose2d`` whose ``in_channels`` is read from the first input."""

    cls_to_become = ConvTranspose2d


class _LazyBatchNorm(LazyModuleMixin):
    """A batch norm whose ``num_features`` is dimension 1 of its first input: γ, β and the
    running statistics get that length (γ = 1, β = 0, mean 0, variance 1, as ``BatchNorm``)."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None,
                 *, bias=True):
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = UninitializedParameter(dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(dtype=dtype)
            self.running_var = UninitializedBuffer(dtype=dtype)
            self.num_batches_tracked = tensor(0)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:
        if not self.has_uninitialized_params():
            return
        self.num_features = input.shape[1]
        for name in ("weight", "bias", "running_mean", "running_var"):
            value = getattr(self, name)
            if value is not None:
                value.materialize((self.num_features,))
        self.reset_parameters()


class LazyBatchNorm1d(_LazyBatchNorm, BatchNorm1d):
    """``BatchNorm1d`` whose ``num_features`` is read from the first input."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyBatchNorm, BatchNorm2d):
    """``BatchNorm2d`` whose ``num_features`` is read from the first input.

    Examples
    --------
    >>> bn = nn.LazyBatchNorm2d()
    >>> bn(glassnet.zeros(2, 16, 3, 3)).shape
    glassnet.Size([2, 16, 3, 3])
    >>> bn
    BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """

    cls_to_become = BatchNorm2d
