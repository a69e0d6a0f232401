"""Training without an optimizer: each ``backward()`` is one step, the update is whatever changed.

PyTorch's first tutorials, micrograd and makemore train by hand — ``w -= lr * w.grad`` under
``torch.no_grad()``, ``p.data += -lr * p.grad``, a d2l-style ``sgd(params, lr, batch_size)`` —
and no optimizer hook ever fires.  Until the first ``optimizer.step()`` is seen, the observer
treats the time from one ``backward()`` to the next as one step: the leaves the loss depends on
(found by walking ``grad_fn`` back to the ``AccumulateGrad`` nodes) are the parameters, their
gradients are measured right after ``backward()``, and their update is ‖w at the next
``backward()`` − w at this one‖, whatever wrote it (``-=``, ``.data``, ``add_``, ``copy_``).
"""
from __future__ import annotations

import sys

from ._torch_util import _norms, _numpy, _param_stats

#: The step name manual updates get in ``Step.optimizer``.
MANUAL = "manual update"


def graph_leaves(tensor) -> list:
    """The leaf tensors that require grad and that ``tensor`` depends on, in graph order."""
    fn = getattr(tensor, "grad_fn", None)
    if fn is None:
        return [tensor] if getattr(tensor, "requires_grad", False) else []
    leaves, seen, stack = [], {id(fn)}, [fn]
    while stack:                                     # iterative: deep graphs do not overflow
        node = stack.pop()
        variable = getattr(node, "variable", None)   # AccumulateGrad holds its leaf
        if variable is not None:
            leaves.append(variable)
            continue
        for nxt, _ in getattr(node, "next_functions", ()):
            if nxt is not None and id(nxt) not in seen:
                seen.add(id(nxt))
                stack.append(nxt)
    leaves.reverse()
    return leaves


def script_names(source: str | None) -> dict:
    """``{id(value): name}`` of the variables of the observed script's innermost running frame."""
    if source is None:
        return {}
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename != source:
        frame = frame.f_back
    if frame is None:
        return {}
    names = {id(v): k for k, v in frame.f_globals.items() if not k.startswith("_")}
    names.update({id(v): k for k, v in frame.f_locals.items() if not k.startswith("_")})
    return names


def record_updates(step, entries, norms, values: bool) -> None:
    """Each ``(name, tensor)``'s update norm (and, with ``values``, its value after) into
    ``step.params``; shared with the optimizer hooks."""
    for (name, p), un in zip(entries, norms):
        stat = step.params.get(name)
        if stat is not None:
            stat.update_norm = un
            if values:
                stat.values["after"] = _numpy(p)


class ManualUpdates:
    """One observer's bookkeeping of steps cut at ``backward()`` (see the module docstring)."""

    def __init__(self, torch, source: str | None = None, values: bool = False):
        self.torch, self.source, self.values = torch, source, values
        self.entries = None          # [(name, tensor)] of the step in progress
        self.before = None           # their values when its backward began (measured steps)
        self._names: dict = {}       # id(leaf) → name, kept across steps

    @property
    def open(self) -> bool:
        return self.entries is not None

    def begin(self, tensor, named: dict, measure: bool) -> None:
        """A ``backward()`` starts: note the leaves, and on measured steps their values."""
        leaves = graph_leaves(tensor) if measure or self.entries is None else \
            [p for _, p in self.entries]
        missing = [p for p in leaves if id(p) not in self._names and id(p) not in named]
        if missing:
            local = script_names(self.source)
            for i, p in enumerate(missing):
                self._names[id(p)] = local.get(id(p)) or f"tensor{len(self._names)}"
        self.entries = [(named.get(id(p)) or self._names[id(p)], p) for p in leaves]
        with self.torch.no_grad():
            self.before = [p.detach().clone() for _, p in self.entries] if measure else None

    def measure_grads(self, step) -> None:
        """Right after ``backward()``: each leaf's gradient and weight norm into ``step.params``."""
        if self.before is None:
            return
        step.params.update(_param_stats(self.torch, [(name, p, before, True) for (name, p), before
                                                      in zip(self.entries, self.before)], self.values))
        step.optimizer = MANUAL

    def close(self, step) -> None:
        """The next ``backward()`` (or the end): the update of each leaf since this one began."""
        if self.before is not None and step.params:
            with self.torch.no_grad():
                deltas = [p.detach() - b for (_, p), b in zip(self.entries, self.before)]
            record_updates(step, self.entries, _norms(self.torch, deltas), self.values)
        step.optimizer = step.optimizer or MANUAL
        self.before = None

    def drop(self) -> None:
        """An optimizer took over: its hooks cut the steps from now on."""
        self.entries = self.before = None
