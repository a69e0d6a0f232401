"""``Function`` (``torch.autograd.Function``): the base class of every op, and of the ones users write.

glassnet's own ops (``glassnet/ops/``) use the low-level form of ``glassnet.autograd.engine.Node``:
``forward(self, *arrays, **params)`` and ``backward(self, grad)`` on NumPy arrays, run by
``Node.apply`` and the engine's backward walk (``engine.py``); nothing of this file runs for them.

Users write Functions as in PyTorch, with ``@staticmethod`` forward and backward on Tensors::

    class Exp(glassnet.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad_output):
            (y,) = ctx.saved_tensors
            return grad_output * y

    y = Exp.apply(x)

There is no second node type: ``ctx`` *is* the graph node, an instance of the user's class, so
``y.grad_fn`` is ``ctx``, the engine walks it like ``MulBackward0``, and explain and gradcheck see
it as they see built-in ops.  What happens, in order (the second half of this file):

* ``apply`` calls the user's ``forward(ctx, *args)`` with gradient recording off (and observers
  paused: the node is one op, not the ops inside it) and makes ``ctx`` the outputs' ``grad_fn``.
* Backward calls the user's ``backward(ctx, *grad_outputs)`` with one gradient Tensor per output
  (zeros for outputs nobody used) and expects one gradient (or ``None``) per ``forward`` argument.
* Several outputs: they are packed into one array, the node's output, and each returned Tensor is
  a slice of it (a small ``Output`` node), so the engine still hands one gradient to one node.
"""
from __future__ import annotations

import functools

import numpy as np

from .engine import (FREED_GRAPH_MESSAGE, MUTATIONS, STATE, Node, TensorBase, no_grad, node_counter,
                     observers_paused)


class Function(Node):
    """The base of every op, and of the Functions users write in torch's spelling (see the
    module's docstring): a ``Node`` that also understands ``@staticmethod`` forward/backward."""

    __slots__ = ()

    def __init_subclass__(cls, **kwargs):
        """A subclass whose ``forward`` is a ``@staticmethod`` is a user Function in torch's
        spelling: ``apply`` and the engine's ``backward`` go through ``_user_apply`` and
        ``_user_backward`` (below), which call the
        user's ``forward(ctx, ...)`` and ``backward(ctx, ...)`` with ``ctx`` = this node."""
        super().__init_subclass__(**kwargs)
        forward, backward = cls.__dict__.get("forward"), cls.__dict__.get("backward")
        if not isinstance(forward, staticmethod) and not isinstance(backward, staticmethod):
            return
        if isinstance(forward, staticmethod):
            cls._ctx_forward = forward
        if isinstance(backward, staticmethod):
            cls._ctx_backward = backward
            cls.backward = _user_backward
            cls.backward_graph = _user_backward_graph
        for name, value in vars(FunctionCtx).items():
            if not name.startswith("__") and name not in cls.__dict__:
                setattr(cls, name, value)
        cls.apply = classmethod(_user_apply)


class Output(Function):
    """One output of a several-output user Function: a slice of the node's packed output
    (see ``_pack`` below); its backward puts the gradient back in its slot."""

    __slots__ = ("start", "stop", "total", "label")

    def name(self) -> str:
        return self.label  # torch shows the user Function's node on every output

    def backward(self, g):
        full = np.zeros(self.total, dtype=g.dtype)
        full[self.start:self.stop] = np.reshape(g, -1)
        return (full,)


class DelayedError(Function):
    """A @once_differentiable backward's result under ``create_graph=True``: its value, linked to
    the incoming gradient (as torch links it), and an error if a gradient ever flows back through it."""

    __slots__ = ()

    def forward(self, value, *sources):
        return value

    def backward(self, g):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")


