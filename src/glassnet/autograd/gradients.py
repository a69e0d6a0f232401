"""``torch.autograd.grad`` and ``torch.autograd.backward``: the engine's walk
(``engine.run_backward``) asked for the gradients of chosen tensors.

``grad(outputs, inputs)`` returns ∂(Σ outputs·grad_outputs)/∂inputs and touches no ``.grad``; the
inputs may be intermediate tensors.  With ``create_graph=True`` the returned gradients carry a
graph of their own (built by each op's ``backward_graph``), so they can be differentiated again:
gradient penalties, Hessian-vector products.
"""
from __future__ import annotations

import numpy as np

from .engine import STATE, TensorBase, run_backward
from .engine import backward as _engine_backward


def _tensors(x, what: str) -> tuple:
    if isinstance(x, TensorBase):
        return (x,)
    if x is None:
        return ()
    items = tuple(x)
    for item in items:
        if item is not None and not isinstance(item, TensorBase):
            raise TypeError(f"{what} must be a Tensor or a sequence of Tensors, got an element of type "
                            f"{type(item).__name__}")
    return items


def _gradients(grad_outputs, n: int) -> tuple:
    if grad_outputs is None:
        return (None,) * n
    gradients = _tensors(grad_outputs, "grad_outputs")
    if len(gradients) != n:
        raise RuntimeError(f"grad requires one grad_output per output: got {len(gradients)} grad_outputs "
                           f"and {n} outputs")
    return gradients


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused=None, is_grads_batched: bool = False,
         materialize_grads: bool = False):
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple (``torch.autograd.grad``).

    Parameters
    ----------
    outputs, inputs : Tensor or sequence of Tensors
        Differentiate Σᵢ ⟨outputs[i], grad_outputs[i]⟩ with respect to each input (leaf or not).
    grad_outputs : Tensor or sequence, optional
        The vector of the vector-Jacobian product; ``None`` (for one-element outputs) means 1.
    retain_graph : bool, optional
        Keep the graph for another backward; defaults to ``create_graph``.
    create_graph : bool, default False
        Build a graph of the gradients, so they can be differentiated again (double backward).
    allow_unused : bool, optional
        Return ``None`` for an input the outputs do not depend on instead of raising.
    materialize_grads : bool, default False
        Return zeros instead of ``None`` for unused inputs.

    Examples
    --------
    >>> x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    >>> (g,) = glassnet.autograd.grad((x ** 3).sum(), x, create_graph=True)
    >>> g
    tensor([ 3., 12.], grad_fn=<MulBackward0>)
    >>> glassnet.autograd.grad(g.sum(), x)
    (tensor([ 6., 12.]),)
    """
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    if is_grads_batched:
        raise NotImplementedError("grad(is_grads_batched=True) is not supported by glassnet; call grad "
                                  "once per grad_output")
    outputs = _tensors(outputs, "outputs")
    inputs = _tensors(inputs, "inputs")
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    gradients = _gradients(grad_outputs, len(outputs))
    if retain_graph is None:
        retain_graph = create_graph
    for o in STATE.observers:  # (a training backward is told by on_backward_begin; this is not one)
        begin = getattr(o, "on_grad_begin", None)
        if begin is not None:
            begin(outputs)
    found = run_backward(outputs, gradients, bool(retain_graph), create_graph, inputs)
    result = []
    for t, g in zip(inputs, found):
        if g is None:
            if not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                g = t._from_array(np.zeros(np.shape(t.array), dtype=t.array.dtype))
        elif any(g is r for r in result):  # one gradient handed to two inputs: each gets its own
            g = g + 0
        elif not isinstance(g, TensorBase):
            g = np.asarray(g)
            g = t._from_array(g.astype(t.array.dtype, copy=True))
        result.append(g)
    return tuple(result)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False,
             grad_variables=None, inputs=None) -> None:
    """Add the gradients of ``tensors`` (weighted by ``grad_tensors``) into the leaves' ``.grad``,
    or only into ``inputs``' (``torch.autograd.backward``)."""
    tensors = _tensors(tensors, "tensors")
    gradients = _gradients(grad_tensors if grad_tensors is not None else grad_variables, len(tensors))
    if inputs is not None:
        inputs = list(_tensors(inputs, "inputs"))
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    if retain_graph is None:
        retain_graph = create_graph
    _engine_backward(tensors, gradients, bool(retain_graph), create_graph, inputs)
