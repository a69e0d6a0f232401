"""``Tensor``: a NumPy array plus what autograd needs (``requires_grad``, ``grad``, ``grad_fn``).

Every operator calls a primitive from ``glassnet.ops`` through its ``apply`` (``Node.apply`` in
``glassnet/autograd/engine.py``); the primitive computes the value and, when a gradient is wanted,
becomes the output's ``grad_fn``.  Read ``glassnet/ops/elementwise.py`` next to see a forward and
its backward.
"""
from __future__ import annotations

import builtins
from fractions import Fraction

import numpy as np

from ..autograd import engine
from ..autograd.broadcasting import broadcast_message
from ..autograd.engine import TensorBase
from ..ops import elementwise as E
from ..ops import linalg as L
from . import dtypes
from .aliases import alias_methods
from .arguments import _FLOAT_KIND, _float_for_float_bounds, _promote, _scalar_if_0d, alpha_first
from .convert import ConversionMethods
from .device import check_device
from .factory import FactoryMethods
from .inplace import InPlaceMethods
from .movement import MovementMethods
from .methods import BitwiseMethods, MaxResult, MinResult, ReductionMethods, ShapeMethods  # noqa: F401 - re-exported
from .printing import format_values

_CPU = dtypes.device("cpu")


class Size(tuple):
    """A shape, printed as torch prints ``torch.Size``."""

    def __repr__(self) -> str:
        return f"glassnet.Size({list(self)})"

    def numel(self) -> int:
        return int(np.prod(self))


def _wrap(array, requires_grad: bool = False) -> "Tensor":
    """A Tensor around ``array`` with no copy and no checks (the engine's fast path)."""
    t = Tensor.__new__(Tensor)
    t.array = array
    t._requires_grad = requires_grad
    t.grad = None
    t.grad_fn = None
    t._version = 0
    return t



