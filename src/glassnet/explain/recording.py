"""``Recording``: what ``record`` captured, with names for every tensor and views on top.

A recording is plain data (``ops``, ``leaves``, ``module_calls``, ``params``, ``effect``) plus
methods that compute views from it (tables, derivations, insights) and render it (text,
Markdown, LaTeX, HTML, JSON, DOT).  In Jupyter it displays itself through ``_repr_html_``.
"""
from __future__ import annotations

import numpy as np

#: Activations that make a layer's "a" from its pre-activation "z".
ACTIVATIONS = {"Relu": "relu", "Sigmoid": "σ", "Tanh": "tanh", "LeakyRelu": "leaky_relu",
               "Gelu": "gelu"}
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_EXPR = {"Sub": "({0} − {1})", "Add": "({0} + {1})", "Div": "{0}/{1}", "Pow": "{0}^{1}",
         "MatMul": "{0}·{1}", "Neg": "−{0}"}


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
        self.claims = []          # seed checks, filled in by glassnet.explain.examples
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
        from .effect import find_target
        find_target(self)
        for leaf in self.leaves:
            if leaf.role == "constant" and np.ndim(leaf.value) == 0:
                from ._numbers import fmt
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
    from .recorder import Ref
    return Ref("op", op.index)
