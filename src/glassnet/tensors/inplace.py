"""``Tensor``'s in-place operations (mixed into ``glassnet.Tensor``): each writes into the
tensor's memory and bumps its version counter, so a backward that saved the old value can tell."""
from __future__ import annotations

import numpy as np

from .arguments import _index_key, _scalar_if_0d, alpha_first
from ..autograd.broadcasting import broadcast_message, broadcast_shape
from ..autograd.engine import MUTATIONS, STATE, TensorBase
from ..ops import elementwise as E
from ..ops import shape as S
from .movement import _TYPE_NAME, _write_back, in_graph, rebase, stand_in, write_in_graph
from ..random import default_generator


#: in-place unary ops whose result is floating point: an integer tensor cannot hold it (torch raises)
_FLOAT_RESULT = {"exp", "log", "sqrt", "sigmoid", "tanh", "sin", "cos", "asin", "sinh", "cosh", "exp2",
                 "expm1", "log1p", "log2", "log10", "rsqrt", "reciprocal"}
_UFUNC = {E.Add: np.add, E.Sub: np.subtract, E.Mul: np.multiply, E.Div: np.true_divide}
#: bool < integer < float: an in-place op whose operands promote to a higher kind cannot write its result
_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}
#: the C++ names torch's message gives the tensor's type when the other operands are Python numbers
_CPP_NAME = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
             "uint8": "unsigned char", "bool": "bool"}


def _inplace_shape_message(shape, other) -> str:
    """torch's error for an in-place op whose other operand does not fit this tensor's shape."""
    try:
        result = np.broadcast_shapes(shape, other)
    except ValueError:
        return broadcast_message([shape, other])
    return (f"output with shape {list(shape)} doesn't match the broadcast shape {list(result)}: an "
            f"in-place op keeps its tensor's shape, so the other operand may not add dimensions or "
            f"stretch any. Write it out of place (x = x + y) to get the broadcast shape.")


