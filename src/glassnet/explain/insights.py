"""Insights, computed from the recorded numbers and said in words.

* dead ReLUs (pre-activation ≤ 0: no gradient passes);
* saturated sigmoids/tanh (local slope below 0.01: the vanishing gradient);
* zero inputs that block their weights' gradients (∂L/∂W[i, j] = ∂L/∂zᵢ · xⱼ = 0);
* the largest update, and why it is the largest;
* near-kink ReLUs: a pre-activation within float rounding of 0 (or exactly 0 in exact
  arithmetic), where exact arithmetic and float32 can land on different sides of the kink.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ._numbers import float32_decimal, fmt, scalar, to_float, ulp
from .naming import entry_symbol

SATURATION = 0.01   # local slope below which a sigmoid/tanh counts as saturated
LIST = 16           # units, inputs or terms named in one sentence before "…"
LIST_DATA = 100     # entries listed in an insight's data before only the count is given
KINK_UNITS = 20     # near-kink units examined in full (with exact decimals) per layer
KINK_ULPS = 4       # |z| ≤ this many ulps of the largest summand counts as "at the kink"


@dataclass
class Insight:
    """One finding: its kind, where it is, a sentence, and the numbers behind it."""

    kind: str
    where: str
    message: str
    data: dict = field(default_factory=dict)
    severity: str = "info"


def _units(values) -> str:
    vals = [str(v) for v in values]
    if len(vals) == 1:
        return f"unit {vals[0]}"
    return "units " + ", ".join(vals[:-1]) + " and " + vals[-1]


def _rows(arr):
    """A layer's values as (rows, units): one row for an unbatched input."""
    arr = np.asarray(arr)
    return arr.reshape(1, -1) if arr.ndim <= 1 else arr.reshape(-1, arr.shape[-1])


def dead_units(rec, layer) -> list:
    """Units of a ReLU layer whose pre-activation is ≤ 0 for every sample."""
    act = layer["activation"]
    if act is None or act.op != "Relu":
        return []
    z = _rows(layer["linear"].output)
    return [int(i) for i in np.flatnonzero(np.all(z <= 0, axis=0))]


def zero_columns(x) -> list:
    """Columns j of a (samples, features) array that are 0 in every sample."""
    return [int(j) for j in np.flatnonzero(np.all(_rows(x) == 0, axis=0))]


def zero_grad_counts(rec) -> dict:
    """{reason: number of entries} for every parameter entry whose gradient is 0, the reasons in
    the order of their first entry (parameters in order, entries in index order).

    Reasons are tuples: ('dead', layer path, unit), ('zero-input', symbol, j), ('other',).
    """
    layers = rec.layers()
    by_weight = {ly["weight"]: ly for ly in layers}
    by_bias = {ly["bias"]: ly for ly in layers if ly["bias"]}
    act_layer = {ly["activation"].index: ly for ly in layers if ly["activation"] is not None}
    dead = {ly["path"]: set(dead_units(rec, ly)) for ly in layers}
    reasons: dict = {}
    for p in rec.params:
        shape = np.shape(p.before)
        zero = np.ones(shape, dtype=bool) if p.grad is None else np.asarray(p.grad == 0, dtype=bool)
        flat = np.flatnonzero(zero)
        if not flat.size:
            continue
        ly = by_weight.get(p.name) or by_bias.get(p.name)
        if ly is None or len(shape) == 0:
            keys = {("other",): (0, flat.size)} if ly is None or 0 not in dead[ly["path"]] \
                else {("dead", ly["path"], 0): (0, flat.size)}
        else:
            keys = _reason_keys(rec, ly, p, shape, flat, dead, act_layer)
        for key, (_, n) in sorted(keys.items(), key=lambda kv: kv[1][0]):
            reasons[key] = reasons.get(key, 0) + n
    return reasons


