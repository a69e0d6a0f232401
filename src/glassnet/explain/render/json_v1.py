"""JSON in the versioned ``glassnet.explain/1`` schema (see docs/explain-json-schema.md).

Numbers are JSON numbers (exact values as their nearest double; the loss also as an exact
``"p/q"`` string); tensors are nested lists, or ``null`` with ``"elided": true`` past
``MAX_VALUES`` entries.  ``SCHEMA_PATH`` is the JSON Schema file that the output validates
against; ``validate`` checks a document with ``jsonschema`` when it is installed.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .. import attention, views
from .._numbers import is_exact, pct, scalar, to_float
from ..derivation import derive
from ..insights import cached_insights, dead_units
from ..local import Context, elem_local

SCHEMA_ID = "glassnet.explain/1"
SCHEMA_PATH = Path(__file__).with_name("explain-1.schema.json")
MAX_VALUES = 4096


def num(value):
    """A JSON number (None for NaN/inf or None)."""
    if value is None or isinstance(value, str):
        return None
    v = float(scalar(value))
    return v if math.isfinite(v) else None


def tensor(value):
    """A nested list of numbers (None when absent or larger than MAX_VALUES)."""
    if value is None or np.size(value) > MAX_VALUES:
        return None
    arr = to_float(np.asarray(value))
    if arr.ndim == 0:
        return num(arr[()])
    return [tensor(v) for v in arr]


def _exact_str(value):
    value = scalar(value)
    return f"{value.numerator}/{value.denominator}" if is_exact(value) else None


def _rows(arr):
    arr = np.asarray(arr)
    return arr.reshape(1, -1) if arr.ndim <= 1 else arr.reshape(-1, arr.shape[-1])


def _unit(arr, i):
    if arr is None:
        return None
    col = _rows(arr)[:, i]
    return num(col[0]) if col.shape[0] == 1 else [num(v) for v in col]


def slopes(rec, act):
    """The activation's local derivative g′(z) at every entry of its output, from local.py's rule
    (an object array; None where the op has no rule); None for a layer without activation."""
    if act is None:
        return None
    ctx, out = Context(rec), np.empty(np.shape(act.output), dtype=object)
    for p in np.ndindex(*out.shape):
        loc = elem_local(ctx, act, 0, p)
        out[p] = None if loc is None else loc[1]
    return out


def _inputs(value):
    """A layer's input per feature (per-sample values, like a neuron's z); None past MAX_VALUES."""
    if value is None or np.size(value) > MAX_VALUES:
        return None
    return [_unit(value, j) for j in range(_rows(value).shape[1])]


def layers(rec) -> list:
    """Per layer: its input values, neurons (z, a, slope, their gradients, bias) and edges
    (weight, grad, update)."""
    out = []
    for ly in rec.layers():
        lin, act = ly["linear"], ly["activation"]
        w = rec.param(ly["weight"])
        b = rec.param(ly["bias"]) if ly["bias"] else None
        a = act.output if act is not None else lin.output
        grad_a = act.grad_out if act is not None else lin.grad_out
        dead = set(dead_units(rec, ly))
        slope = slopes(rec, act)
        n_out, n_in = np.shape(w.before)
        neurons = []
        for i in range(n_out):
            bias = None if b is None else {
                "value": num(b.before[i]), "grad": None if b.grad is None else num(b.grad[i]),
                "update": num(b.delta[i]), "new": num(b.after[i])}
            status = "dead" if i in dead else ("output" if lin.name in ("ŷ", "z_out") else "alive")
            neurons.append({"index": i, "z": _unit(lin.output, i), "a": _unit(a, i),
                            "slope": _unit(slope, i),
                            "grad_z": _unit(lin.grad_out, i), "grad_a": _unit(grad_a, i),
                            "bias": bias, "status": status})
        edges = None
        if n_out * n_in <= MAX_VALUES:
            edges = [{"from": j, "to": i, "weight": num(w.before[i, j]),
                      "grad": None if w.grad is None else num(w.grad[i, j]),
                      "update": num(w.delta[i, j]), "new": num(w.after[i, j])}
                     for i in range(n_out) for j in range(n_in)]
        out.append({"name": ly["path"], "type": "Linear",
                    "activation": None if act is None else act.op.lower(),
                    "in_features": int(n_in), "out_features": int(n_out),
                    "input": rec.symbol(ly["x"]), "x": _inputs(rec.value(ly["x"])),
                    "weight": w.name, "bias": b.name if b else None,
                    "neurons": neurons, "edges": edges, "edges_elided": edges is None})
    return out


def ops(rec) -> list:
    """Every forward op, with its backward entry when backward visited it."""
    out = []
    for op in rec.forward_ops:
        backward = None
        if op.grad_out is not None:
            passes = []
            for ref, g in zip(op.inputs, op.grad_inputs or ()):
                if g is not None and ref.kind != "leaf":
                    passes.append({"input": rec.symbol(ref), "grad": tensor(g)})
            backward = {"upstream": tensor(op.grad_out), "local": views.local_derivative(rec, op),
                        "passes_on": passes}
        out.append({"index": op.index, "op": op.op, "node": op.node, "module": op.module,
                    "label": op.label, "name": op.name,
                    "inputs": [{"kind": r.kind, "ref": r.key if r.kind != "leaf" else int(r.key),
                                "name": rec.symbol(r)} for r in op.inputs],
                    "shape": list(op.shape), "value": tensor(op.output),
                    "elided": np.size(op.output) > MAX_VALUES, "backward": backward})
    return out


def effect(rec, encode):
    """The effect of the step (None without one); ``encode`` writes its predictions and targets."""
    e = rec.effect
    if e is None:
        return None
    change = pct(e.loss_before, e.loss_after) if e.loss_after is not None and e.loss_before else None
    return {"loss_before": num(e.loss_before), "loss_after": num(e.loss_after),
            "change_percent": num(change), "predictions_before": encode(e.predictions_before),
            "predictions_after": encode(e.predictions_after), "targets": encode(e.targets),
            "exact": {"loss_before": _exact_str(e.loss_before),
                      "loss_after": _exact_str(e.loss_after)} if rec.exact else None,
            "note": e.note}


def hyper(rec) -> dict:
    """The optimizer's numeric (and boolean) hyperparameters."""
    return {k: (num(v) if isinstance(v, (int, float)) or is_exact(v) else
                [num(x) for x in v] if isinstance(v, (tuple, list)) else v)
            for k, v in rec.hyper.items() if isinstance(v, (int, float, tuple, list, bool)) or is_exact(v)}


