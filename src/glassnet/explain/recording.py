"""The recording's data: one training step as plain records, and ``Recording`` holding them.

This module is the bottom layer of ``glassnet.explain``: it imports nothing from the rest of
the package at module level.  ``recorder`` (the glassnet engine), and any other producer (the
PyTorch bridge), fills a ``Recording``; the views, derivations, insights and renderers above
read it.  The data API below is stable: producers may rely on it, and new fields are only ever
added with defaults.

The data API
------------
``Recording`` (filled in by a producer, then ``finalize()`` d):

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

``Recording`` also offers the views as methods (``forward_table()``, ``derivation(entry)``,
``to_html()`` …).  They are thin: each imports its view module when called, so that this
module stays at the bottom of the import graph.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._numbers import fmt

#: Activations that make a layer's "a" from its pre-activation "z".
ACTIVATIONS = {"Relu": "relu", "Sigmoid": "σ", "Tanh": "tanh", "LeakyRelu": "leaky_relu",
               "Gelu": "gelu"}
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_EXPR = {"Sub": "({0} − {1})", "Add": "({0} + {1})", "Div": "{0}/{1}", "Pow": "{0}^{1}",
         "MatMul": "{0}·{1}", "Neg": "−{0}"}


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


def loss_ops(rec) -> list:
    """Indices of the forward ops between the model's output and the loss (the loss's recipe)."""
    if rec.loss_index is None or rec.output_ref is None or rec.output_ref.kind != "op":
        return []
    downstream = {rec.output_ref.key}
    chain = []
    for op in rec.ops[rec.output_ref.key + 1: rec.loss_index + 1]:
        if op.phase == "forward" and any(r.kind == "op" and r.key in downstream for r in op.inputs):
            downstream.add(op.index)
            chain.append(op.index)
    return chain if rec.loss_index in downstream else []


def find_target(rec):
    """The leaf compared with the model's output in the first loss op (marked role 'target')."""
    chain = loss_ops(rec)
    if not chain:
        return None
    out_shape = rec.ops[rec.output_ref.key].shape
    for i in chain:
        for r in rec.ops[i].inputs:
            if r.kind == "leaf":
                leaf = rec.leaves[r.key]
                if np.shape(leaf.value) == out_shape:
                    leaf.role = "target"
                    if leaf.name.startswith("c") and leaf.name[1:].isdigit():
                        leaf.name = "t"
                    return leaf
    return None

def entry_symbol(name: str, index: tuple, numel: int) -> str:
    """``z₂`` for a short name and a 1-D index, ``layer1.weight[2, 0]`` otherwise."""
    if numel == 1 or index is None:
        return name
    if len(index) == 1 and len(name) <= 2 and not name.endswith(("²", ")")):
        return name + str(index[0]).translate(_SUB)
    return f"{name}[{', '.join(str(i) for i in index)}]"


