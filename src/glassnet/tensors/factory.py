"""``Tensor.new_*``: new tensors that take this tensor's dtype (and device) unless told otherwise
(mixed into ``glassnet.Tensor``).  ``x.new_zeros(2, 3)`` is ``glassnet.zeros(2, 3, dtype=x.dtype)``."""
from __future__ import annotations

import numpy as np

from . import dtypes
from .arguments import _scalar_if_0d, _shape_arg
from .device import check_device
from ..autograd.engine import TensorBase
from ..ops import elementwise as E



class FactoryMethods:
    __slots__ = ()

    def _new(self, array, dtype, device, requires_grad):
        check_device(device)
        target = (dtypes.as_dtype(dtype) if dtype is not None else self.dtype).np
        array = np.asarray(array)
        if array.dtype != target:
            array = E.to_numpy_dtype(array, target)
        out = self._from_array(_scalar_if_0d(array))
        if requires_grad:
            out.requires_grad = True
        return out

    def new_zeros(self, size, *more, dtype=None, device=None, requires_grad=False, layout=None,
                 pin_memory=False):
        """Zeros of shape ``size`` (``new_zeros(2, 3)`` or ``new_zeros((2, 3))``), in this tensor's
        dtype unless ``dtype`` is given."""
        return self._new(np.zeros(_shape_arg((size,) + more)), dtype, device, requires_grad)

    def new_ones(self, size, *more, dtype=None, device=None, requires_grad=False, layout=None,
                 pin_memory=False):
        """Ones of shape ``size``, in this tensor's dtype unless ``dtype`` is given."""
        return self._new(np.ones(_shape_arg((size,) + more)), dtype, device, requires_grad)

    def new_empty(self, size, *more, dtype=None, device=None, requires_grad=False, layout=None,
                 pin_memory=False):
        """A tensor of shape ``size`` (glassnet fills it with zeros; torch leaves it uninitialised)."""
        return self.new_zeros(size, *more, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
                 pin_memory=False):
        """``fill_value`` everywhere in shape ``size``, in this tensor's dtype unless ``dtype`` is
        given (``fill_value`` is cast: 1.5 in an int64 tensor's ``new_full`` is 1)."""
        if isinstance(fill_value, TensorBase):
            fill_value = fill_value.array
        return self._new(np.full(_shape_arg((size,)), fill_value), dtype, device, requires_grad)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None,
                   pin_memory=False):
        """A copy of ``data`` in this tensor's dtype unless ``dtype`` is given (unlike
        ``glassnet.tensor``, which infers the dtype from ``data``)."""
        array = np.array(data.array if isinstance(data, TensorBase) else data)
        return self._new(array, dtype, device, requires_grad)
