"""``Parameter``: a tensor that a ``Module`` registers as learnable when it is assigned."""
from __future__ import annotations

import numpy as np

from ..autograd.engine import TensorBase
from ..tensors.creation import from_numpy
from ..tensors.tensor import Tensor, tensor

__all__ = ["Parameter", "UninitializedParameter", "UninitializedBuffer"]


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


_SHAPE_MESSAGE = ("Can't access the shape of an uninitialized parameter or buffer. This error usually happens "
                  "in `load_state_dict` when trying to load an uninitialized parameter into an initialized "
                  "one. Call `forward` to initialize the parameters before accessing their attributes.")
#: what may be used on an uninitialized parameter (torch's ``_allowed_methods`` and plain attributes)
_ALLOWED = {"materialize", "detach", "requires_grad_", "to", "double", "float", "cls_to_become", "type"}


class _Uninitialized:
    """What ``UninitializedParameter`` and ``UninitializedBuffer`` share (torch's
    ``UninitializedTensorMixin``): no shape and no values until ``materialize(shape)``, which
    gives them a shape and makes the object its ``cls_to_become`` in place."""

    __slots__ = ()  # no attributes of its own: the object's class can change to the plain one
    cls_to_become = None

    def _empty(self, dtype, requires_grad: bool) -> None:
        from ..tensors import dtypes
        np_dtype = dtypes.as_dtype(dtype).np if dtype is not None else np.float32
        for slot, value in (("array", np.empty((0,), dtype=np_dtype)), ("grad", None), ("grad_fn", None),
                            ("_version", 0), ("_requires_grad", requires_grad)):
            object.__setattr__(self, slot, value)

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give it ``shape`` (values uninitialized, as ``torch.empty``) and make it a
        ``cls_to_become`` (a ``Parameter``, or a plain ``Tensor`` for a buffer)."""
        from ..tensors import dtypes
        np_dtype = dtypes.as_dtype(dtype).np if dtype is not None else self.array.dtype
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        object.__setattr__(self, "array", np.empty(shape, dtype=np_dtype))
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(_SHAPE_MESSAGE)

    def size(self, dim=None):
        raise RuntimeError(_SHAPE_MESSAGE)

    def __getattribute__(self, name):
        value = object.__getattribute__(self, name)
        if name[:1] != "_" and name not in _ALLOWED and callable(value) and hasattr(Tensor, name):
            raise ValueError(_use_message(name))
        return value

    def detach(self):
        return type(self)(False, dtype=self.dtype)

    def requires_grad_(self, requires_grad: bool = True):
        self.requires_grad = requires_grad
        return self

    def to(self, *args, **kwargs):
        """A new uninitialized one of the dtype asked for (what ``Module.to`` needs)."""
        from ..tensors import dtypes
        target = kwargs.get("dtype")
        for arg in args:
            if not isinstance(arg, str) and not isinstance(arg, dtypes.device):
                target = arg
        return type(self)(self.requires_grad, dtype=target if target is not None else self.dtype)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, dtype=self.dtype)
        return memo[id(self)]

    def __reduce_ex__(self, protocol):
        return (_rebuild_uninitialized, (type(self).__name__, self.requires_grad, str(self.array.dtype)))


class UninitializedParameter(_Uninitialized, Parameter):
    """A parameter whose shape is not known yet: a lazy module's (``nn.LazyLinear``) until its
    first ``forward``, which calls ``materialize(shape)``; the object then *becomes* a
    ``Parameter`` (its class changes in place), so an optimizer built before the first forward
    holds the very parameter that is trained, as in torch.

    Until then it has no shape (``.shape`` raises ``RuntimeError``) and no values: using it in
    a computation raises ``ValueError`` saying to run a forward pass first.  An optimizer accepts
    it and skips it while it has no gradient.
    """

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        self._empty(dtype, requires_grad)


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer whose shape is not known yet (a lazy batch norm's running statistics until its
    first ``forward``); ``materialize(shape)`` makes it a plain ``Tensor``."""

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device=None, dtype=None):
        self._empty(dtype, requires_grad)


def _use_message(name: str) -> str:
    return (f"Attempted to use an uninitialized parameter in {name}. This error happens when you are using a "
            f"`LazyModule` or explicitly manipulating `glassnet.nn.parameter.UninitializedParameter` objects. "
            f"When using LazyModules Call `forward` with a dummy batch to initialize the parameters before "
            f"calling glassnet functions")


def _rebuild_uninitialized(kind, requires_grad, dtype_name):
    return {"UninitializedParameter": UninitializedParameter,
            "UninitializedBuffer": UninitializedBuffer}[kind](requires_grad, dtype=dtype_name)


def _refuse(name):
    def method(self, *args, **kwargs):
        raise ValueError(_use_message(name))
    method.__name__ = name
    return method


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__matmul__", "__rmatmul__",
              "__truediv__", "__rtruediv__", "__neg__", "__pow__", "__getitem__", "__len__", "__iter__",
              "__float__", "__array__"):
    setattr(_Uninitialized, _name, _refuse(_name))
