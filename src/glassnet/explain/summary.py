"""Summaries of a recording, per layer, per parameter and per op: what a large step shows first.

Every number here is one NumPy reduction over a recorded array, so a summary costs a few passes
over the data whatever the network's size.  Which view a renderer shows by default depends on
the recording's size (:func:`detail_level`):

* **full** (every unit, every entry, as the seed lessons show them) when the recording has at
  most :data:`FULL_DETAIL_LIMIT` parameter entries *and* no recorded tensor is larger than that;
* **summary** (this module's tables, the largest entries, insights) above it.

``detail="full"`` forces the full tables, ``detail="summary"`` the summary.
"""
from __future__ import annotations

import numpy as np

from ._numbers import scalar, to_float
from .naming import ACTIVATIONS
from .records import Ref

#: The size (parameter entries, and entries of the largest recorded tensor) up to which the
#: renderers show every number by default.  The seeds (≤ 31 parameters) and the playground's
#: networks (2-8-8-8-1 at most: 169 parameters, batch 1) are well inside it.
FULL_DETAIL_LIMIT = 1000
DETAILS = ("auto", "summary", "full")
#: Sigmoid/tanh local slope below which an entry counts as saturated (as in insights).
SATURATION = 0.01
TOP = 5


def size(rec) -> dict:
    """``{"parameters": entries in all parameters, "largest_tensor": entries of the largest
    recorded forward value}``."""
    params = int(sum(np.size(p.before) for p in rec.params))
    largest = max((int(np.size(op.output)) for op in rec.forward_ops), default=0)
    return {"parameters": params, "largest_tensor": largest}


def detail_level(rec, detail=None) -> str:
    """``"full"`` or ``"summary"`` for ``detail`` (None/``"auto"``: chosen by size, see above)."""
    if detail in (None, "auto"):
        s = size(rec)
        return "full" if max(s.values()) <= FULL_DETAIL_LIMIT else "summary"
    if detail not in DETAILS:
        raise ValueError(f"detail must be one of {', '.join(map(repr, DETAILS))}, got {detail!r}")
    return detail


def floats(value):
    """A recorded value as a float64 array (exact fractions converted), or None."""
    if value is None:
        return None
    return np.asarray(to_float(np.asarray(value)), dtype=np.float64)


def _finite(v: float):
    return float(v) if np.isfinite(v) else None


def stats(value) -> dict | None:
    """``{mean, std, min, max, norm}`` of a tensor (norm: the Euclidean norm of all entries;
    None for a statistic that is NaN or infinite)."""
    a = floats(value)
    if a is None or a.size == 0:
        return None
    with np.errstate(invalid="ignore", over="ignore"):     # (−∞ in masked scores: those are None)
        return {"mean": _finite(a.mean()), "std": _finite(a.std()), "min": _finite(a.min()),
                "max": _finite(a.max()), "norm": _finite(np.sqrt(np.sum(a * a)))}


def _rows(a):
    a = np.asarray(a)
    return a.reshape(1, -1) if a.ndim <= 1 else a.reshape(-1, a.shape[-1])


def dead_mask(layer) -> np.ndarray:
    """Per unit: a ReLU unit whose pre-activation is ≤ 0 for every sample (all False otherwise)."""
    z = _rows(layer["linear"].output)
    act = layer["activation"]
    if act is None or act.op != "Relu":
        return np.zeros(z.shape[1], dtype=bool)
    return np.all(z <= 0, axis=0)


def slope(act) -> np.ndarray | None:
    """The activation's local derivative at every entry, for relu, sigmoid, tanh, leaky relu."""
    if act is None:
        return None
    if act.op == "Relu":
        return (floats(act.input_values[0]) > 0).astype(np.float64)
    if act.op == "LeakyRelu":
        return np.where(floats(act.input_values[0]) > 0, 1.0, float(act.attrs.get("slope", 0.01)))
    a = floats(act.output)
    if act.op == "Sigmoid":
        return a * (1 - a)
    if act.op == "Tanh":
        return 1 - a * a
    return None


def layer_summaries(rec) -> list:
    """Per dense layer: sizes, activation, dead and saturated fractions, z/a/∂L/∂z statistics."""
    return rec.cached("layer_summaries", lambda: _layer_summaries(rec))


def _layer_summaries(rec):
    out = []
    for ly in rec.layers():
        lin, act = ly["linear"], ly["activation"]
        dead = dead_mask(ly)
        s = slope(act) if act is not None and act.op in ("Sigmoid", "Tanh") else None
        w = rec.param(ly["weight"])
        n_out, n_in = np.shape(w.before)
        out.append({
            "name": ly["path"], "in_features": int(n_in), "out_features": int(n_out),
            "activation": None if act is None else act.op.lower(), "input": rec.symbol(ly["x"]),
            "weight": ly["weight"], "bias": ly["bias"],
            "dead_units": int(dead.sum()), "dead_fraction": float(dead.mean()) if dead.size else 0.0,
            "saturated_fraction": None if s is None else float(np.mean(s < SATURATION)),
            "z": stats(lin.output), "a": stats(act.output if act is not None else lin.output),
            "grad_z": stats(lin.grad_out)})
    return out


