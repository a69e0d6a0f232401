"""Step through one output value of a conv layer: its receptive field, its multiply-adds, then the
backward pass of one kernel weight — all read from one ``glassnet.explain`` recording.

The recording is one training step on the current digit (on copies of the model and optimizer;
the session is not changed), as ``glassnet explain`` would record it.  The ``explain`` message
holds:

* ``receptive``  ``step.receptive_field(path, 0, o, y, x)``: the input pixels the value reads
  (``mask``, 8 × 8), its box and explain's sentence;
* ``forward``    the value's multiply-adds ``Σ_{c,i,j} x[c, y+i−p, x+j−p] · W[o, c, i, j] + b``,
  each factor taken from the recorded op's inputs (the layer's input as it was, the kernel before
  the step), the largest terms first, their sum and the recorded output z and activation a;
* ``backward``   ``step.derivation("path.weight[o, c, i, j]")``: explain's derivation of that
  weight's gradient (the sum over positions with its largest terms), in explain's JSON form
  (``headline``, ``convention``, ``lines`` [{math, note}], ``value``, ``agrees``) and as text;
* ``map``        the recorded feature map of channel o (after the activation), and the step's
  loss and target.
"""
from __future__ import annotations

import numpy as np

from .protocol import ProtocolError

#: the multiply-add terms written out (the largest by |term|); the rest are summed in one line
SHOWN_TERMS = 12


def _num(v):
    v = float(v)
    return v if np.isfinite(v) else None


def derivation_dict(d) -> dict:
    """A ``Derivation`` as ``glassnet explain``'s JSON writes it (``render/json_v1.py``)."""
    return {"entry": d.entry, "value": _num(d.value), "headline": d.headline, "convention": d.convention,
            "agrees": bool(d.agrees), "count": d.count, "total": None if d.total is None else _num(d.total),
            "lines": [{"math": m, "note": n} for m, n in d.lines], "text": str(d)}


def multiply_adds(op, o: int, y: int, x: int) -> dict:
    """The terms of output ``[0, o, y, x]`` of a recorded stride-1 convolution with 'same' padding."""
    xin = np.asarray(op.input_values[0], dtype=np.float64)[0]          # (C, H, W)
    w = np.asarray(op.input_values[1], dtype=np.float64)[o]            # (C, k, k)
    b = float(np.asarray(op.input_values[2])[o]) if len(op.input_values) > 2 else 0.0
    k = w.shape[-1]
    p = k // 2
    terms = []
    for c in range(w.shape[0]):
        for i in range(k):
            for j in range(k):
                yy, xx = y + i - p, x + j - p
                inside = 0 <= yy < xin.shape[1] and 0 <= xx < xin.shape[2]
                xv = float(xin[c, yy, xx]) if inside else 0.0
                terms.append({"weight": [c, i, j], "input": [c, yy, xx], "inside": inside,
                              "x": xv, "w": float(w[c, i, j]), "product": xv * float(w[c, i, j])})
    order = sorted(range(len(terms)), key=lambda t: -abs(terms[t]["product"]))
    total = sum(t["product"] for t in terms) + b
    z = float(np.asarray(op.output)[0, o, y, x])
    shown = [terms[t] for t in order[:SHOWN_TERMS]]
    rest = [terms[t] for t in order[SHOWN_TERMS:]]
    return {"terms": shown, "count": len(terms), "rest_count": len(rest),
            "rest_sum": sum(t["product"] for t in rest), "zero_terms": sum(1 for t in terms if t["product"] == 0),
            "padding_terms": sum(1 for t in terms if not t["inside"]), "bias": b, "sum": total, "z": z,
            "agrees": bool(abs(total - z) <= 1e-5 * max(1.0, sum(abs(t["product"]) for t in terms) + abs(b)))}


def explain_value(trainer, layer: int, channel: int, y: int, x: int, weight=None) -> dict:
    """The ``explain`` message for output [channel, y, x] of conv layer ``layer`` (see above)."""
    layers = trainer.layers()
    if layer >= len(layers):
        raise ProtocolError(f"there is no conv layer {layer}; the network has {len(layers)} (0..{len(layers) - 1})")
    ly = layers[layer]
    if channel >= ly["out_channels"] or y >= ly["side"] or x >= ly["side"]:
        raise ProtocolError(f"conv layer {layer} has {ly['out_channels']} channels of {ly['side']} × {ly['side']}; "
                            f"[{channel}, {y}, {x}] is outside")
    rec, target = trainer.record_current(optimizer_step=True)
    path = ly["path"]
    from glassnet.explain.summary import conv_arrays, conv_layers
    found = conv_layers(rec)[layer]                   # explain's: the conv op and the activation after it
    op, act = found["conv"], found["activation"]
    forward = multiply_adds(op, channel, y, x)
    forward["a"] = None if act is None else float(np.asarray(act.output)[0, channel, y, x])
    forward["activation"] = trainer.cfg.activation
    if weight is None:
        weight = forward["terms"][0]["weight"]
    c, i, j = weight
    if c >= ly["in_channels"] or i >= ly["kernel"] or j >= ly["kernel"]:
        raise ProtocolError(f"conv layer {layer}'s kernel is ({ly['in_channels']}, {ly['kernel']}, {ly['kernel']}); "
                            f"weight {list(weight)} is outside")
    rf = rec.receptive_field(path, 0, channel, y, x)
    entry = f"{path}.weight[{channel}, {c}, {i}, {j}]"
    try:
        deriv = derivation_dict(rec.derivation(entry))
    except Exception as err:  # noqa: BLE001 - the page shows why
        raise ProtocolError(f"glassnet.explain could not derive {entry}: {type(err).__name__}: {err}") from None
    maps = conv_arrays(rec, path)["maps"]
    return {"type": "explain", "layer": layer, "path": path, "channel": channel, "y": y, "x": x,
            "weight": [c, i, j], "entry": entry, "target": target, "loss": _num(rec.ops[rec.loss_index].output),
            "receptive": {"mask": rf.mask[0].any(axis=0).astype(int).tolist(), "count": rf.count,
                          "box": [list(b) for b in rf.box()], "text": str(rf)},
            "forward": forward, "backward": deriv, "map": maps[channel].tolist(),
            "kernel": np.asarray(op.input_values[1])[channel].tolist()}