def _refuse_cast(tensor, others, name: str, cpp_names: bool = False) -> None:
    """torch's error when the operands of an in-place op promote to a kind (bool < int < float) the
    tensor cannot hold, e.g. ``int_tensor.clamp_(0.5)``; the tensor is left unchanged."""
    mine = _KIND_RANK.get(tensor.array.dtype.kind)
    best = None
    for v in others:
        if isinstance(v, TensorBase):
            kind, word = v.array.dtype.kind, _TYPE_NAME.get(v.array.dtype.name, str(v.array.dtype))
        elif isinstance(v, (bool, np.bool_)) or v is None:
            continue
        elif isinstance(v, (int, np.integer)):
            kind, word = "i", "Long"
        elif isinstance(v, (float, np.floating)):
            kind, word = "f", "Float"
        else:
            continue
        rank = _KIND_RANK.get(kind)
        if mine is not None and rank is not None and rank > mine and (best is None or rank > best[0]):
            best = rank, word
    if best is not None:
        dt = tensor.array.dtype.name
        scalars = cpp_names and not any(isinstance(v, TensorBase) for v in others)
        target = _CPP_NAME.get(dt, dt) if scalars else _TYPE_NAME.get(dt, dt)
        raise RuntimeError(f"result type {best[1]} can't be cast to the desired output type {target}: an "
                           f"in-place op keeps its tensor's dtype. Convert first (x = x.float()) or write "
                           f"it out of place (x = x.{name.rstrip('_')}(...)).")


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
            try:
                if ufunc is not None:
                    ufunc(a, value, out=a, casting="unsafe")
                elif type(value) is int and value == 0:
                    a.fill(0)
                else:
                    np.copyto(a, value, casting="unsafe")
            except ValueError as err:
                if "broadcast" not in str(err):
                    raise
                raise RuntimeError(_inplace_shape_message(a.shape, np.shape(value))) from None
        else:  # a NumPy scalar (immutable) or a 0-d value: replace it
            new = value if ufunc is None else ufunc(a, value)
            self.array = new if type(new) is type(a) else _scalar_if_0d(np.array(new, dtype=a.dtype))
        MUTATIONS[0] += 1
        self._version = MUTATIONS[0]
        return self

    def _value(self, other):
        return other.array if isinstance(other, TensorBase) else self._lift(other).array

    # each in-place method below: outside a graph, a write into this tensor's memory; on a tensor
    # in the graph (a non-leaf, or written from a tensor that requires grad), the op recorded as
    # torch records it (``write_in_graph``): a leaf that requires grad raises torch's error
    def add_(self, other, alpha=1):
        other, alpha = alpha_first("add_", other, alpha)
        if in_graph(self, other):
            return write_in_graph(self, "add_", lambda old: old.add(other, alpha=alpha))
        value = self._value(other)
        return self._inplace("add_", value * alpha if alpha != 1 else value, np.add)

    def sub_(self, other, alpha=1):
        other, alpha = alpha_first("sub_", other, alpha)
        if in_graph(self, other):
            return write_in_graph(self, "sub_", lambda old: old.sub(other, alpha=alpha))
        value = self._value(other)
        return self._inplace("sub_", value * alpha if alpha != 1 else value, np.subtract)

    def mul_(self, other):
        if in_graph(self, other):
            return write_in_graph(self, "mul_", lambda old: old * other)
        return self._inplace("mul_", self._value(other), np.multiply)

    def div_(self, other, *, rounding_mode=None):
        if rounding_mode is not None or in_graph(self, other):
            return _write_back(self, "div_", lambda old: old.div(other, rounding_mode=rounding_mode), other)
        return self._inplace("div_", self._value(other), np.true_divide)

    def zero_(self):
        if in_graph(self):
            return write_in_graph(self, "zero_", lambda old: old * 0)
        return self._inplace("zero_", 0)

    def fill_(self, value):
        if in_graph(self, value):
            return write_in_graph(self, "fill_", lambda old: old * 0 + value)
        return self._inplace("fill_", self._value(value))

    def copy_(self, src, non_blocking=False):
        src_arr = src.array if isinstance(src, TensorBase) else np.asarray(src)
        if np.broadcast_shapes(np.shape(src_arr), self.shape) != tuple(self.shape):
            raise RuntimeError(f"copy_: source of shape {tuple(np.shape(src_arr))} cannot be copied into "
                               f"a tensor of shape {tuple(self.shape)}")
        if in_graph(self, src):
            return write_in_graph(self, "copy_", lambda old: old * 0 + src)
        return self._inplace("copy_", src_arr)

    def clamp_(self, min=None, max=None):  # noqa: A002
        _refuse_cast(self, (min, max), "clamp_", cpp_names=True)
        if in_graph(self, min, max):
            return write_in_graph(self, "clamp_", lambda old: old.clamp(min, max))
        return self._inplace("clamp_", np.clip(self.array, min, max))

    def clamp_min_(self, min): return self.clamp_(min=min)  # noqa: A002
    def clamp_max_(self, max): return self.clamp_(max=max)  # noqa: A002

    def _unary_(self, name: str, *args):
        if name in _FLOAT_RESULT and self.array.dtype.kind in "biu":
            raise RuntimeError(f"{name}_: result type Float can't be cast to the desired output type "
                               f"{self.dtype}; compute it out of place (x.{name}()) or convert first "
                               f"(x = x.float())")
        return _write_back(self, name + "_", lambda old: getattr(old, name)(*args))

    def exp_(self): return self._unary_("exp")
    def log_(self): return self._unary_("log")
    def sqrt_(self): return self._unary_("sqrt")
    def abs_(self): return self._unary_("abs")
    def neg_(self): return self._unary_("neg")
    def relu_(self): return self._unary_("relu")
    def sigmoid_(self): return self._unary_("sigmoid")
    def tanh_(self): return self._unary_("tanh")
    def sin_(self): return self._unary_("sin")
    def cos_(self): return self._unary_("cos")
    def asin_(self): return self._unary_("asin")
    def arcsin_(self): return self._unary_("asin")
    def sinh_(self): return self._unary_("sinh")
    def cosh_(self): return self._unary_("cosh")
    def exp2_(self): return self._unary_("exp2")
    def expm1_(self): return self._unary_("expm1")
    def log1p_(self): return self._unary_("log1p")
    def log2_(self): return self._unary_("log2")
    def log10_(self): return self._unary_("log10")
    def rsqrt_(self): return self._unary_("rsqrt")
    def reciprocal_(self): return self._unary_("reciprocal")
    def square_(self): return self._unary_("square")
    def floor_(self): return self._unary_("floor")
    def ceil_(self): return self._unary_("ceil")
    def trunc_(self): return self._unary_("trunc")
    def sign_(self): return self._unary_("sign")
    def round_(self, decimals: int = 0): return self._unary_("round", decimals)
    def clip_(self, min=None, max=None): return self.clamp_(min, max)  # noqa: A002
    def pow_(self, exponent): return _write_back(self, "pow_", lambda old: old.pow(exponent), exponent)

    def masked_fill_(self, mask, value):
        # (in place torch names this tensor a, the mask b)
        broadcast_shape(np.shape(self.array), np.shape(getattr(mask, "array", mask)))
        return _write_back(self, "masked_fill_", lambda old: old.masked_fill(mask, value), value)

    def index_fill_(self, dim: int, index, value):
        return _write_back(self, "index_fill_", lambda old: old.index_fill(dim, index, value), value)

    def index_add_(self, dim: int, index, source, *, alpha=1):
        return _write_back(self, "index_add_", lambda old: old.index_add(dim, index, source, alpha=alpha),
                           source)

    def masked_scatter_(self, mask, source):
        return _write_back(self, "masked_scatter_", lambda old: old.masked_scatter(mask, source), source)

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

    def _bitwise_(self, ufunc, other, name):
        """``x |= m`` and ``x.bitwise_or_(m)``: the bitwise result written into this tensor (so
        every name for it sees the change), with torch's errors in torch's order."""
        if STATE.grad_enabled and self._requires_grad and self.grad_fn is None:
            self._inplace(name, None)  # raises torch's leaf error
        if isinstance(other, TensorBase):
            shape = np.shape(self.array)
            try:
                fits = np.broadcast_shapes(shape, np.shape(other.array)) == shape
            except ValueError:
                fits = False
            if not fits:
                raise RuntimeError(_inplace_shape_message(shape, np.shape(other.array)))
        _refuse_cast(self, (other,), name)
        if isinstance(other, (int, np.integer)) and not isinstance(other, (bool, np.bool_)):
            other = np.array(other).astype(self.array.dtype)  # Python ints wrap into the tensor's dtype
        return self._inplace(name, self._bitwise(ufunc, other, name.rstrip("_")).array)

    def bitwise_and_(self, other): return self._bitwise_(np.bitwise_and, other, "bitwise_and_")
    def bitwise_or_(self, other): return self._bitwise_(np.bitwise_or, other, "bitwise_or_")
    def bitwise_xor_(self, other): return self._bitwise_(np.bitwise_xor, other, "bitwise_xor_")
    def bitwise_not_(self): return self._bitwise_(np.invert, None, "bitwise_not_")
    __iand__ = bitwise_and_
    __ior__ = bitwise_or_
    __ixor__ = bitwise_xor_

    # random fills (used by glassnet.nn.init)
    def uniform_(self, from_: float = 0.0, to: float = 1.0, *, generator=None):
        gen = generator or default_generator
        return self._inplace("uniform_", gen.uniform(from_, to, tuple(self.shape)))

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None):
        gen = generator or default_generator
        return self._inplace("normal_", gen.normal(mean, std, tuple(self.shape)))
