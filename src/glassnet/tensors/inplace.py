"""``Tensor``'s in-place operations (mixed into ``glassnet.Tensor``): each writes into the
tensor's memory and bumps its version counter, so a backward that saved the old value can tell."""
from __future__ import annotations

import numpy as np

from .arguments import _index_key, _scalar_if_0d
from ..autograd.engine import MUTATIONS, STATE, TensorBase
from ..ops import elementwise as E
from ..ops import shape as S
from .movement import rebase, stand_in
from ..random import default_generator


_UFUNC = {E.Add: np.add, E.Sub: np.subtract, E.Mul: np.multiply, E.Div: np.true_divide}


class InPlaceMethods:
    __slots__ = ()

    # -- in-place (bump the version counter) ---------------------------------------------
    def _inplace(self, name: str, value, ufunc=None) -> "Tensor":
        """Write ``value`` (or ``ufunc(self, value)``) into this tensor's memory and bump its
        version.  Allowed only when no graph is being built through this tensor."""
        if STATE.grad_enabled and self._requires_grad:
            if self.grad_fn is None:
                raise RuntimeError(f"a leaf Variable that requires grad is being used in an in-place "
                                   f"operation ({name}). Wrap the update in `with glassnet.no_grad():`.")
            raise RuntimeError(f"{name}: glassnet does not record in-place operations on tensors inside "
                               f"the autograd graph; write it out of place (x = x + y).")
        value = value.array if isinstance(value, TensorBase) else value
        a = self.array
        if type(a) is np.ndarray and a.ndim > 0:
            if ufunc is not None:
                ufunc(a, value, out=a, casting="unsafe")
            elif type(value) is int and value == 0:
                a.fill(0)
            else:
                np.copyto(a, value, casting="unsafe")
        else:  # a NumPy scalar (immutable) or a 0-d value: replace it
            new = value if ufunc is None else ufunc(a, value)
            self.array = new if type(new) is type(a) else _scalar_if_0d(np.array(new, dtype=a.dtype))
        MUTATIONS[0] += 1
        self._version = MUTATIONS[0]
        return self

    def _value(self, other):
        return other.array if isinstance(other, TensorBase) else self._lift(other).array

    def add_(self, other, alpha=1):
        value = self._value(other)
        return self._inplace("add_", value * alpha if alpha != 1 else value, np.add)

    def sub_(self, other, alpha=1):
        value = self._value(other)
        return self._inplace("sub_", value * alpha if alpha != 1 else value, np.subtract)

    def mul_(self, other): return self._inplace("mul_", self._value(other), np.multiply)
    def div_(self, other, *, rounding_mode=None):
        if rounding_mode is not None:
            return self.copy_(self.div(other, rounding_mode=rounding_mode))
        return self._inplace("div_", self._value(other), np.true_divide)
    def zero_(self): return self._inplace("zero_", 0)
    def fill_(self, value): return self._inplace("fill_", self._value(value))

    def copy_(self, src):
        src_arr = src.array if isinstance(src, TensorBase) else np.asarray(src)
        if np.broadcast_shapes(np.shape(src_arr), self.shape) != tuple(self.shape):
            raise RuntimeError(f"copy_: source of shape {tuple(np.shape(src_arr))} cannot be copied into "
                               f"a tensor of shape {tuple(self.shape)}")
        return self._inplace("copy_", src_arr)

    def clamp_(self, min=None, max=None):  # noqa: A002
        return self._inplace("clamp_", np.clip(self.array, min, max))

    # in-place shape changes: the same values under a new shape (torch allows them where no graph
    # records this tensor's old shape; glassnet, like its other in-place ops, only outside a graph)
    def _reshape_inplace(self, name: str, out) -> "Tensor":
        if STATE.grad_enabled and self._requires_grad:
            if self.grad_fn is None:
                raise RuntimeError(f"a leaf Variable that requires grad is being used in an in-place "
                                   f"operation ({name}). Wrap it in `with glassnet.no_grad():`.")
            raise RuntimeError(f"{name}: glassnet does not record in-place operations on tensors inside "
                               f"the autograd graph; write it out of place (x = x.{name[:-1]}(...)).")
        self.array = out.array
        MUTATIONS[0] += 1
        self._version = MUTATIONS[0]
        return self

    def unsqueeze_(self, dim: int): return self._reshape_inplace("unsqueeze_", self.detach().unsqueeze(dim))
    def squeeze_(self, dim=None): return self._reshape_inplace("squeeze_", self.detach().squeeze(dim))

    def t_(self):
        if self.ndim > 2:
            raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self._reshape_inplace("t_", self.detach().t())

    def __setitem__(self, key, value):
        if STATE.grad_enabled and (self._requires_grad or isinstance(value, TensorBase) and value._requires_grad):
            if self.grad_fn is None and self._requires_grad:
                self._inplace("__setitem__", None)  # raises torch's leaf error
            # a tensor inside the graph (dlogits[range(n), Yb] -= 1): it takes the write's history
            if isinstance(value, TensorBase):
                v = value if value.array.dtype == self.array.dtype else value.to(self.dtype)
                result = S.IndexPut.apply(stand_in(self), v, key=_index_key(key))
            else:
                result = S.IndexPut.apply(stand_in(self), key=_index_key(key), value=value)
            rebase(self, result, "__setitem__")
            return
        new = np.array(self.array, copy=True)
        new[_index_key(key)] = value.array if isinstance(value, TensorBase) else value
        self._inplace("__setitem__", new)

    def _augmented(self, op, other, name):
        """``x += y``: in place when no graph is recorded, else rebinds ``x`` to ``x + y``."""
        if STATE.grad_enabled and (self._requires_grad or (isinstance(other, TensorBase) and other.requires_grad)):
            if self.grad_fn is None and self._requires_grad:
                raise RuntimeError(f"a leaf Variable that requires grad is being used in an in-place "
                                   f"operation ({name}). Wrap the update in `with glassnet.no_grad():`.")
            return self._binary(op, other)
        return self._inplace(name, self._value(other), _UFUNC[op])

    def __iadd__(self, other): return self._augmented(E.Add, other, "+=")
    def __isub__(self, other): return self._augmented(E.Sub, other, "-=")
    def __imul__(self, other): return self._augmented(E.Mul, other, "*=")
    def __itruediv__(self, other): return self._augmented(E.Div, other, "/=")

    # random fills (used by glassnet.nn.init)
    def uniform_(self, from_: float = 0.0, to: float = 1.0, *, generator=None):
        gen = generator or default_generator
        return self._inplace("uniform_", gen.uniform(from_, to, tuple(self.shape)))

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None):
        gen = generator or default_generator
        return self._inplace("normal_", gen.normal(mean, std, tuple(self.shape)))