def _reason_keys(rec, ly, p, shape, flat, dead, act_layer) -> dict:
    """{reason: (first flat position, count)} for the zero-gradient entries ``flat`` of a
    Linear layer's weight or bias, computed with one integer code per entry."""
    units = np.unravel_index(flat, shape)[0]
    n_units = shape[0]
    code = np.full(flat.size, -1, dtype=np.int64)               # -1: other
    dead_here = np.zeros(n_units, dtype=bool)
    dead_here[list(dead[ly["path"]])] = True
    is_dead = dead_here[units]
    code[is_dead] = units[is_dead]                              # [0, n_units): this unit is dead
    prev = None
    if p.name == ly["weight"] and len(shape) == 2:
        cols = np.unravel_index(flat, shape)[1]
        zcols = np.zeros(shape[1], dtype=bool)
        zcols[zero_columns(rec.value(ly["x"]))] = True
        src = ly["x"]
        prev = act_layer.get(src.key) if src.kind == "op" else None
        prev_dead = np.zeros(shape[1], dtype=bool)
        if prev is not None:
            prev_dead[list(dead[prev["path"]])] = True
        blocked = ~is_dead & zcols[cols]
        code[blocked & prev_dead[cols]] = n_units + cols[blocked & prev_dead[cols]]
        code[blocked & ~prev_dead[cols]] = n_units + shape[1] + cols[blocked & ~prev_dead[cols]]
    values, first, counts = np.unique(code, return_index=True, return_counts=True)
    out = {}
    for c, f, n in zip(values.tolist(), first.tolist(), counts.tolist()):
        if c < 0:
            key = ("other",)
        elif c < n_units:
            key = ("dead", ly["path"], c)
        elif c < n_units + shape[1]:
            key = ("dead", prev["path"], c - n_units)
        else:
            key = ("zero-input", rec.symbol(ly["x"]), c - n_units - shape[1])
        out[key] = (f, n)
    return out


def zero_grad_reasons(rec) -> dict:
    """{reason: [entry names]} for every parameter entry whose gradient is 0.

    Reasons are tuples: ('dead', layer path, unit), ('zero-input', symbol, j), ('other',).
    """
    reasons: dict = {}
    layers = rec.layers()
    by_weight = {ly["weight"]: ly for ly in layers}
    by_bias = {ly["bias"]: ly for ly in layers if ly["bias"]}
    act_layer = {ly["activation"].index: ly for ly in layers if ly["activation"] is not None}
    dead = {ly["path"]: set(dead_units(rec, ly)) for ly in layers}
    for p in rec.params:
        grad = p.grad if p.grad is not None else np.zeros(np.shape(p.before))
        for idx in np.ndindex(*np.shape(grad)):
            if scalar(grad[idx]) != 0:
                continue
            name = f"{p.name}[{', '.join(map(str, idx))}]" if idx else p.name
            reason = ("other",)
            ly = by_weight.get(p.name) or by_bias.get(p.name)
            if ly is not None:
                unit = idx[0] if idx else 0
                if unit in dead[ly["path"]]:
                    reason = ("dead", ly["path"], unit)
                elif p.name == ly["weight"] and len(idx) == 2:
                    x = _rows(rec.value(ly["x"]))
                    j = idx[1]
                    if all(scalar(v) == 0 for v in x[:, j]):
                        src = ly["x"]
                        prev = act_layer.get(src.key) if src.kind == "op" else None
                        if prev is not None and j in dead[prev["path"]]:
                            reason = ("dead", prev["path"], j)
                        else:
                            reason = ("zero-input", rec.symbol(src), j)
            reasons.setdefault(reason, []).append(name)
    return reasons


