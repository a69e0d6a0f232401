"""The autograd engine: grad mode, the observer hook, and ``backward``.

``backward`` is micrograd's idea made iterative: visit the graph's nodes so that
every node comes before the nodes that produced its inputs (newest first: each node
carries a creation number ``seq``), hand each node the gradient of its output, and
*add* what it returns into its inputs' gradients.  Leaves keep theirs in ``.grad``.

The observer hook is the only place where tracing attaches: an observer is any
object with ``on_forward(fn, out)`` and ``on_backward(fn, grad_out, grad_inputs)``.
Nothing is called, and nothing costs beyond one truth test, while none is installed.
"""
from __future__ import annotations

import contextlib
import functools
import threading
from heapq import heappop, heappush
from itertools import count

from fractions import Fraction

import numpy as np

from ..ops.broadcast import unbroadcast


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


FREED_GRAPH_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward(). Specify retain_graph=True if you need to backward through the graph a second time.")


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
