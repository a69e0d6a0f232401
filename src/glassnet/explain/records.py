"""The recording's data: one training step as plain records, and ``StepRecords`` holding them.

This module is the bottom layer of ``glassnet.explain``: it imports only ``_numbers`` and
``naming`` (which import nothing of the package).  ``recorder`` (the glassnet engine), and any
other producer (``torch_record``: a real PyTorch step), fills a ``Recording`` (``recording.py``:
these records with the views as methods); the views, derivations, insights and renderers in
between read the records.  The data API below is stable: producers may rely on it, and new
fields are only ever added with defaults.

The data API
------------
``StepRecords`` (filled in by a producer, then ``finalize()`` d):

* ``ops`` — list of :class:`OpRecord`, in execution order; ``ops[i].index == i``.  ``phase``
  is ``"forward"`` for ops run before backward started, ``"after"`` for the re-run.
  ``inputs`` are :class:`Ref` s; ``input_values`` and ``output`` NumPy copies (``dtype=object``
  arrays of ``Fraction`` for exact arithmetic).  After backward: ``grad_out`` (∂L/∂output) and
  ``grad_inputs`` (what the node sent to each input, before un-broadcasting; ``None`` where it
  sent nothing).
* ``leaves`` — list of :class:`Leaf`: tensors no recorded op produced (``role`` ``"input"``,
  ``"target"`` or ``"constant"``); ``leaves[k].index == k``.
* ``module_calls`` — list of :class:`ModuleCall`: which module ran which ops.
* ``params`` — list of :class:`ParamRecord` in ``named_parameters()`` order: ``before``,
  ``grad`` (or None), ``after`` and the optimizer's ``terms``.
* ``loss_index`` — index of the op backward started from (the loss), or None.
* ``output_ref`` — :class:`Ref` to the model's output (the root module's return value).
* ``effect`` — :class:`Effect`: loss and predictions before and after the step.
* ``model_type`` (class name), ``dtype`` (``"float32"``, ``"float64"``, ``"exact"``),
  ``optimizer_type`` and ``hyper`` (the first param group's hyper-parameters), ``title``.
* ``claims`` (objects with ``quantity, seed, computed, verdict, note``), ``notes``
  (paragraphs), ``comparison`` (a ``compare_with_torch`` result): optional additions that the
  renderers show when present.

A :class:`Ref` says where a value came from: ``Ref("op", i)`` (the output of ``ops[i]``),
``Ref("param", name)`` or ``Ref("leaf", k)``.  ``finalize()`` marks the target leaf, names
constants, and gives every op a ``label`` (where it ran) and a ``name`` (a symbol: ``z``,
``h``, ``ŷ``, ``L``).

A producer may hold records back: it sets ``_producer`` to an object whose ``flush(rec)``
adds what it holds (and, once it has given everything and called ``finalize()``, clears
``_producer``; a reader in another thread waits in ``flush`` meanwhile).  Reading ``ops``,
``leaves``, ``module_calls``, ``params``, ``output_ref`` or ``effect`` runs ``complete()``
first, so readers never see the difference.

``recording.Recording`` adds the views as methods (``forward_table()``, ``derivation(entry)``,
``to_html()`` …); it sits above the views and renderers it calls, so that this module stays at
the bottom of the import graph.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from ._numbers import fmt
from .naming import ACTIVATIONS, find_target, label_ops, name_ops

# -- the entries ----------------------------------------------------------------------------
def snapshot(array):
    """A copy of a tensor's value that later in-place updates cannot change."""
    if isinstance(array, np.ndarray):
        return array.copy()
    return np.array(array, dtype=object if not isinstance(array, np.generic) else None)


@dataclass
class Ref:
    """Where an op's input came from: another op (``kind='op'``), a parameter or a leaf."""

    kind: str
    key: object


@dataclass
class Leaf:
    """A tensor that no recorded op produced: the model's input, a target, a constant."""

    index: int
    name: str
    value: np.ndarray
    role: str = "constant"          # 'input', 'target', 'constant'