def describe_reasons(rec, reasons: dict) -> list:
    """Sentences for ``zero_grad_reasons`` (lists of names) or ``zero_grad_counts`` (counts):
    'hidden units 0 and 1 of layer1 are dead ...'."""
    reasons = {k: v if isinstance(v, int) else len(v) for k, v in reasons.items()}
    out_paths = {ly["path"] for ly in rec.layers() if ly["linear"].name in ("ŷ", "z_out")}
    dead: dict = {}
    sentences = []
    for key, names in reasons.items():
        if key[0] == "dead":
            dead.setdefault(key[1], [[], 0])
            dead[key[1]][0].append(key[2])
            dead[key[1]][1] += names
    for path, (units, n) in dead.items():
        kind = "" if path in out_paths else "hidden "
        verb = "is" if len(units) == 1 else "are"
        sentences.append((f"{kind}{_units(sorted(units))} of {path} {verb} dead (pre-activation ≤ 0)", n))
    for key, names in reasons.items():
        if key[0] == "zero-input":
            sym = entry_symbol(key[1], (key[2],), 2)
            sentences.append((f"input {sym} = 0 blocks its weights", names))
    other = reasons.get(("other",), 0)
    if other:
        sentences.append(("their gradient is 0 for other reasons", other))
    return sentences


# -- the insights -------------------------------------------------------------------------------
def _dead_relus(rec) -> list:
    out = []
    for ly in rec.layers():
        units = dead_units(rec, ly)
        if not units:
            continue
        z = ly["linear"]
        vals = ", ".join(f"{entry_symbol(z.name, (i,), 2)} = {fmt(_rows(z.output)[0, i])}" for i in units[:LIST])
        if len(units) > LIST:
            vals += f", … ({len(units)} units)"
        out.append(Insight(
            "dead_relu", ly["path"],
            f"{_units(units).capitalize()} of {ly['path']} {'is' if len(units) == 1 else 'are'} dead: "
            f"pre-activation ≤ 0 ({vals}), so relu′ = 0 and no gradient reaches "
            f"{'its' if len(units) == 1 else 'their'} incoming weights, bias or outgoing weights.",
            {"units": units}, "warning"))
    return out


def _saturated(rec) -> list:
    out = []
    for op in rec.forward_ops:
        if op.op not in ("Sigmoid", "Tanh"):
            continue
        a = to_float(op.output)
        slope = a * (1 - a) if op.op == "Sigmoid" else 1 - a * a
        found = np.argwhere(np.asarray(slope) < SATURATION)
        idx = [tuple(int(v) for v in i) for i in found[:LIST_DATA]]
        idx_count = len(found)
        if not idx:
            continue
        fn = "σ" if op.op == "Sigmoid" else "tanh"
        zname = rec.symbol(op.inputs[0])
        parts = ", ".join(f"{fn}′ = {fmt(float(np.asarray(slope)[i]))} at "
                          f"{entry_symbol(zname, i, op.output.size)} = {fmt(op.input_values[0][i])}"
                          for i in idx[:6])
        data = {"entries": idx}
        if idx_count > len(idx):
            data["count"] = idx_count
        out.append(Insight("saturated", op.label,
                           f"Saturated {fn} in {op.label} ({parts}): the local slope is below "
                           f"{SATURATION}, so the gradient passing through shrinks by that factor "
                           f"(the vanishing gradient).", data, "warning"))
    return out


def _zero_inputs(rec) -> list:
    out = []
    for ly in rec.layers():
        if ly["x"].kind != "leaf":
            continue
        zeros = zero_columns(rec.value(ly["x"]))
        if len(zeros) > LIST:            # many (the blank border pixels of an image): one insight
            sym = rec.symbol(ly["x"])
            n = np.shape(rec.param(ly["weight"]).before)[0]
            shown = ", ".join(str(j) for j in zeros[:LIST])
            out.append(Insight("zero_input", ly["path"],
                               f"{len(zeros)} inputs of {ly['path']} are 0 in every sample ({sym} columns "
                               f"{shown}, …): they block the gradients of {len(zeros) * n} weights of "
                               f"{ly['weight']} (∂L/∂W[i, j] = ∂L/∂zᵢ · {sym}ⱼ = 0).",
                               {"inputs": zeros[:LIST_DATA], "count": len(zeros)}))
            continue
        for j in zeros:
            sym = entry_symbol(rec.symbol(ly["x"]), (j,), 2)
            n = np.shape(rec.param(ly["weight"]).before)[0]
            out.append(Insight("zero_input", ly["path"],
                               f"Input {sym} = 0 blocks the gradients of {ly['weight']}[:, {j}] "
                               f"({n} weights): ∂L/∂W[i, {j}] = ∂L/∂zᵢ · {sym} = 0.", {"input": j}))
    return out


