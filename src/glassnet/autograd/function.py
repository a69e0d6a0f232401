"""``Function``: one differentiable operation, its forward and backward side by side.

Users write Functions as in PyTorch (``@staticmethod forward(ctx, ...)`` on Tensors, see
``glassnet.autograd.custom``); glassnet's own ops use the lower-level form below.

A subclass writes ``forward(self, *arrays, **params)``, returning the output array
and keeping on ``self`` what its backward needs, and ``backward(self, grad)``,
returning one gradient per input (``None`` for an input that gets none).  Both work
on NumPy arrays; broadcasting is undone by the engine, not by each op.

``Cls.apply(*tensors, **params)`` runs the forward and, when a gradient is needed,
makes the Function instance the output's ``grad_fn`` (it *is* the graph node, as
``MulBackward0`` is in PyTorch).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from . import custom
from .custom import FunctionCtx, once_differentiable  # noqa: F401 - torch's names, re-exported
from .engine import MUTATIONS, STATE, node_counter

# Set by glassnet.tensor at import time (avoids an import cycle).
_Tensor = None
_new_tensor = object.__new__


class Function:
    #: True if backward reads the inputs' values: then modifying an input in place
    #: before backward is an error (PyTorch's "modified by an inplace operation").
    saves_inputs = False

    # inputs:   the input tensors (None once the graph is freed)
    # seq:      creation number; backward visits newer nodes first
    # stamp:    engine.MUTATIONS when the inputs were saved (None if backward reads no input)
    # retained: the output tensor, when it called retain_grad()
    # Each op lists what its forward keeps for backward in its own __slots__ (no per-node dict).
    __slots__ = ("inputs", "seq", "stamp", "retained", "__weakref__")

    def __init_subclass__(cls, **kwargs):
        """A subclass whose ``forward`` is a ``@staticmethod`` is a user Function in torch's
        spelling: ``apply`` and the engine's ``backward`` go through ``custom``, which calls the
        user's ``forward(ctx, ...)`` and ``backward(ctx, ...)`` with ``ctx`` = this node."""
        super().__init_subclass__(**kwargs)
        forward, backward = cls.__dict__.get("forward"), cls.__dict__.get("backward")
        if not isinstance(forward, staticmethod) and not isinstance(backward, staticmethod):
            return
        if isinstance(forward, staticmethod):
            cls._ctx_forward = forward
        if isinstance(backward, staticmethod):
            cls._ctx_backward = backward
            cls.backward = custom.backward
        for name, value in vars(custom.FunctionCtx).items():
            if not name.startswith("__") and name not in cls.__dict__:
                setattr(cls, name, value)
        cls.apply = classmethod(custom.apply)

    def forward(self, *arrays, **params):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad):  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the forward on the inputs' arrays; link the node into the graph if needed."""
        fn = cls()
        fn.inputs = inputs
        try:
            n = len(inputs)
            if params:
                out = fn.forward(*[t.array for t in inputs], **params)
            elif n == 2:
                out = fn.forward(inputs[0].array, inputs[1].array)
            elif n == 1:
                out = fn.forward(inputs[0].array)
            else:
                out = fn.forward(*[t.array for t in inputs])
        except TypeError as err:
            if any(getattr(t.array, "dtype", None) == object for t in inputs):
                raise TypeError(f"{cls.__name__.lower()} has no exact (rational) form: glassnet.exact "
                                f"supports add, sub, mul, div, matmul, relu, sum, mean and MSE. "
                                f"Convert with .to(glassnet.float64) first.") from err
            raise
        if type(out) is Fraction:  # an exact 0-d result: keep it in an object array
            out = np.array(out, dtype=object)
        result = _new_tensor(_Tensor)
        result.array = out
        result._requires_grad = False
        result.grad = result.grad_fn = None
        result._version = 0
        state = STATE
        if state.grad_enabled:
            for t in inputs:
                if t._requires_grad:
                    result._requires_grad = True
                    result.grad_fn = fn
                    fn.seq = next(node_counter)
                    fn.stamp = MUTATIONS[0] if cls.saves_inputs else None
                    fn.retained = None
                    break
        if state.observers:
            for o in state.observers:
                o.on_forward(fn, result)
        return result

    # -- graph bookkeeping -------------------------------------------------------------
    def name(self) -> str:
        """The node's name as PyTorch prints it, e.g. ``MulBackward0``."""
        return f"{type(self).__name__}Backward0"

    @property
    def next_functions(self):
        return tuple((t.grad_fn, 0) for t in (self.inputs or ()))

    def needs_grad(self, i: int) -> bool:
        """Does input ``i`` want a gradient?  (Lets backward skip work nobody uses.)"""
        return self.inputs[i]._requires_grad

    def check_versions(self):
        """Raise if an input this node saved was modified in place after it was saved."""
        for i, t in enumerate(self.inputs):
            if t._version > self.stamp:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: [{t.dtype.name} {list(t.shape)}], which is input {i} of "
                    f"{self.name()}, was changed in place after {self.name()} saved it (its version "
                    f"is now {t._version}). Hint: do the in-place update after backward(), or use an "
                    f"out-of-place op (x = x + y) so the saved value stays intact.")

    def release(self):
        """Cut the node from its inputs after backward (a second backward then raises)."""
        self.inputs = None

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"


class Output(Function):
    """One output of a several-output user Function: a slice of the node's packed output
    (see ``glassnet.autograd.custom``); its backward puts the gradient back in its slot."""

    __slots__ = ("start", "stop", "total", "label")

    def name(self) -> str:
        return self.label  # torch shows the user Function's node on every output

    def backward(self, g):
        full = np.zeros(self.total, dtype=g.dtype)
        full[self.start:self.stop] = np.reshape(g, -1)
        return (full,)