@dataclass
class OpRecord:
    """One op of the forward pass, and (after ``backward``) what its node sent back."""

    index: int
    op: str                          # the Function's class name: 'Linear', 'Relu', 'Mean', ...
    node: str                        # torch's node name: 'LinearBackward0'
    module: str | None               # path of the module whose forward ran it (None: outside)
    inputs: list                     # Ref per input
    input_values: list               # NumPy copies, as they were at forward time
    output: np.ndarray
    requires_grad: bool
    attrs: dict
    phase: str = "forward"           # 'forward' (before backward) or 'after'
    grad_out: np.ndarray | None = None
    grad_inputs: list | None = None
    label: str = ""                  # 'layer1', 'layer1 → relu', 'loss · sub'
    name: str = ""                   # a symbol for its output: 'z', 'h', 'ŷ', '(ŷ − t)'

    @property
    def shape(self) -> tuple:
        return tuple(np.shape(self.output))


@dataclass
class ModuleCall:
    """One call of a module's forward: its path, class, input and output."""

    path: str
    type: str
    inputs: list
    output: Ref | None
    first_op: int
    last_op: int


@dataclass
class ParamRecord:
    """One parameter across the step: value before, gradient, update applied, value after."""

    name: str
    before: np.ndarray
    grad: np.ndarray | None
    after: np.ndarray
    terms: dict = field(default_factory=dict)   # optimizer terms: 'lr·grad', 'm̂', ...

    @property
    def delta(self) -> np.ndarray:
        """The change actually applied: after − before."""
        return self.after - self.before


@dataclass
class Effect:
    """The step's effect: loss and predictions before and after (forward re-run after the step)."""

    loss_before: object = None
    loss_after: object = None
    predictions_before: np.ndarray | None = None
    predictions_after: np.ndarray | None = None
    targets: np.ndarray | None = None
    note: str = ""


def _completed(name: str) -> property:
    """A field of ``StepRecords`` that reading completes first (see ``StepRecords.complete``)."""
    attr = "_" + name

    def get(self):
        if self._producer is not None:
            self.complete()
        return getattr(self, attr)

    def set_(self, value) -> None:
        setattr(self, attr, value)
    return property(get, set_, doc=f"The recording's ``{name}`` (completed on first read).")


