"""``Tensor``'s conversions (mixed into ``glassnet.Tensor``): to NumPy and Python values,
between dtypes, and the device moves torch programs make (``.to(device)``, ``.cpu()``, ``.cuda()``)."""
from __future__ import annotations

import builtins

import numpy as np

from . import dtypes
from .device import check_device
from ..autograd.engine import TensorBase
from ..ops import elementwise as E
from ..ops import shape as S


class ConversionMethods:
    __slots__ = ()

    # -- conversion -----------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return np.asarray(self.array)

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def item(self):
        a = self.array
        if type(a) is not np.ndarray:  # a NumPy scalar
            return a.item()
        if np.size(self.array) != 1:
            raise RuntimeError(f"a Tensor with {np.size(self.array)} elements cannot be converted to "
                               f"Scalar; index one element first, or use .tolist()")
        value = np.asarray(self.array).reshape(()).item() if self.array.dtype != object \
            else np.asarray(self.array).reshape(-1)[0]
        return value

    def tolist(self):
        return np.asarray(self.array).tolist()

    def __float__(self):
        return builtins.float(self.item())

    def __int__(self):
        return builtins.int(self.item())

    def __index__(self):
        if self.array.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self.item())

    def __bool__(self):
        if np.size(self.array) != 1:
            raise RuntimeError(f"Boolean value of Tensor with {np.size(self.array)} values is ambiguous; "
                               f"use .any() or .all()")
        return builtins.bool(self.item())

    def __len__(self) -> int:
        if np.ndim(self.array) == 0:
            raise TypeError("len() of a 0-d tensor")
        return np.shape(self.array)[0]

    def __iter__(self):
        if np.ndim(self.array) == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self)))


    def to(self, *args, device=None, dtype=None, non_blocking=False, copy=False, other=None,
           memory_format=None) -> "Tensor":
        """``.to(dtype)``, ``.to("cpu")``, ``.to(device, dtype)``, ``.to(other)``: device moves are
        no-ops on the CPU; ``"cuda"`` and ``"mps"`` raise torch's error for a CPU-only build."""
        target = dtype
        for arg in list(args) + [device, other]:
            if arg is None:
                continue
            if isinstance(arg, (str, dtypes.device, builtins.int)) and not isinstance(arg, builtins.bool):
                check_device(arg)  # torch's error for a device glassnet has not (cuda, mps)
            elif isinstance(arg, TensorBase):
                target = arg.dtype
            else:
                target = arg
        if target is None:
            return self.clone() if copy else self
        d = dtypes.as_dtype(target)
        if d.np == self.array.dtype:
            return self.clone() if copy else self
        return E.Cast.apply(self, dtype=d.np)

    def type(self, dtype=None, non_blocking=False):
        """``x.type()`` is the legacy type's name (``"glassnet.FloatTensor"``, torch's
        ``"torch.FloatTensor"``); ``x.type(torch.DoubleTensor)``, ``x.type("torch.LongTensor")`` and
        ``x.type(torch.float64)`` convert."""
        if dtype is None:
            return f"glassnet.{dtypes.legacy_name(self.dtype)}"
        return self.to(dtypes.as_dtype(dtype))

    def half(self):
        return self.to(dtypes.float16)  # raises the one line: glassnet computes in float32/float64

    def bfloat16(self):
        return self.to(dtypes.bfloat16)

    def byte(self):
        return self.to(dtypes.uint8)

    def double(self):
        return self.to(dtypes.float64)

    def float(self):
        return self.to(dtypes.float32)

    def long(self):
        return self.to(dtypes.int64)

    def int(self):
        return self.to(dtypes.int32)

    def bool(self):
        return self.to(dtypes.bool)

    def cpu(self):
        return self

    def cuda(self, device=None, non_blocking=False):
        check_device("cuda")

    def clone(self) -> "Tensor":
        return E.Add.apply(self, self._from_array(np.zeros((), self.array.dtype))) if self._requires_grad \
            else self._from_array(np.array(self.array, copy=True))

    def is_contiguous(self, memory_format=None) -> bool:
        """True when the values lie in memory row after row (as after ``contiguous()``); False
        after ``transpose``/``permute``/``expand`` or a strided slice, where ``view`` may fail."""
        a = self.array
        return type(a) is not np.ndarray or a.size <= 1 or a.flags.c_contiguous

    def contiguous(self, memory_format=None) -> "Tensor":
        """This tensor if its values lie row after row, else a copy that does (same values, the
        gradient passes through); ``view`` then works for any shape of the same size."""
        if self.is_contiguous():
            return self
        return S.Contiguous.apply(self)
