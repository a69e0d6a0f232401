"""The autograd engine, in the order a gradient meets it: what a tensor carries for autograd
(``TensorBase``), grad mode, the observer hook, the graph node (``Node``: ``apply`` runs an op's
forward and links it into the graph), and ``backward``.

``backward`` is micrograd's idea made iterative: visit the graph's nodes so that
every node comes before the nodes that produced its inputs (newest first: each node
carries a creation number ``seq``), hand each node the gradient of its output, and
*add* what it returns into its inputs' gradients.  Leaves keep theirs in ``.grad``.

The observer hook is the only place where tracing attaches: an observer is any
object with ``on_forward(fn, out)`` and ``on_backward(fn, grad_out, grad_inputs)`` (and, if it
wants, ``on_backward_begin(root)``).
Nothing is called, and nothing costs beyond one truth test, while none is installed.
"""
from __future__ import annotations

import contextlib
import functools
import threading
from heapq import heappop, heappush
from fractions import Fraction
from itertools import count

import numpy as np


class TensorBase:
    """The part of a tensor the engine reads and writes: its value ``array`` (a NumPy array, or a
    NumPy scalar for 0-d), ``_requires_grad``, the accumulated ``grad``, the node that made it
    (``grad_fn``, ``None`` for a leaf) and ``_version`` (bumped by every in-place write).  (The
    engine's error messages also name a tensor's ``shape`` and ``dtype``.)

    ``glassnet.Tensor`` (``glassnet/tensors/tensor.py``) is this plus its operators and methods.
    A node makes its output with ``inputs[0]._from_array(array)``, so the engine never names the
    Tensor class: a ``Parameter``'s result is a plain ``Tensor``, as in torch."""

    __slots__ = ("array", "_requires_grad", "grad", "grad_fn", "_version", "__weakref__")

    @classmethod
    def _from_array(cls, array):  # pragma: no cover - glassnet.Tensor defines it
        raise NotImplementedError


class _State(threading.local):
    """Per-thread engine state, as torch's grad mode is per thread."""

    grad_enabled = True
    observers = ()


STATE = _State()

#: Creation numbers for graph nodes (a node is always newer than its inputs' nodes).
node_counter = count()

#: How many in-place writes have happened so far (all tensors).  A node remembers this number
#: when it saves its inputs; if it is unchanged at backward time, no saved input can have been
#: modified, and the per-input version check is skipped.
MUTATIONS = [0]


def is_grad_enabled() -> bool:
    return STATE.grad_enabled


class _GradMode(contextlib.ContextDecorator):
    """Context manager and decorator that sets grad mode, restoring it on exit."""

    enabled: bool

    def __enter__(self):
        self._previous = STATE.grad_enabled
        STATE.grad_enabled = self.enabled
        return self

    def __exit__(self, *exc):
        STATE.grad_enabled = self._previous
        return False

    def __call__(self, func=None):
        if func is None:  # allow @no_grad() and @no_grad alike
            return self
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with type(self)():
                return func(*args, **kwargs)
        return wrapper


class _NoArgGradMode(_GradMode):
    def __new__(cls, func=None):
        self = super().__new__(cls)
        return self(func) if func is not None else self  # @no_grad without parentheses


class no_grad(_NoArgGradMode):
    """Operations inside build no graph: ``with glassnet.no_grad(): ...`` or ``@glassnet.no_grad()``."""

    enabled = False


class enable_grad(_NoArgGradMode):
    """Turn graph building back on inside a ``no_grad`` block."""

    enabled = True


class set_grad_enabled(_GradMode):
    def __init__(self, mode: bool):
        self.enabled = bool(mode)

    def __call__(self, func=None):
        if func is None:
            return self
        mode = self.enabled
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)
        return wrapper


class observe:
    """Install ``observer`` for the duration of a ``with`` block (on this thread).

    ``with observe(obj):`` makes the engine call ``obj.on_forward(fn, out)`` after every op and
    ``obj.on_backward(fn, grad_out, grad_inputs)`` for every node backward runs."""

    __slots__ = ("observer",)

    def __init__(self, observer):
        self.observer = observer

    def __enter__(self):
        STATE.observers = STATE.observers + (self.observer,)
        return self.observer

    def __exit__(self, *exc) -> bool:
        STATE.observers = tuple(o for o in STATE.observers if o is not self.observer)
        return False


@contextlib.contextmanager
def observers_paused():
    """No observer sees the ops inside (a user Function's forward and backward are one node)."""
    observers, STATE.observers = STATE.observers, ()
    try:
        yield observers
    finally:
        STATE.observers = observers


