"""``Parameter``: a tensor that a ``Module`` registers as learnable when it is assigned."""
from __future__ import annotations

import numpy as np

from ..autograd.engine import TensorBase
from ..tensors.creation import from_numpy
from ..tensors.tensor import Tensor, tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A tensor that is a module's learnable value: assigning it to a ``Module`` attribute
    registers it, so ``model.parameters()`` yields it to the optimizer.

    Parameters
    ----------
    data : Tensor
        The initial value (memory is shared, as in torch).
    requires_grad : bool, default True
        ``False`` freezes it: the optimizer gets no gradient for it and leaves it unchanged.

    Examples
    --------
    >>> w = nn.Parameter(glassnet.tensor(1.7), requires_grad=False)
    >>> w
    Parameter containing:
    tensor(1.7000)
    """

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = tensor([])
        elif isinstance(data, np.ndarray):
            data = from_numpy(data)
        elif not isinstance(data, Tensor):
            data = tensor(data)
        source = data.detach()  # a fresh leaf sharing data's memory, every slot set
        for slot in TensorBase.__slots__:
            if slot != "__weakref__":
                object.__setattr__(self, slot, getattr(source, slot))
        if requires_grad:
            self.requires_grad = True

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(Tensor._from_array(np.array(self.array, copy=True)), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (np.array(self.array, copy=True), self.requires_grad))


def _rebuild_parameter(array, requires_grad):
    return Parameter(Tensor._from_array(array), requires_grad)