def param_summaries(rec) -> list:
    """Per parameter: value/gradient/update statistics, update-to-weight ratio, counts."""
    return rec.cached("param_summaries", lambda: _param_summaries(rec))


def _param_summaries(rec):
    out = []
    for p in rec.params:
        before, after = floats(p.before), floats(p.after)
        delta = after - before
        grad = floats(p.grad)
        wn = float(np.sqrt(np.sum(before * before)))
        un = float(np.sqrt(np.sum(delta * delta)))
        moved = np.asarray(p.after != p.before)
        out.append({"name": p.name, "shape": list(np.shape(p.before)), "numel": int(np.size(p.before)),
                    "value": stats(before), "grad": stats(grad), "update": stats(delta),
                    "update_to_weight": _finite(un / wn) if wn > 0 and np.isfinite(wn) else None,
                    "changed": int(np.count_nonzero(moved)),
                    "zero_grad": int(np.size(p.before)) if grad is None else int(np.count_nonzero(grad == 0))})
    return out


def entry_name(name: str, idx: tuple) -> str:
    return f"{name}[{', '.join(map(str, idx))}]" if idx else name


def entry(p, idx: tuple) -> dict:
    """One parameter entry's numbers: ``{entry, value, grad, update, new}``."""
    old, new = scalar(p.before[idx]), scalar(p.after[idx])
    return {"entry": entry_name(p.name, idx), "value": old,
            "grad": None if p.grad is None else scalar(p.grad[idx]), "update": new - old, "new": new}


def largest(rec, what: str = "grad", k: int = TOP) -> list:
    """The ``k`` entries with the largest |gradient| (``what="grad"``) or |update| over all
    parameters, largest first (ties: parameter order, then index order)."""
    return rec.cached(("largest", what, k), lambda: _largest(rec, what, k))


def _largest(rec, what: str, k: int) -> list:
    cands = []
    for order, p in enumerate(rec.params):
        if what == "grad":
            if p.grad is None:
                continue
            mag = np.abs(floats(p.grad)).ravel()
        else:
            mag = np.abs(floats(p.after) - floats(p.before)).ravel()
        if mag.size == 0:
            continue
        top = np.argpartition(-mag, min(k, mag.size) - 1)[:k] if mag.size > k else np.arange(mag.size)
        cands += [(-float(mag[i]), order, int(i), p) for i in top if mag[i] > 0]
    cands.sort(key=lambda c: c[:3])
    return [entry(p, tuple(int(v) for v in np.unravel_index(i, np.shape(p.before))))
            for _, _, i, p in cands[:k]]


def op_summaries(rec) -> list:
    """Per forward op: where it ran, its inputs, output shape, value and gradient statistics."""
    return rec.cached("op_summaries", lambda: _op_summaries(rec))


def _op_summaries(rec):
    return [{"index": op.index, "op": op.op, "node": op.node, "module": op.module, "label": op.label,
             "name": op.name, "inputs": [rec.symbol(r) for r in op.inputs], "shape": list(op.shape),
             "value": stats(op.output), "grad": stats(op.grad_out)} for op in rec.forward_ops]


def update_counts(rec) -> dict:
    """Counts over every parameter entry: total, changed, zero gradient, lost to float resolution."""
    return rec.cached("update_counts", lambda: _update_counts(rec))


def _update_counts(rec):
    total = changed = zero = lost = 0
    for p in rec.params:
        moved = np.asarray(p.after != p.before, dtype=bool).reshape(np.shape(p.before))
        nonzero = np.zeros(np.shape(p.before), dtype=bool) if p.grad is None \
            else np.asarray(p.grad != 0, dtype=bool).reshape(np.shape(p.before))
        total += int(np.size(p.before))
        changed += int(np.count_nonzero(moved))
        zero += int(np.size(p.before) - np.count_nonzero(nonzero))
        lost += int(np.count_nonzero(nonzero & ~moved))
    return {"total": total, "changed": changed, "zero_grad": zero, "below_resolution": lost}


# -- convolution layers ---------------------------------------------------------------------------
#: Ops that may sit between a convolution and its activation (the activation is looked for
#: through them, e.g. conv → batch norm → relu).
_BETWEEN = ("BatchNorm", "GroupNorm", "Add", "Dropout")


def conv_layers(rec) -> list:
    """Per convolution op with a weight parameter: ``{"path", "conv", "weight", "bias",
    "activation"}`` (the activation op that follows, through a batch norm, or None)."""
    return rec.cached("conv_layers", lambda: _conv_layers(rec))


