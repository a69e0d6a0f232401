"""Tables computed from a recording: forward per layer and unit, op by op, backward node by node,
gradients per parameter, the update entry by entry (with a summary in words), and the effect.

Each function returns a :class:`Table` (plain data: a title, column names, rows of numbers
and strings); the renderers decide how numbers look.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..autograd.engine import unbroadcast
from ._numbers import fmt, fmt_any, is_exact, pct, scalar, to_float
from .insights import SATURATION, dead_units, describe_reasons, zero_grad_counts
from .local import Context, elem_local, loss_local
from .naming import ACTIVATIONS, entry_symbol
from .summary import floats
from .summary import update_counts as _update_counts

MAX_UPDATE_ROWS = 200


@dataclass
class Table:
    """A titled table; cells are strings or numbers (scalars or arrays)."""

    title: str
    columns: list
    rows: list = field(default_factory=list)
    note: str = ""


def _rows(arr):
    arr = np.asarray(arr)
    return arr.reshape(1, -1) if arr.ndim <= 1 else arr.reshape(-1, arr.shape[-1])


def _col(arr, i):
    """Unit i's values over the samples: a scalar for one sample."""
    col = _rows(arr)[:, i]
    return scalar(col[0]) if col.shape[0] == 1 else col


def forward_table(rec) -> Table:
    """Per layer and unit: pre-activation z, activation a, and the unit's status."""
    t = Table("Forward pass, per layer and unit",
              ["layer", "unit", "z (pre-activation)", "activation", "a", "status"])
    for ly in rec.layers():
        lin, act = ly["linear"], ly["activation"]
        dead = set(dead_units(rec, ly))
        z = lin.output
        a = act.output if act is not None else z
        fn = ACTIVATIONS.get(act.op, act.op.lower()) if act is not None else "—"
        for i in range(_rows(z).shape[1]):
            status = "output" if lin.name == "ŷ" else ""
            if act is not None and act.op == "Relu":
                status = "dead (z ≤ 0)" if i in dead else "alive"
            elif act is not None and act.op in ("Sigmoid", "Tanh"):
                av = to_float(_rows(a)[:, i])
                slope = av * (1 - av) if act.op == "Sigmoid" else 1 - av * av
                status = (f"saturated ({fn}′ = {fmt(float(np.min(slope)))})"
                          if np.min(slope) < SATURATION else f"{fn}′ = {fmt(float(np.min(slope)))}")
            t.rows.append([ly["path"], i, _col(z, i), fn, _col(a, i), status])
    return t


def ops_table(rec) -> Table:
    """Every op of the forward pass: where it ran, its inputs, output shape and value."""
    t = Table("Forward pass, op by op", ["#", "where", "op", "inputs", "shape", "output"])
    for op in rec.forward_ops:
        inputs = ", ".join(rec.symbol(r) for r in op.inputs)
        t.rows.append([op.index, op.label, op.op, inputs, str(op.shape), _small(op.output)])
    return t


def _small(value, limit: int = 64):
    return value if np.size(value) <= limit else f"({np.size(value)} values)"


def _fmt_small(value, limit: int = 16) -> str:
    """The value formatted, or "(N values)" when it is too large to print in a table cell."""
    return fmt_any(value) if np.size(value) <= limit else f"({np.size(value)} values)"