def default_for(encode):
    """A ``json.dumps`` ``default`` that writes arrays with ``encode`` (both schema versions)."""
    def default(value):
        if isinstance(value, np.ndarray):
            return encode(value)
        if isinstance(value, np.generic):
            return value.item()
        return num(value) if is_exact(value) else str(value)
    return default


def closing(rec, entries, effect_doc, default) -> dict:
    """The keys both versions end with, in order: update summary, effect, insights, derivations,
    claims, comparison."""
    counts = views.update_counts(rec) if rec.params else None
    derivations = []
    for entry in entries:
        d = derive(rec, entry)
        derivations.append({"entry": d.entry, "value": num(d.value), "headline": d.headline,
                            "convention": d.convention, "agrees": d.agrees,
                            "lines": [{"math": m, "note": n} for m, n in d.lines]})
    extra = {}
    if attention.attention_sites(rec):
        extra["attention"] = attention.attention(rec).to_dict()
    return {
        "update_summary": None if counts is None else {**counts, "text": views.update_summary(rec)},
        "effect": effect_doc,
        "insights": [{"kind": i.kind, "where": i.where, "message": i.message, "severity": i.severity,
                      "data": json.loads(json.dumps(i.data, default=default))} for i in cached_insights(rec)],
        "derivations": derivations,
        "claims": [{"quantity": c.quantity, "seed": c.seed, "computed": c.computed,
                    "verdict": c.verdict, "note": c.note} for c in rec.claims],
        "comparison": None if rec.comparison is None else rec.comparison.to_dict(),
        **extra,
    }


def to_dict(rec, entries=()) -> dict:
    """The recording as a ``glassnet.explain/1`` document (a dict ready for ``json.dumps``)."""
    effect_doc = effect(rec, tensor)
    return {
        "schema": SCHEMA_ID, "title": rec.title, "model": rec.model_type or None,
        "dtype": rec.dtype, "exact": rec.exact,
        "optimizer": None if not rec.optimizer_type else {"type": rec.optimizer_type, "hyper": hyper(rec)},
        "layers": layers(rec), "ops": ops(rec),
        "parameters": [{"name": p.name, "shape": list(np.shape(p.before)), "before": tensor(p.before),
                        "grad": tensor(p.grad), "update": tensor(p.delta), "after": tensor(p.after),
                        "terms": {k: tensor(v) for k, v in p.terms.items()}} for p in rec.params],
        **closing(rec, entries, effect_doc, _default),
    }


_default = default_for(tensor)


def to_json(rec, entries=(), indent: int = 2) -> str:
    return json.dumps(to_dict(rec, entries), indent=indent, ensure_ascii=False, default=_default)


def schema() -> dict:
    """The JSON Schema of ``glassnet.explain/1``."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate(document: dict) -> None:
    """Raise ``jsonschema.ValidationError`` if ``document`` does not follow the schema."""
    import jsonschema
    jsonschema.validate(document, schema())