def _largest_update(rec) -> list:
    best = None
    for p in rec.params:
        d = np.abs(to_float(p.delta))
        if d.size and (best is None or d.max() > best[0]):
            best = (float(d.max()), p, tuple(int(v) for v in np.unravel_index(int(d.argmax()), d.shape)))
    if best is None or best[0] == 0:
        return []
    _, p, idx = best
    name = f"{p.name}[{', '.join(map(str, idx))}]" if idx else p.name
    g = scalar(p.grad[idx]) if p.grad is not None else None
    why = f"its gradient {fmt(g)} is the largest in magnitude" if g is not None else ""
    grads = [np.max(np.abs(to_float(q.grad))) for q in rec.params if q.grad is not None and q.grad.size]
    if g is not None and grads and abs(float(g)) < max(grads) - 1e-12:
        why = f"its gradient is {fmt(g)} (the optimizer scales entries differently)"
    for ly in rec.layers():
        if p.name in (ly["weight"], ly["bias"]) and ly["linear"].name in ("ŷ", "z_out") \
                and rec.effect is not None and rec.effect.targets is not None:
            k = idx[0] if idx else 0
            yh, t = _rows(rec.effect.predictions_before), _rows(rec.effect.targets)
            if yh.shape == t.shape:
                yh, t = yh[0], t[0]
                why += (f"; it feeds output {k}, which is furthest off: "
                        f"{entry_symbol('ŷ', (k,), 2)} = {fmt(yh[k])} against "
                        f"target {fmt(t[k])}" if _furthest(yh, t) == k else f"; it feeds output {k}")
    old, new = scalar(p.before[idx]), scalar(p.after[idx])
    return [Insight("largest_update", name,
                    f"The largest update is {name}: {fmt(old)} → {fmt(new)} "
                    f"({'+' if new >= old else ''}{fmt(new - old)}), because {why}.",
                    {"entry": name, "delta": float(new - old)})]


def _furthest(yh, t) -> int:
    return int(np.argmax(np.abs(to_float(np.asarray(yh)) - to_float(np.asarray(t)))))


def _near_kinks(rec) -> list:
    out = []
    for ly in rec.layers():
        act = ly["activation"]
        if act is None or act.op not in ("Relu", "LeakyRelu"):
            continue
        lin = ly["linear"]
        x, w = _rows(lin.input_values[0]), lin.input_values[1]
        b = lin.input_values[2] if len(lin.input_values) > 2 else None
        z = _rows(lin.output)
        cand = _kink_candidates(rec, x, w, b, z)
        for i in np.flatnonzero(cand.any(axis=0))[:KINK_UNITS].tolist():
            rows = np.flatnonzero(cand[:, i]).tolist()
            found = [f for r in rows
                     if (f := _kink(rec, ly, x[r], w[i], None if b is None else b[i], z[r, i], i))]
            if found:
                if len(found) > 1:
                    found[0].message += f" (The same holds in {len(found)} of {z.shape[0]} samples.)"
                    found[0].data["samples"] = len(found)
                out.append(found[0])
    return out


def _kink_candidates(rec, x, w, b, z) -> np.ndarray:
    """(samples, units): where a pre-activation may be at the kink.  A superset of what ``_kink``
    finds, computed for the whole layer at once: |z| within KINK_ULPS ulps of an upper bound
    (twice max|x|·max|w|, or |b|) of its largest summand; exactly 0 in exact arithmetic."""
    if rec.exact:
        return np.asarray(z == 0, dtype=bool)
    xf, wf = np.abs(np.asarray(x, dtype=np.float64)), np.abs(np.asarray(w, dtype=np.float64))
    bound = 2 * np.outer(xf.max(axis=1), wf.max(axis=1))
    if b is not None:
        bound = np.maximum(bound, np.abs(np.asarray(b, dtype=np.float64)))
    dt = np.asarray(w).dtype
    tol = KINK_ULPS * np.spacing(bound.astype(dt)).astype(np.float64)
    return np.abs(np.asarray(z, dtype=np.float64)) <= tol