def local_derivative(rec, op) -> str:
    """The local derivative of an op, per input, as a formula with its values where small."""
    ctx = Context(rec)
    parts, seen = [], []
    for pos, ref in enumerate(op.inputs):
        name = rec.symbol(ref)
        if ref in seen:          # x·x: one entry, 2·x
            continue
        seen.append(ref)
        twice = sum(r == ref for r in op.inputs) == 2 and op.op == "Mul"
        if op.op == "Linear":
            formula = {0: rec.symbol(op.inputs[1]), 1: rec.symbol(op.inputs[0]), 2: "1"}.get(pos)
            parts.append(f"∂/∂{name}: {formula}")
            continue
        if op.op in ("Mean", "Sum"):
            n = int(np.size(op.input_values[0])) // max(int(np.size(op.output)), 1)
            parts.append(f"∂/∂{name}: {'1' if op.op == 'Sum' else '1/' + str(n)}")
            continue
        if op.op == "MatMul":
            parts.append(f"∂/∂{name}: {rec.symbol(op.inputs[1 - pos])}")
            continue
        if op.op in ("BinaryCrossEntropy", "BinaryCrossEntropyWithLogits") and pos == 0:
            e = next(np.ndindex(*np.shape(op.input_values[0])))
            parts.append(f"∂/∂{name}: {loss_local(ctx, op, 0, e)[0]}" if np.size(op.input_values[0]) == 1
                         else f"∂/∂{name}: see {op.node}")
            continue
        loc = elem_local(ctx, op, pos, None) if op.grad_inputs and pos < len(op.grad_inputs) \
            and op.grad_inputs[pos] is not None else None
        if loc is None:
            continue
        formula = f"2·{loc[0]}" if twice else loc[0]
        if np.prod(op.shape, dtype=int) > 16:       # too many to print: do not compute them
            shown = "" if formula.lstrip("−") == "1" else f" = ({int(np.prod(op.shape, dtype=int))} values)"
            parts.append(f"∂/∂{name}: {formula}{shown}")
            continue
        values = np.empty(op.shape, dtype=object)
        try:
            for p in np.ndindex(*op.shape):
                values[p] = elem_local(ctx, op, pos, p)[1] * (2 if twice else 1)
        except (TypeError, IndexError):
            parts.append(f"∂/∂{name}: {loc[0]}")
            continue
        formula = f"2·{loc[0]}" if twice else loc[0]
        shown = "" if formula.lstrip("−") == "1" else f" = {_fmt_small(values, 16)}"
        parts.append(f"∂/∂{name}: {formula}{shown}")
    return "; ".join(parts)


def backward_table(rec) -> Table:
    """Node by node, in the order backward visits them: upstream gradient, local derivative,
    and the gradient passed on to each input."""
    t = Table("Backward pass, node by node",
              ["node", "where", "upstream ∂L/∂out", "local derivative", "passes on"])
    for op in sorted((o for o in rec.forward_ops if o.grad_out is not None), key=lambda o: -o.index):
        passed: dict = {}
        for ref, value, g in zip(op.inputs, op.input_values, op.grad_inputs or ()):
            if g is None or ref.kind == "leaf":
                continue
            if np.shape(g) != np.shape(value):
                g = unbroadcast(np.asarray(g), np.shape(value))
            key = rec.symbol(ref)
            passed[key] = passed[key] + g if key in passed else g   # x·x sends both halves to x
        passed = [f"∂L/∂{k} = {_fmt_small(np.asarray(g), 16)}" for k, g in passed.items()]
        t.rows.append([op.node, op.label, _small(op.grad_out, 16), local_derivative(rec, op),
                       "; ".join(passed)])
    return t


def gradient_table(rec) -> Table:
    """Per parameter: its gradient and how many entries are nonzero."""
    t = Table("Gradients, per parameter", ["parameter", "shape", "∂L/∂parameter", "nonzero"])
    for p in rec.params:
        g = p.grad
        nz = 0 if g is None else int(np.count_nonzero(np.asarray(g != 0, dtype=bool)))
        t.rows.append([p.name, str(tuple(np.shape(p.before))), "None" if g is None else _small(g),
                       f"{nz} of {np.size(p.before)}"])
    return t


def _term_name(rec) -> str:
    terms = next((list(p.terms) for p in rec.params if p.terms), [])
    return next((k for k in terms if k.startswith("lr")), terms[-1] if terms else "")


def update_table(rec) -> Table:
    """Every parameter entry: old value, gradient, the optimizer's term, change applied, new value."""
    term = _term_name(rec)
    lr = rec.hyper.get("lr")
    head = term.replace("lr", "η") if term else "update"
    t = Table("The update, entry by entry",
              ["entry", "old", "gradient", head, "applied (new − old)", "new", "changed"])
    total = sum(int(np.size(p.before)) for p in rec.params)
    chosen = None
    if total > MAX_UPDATE_ROWS:        # the largest changes only, in a stable order
        mags = np.concatenate([np.abs(floats(p.after) - floats(p.before)).ravel() for p in rec.params])
        chosen = np.sort(np.argsort(-mags, kind="stable")[:MAX_UPDATE_ROWS])
        order = {int(k): n for n, k in enumerate(np.argsort(-mags, kind="stable")[:MAX_UPDATE_ROWS])}
    rows, offset = [], 0
    for p in rec.params:
        n = int(np.size(p.before))
        if chosen is None:
            indices = np.ndindex(*np.shape(p.before))
        else:
            mine = chosen[(chosen >= offset) & (chosen < offset + n)] - offset
            indices = [tuple(int(v) for v in np.unravel_index(k, np.shape(p.before))) for k in mine]
        for idx in indices:
            rows.append(update_row(p, idx, term))
        offset += n
    if chosen is not None:
        rank = [order[int(k)] for k in chosen]
        rows = [r for _, r in sorted(zip(rank, rows), key=lambda pair: pair[0])]
        t.note = f"showing the {MAX_UPDATE_ROWS} largest changes of {total} entries"
    t.rows = rows
    if lr is not None and term:
        t.note = (t.note + "; " if t.note else "") + f"η = {fmt(lr)} ({rec.optimizer_type})"
    return t