class Tensor(TensorBase, ConversionMethods, InPlaceMethods, ReductionMethods, ShapeMethods,
             FactoryMethods, MovementMethods, BitwiseMethods):
    """A multi-dimensional array that can record the operations applied to it.

    Parameters
    ----------
    data : list, number or array, optional
        The legacy constructor ``glassnet.Tensor([1, 2])`` makes a float32 tensor;
        ``glassnet.Tensor(2, 3)`` a float32 tensor of zeros with shape (2, 3).
        Prefer ``glassnet.tensor(...)``.
    """

    __slots__ = ()  # the fields are TensorBase's (glassnet/autograd/engine.py)

    def __init__(self, *data):
        if len(data) == 1 and not isinstance(data[0], int):
            array = np.array(data[0].array if isinstance(data[0], Tensor) else data[0], dtype=np.float32)
        else:
            array = np.zeros(tuple(data), dtype=np.float32)
        self.array, self._requires_grad, self.grad, self.grad_fn, self._version = array, False, None, None, 0

    #: A new plain Tensor around an array (what every op's node makes its output with).
    _from_array = staticmethod(_wrap)

    # -- autograd state -------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to "
                               "use a computed variable in a subgraph that doesn't require differentiation "
                               "use var_no_grad = var.detach().")
        if value and self.array.dtype.kind not in _FLOAT_KIND:
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients, got "
                               f"{self.dtype}; convert with .float() first.")
        self._requires_grad = builtins.bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False, inputs=None) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires grad,
        *adding* it into their ``.grad`` (call ``zero_grad`` between steps).

        ``inputs=``: add only into these tensors' ``.grad``.  ``create_graph=True``: the gradients
        are themselves graph-carrying tensors (double backward, for the ops that define a
        ``backward_graph``); ``retain_graph`` defaults to it."""
        if inputs is not None:
            inputs = [inputs] if isinstance(inputs, TensorBase) else list(inputs)
            if not inputs:
                raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        retain = builtins.bool(create_graph if retain_graph is None else retain_graph)
        engine.backward((self,), (gradient,), retain, create_graph, inputs)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self.grad_fn.retained = self

    def detach(self) -> "Tensor":
        """The same values (shared memory), cut from the graph."""
        return _wrap(self.array)

    def detach_(self) -> "Tensor":
        self.grad_fn, self._requires_grad = None, False
        return self

    @property
    def data(self) -> "Tensor":
        return _wrap(self.array)

    @data.setter
    def data(self, value) -> None:
        self.array = value.array if isinstance(value, Tensor) else np.asarray(value)

    # -- description ----------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(np.shape(self.array))

    def size(self, dim=None):
        shape = np.shape(self.array)
        return Size(shape) if dim is None else shape[dim]

    @property
    def ndim(self) -> int:
        return np.ndim(self.array)

    def dim(self) -> int:
        return np.ndim(self.array)

    def numel(self) -> int:
        return int(np.size(self.array))

    nelement = numel

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.from_numpy_dtype(self.array.dtype)

    @property
    def device(self) -> dtypes.device:
        return _CPU

    is_cuda = False

    def is_floating_point(self) -> bool:
        return self.array.dtype.kind in _FLOAT_KIND

    def __repr__(self) -> str:
        suffixes = []
        dt = self.array.dtype
        if dt not in (np.float32, np.int64, np.bool_) or (np.size(self.array) == 0 and dt != np.float32):
            suffixes.append(f"dtype={self.dtype}")
        if self.grad_fn is not None:
            suffixes.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self._requires_grad:
            suffixes.append("requires_grad=True")
        # torch's rule: a suffix that would pass column 80 goes on its own line, under the values
        text = f"tensor({format_values(self.array)}"
        last = len(text) - text.rfind("\n") + 1
        for suffix in suffixes:
            if last + len(suffix) + 2 > 80:
                text += ",\n" + " " * len("tensor(") + suffix
                last = len("tensor(") + len(suffix)
            else:
                text += ", " + suffix
                last += len(suffix) + 2
        return text + ")"

    def __format__(self, spec: str) -> str:
        """As torch: a 0-d tensor formats its ``item()`` (``f"{loss:.4f}"``, and ``f"{loss}"`` is
        ``1.5``, not ``tensor(1.5000)``); any other tensor takes only the empty spec (its repr)."""
        if np.ndim(self.array) == 0:
            return format(self.array.item(), spec)
        return object.__format__(self, spec)

    # -- arithmetic -----------------------------------------------------------------------
    def _lift(self, other) -> "Tensor":
        """A Python number or array as a constant tensor of a compatible dtype."""
        if isinstance(other, Tensor):
            return other
        kind = self.array.dtype.kind
        if type(other) is builtins.float or type(other) is builtins.int or isinstance(other, (np.number, np.bool_, builtins.bool)):
            if kind == "f":
                return _wrap(self.array.dtype.type(other))
            if kind == "O":
                return _wrap(np.array(Fraction(repr(other)) if isinstance(other, builtins.float) else Fraction(other), dtype=object))
            if isinstance(other, (builtins.float, np.floating)):
                return _wrap(np.float32(other))
            return _wrap(np.int64(other) if kind != "b" or not isinstance(other, builtins.bool) else np.bool_(other))
        if isinstance(other, Fraction):
            return _wrap(np.array(other, dtype=object))
        return tensor(other)

    def _binary(self, op, other, reverse=False):
        if type(other) is not Tensor:
            other = self._lift(other)
        a, b = (other, self) if reverse else (self, other)
        if a.array.dtype is not b.array.dtype and a.array.dtype != b.array.dtype:
            a, b = _promote(a, b)
        return op.apply(a, b)

    def __add__(self, other):
        if type(other) is Tensor and other.array.dtype is self.array.dtype:
            return E.Add.apply(self, other)  # the common case, without the detour through _binary
        return self._binary(E.Add, other)

    def __radd__(self, other): return self._binary(E.Add, other, True)
    def __sub__(self, other): return self._binary(E.Sub, other)
    def __rsub__(self, other): return self._binary(E.Sub, other, True)
    def __mul__(self, other):
        if type(other) is Tensor and other.array.dtype is self.array.dtype:
            return E.Mul.apply(self, other)
        return self._binary(E.Mul, other)

    def __rmul__(self, other): return self._binary(E.Mul, other, True)
    def __truediv__(self, other): return self._binary(E.Div, other)
    def __rtruediv__(self, other): return self._binary(E.Div, other, True)
    def __pow__(self, other): return self._binary(E.Pow, other)
    def __rpow__(self, other): return self._binary(E.Pow, other, True)
    def __matmul__(self, other):
        if type(other) is Tensor and other.array.dtype is self.array.dtype:
            return L.MatMul.apply(self, other)
        return self._binary(L.MatMul, other)

    def __rmatmul__(self, other): return self._binary(L.MatMul, other, True)

    def __mod__(self, other):
        """Python's remainder (the sign of the divisor), as ``torch.remainder``; its gradient is
        1 for ``self`` (the rounded quotient is a constant)."""
        if self._requires_grad:
            return self - (self / other).floor() * other
        return _wrap(np.remainder(self.array, self._value(other)))

    def __rmod__(self, other):
        return _wrap(np.remainder(self._value(other), self.array))

    def __floordiv__(self, other):
        return self.div(other, rounding_mode="floor")

    def __rfloordiv__(self, other):
        return self._lift(other).div(self, rounding_mode="floor") if not isinstance(other, Tensor) \
            else other.div(self, rounding_mode="floor")

    remainder = __mod__
    def fmod(self, other):
        """C's remainder (the sign of the dividend); no gradient."""
        return _wrap(np.fmod(self.array, self._value(other)))
    def __neg__(self): return E.Neg.apply(self)
    def __pos__(self): return self

    def add(self, other, alpha=1):
        other, alpha = alpha_first("add", other, alpha)
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other, alpha=1):
        other, alpha = alpha_first("sub", other, alpha)
        return self - (other * alpha if alpha != 1 else other)

    def mul(self, other): return self * other

    def div(self, other, *, rounding_mode=None):
        """``self / other``; ``rounding_mode='floor'`` or ``'trunc'`` rounds the quotient (no gradient)."""
        if rounding_mode is None:
            return self / other
        if rounding_mode not in ("floor", "trunc"):
            raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                             f"found {rounding_mode!r}")
        q = np.true_divide(self.array, self._value(other))
        q = np.floor(q) if rounding_mode == "floor" else np.trunc(q)
        both_int = self.array.dtype.kind in "iu" and np.asarray(self._value(other)).dtype.kind in "iu"
        return _wrap(q.astype(self.array.dtype) if both_int else q.astype(np.result_type(self.array, np.float32)))

    def pow(self, exponent): return self ** exponent
    def matmul(self, other): return self @ other
    def mm(self, mat2): return self @ mat2
    def neg(self): return -self

    # comparisons: no gradient, a bool tensor
    def _compare(self, ufunc, other):
        other = other.array if isinstance(other, Tensor) else other
        try:
            return _wrap(ufunc(self.array, other))
        except ValueError:
            if np.ndim(other) == 0:
                raise
            raise RuntimeError(broadcast_message([self.array.shape, np.shape(other)])) from None

    def __eq__(self, other): return self._compare(np.equal, other)
    def __ne__(self, other): return self._compare(np.not_equal, other)
    def __lt__(self, other): return self._compare(np.less, other)
    def __le__(self, other): return self._compare(np.less_equal, other)
    def __gt__(self, other): return self._compare(np.greater, other)
    def __ge__(self, other): return self._compare(np.greater_equal, other)
    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
    __hash__ = object.__hash__  # (defining __eq__ would otherwise make tensors unhashable)



    # -- element-wise math ----------------------------------------------------------------
    def exp(self): return E.Exp.apply(self)
    def log(self): return E.Log.apply(self)
    def sqrt(self): return E.Sqrt.apply(self)
    def abs(self): return E.Abs.apply(self)
    def floor(self): return E.Rounding.apply(self, fn=np.floor)
    def ceil(self): return E.Rounding.apply(self, fn=np.ceil)
    def trunc(self): return E.Rounding.apply(self, fn=np.trunc)
    def sign(self): return E.Rounding.apply(self, fn=np.sign)

    def round(self, decimals: int = 0):
        return E.Rounding.apply(self, fn=lambda a: np.round(a, decimals))

    def square(self): return self * self
    def _floating(self): return self if self.array.dtype.kind in _FLOAT_KIND else self.float()
    def log1p(self): return E.Log1p.apply(self._floating())
    def expm1(self): return E.Expm1.apply(self._floating())
    def exp2(self): return E.Exp2.apply(self._floating())
    def log2(self): return E.LogBase.apply(self._floating(), base=2)
    def log10(self): return E.LogBase.apply(self._floating(), base=10)
    def reciprocal(self): return 1 / self
    def rsqrt(self): return 1 / self.sqrt()
    def sin(self): return E.Sin.apply(self)
    def cos(self): return E.Cos.apply(self)
    def asin(self): return E.Asin.apply(self._floating())
    def sinh(self): return E.Sinh.apply(self._floating())
    def cosh(self): return E.Cosh.apply(self._floating())
    arcsin = asin
    def relu(self): return E.Relu.apply(self)
    def sigmoid(self): return E.Sigmoid.apply(self)
    def tanh(self): return E.Tanh.apply(self)
    __abs__ = abs

    def leaky_relu(self, negative_slope: float = 0.01):
        return E.LeakyRelu.apply(self, negative_slope=negative_slope)

    def clamp(self, min=None, max=None):  # noqa: A002 - torch's names
        if min is None and max is None:
            raise ValueError("clamp: at least one of 'min' or 'max' must not be None")
        return E.Clamp.apply(_float_for_float_bounds(self, (min, max)), min=min, max=max)

    clip = clamp