class Recording:
    """A recorded training step (see ``glassnet.explain.record``).

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
        self.ops, self.leaves, self.module_calls, self.params = [], [], [], []
        self.loss_index = None
        self.output_ref = None
        self.model_args = None
        self.model_type = ""
        self.dtype = None
        self.effect = None
        self.step_before = self.step_after = None
        self.optimizer_type, self.hyper = None, {}
        self.claims = []          # a seed's printed numbers, checked (glassnet.lessons fills them)
        self.notes = []           # extra paragraphs (e.g. the example's story)
        self.comparison = None    # a compare_with_torch result, when one was run

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
        """Dense layers in call order: dicts with the Linear op, its activation op and names."""
        out = []
        for op in self.forward_ops:
            if op.op != "Linear" or len(op.inputs) < 2 or op.inputs[1].kind != "param":
                continue
            users = [o for o in self.forward_ops if any(r == _op_ref(op) for r in o.inputs)]
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
        self._label_ops()
        self._name_ops()

    def _label_ops(self) -> None:
        counts: dict = {}
        for op in self.ops:
            counts[op.module] = counts.get(op.module, 0) + 1
        out_idx = self.output_ref.key if self.output_ref is not None and self.output_ref.kind == "op" \
            else None
        for op in self.ops:
            short = op.op.lower()
            if op.module:
                op.label = op.module if counts[op.module] == 1 else f"{op.module} · {short}"
                continue
            src = next((self.ops[r.key] for r in op.inputs if r.kind == "op"
                        and self.ops[r.key].module), None)
            if src is not None and op.module == "":
                op.label = f"{src.label} → {short}"
            elif op.module is None and out_idx is not None and op.index > out_idx:
                op.label = f"loss · {short}"
            else:
                op.label = short

    def _name_ops(self) -> None:
        layers = self.layers()
        out_idx = self.output_ref.key if self.output_ref is not None and self.output_ref.kind == "op" \
            else None
        hidden = [ly for ly in layers if out_idx not in (ly["linear"].index,
                                                         getattr(ly["activation"], "index", None))]
        for k, ly in enumerate(hidden, 1):
            suffix = "" if len(hidden) == 1 else str(k)
            ly["linear"].name = "z" + suffix
            if ly["activation"] is not None:
                ly["activation"].name = "h" + suffix
        for ly in layers:
            if ly in hidden:
                continue
            if ly["activation"] is not None and ly["activation"].index == out_idx:
                ly["linear"].name, ly["activation"].name = "z_out", "ŷ"
            elif ly["linear"].index == out_idx:
                ly["linear"].name = "ŷ"
        if out_idx is not None and not self.ops[out_idx].name:
            self.ops[out_idx].name = "ŷ"
        for op in self.ops:
            if op.index == self.loss_index:
                op.name = "L"
            if op.name:
                continue
            args = [self.symbol(r) for r in op.inputs]
            if op.op == "Mul" and len(op.inputs) == 2 and op.inputs[0] == op.inputs[1]:
                name = f"{args[0]}²"
            elif op.op == "Mul":
                name = "·".join(args)
            elif op.op in _EXPR and len(args) >= _EXPR[op.op].count("{"):
                name = _EXPR[op.op].format(*args)
            else:
                name = f"{ACTIVATIONS.get(op.op, op.op.lower())}({', '.join(args)})"
            op.name = name if len(name) <= 24 else f"v{op.index}"

    # -- views (see views.py, derivation.py, insights.py) ---------------------------------
    def derivation(self, entry: str):
        """The chain rule for one parameter entry, e.g. ``"layer1.weight[2, 0]"``, with numbers."""
        from .derivation import derive
        return derive(self, entry)

    def forward_table(self):
        from .views import forward_table
        return forward_table(self)

    def ops_table(self):
        from .views import ops_table
        return ops_table(self)

    def backward_table(self):
        from .views import backward_table
        return backward_table(self)

    def gradient_table(self):
        from .views import gradient_table
        return gradient_table(self)

    def update_table(self):
        from .views import update_table
        return update_table(self)

    def update_summary(self) -> str:
        from .views import update_summary
        return update_summary(self)

    def effect_table(self):
        from .views import effect_table
        return effect_table(self)

    def insights(self) -> list:
        from .insights import insights
        return insights(self)

    # -- renderers ------------------------------------------------------------------------
    def document(self, entries=()):
        from .render.document import build
        return build(self, entries)

    def to_text(self, entries=(), width: int = 110) -> str:
        from .render.text import render
        return render(self.document(entries), width=width)

    def to_markdown(self, entries=()) -> str:
        from .render.markdown import render
        return render(self.document(entries))

    def to_latex(self, entries=()) -> str:
        from .render.latex import render
        return render(self.document(entries))

    def to_html(self, entries=()) -> str:
        from .render.html import render
        return render(self.document(entries))

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_dict(self, entries=()) -> dict:
        from .render.json import to_dict
        return to_dict(self, entries)

    def to_json(self, entries=(), indent: int = 2) -> str:
        from .render.json import to_json
        return to_json(self, entries, indent=indent)

    def to_dot(self) -> str:
        from .graph import to_dot
        return to_dot(self)

    def to_svg(self):
        from .graph import to_svg
        return to_svg(self)

    def __repr__(self) -> str:
        loss = "" if self.effect is None or self.effect.loss_before is None else \
            f", loss {float(self.effect.loss_before):.6g}"
        return (f"<Recording {self.title or self.model_type or 'step'}: {len(self.forward_ops)} forward ops, "
                f"{len(self.params)} parameters{loss}>")


def _op_ref(op):
    return Ref("op", op.index)
