"""Lazy modules: layers whose input size is read from the first input, torch's
``LazyModuleMixin`` and ``nn.LazyLinear``.

Until its first call a lazy module holds ``UninitializedParameter``s (``nn/parameter.py``): no
shape, no values.  The first call, before any forward hook, runs ``initialize_parameters(input)``
— ``LazyLinear`` sets ``in_features = input.shape[-1]``, materializes ``weight``
(out_features, in_features) and ``bias``, and draws them as ``Linear`` does — then the module
*becomes* its ``cls_to_become`` (``LazyLinear`` → ``Linear``; its class changes in place).

Materializing changes the parameter objects in place, so everything that holds them already
(an optimizer built before the first forward, as torch allows; ``parameters()`` lists) keeps
working.  ``load_state_dict`` with real tensors materializes them with the loaded shapes; the
module stays lazy until its first call, as in torch.
"""
from __future__ import annotations

from .layers import Linear
from .module import Module
from .parameter import UninitializedParameter

__all__ = ["LazyModuleMixin", "LazyLinear"]


def is_lazy(param) -> bool:
    return isinstance(param, UninitializedParameter)


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