for _klass in Tensor.__mro__[:-1]:  # axis=, keepdims=, x2= as torch's parser accepts them
    alias_methods(Tensor, [_n for _n in vars(_klass) if not _n.startswith("_")])
del _klass


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data``.

    Python floats become float32 (PyTorch's default), ints int64, bools bool; a NumPy
    array keeps its dtype (float16 becomes float32).

    Examples
    --------
    >>> glassnet.tensor([0.1, 0.2], requires_grad=True)
    tensor([0.1000, 0.2000], requires_grad=True)
    """
    check_device(device)
    if isinstance(data, Tensor):
        array = np.array(data.array, copy=True)
    elif isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat(data)):
        array = np.array(_unwrap(data))
    else:
        array = np.array(data)
    if dtype is not None:
        d = dtypes.as_dtype(dtype)
        array = E.to_numpy_dtype(array, d.np) if array.dtype != d.np else array
    elif array.dtype == object:
        if not all(isinstance(x, (Fraction, builtins.int)) for x in array.reshape(-1)):
            raise TypeError("tensor(): could not infer a dtype for this data; pass numbers (or "
                            "fractions with dtype=glassnet.exact)")
    elif not isinstance(data, (np.ndarray, np.generic, Tensor)) or array.dtype.kind == "f" and array.dtype.itemsize < 4:
        if array.dtype.kind == "f":
            array = array.astype(np.float32)
        elif array.dtype.kind in "iu":
            array = array.astype(np.int64)
        elif array.dtype.kind not in "b":
            raise TypeError(f"tensor(): unsupported data of type {array.dtype}; pass numbers, lists of "
                            f"numbers or a numeric NumPy array")
    else:
        dtypes.from_numpy_dtype(array.dtype)  # raise for unsupported kinds
    t = _wrap(_scalar_if_0d(array))
    if requires_grad:
        t.requires_grad = True
    return t


def _flat(data):
    for x in data:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _unwrap(data):
    if isinstance(data, (list, tuple)):
        return [_unwrap(x) for x in data]
    return data.item() if isinstance(data, Tensor) else data
