"""Names for a recording: where each op ran and what its output is, in a learner's symbols.

``finalize`` (in records.py) calls these on a filled-in recording: the target leaf is found
from the loss ops, every op gets a ``label`` (``layer1``, ``layer1 → relu``, ``loss · mean``) and
a ``name`` (``z``, ``h₂``, ``ŷ``, ``(ŷ − t)²``, ``L``).  They read the recording only through its
attributes and methods, so this module imports nothing else from the package.
"""
from __future__ import annotations

import numpy as np

#: Activations that make a layer's "a" from its pre-activation "z".
ACTIVATIONS = {"Relu": "relu", "Sigmoid": "σ", "Tanh": "tanh", "LeakyRelu": "leaky_relu",
               "Gelu": "gelu"}
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_EXPR = {"Sub": "({0} − {1})", "Add": "({0} + {1})", "Div": "{0}/{1}", "Pow": "{0}^{1}",
         "MatMul": "{0}·{1}", "Neg": "−{0}"}


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


def label_ops(rec) -> None:
    """Give every op a label: where it ran (``layer1``, ``layer1 → relu``, ``loss · mean``)."""
    counts: dict = {}
    for op in rec.ops:
        counts[op.module] = counts.get(op.module, 0) + 1
    out_idx = rec.output_ref.key if rec.output_ref is not None and rec.output_ref.kind == "op" \
        else None
    for op in rec.ops:
        short = op.op.lower()
        if op.module:
            op.label = op.module if counts[op.module] == 1 else f"{op.module} · {short}"
            continue
        src = next((rec.ops[r.key] for r in op.inputs if r.kind == "op"
                    and rec.ops[r.key].module), None)
        if src is not None and op.module == "":
            op.label = f"{src.label} → {short}"
        elif op.module is None and out_idx is not None and op.index > out_idx:
            op.label = f"loss · {short}"
        else:
            op.label = short


def name_ops(rec) -> None:
    """Give every op's output a symbol: ``z``/``h`` per hidden layer, ``ŷ``, ``L``, ``(ŷ − t)²``."""
    layers = rec.layers()
    out_idx = rec.output_ref.key if rec.output_ref is not None and rec.output_ref.kind == "op" \
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
    if out_idx is not None and not rec.ops[out_idx].name:
        rec.ops[out_idx].name = "ŷ"
    for op in rec.ops:
        if op.index == rec.loss_index:
            op.name = "L"
        if op.name:
            continue
        args = [rec.symbol(r) for r in op.inputs]
        if op.op == "Mul" and len(op.inputs) == 2 and op.inputs[0] == op.inputs[1]:
            name = f"{args[0]}²"
        elif op.op == "Mul":
            name = "·".join(args)
        elif op.op in _EXPR and len(args) >= _EXPR[op.op].count("{"):
            name = _EXPR[op.op].format(*args)
        else:
            name = f"{ACTIVATIONS.get(op.op, op.op.lower())}({', '.join(args)})"
        op.name = name if len(name) <= 24 else f"v{op.index}"