def _kink(rec, ly, x, w, b, z, i):
    """An Insight if pre-activation z of unit i sits at (or within float rounding of) 0."""
    summands = [x[j] * w[j] for j in range(len(w))] + ([] if b is None else [b])
    z = scalar(z)
    zs = entry_symbol(ly["linear"].name, (i,), 2)
    terms = " + ".join(f"{fp(w[j])}·{fp(x[j])}" for j in range(min(len(w), LIST))) + \
        (f" + … ({len(w)} terms)" if len(w) > LIST else "") + ("" if b is None else f" + {fp(b)}")
    exact_z = sum((float32_decimal(w[j]) * float32_decimal(x[j]) for j in range(len(w))), Fraction(0)) + \
        (0 if b is None else float32_decimal(b))
    f32 = [np.float32(float32_decimal(w[j]) * float32_decimal(x[j])) for j in range(len(w))]
    f32b = None if b is None else np.float32(float32_decimal(b))
    ltr = np.float32(0)
    for v in f32 + ([] if f32b is None else [f32b]):
        ltr = np.float32(ltr + v)
    if rec.exact:
        if z != 0:
            return None
        side = "alive (relu′ = 1)" if ltr > 0 else "dead" if ltr < 0 else "at 0"
        msg = (f"{ly['path']} unit {i} sits exactly on the ReLU's kink: {zs} = {terms} = 0. "
               f"relu′(0) is taken as 0 (as in PyTorch), so the unit counts as dead. In float32 the "
               f"same sum is not 0: added left to right it is {_signed(ltr)}, and the unit is "
               f"{side}; other summation orders give other signs. Exact arithmetic and float32 "
               f"disagree here, which is why a float32 run can change more parameters.")
        return Insight("near_kink", f"{ly['path']}[{i}]", msg,
                       {"unit": i, "z": 0.0, "float32_left_to_right": float(ltr)}, "warning")
    mag = max(abs(float(scalar(s))) for s in summands) if summands else 0.0
    tol = KINK_ULPS * ulp(mag, np.asarray(w).dtype)
    if abs(float(z)) > tol or mag == 0:
        return None
    alive = "alive" if z > 0 else "dead"
    msg = (f"{ly['path']} unit {i} is within float rounding of the ReLU's kink: {zs} = "
           f"{fmt(float(z))}, while |{zs}| ≤ {KINK_ULPS} ulp({fmt(mag)}) = {fmt(tol)}. From the "
           f"decimals, {zs} = {terms} = {fmt(exact_z)} exactly. The sign, and with it relu′ "
           f"(0 or 1), depends on the order of the additions: left to right gives {_signed(ltr)}; "
           f"this run gave {_signed(z)}, so the unit is {alive}. Exact arithmetic and float32 "
           f"can disagree about this unit.")
    return Insight("near_kink", f"{ly['path']}[{i}]", msg,
                   {"unit": i, "z": float(z), "tolerance": tol, "exact": float(exact_z),
                    "float32_left_to_right": float(ltr)}, "warning")


def fp(value) -> str:
    text = fmt(value)
    return f"({text})" if text.startswith("−") else text


def _signed(value) -> str:
    text = fmt(float(value))
    return text if text.startswith("−") or text == "0" else "+" + text


def insights(rec) -> list:
    """All insights for a recording, most important first."""
    return (_near_kinks(rec) + _dead_relus(rec) + _saturated(rec) + _zero_inputs(rec)
            + _largest_update(rec))


def cached_insights(rec) -> list:
    """``insights(rec)``, computed once per recording (the renderers and ``step.insights()`` all
    ask); a new list each call."""
    return list(rec.cached("insights", lambda: insights(rec)))