def update_row(p, idx: tuple, term: str) -> list:
    """One row of the update table: entry, old, gradient, the optimizer's term, change, new."""
    name = f"{p.name}[{', '.join(map(str, idx))}]" if idx else p.name
    g = scalar(p.grad[idx]) if p.grad is not None else None
    tv = scalar(np.asarray(p.terms[term])[idx]) if term in p.terms else ""
    old, new = scalar(p.before[idx]), scalar(p.after[idx])
    return [name, old, "None" if g is None else g, tv, new - old, new, "yes" if new != old else "no"]


def update_counts(rec) -> dict:
    """Counts behind the summary: total, changed, zero gradient, lost to float resolution."""
    return _update_counts(rec)


def update_summary(rec) -> str:
    """'12 of 31 parameters changed; 19 unchanged because their gradient is 0: ...'."""
    c = update_counts(rec)
    text = f"{c['changed']} of {c['total']} parameters changed"
    if c["zero_grad"]:
        reasons = describe_reasons(rec, zero_grad_counts(rec))
        why = "; ".join(f"{s} ({n} {'entry' if n == 1 else 'entries'})" for s, n in reasons)
        text += f"; {c['zero_grad']} unchanged because their gradient is 0: {why}"
    if c["below_resolution"]:
        tiny, term = [], _term_name(rec)
        for p in rec.params:
            if p.grad is None:
                continue
            lost = np.asarray(p.grad != 0, dtype=bool) & ~np.asarray(p.after != p.before, dtype=bool)
            if lost.any():
                src = np.asarray(p.terms[term]) if term in p.terms else p.grad
                tiny.append(float(np.max(np.abs(floats(np.asarray(src)[lost])))))
        text += (f"; {c['below_resolution']} got a nonzero gradient but did not change: their "
                 f"updates (at most {fmt(max(tiny))} in size) are below the float resolution of "
                 f"their values")
    return text + "."


def effect_table(rec) -> Table:
    """Loss before and after (with % change), and each prediction against its target."""
    e = rec.effect
    t = Table("The effect of the step", ["quantity", "before", "after", "target", "change"])
    if e is None or e.loss_before is None:
        t.note = "no loss was recorded"
        return t
    if e.loss_after is not None:
        change = pct(e.loss_before, e.loss_after)
        t.rows.append(["loss L", e.loss_before, e.loss_after, "", f"{change:+.1f} %".replace("-", "−")])
    else:
        t.rows.append(["loss L", e.loss_before, "", "", e.note or "not computed"])
    yb, ya, tg = e.predictions_before, e.predictions_after, e.targets
    if yb is not None and ya is not None and np.size(yb) <= 64:
        for idx in np.ndindex(*np.shape(yb)):
            target = scalar(tg[idx]) if tg is not None and np.shape(tg) == np.shape(yb) else ""
            b, a = scalar(yb[idx]), scalar(ya[idx])
            if target != "":
                moved = abs(float(a) - float(target)) < abs(float(b) - float(target))
                verdict = "closer to target" if moved else ("unchanged" if a == b else "further from target")
            else:
                verdict = ""
            t.rows.append([entry_symbol("ŷ", idx, int(np.size(yb))), b, a, target, verdict])
    if e.loss_after is not None and is_exact(e.loss_after):
        t.note = f"loss after, exactly: {e.loss_after} = {fmt(e.loss_after)}"
    return t


def params_count(rec) -> int:
    return int(sum(np.size(p.before) for p in rec.params))