class StepRecords:
    """The records of one training step (``recording.Recording`` adds the views as methods).

    Attributes
    ----------
    ops : list of OpRecord
        Every op, in execution order, with its module path, inputs, output and backward data.
    leaves : list of Leaf
        Tensors no op produced (the input ``x``, the target ``t``, constants).
    params : list of ParamRecord
        Each parameter's value before, gradient, optimizer terms and value after the step.
    effect : Effect
        Loss and predictions before and after the step.
    """

    def __init__(self, title: str = ""):
        self.title = title
        self._ops, self._leaves, self._module_calls, self._params = [], [], [], []
        self._output_ref = None
        self._producer = None     # a producer still holding records back (see complete())
        self._memo: dict = {}     # views computed once (the recorded data does not change)
        self.loss_index = None
        self.model_args = None
        self.model_type = ""
        self.dtype = None
        self._effect, self._effect_source, self._effect_pending = None, None, False
        self._effect_lock = threading.RLock()  # one thread computes a deferred effect
        self.step_before = self.step_after = None
        self.optimizer_type, self.hyper = None, {}
        self.claims = []          # a seed's printed numbers, checked (glassnet.lessons fills them)
        self.notes = []           # extra paragraphs (e.g. the example's story)
        self.comparison = None    # a compare_with_torch result, when one was run

    # -- the records, built and named on first use when the producer deferred them ----------
    ops = _completed("ops")
    leaves = _completed("leaves")
    module_calls = _completed("module_calls")
    params = _completed("params")
    output_ref = _completed("output_ref")

    def __getstate__(self) -> dict:
        """For ``copy``: the records completed first, the producer and the lock left behind."""
        self.complete()
        return {**self.__dict__, "_producer": None, "_effect_lock": None}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._effect_lock = threading.RLock()

    def complete(self) -> None:
        """Build what the producer held back (the recorder keeps building and naming the
        records out of the training step); any read of the records above runs this first."""
        producer = self._producer
        if producer is not None:
            producer.flush(self)            # clears _producer once it has given everything

    def cached(self, key, compute):
        """``compute()``, remembered under ``key``: views that several renderers need (the
        summaries, the insights) are computed once per recording."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # -- the effect, possibly deferred ------------------------------------------------------
    @property
    def effect(self):
        """The step's :class:`Effect`; computed on first access when the producer deferred it."""
        if self._producer is not None:
            self.complete()
        if self._effect_pending:            # (until computed: other threads wait for it)
            with self._effect_lock:
                source, self._effect_source = self._effect_source, None
                if source is not None:          # (None: computed, or this thread is at it)
                    try:
                        self._effect = source(self)
                    finally:                    # (computed, or failed: either way, once)
                        self._effect_pending = False
        return self._effect

    @effect.setter
    def effect(self, value) -> None:
        self._effect, self._effect_source, self._effect_pending = value, None, False

    def defer_effect(self, compute) -> None:
        """Compute the effect with ``compute(recording)`` (returning an :class:`Effect`) when
        first read (it is given the recording, so that it need not hold one: no cycle keeps an
        unread recording alive)."""
        self._effect, self._effect_source, self._effect_pending = None, compute, True

    # -- structure ---------------------------------------------------------------------------
    @property
    def exact(self) -> bool:
        return self.dtype == "exact"

    @property
    def forward_ops(self) -> list:
        return [op for op in self.ops if op.phase == "forward"]

    def param(self, name: str):
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"no parameter named {name!r}; the recording has "
                       f"{', '.join(p.name for p in self.params) or 'no parameters'}")

    def value(self, ref):
        """The forward value of what ``ref`` points to."""
        if ref.kind == "op":
            return self.ops[ref.key].output
        if ref.kind == "leaf":
            return self.leaves[ref.key].value
        return self.param(ref.key).before

    def grad(self, ref):
        """∂L/∂(what ``ref`` points to), as recorded (None when it got no gradient)."""
        if ref.kind == "op":
            return self.ops[ref.key].grad_out
        if ref.kind == "param":
            return self.param(ref.key).grad
        return None

    def symbol(self, ref) -> str:
        if ref.kind == "op":
            return self.ops[ref.key].name
        if ref.kind == "leaf":
            return self.leaves[ref.key].name
        return ref.key

    def consumers(self, ref) -> list:
        """[(op, [positions])] of the forward ops that read ``ref``, in the backward graph."""
        out = []
        for op in self.forward_ops:
            pos = [i for i, r in enumerate(op.inputs) if r == ref]
            if pos and op.grad_out is not None:
                out.append((op, pos))
        return out

    def layers(self) -> list:
        """Dense layers in call order: dicts with the Linear op, its activation op and names
        (computed once the recording is complete; a recording still being made is asked anew)."""
        if self._producer is not None:
            return self._layers()
        return self.cached("layers", self._layers)

    def _layers(self) -> list:
        readers: dict = {}                  # op index -> the forward ops reading its output, once each
        for o in self.forward_ops:
            for key in {r.key for r in o.inputs if r.kind == "op"}:
                readers.setdefault(key, []).append(o)
        out = []
        for op in self.forward_ops:
            if op.op != "Linear" or len(op.inputs) < 2 or op.inputs[1].kind != "param":
                continue
            users = readers.get(op.index, [])
            act = users[0] if len(users) == 1 and users[0].op in ACTIVATIONS else None
            out.append({"path": op.module if op.module else op.inputs[1].key.rsplit(".", 1)[0],
                        "linear": op, "activation": act, "x": op.inputs[0],
                        "weight": op.inputs[1].key,
                        "bias": op.inputs[2].key if len(op.inputs) > 2 and op.inputs[2].kind == "param"
                        else None})
        return out

    # -- naming ---------------------------------------------------------------------------
    def finalize(self) -> None:
        """Give every op a label (where it ran) and its output a symbol (what it is)."""
        find_target(self)
        for leaf in self.leaves:
            if leaf.role == "constant" and np.ndim(leaf.value) == 0:
                leaf.name = fmt(leaf.value)
        label_ops(self)
        name_ops(self)

    def __repr__(self) -> str:
        loss = "" if self.effect is None or self.effect.loss_before is None else \
            f", loss {float(self.effect.loss_before):.6g}"
        return (f"<Recording {self.title or self.model_type or 'step'}: {len(self.forward_ops)} forward ops, "
                f"{len(self.params)} parameters{loss}>")