class Node:
    """One operation in the graph: its forward on arrays, its backward, and the graph bookkeeping.

    An op (``glassnet/ops/``) subclasses it (through ``glassnet.autograd.Function``) and writes
    ``forward(self, *arrays, **params)``, returning the output array and keeping on ``self`` what
    its backward needs, and ``backward(self, grad)``, returning one gradient per input (``None``
    for an input that gets none).  ``Op.apply(*tensors, **params)`` runs the forward and, when a
    gradient is needed, makes the instance the output's ``grad_fn``: the node *is* the graph
    node, as ``MulBackward0`` is in PyTorch."""

    #: True if backward reads the inputs' values: then modifying an input in place
    #: before backward is an error (PyTorch's "modified by an inplace operation").
    saves_inputs = False

    # inputs:   the input tensors (None once the graph is freed)
    # seq:      creation number; backward visits newer nodes first
    # stamp:    engine.MUTATIONS when the inputs were saved (None if backward reads no input)
    # retained: the output tensor, when it called retain_grad()
    # An op keeps what its backward needs as attributes of its node (most list them in their own
    # __slots__, so a node has no per-node dict).
    __slots__ = ("inputs", "seq", "stamp", "retained", "__weakref__")

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
        result = inputs[0]._from_array(out)  # a new plain Tensor (the engine never names the class)
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


FREED_GRAPH_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward(). Specify retain_graph=True if you need to backward through the graph a second time.")


def unbroadcast(grad, shape: tuple):
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``: the one
    place where broadcasting is undone (HIPS autograd's ``unbroadcast``), so no op has to.

    A forward ``a + b`` with ``a`` of shape (3,) and ``b`` of shape (2, 3) gives a
    (2, 3) output; ``a``'s gradient is the output gradient summed over axis 0.

    >>> import numpy as np
    >>> unbroadcast(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
    >>> unbroadcast(np.ones((2, 3)), (2, 1)).tolist()
    [[3.0], [3.0]]
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = np.add.reduce(grad, axis=tuple(range(extra)))
    stretched = tuple([i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1])
    if stretched:
        grad = np.add.reduce(grad, axis=stretched, keepdims=True)
    return grad.reshape(shape)


def _accumulate_leaf(t, g):
    """Add ``g`` into leaf ``t``'s ``.grad`` (PyTorch semantics: gradients accumulate)."""
    if g.dtype != t.array.dtype:
        g = g.astype(t.array.dtype)
    grad = t.grad
    if grad is None:
        t.grad = t._from_array(g.copy() if type(g) is np.ndarray else g)
    elif type(grad.array) is np.ndarray:
        grad.array += g
    else:  # a 0-d gradient held as a NumPy scalar (immutable): replace it
        grad.array = grad.array + g


def backward(root, gradient=None, retain_graph: bool = False) -> None:
    """Send ``gradient`` (default 1 for a scalar) from ``root`` back to every leaf."""
    for o in STATE.observers:  # an observer may also want to know that a backward begins
        begin = getattr(o, "on_backward_begin", None)
        if begin is not None:
            begin(root)
    if not root.requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn. "
                           "Set requires_grad=True on the leaf tensors you want gradients for.")
    if gradient is None:
        if root.array.size != 1:
            raise RuntimeError(f"grad can be implicitly created only for scalar outputs; this output has "
                               f"shape {tuple(root.shape)}. Pass backward(gradient=...) of that shape, "
                               f"or reduce it first (e.g. .sum() or .mean()).")
        if type(root.array) is np.ndarray:  # a one-element array (or an exact 0-d object array)
            g = np.ones_like(root.array)
        else:
            g = root.array.dtype.type(1)
    else:
        g = gradient.array if hasattr(gradient, "array") else np.asarray(gradient, dtype=root.array.dtype)
        if g.shape != root.array.shape:
            raise RuntimeError(f"backward: gradient has shape {tuple(g.shape)} but the output has shape "
                               f"{tuple(root.shape)}; they must match.")
    root_fn = root.grad_fn
    if root_fn is None:  # backward on a leaf: its gradient is the seed itself
        _accumulate_leaf(root, g)
        return
    observers = STATE.observers
    # Walk the nodes newest first.  A node is always newer than the nodes that made its
    # inputs, so when a node comes off the heap every gradient contribution to its output
    # has already arrived: this is a topological order, found without a separate sort.
    grads = {root_fn: g}
    heap = [(-root_fn.seq, root_fn)]
    while heap:
        fn = heappop(heap)[1]
        g = grads.pop(fn)
        if fn.inputs is None:
            raise RuntimeError(FREED_GRAPH_MESSAGE)
        if fn.stamp is not None and fn.stamp != MUTATIONS[0]:
            fn.check_versions()
        if fn.retained is not None:
            _accumulate_leaf(fn.retained, g)
        grad_inputs = fn.backward(g)
        if observers:
            for o in observers:
                o.on_backward(fn, g, grad_inputs)
        for t, gi in zip(fn.inputs, grad_inputs):
            if gi is None or not t._requires_grad:
                continue
            if type(gi) is Fraction:  # exact arithmetic on 0-d arrays yields bare fractions
                gi = np.array(gi, dtype=object)
            if gi.shape != t.array.shape:
                gi = unbroadcast(gi, t.array.shape)
            child = t.grad_fn
            if child is None:
                _accumulate_leaf(t, gi)
            elif child in grads:
                grads[child] = grads[child] + gi
            else:
                grads[child] = gi
                heappush(heap, (-child.seq, child))
        if not retain_graph:
            fn.release()