def _conv_layers(rec):
    out = []
    for op in rec.forward_ops:
        if op.op != "ConvNd" or len(op.inputs) < 2 or op.inputs[1].kind != "param":
            continue
        act, cur = None, op
        for _ in range(3):
            users = rec.consumers(Ref("op", cur.index))
            if len(users) != 1 or users[0][0].shape != op.shape:
                break
            nxt = users[0][0]
            if nxt.op in ACTIVATIONS:
                act = nxt
                break
            if not nxt.op.startswith(_BETWEEN):
                break
            cur = nxt
        bias = op.inputs[2].key if len(op.inputs) > 2 and op.inputs[2].kind == "param" else None
        out.append({"path": op.module or op.label, "conv": op, "weight": op.inputs[1].key,
                    "bias": bias, "activation": act})
    return out


def _per_channel_norm(a):
    a = floats(a)
    return None if a is None else np.sqrt(np.sum(a.reshape(a.shape[0], -1) ** 2, axis=1))


def conv_summaries(rec) -> list:
    """Per convolution layer: its geometry, dead channels (a ReLU channel that is 0 at every
    sample and position), and per output channel: the fraction of zero activations, the
    activation's mean, ‖∂L/∂W[o]‖, ∂L/∂b[o], ‖update of W[o]‖ and ‖update‖/‖W[o]‖."""
    return rec.cached("conv_summaries", lambda: _conv_summaries(rec))


def _conv_summaries(rec):
    out = []
    for ly in conv_layers(rec):
        op, act = ly["conv"], ly["activation"]
        w = rec.param(ly["weight"])
        o, cg = np.shape(w.before)[:2]
        z = floats(act.input_values[0] if act is not None else op.output)
        axes = (0,) + tuple(range(2, z.ndim))
        a = floats(act.output) if act is not None else z
        relu = act is not None and act.op == "Relu"
        zero = np.mean(z <= 0, axis=axes) if relu else np.zeros(o)
        dead = zero >= 1.0
        before, after = floats(w.before), floats(w.after)
        wn, un = _per_channel_norm(before), _per_channel_norm(after - before)
        b = rec.param(ly["bias"]) if ly["bias"] else None
        channels = []
        for c in range(o):
            channels.append({
                "channel": c, "zero_fraction": float(zero[c]), "dead": bool(dead[c]),
                "activation_mean": _finite(float(np.mean(np.take(a, c, axis=1)))),
                "grad_norm": None if w.grad is None else _finite(float(_per_channel_norm(w.grad)[c])),
                "bias_grad": None if b is None or b.grad is None else _finite(float(floats(b.grad)[c])),
                "update_norm": _finite(float(un[c])),
                "update_to_weight": _finite(float(un[c] / wn[c])) if wn[c] > 0 else None})
        out.append({
            "name": ly["path"], "in_channels": int(np.shape(op.input_values[0])[1]), "out_channels": int(o),
            "kernel": list(np.shape(w.before)[2:]), "stride": list(op.attrs.get("stride", ())),
            "padding": [int(p[0]) for p in op.attrs.get("pads", ())], "groups": int(op.attrs.get("groups", 1)),
            "output": list(op.shape), "activation": None if act is None else act.op.lower(),
            "weight": ly["weight"], "bias": ly["bias"],
            "dead_channels": int(dead.sum()), "dead_fraction": float(dead.mean()),
            "zero_fraction": float(np.mean(z <= 0)) if relu else 0.0,
            "z": stats(z), "grad_out": stats(op.grad_out), "channels": channels})
    return out


def conv_arrays(rec, layer=None, sample: int = 0) -> dict:
    """The arrays a convolution layer's figures draw: ``kernels`` (O, C/g, *K) before the step,
    ``maps`` (O, *Out): the feature maps of ``sample`` (after the activation when there is one),
    ``input`` (C, *S): that sample's input to the layer.  ``layer``: a path (default: the first)."""
    layers = conv_layers(rec)
    if not layers:
        raise ValueError("the recording has no convolution layer")
    ly = layers[0] if layer is None else next((x for x in layers if x["path"] == layer), None)
    if ly is None:
        raise KeyError(f"no convolution layer {layer!r}; there are {[x['path'] for x in layers]}")
    op, act = ly["conv"], ly["activation"]
    maps = floats((act or op).output)
    return {"path": ly["path"], "kernels": floats(rec.param(ly["weight"]).before),
            "maps": maps[sample], "input": floats(op.input_values[0])[sample],
            "activation": None if act is None else act.op.lower()}


def conv_figures(rec, layer=None, sample: int = 0) -> dict:
    """``{"kernels": Figure, "maps": Figure}`` of a convolution layer (``conv_arrays``), drawn by
    ``glassnet.viz.kernel_grid`` and ``channel_maps``, each grid on one shared colour scale."""
    from ..viz import channel_maps, kernel_grid    # matplotlib loads only when a figure is drawn
    a = conv_arrays(rec, layer, sample)
    after = f" after {a['activation']}" if a["activation"] else ""
    return {"kernels": kernel_grid(a["kernels"], title=f"{a['path']}: kernels"),
            "maps": channel_maps(a["maps"], title=f"{a['path']}: feature maps of sample {sample}{after}",
                                 symmetric=not a["activation"])}