# -- user Functions (torch's spelling) ------------------------------------------------------------
def once_differentiable(fn):
    """Mark a ``backward`` as not itself differentiable: it runs with gradient recording off, and
    a double backward (``create_graph=True``) through it raises, as in torch."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)
    wrapper._once_differentiable = True
    return wrapper


class FunctionCtx:
    """The methods ``ctx`` offers inside ``forward`` and ``backward`` (mixed into the node)."""

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors (or ``None``) for ``backward``; read them back with ``ctx.saved_tensors``.
        Modifying one in place before backward is an error, as in torch."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, TensorBase):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} "
                                f"is of type {type(t).__name__}; keep other values as ctx attributes "
                                f"(ctx.k = k)")
        self._saved = tensors
        self._saved_versions = tuple(None if t is None else t._version for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        saved = self.__dict__.get("_saved", ())
        if saved is None:
            raise RuntimeError(FREED_GRAPH_MESSAGE)
        for i, (t, v) in enumerate(zip(saved, self._saved_versions)):
            if t is not None and t._version != v:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: [{t.dtype.name} {list(t.shape)}], which is saved tensor {i} of "
                    f"{self.name()}, is at version {t._version}; expected version {v} instead. Hint: "
                    f"do the in-place update after backward(), or save a clone.")
        return saved

    def mark_non_differentiable(self, *outputs) -> None:
        """These outputs get no gradient (e.g. indices); ``backward`` receives zeros for them."""
        self._non_differentiable = tuple(id(t) for t in outputs)

    def mark_dirty(self, *tensors) -> None:
        """Accepted for compatibility; glassnet Functions should return new tensors."""

    def set_materialize_grads(self, value: bool) -> None:
        """With False, ``backward`` gets ``None`` (not zeros) for outputs that got no gradient."""
        self._materialize = bool(value)

    # -- the node's side (called by the engine) -----------------------------------------------
    def name(self) -> str:
        return f"{type(self).__name__}Backward"

    def check_versions(self):
        self.saved_tensors  # raises if a saved tensor changed

    def release(self):
        self.inputs = None
        self._saved = None


def _is_tensor(x) -> bool:
    return isinstance(x, TensorBase)


def _user_apply(cls, *args, **kwargs):
    """``MyFunction.apply(*args)``: run the forward, then link ``ctx`` into the graph."""
    ctx = cls.__new__(cls)
    tensors = [a for a in args if _is_tensor(a)]
    ctx.needs_input_grad = tuple(_is_tensor(a) and a._requires_grad for a in args)
    ctx._n_args, ctx._tensor_positions = len(args), [i for i, a in enumerate(args) if _is_tensor(a)]
    ctx._non_differentiable, ctx._materialize = (), True
    with observers_paused() as observers, no_grad():
        if "setup_context" in _defined(cls):
            output = cls._ctx_forward(*args, **kwargs)
            cls.setup_context(ctx, args, output)
        else:
            output = cls._ctx_forward(ctx, *args, **kwargs)
    single = not isinstance(output, tuple)
    outputs = (output,) if single else output
    # an output that *is* an input becomes a new tensor sharing its memory (torch makes a view)
    outputs = tuple(o._from_array(o.array) if _is_tensor(o) and any(o is t for t in tensors) else o
                    for o in outputs)
    ctx._out_meta = [(np.shape(o.array), o.array.dtype) if _is_tensor(o) else None for o in outputs]
    differentiable = [i for i, o in enumerate(outputs) if _is_tensor(o) and o.array.dtype.kind in "fO"
                      and id(o) not in ctx._non_differentiable]
    wants_grad = STATE.grad_enabled and any(t._requires_grad for t in tensors) and differentiable
    ctx.inputs = tuple(tensors)
    ctx.seq = next(node_counter)
    ctx.stamp = MUTATIONS[0] if "_saved" in ctx.__dict__ else None
    ctx.retained = None
    ctx._packed = not single
    if not wants_grad:
        ctx.inputs = ()
        return output if single else outputs
    if single:
        outputs[0]._requires_grad, outputs[0].grad_fn = True, ctx
        node_out = outputs[0]
    else:
        node_out = _pack(ctx, outputs, differentiable)
    for o in observers:
        o.on_forward(ctx, node_out)
    return outputs[0] if single else outputs


def _defined(cls) -> set:
    names = set()
    for klass in cls.__mro__:
        if klass is Function:
            break
        names.update(klass.__dict__)
    return names


def _pack(ctx, outputs, differentiable):
    """Several outputs: the node's own output is their values side by side in one flat array;
    each returned tensor is an ``Output`` slice of it."""
    arrays = [np.reshape(outputs[i].array, -1) for i in differentiable]
    packed = outputs[differentiable[0]]._from_array(np.concatenate(arrays))
    packed._requires_grad, packed.grad_fn = True, ctx
    ctx._slots = {}
    start = 0
    for i, a in zip(differentiable, arrays):
        ctx._slots[i] = (start, start + a.size)
        node = Output()
        node.inputs, node.seq, node.stamp, node.retained = (packed,), next(node_counter), None, None
        node.start, node.stop, node.total = start, start + a.size, packed.array.size
        node.label = ctx.name()
        outputs[i]._requires_grad, outputs[i].grad_fn = True, node
        start += a.size
    return packed


def _user_backward_graph(ctx, g):
    """Double backward (``create_graph=True``): the user's ``backward`` run with recording on, on
    Tensors, so its result is differentiable when it is written with Tensor operations (as in
    torch, a saved output leads back to this node)."""
    if getattr(type(ctx)._ctx_backward, "_once_differentiable", False):  # torch raises only if reached
        arrays = _user_backward(ctx, g.array)
        return tuple(None if a is None else DelayedError.apply(g._from_array(a), g) for a in arrays)
    if ctx._packed:
        raise RuntimeError(f"double backward (create_graph=True) is not implemented for {ctx.name()}, a "
                           f"Function with several outputs")
    result = type(ctx)._ctx_backward(ctx, g)
    result = result if isinstance(result, tuple) else (result,)
    if len(result) < ctx._n_args:
        raise RuntimeError(f"function {ctx.name()} returned an incorrect number of gradients (expected "
                           f"{ctx._n_args}, got {len(result)})")
    return tuple(result[pos] for pos in ctx._tensor_positions)


def _user_backward(ctx, g):
    """The engine's call: NumPy gradient(s) in, the user's ``backward`` on Tensors, arrays out."""
    _wrap = ctx.inputs[0]._from_array
    if ctx._packed:
        grads = []
        for i, meta in enumerate(ctx._out_meta):
            if i in ctx._slots:
                start, stop = ctx._slots[i]
                grads.append(_wrap(np.reshape(g[start:stop], meta[0]).astype(meta[1], copy=False)))
            elif meta is None or not ctx._materialize:
                grads.append(None)
            else:
                grads.append(_wrap(np.zeros(meta[0], dtype=meta[1] if meta[1].kind in "fO" else np.float32)))
    else:
        grads = [_wrap(g)]
    with observers_paused(), no_grad():
        result = type(ctx)._ctx_backward(ctx, *grads)
    result = result if isinstance(result, tuple) else (result,)
    if len(result) < ctx._n_args or len(result) > ctx._n_args and any(r is not None for r in result[ctx._n_args:]):
        raise RuntimeError(f"function {ctx.name()} returned an incorrect number of gradients (expected "
                           f"{ctx._n_args}, got {len(result)})")
    out = []
    for pos, t in zip(ctx._tensor_positions, ctx.inputs):
        r = result[pos]
        if r is None:
            out.append(None)
            continue
        array = r.array if _is_tensor(r) else np.asarray(r)
        if np.shape(array) != np.shape(t.array):
            try:
                np.broadcast_shapes(np.shape(array), np.shape(t.array))
                ok = len(np.shape(array)) >= len(np.shape(t.array))
            except ValueError:
                ok = False
            if not ok:
                raise RuntimeError(f"Function {ctx.name()} returned an invalid gradient at index {pos} - "
                                   f"got {list(np.shape(array))} but expected shape compatible with "
                                   f"{list(np.shape(t.array))}")
        out.append(array)
    return tuple(out)
