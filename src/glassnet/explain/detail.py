"""Detail on demand: one table, one path, one matrix, costing what they show.

``step.table(name, rows=..., full=...)`` gives either a whole view by name (``"forward"``,
``"ops"``, ``"backward"``, ``"gradients"``, ``"update"``, ``"effect"``, and the summary's
``"layers"``, ``"parameters"``, ``"ops summary"``, ``"largest"``, ``"updates"``, and for
convolutional networks ``"conv layers"``, ``"conv channels"``) or the entries of one tensor:
a parameter (``"0.weight"``: old value, gradient, update, new value per entry) or a recorded
op's output by its symbol (``"z"``, ``"h2"``, ``"ŷ"``: value and ∂L/∂value per entry).  Rows of
a tensor are the entries along its first axis (a unit's incoming weights; a sample's outputs);
only the rows asked for are read.  Without ``full=True`` a row shows its first and last three
columns around ``…``, as NumPy and PyTorch print large arrays.

``step.path(entry)`` lists the ops that an entry's gradient flows through on its way to the
loss (what ``step.derivation(entry)`` multiplies along), one hop per op.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import summary, views
from ._numbers import fmt, fmt_array, scalar
from .derivation import parse_entry
from .local import ELEMENTWISE, positions
from .naming import entry_symbol
from .records import Ref
from .views import Table

EDGE = 3            # entries shown at each end of an elided row (NumPy's edgeitems)
ROWS = 10           # rows of a tensor shown when ``rows`` is not given


def elided(values, edge: int = EDGE, full: bool = False) -> str:
    """An array as nested brackets, every axis longer than ``2·edge`` shown as its first and last
    ``edge`` entries around ``…`` (``full``: every entry)."""
    arr = np.asarray(values)
    if arr.ndim == 0:
        return fmt(arr[()])
    return fmt_array(arr, limit=max(arr.shape) if full else 2 * edge)


def _row_indices(n: int, rows) -> list:
    if rows is None:
        return list(range(min(n, ROWS)))
    if isinstance(rows, (int, np.integer)):
        rows = [int(rows)]
    elif isinstance(rows, slice):
        rows = range(*rows.indices(n))
    rows = [int(r) for r in rows]
    bad = [r for r in rows if not -n <= r < n]
    if bad:
        raise IndexError(f"rows {bad} are out of range: the tensor has {n} rows (0 to {n - 1})")
    return [r % n for r in rows]


def _find_op(rec, name: str):
    for op in rec.forward_ops:
        if op.name == name:
            return op
    return None


SUMMARY_TABLES = ("layers", "parameters", "ops summary", "largest", "updates")
VIEWS = {"forward": views.forward_table, "ops": views.ops_table, "backward": views.backward_table,
         "gradients": views.gradient_table, "update": views.update_table, "effect": views.effect_table}


def table(rec, name: str, rows=None, full: bool = False) -> Table:
    """See the module docstring."""
    if name in VIEWS:
        return VIEWS[name](rec)
    if name in SUMMARY_TABLES:
        return summary_tables(rec)[name]
    if name in ("conv layers", "conv channels"):
        return conv_tables(rec)[name]
    p = next((q for q in rec.params if q.name == name), None)
    op = _find_op(rec, name) if p is None else None
    if p is None and op is None:
        known = [q.name for q in rec.params] + [o.name for o in rec.forward_ops if o.name]
        raise KeyError(f"no view, parameter or op named {name!r}; choose a view "
                       f"({', '.join(list(VIEWS) + list(SUMMARY_TABLES))}) or one of: {', '.join(known)}")
    if p is not None:
        arrays = {"old": p.before, "gradient": p.grad, "update (new − old)": None, "new": p.after}
        shape = np.shape(p.before)
    else:
        arrays = {"value": op.output, "∂L/∂value": op.grad_out}
        shape = op.shape
    if len(shape) == 0:
        t = Table(f"{name}", ["entry"] + list(arrays))
        vals = [_value(arrays, k, (), p) for k in arrays]
        t.rows.append([name] + vals)
        return t
    picked = _row_indices(shape[0], rows)
    what = "unit" if p is not None else "row"
    t = Table(f"{name} {tuple(shape)}, {len(picked)} of {shape[0]} rows", [what] + list(arrays))
    for r in picked:
        t.rows.append([entry_symbol(name, (r,), 2) if len(shape) == 1 else f"{name}[{r}]"]
                      + [_cell(_value(arrays, k, r, p), full) for k in arrays])
    if len(picked) < shape[0]:
        t.note = f"rows={picked[0]}…: ask for other rows with rows=…, every column with full=True"
    return t


def _value(arrays, key, index, p):
    if key.startswith("update"):
        return None if p is None else np.asarray(p.after[index]) - np.asarray(p.before[index])
    a = arrays[key]
    return None if a is None else np.asarray(a)[index]


def _cell(value, full: bool):
    if value is None:
        return "None"
    if np.ndim(value) == 0:
        return scalar(value)
    return elided(value, full=full)


@dataclass
class Hop:
    """One op on an entry's way to the loss: what it computes and which of its entries carry it."""

    op: str
    label: str
    name: str
    shape: tuple
    entries: list            # indices of the op's output that the previous quantity feeds
    count: int               # how many there are (entries may list only the first few)


@dataclass
class Path:
    """The ops an entry's gradient flows through, entry first, loss last."""

    entry: str
    hops: list = field(default_factory=list)

    def __str__(self) -> str:
        parts = [self.entry]
        for h in self.hops:
            shown = ", ".join(entry_symbol(h.name, e, 2 if e else 1) for e in h.entries)
            more = f", … ({h.count} entries)" if h.count > len(h.entries) else ""
            parts.append(f"{shown}{more}  [{h.op}, {h.label}]")
        return "\n  → ".join(parts)


def path(rec, entry: str) -> Path:
    """The hops from ``entry`` (a parameter entry) to the loss (see the module docstring)."""
    name, index = parse_entry(entry)
    p = rec.param(name)
    if len(index) != np.ndim(p.before) or any(not 0 <= i < n for i, n in zip(index, np.shape(p.before))):
        raise IndexError(f"{entry}: {name} has shape {tuple(np.shape(p.before))}")
    out = Path(summary.entry_name(name, index))
    q, entries = Ref("param", name), [index]
    for _ in range(64):
        users = rec.consumers(q)
        if not users:
            break
        op, pos = users[0]
        nxt, count = _fed(op, pos[0], entries)
        out.hops.append(Hop(op.op, op.label, op.name, op.shape, nxt[:EDGE + 2], count))
        if op.index == rec.loss_index:
            break
        q, entries = Ref("op", op.index), nxt
    return out


LIMIT = 64          # entries carried from hop to hop (the count is exact, the list is not)


def _fed(op, pos, entries):
    """(up to LIMIT output entries of ``op`` that input ``pos`` at ``entries`` feeds, their count)."""
    shape = op.shape
    lead = list(np.ndindex(*shape[:-1])) if len(shape) > 1 else [()]
    if op.op == "Linear" and pos in (1, 2):          # W[i, j] or b[i] feeds z[r, i] for every row r
        units = sorted({e[0] for e in entries if e})
        out = [r + (i,) for i in units for r in lead]
        return out[:LIMIT], len(out)
    if op.op == "Linear" and pos == 0:               # x[r, j] feeds z[r, i] for every unit i
        rows = sorted({e[:-1] for e in entries})
        out = [r + (i,) for r in rows for i in range(shape[-1])]
        return out[:LIMIT], len(out)
    if op.op in ELEMENTWISE:
        in_shape = np.shape(op.input_values[pos])
        if tuple(in_shape) == tuple(shape):
            return list(entries), len(entries)
        seen = []
        for e in entries:
            seen += [x for x in positions(in_shape, shape, e) if x not in seen]
        return seen[:LIMIT], len(seen)
    n = int(np.prod(shape, dtype=int))                 # a reduction or a mixing op: all of it
    out = [tuple(int(v) for v in np.unravel_index(k, shape)) for k in range(min(n, LIMIT))] if shape else [()]
    return out, max(n, 1)


# -- the summary's tables (what a large recording shows first) ----------------------------------
def _st(s, keys=("mean", "std", "min", "max")) -> str:
    """Statistics in one cell: ``mean ± std [min, max]`` (or ``mean ± std``)."""
    if s is None:
        return "—"
    f = [fmt(s[k]) if s[k] is not None else "nan" for k in keys]
    return f"{f[0]} ± {f[1]}" + (f" [{f[2]}, {f[3]}]" if len(f) == 4 else "")


def _absmax(s) -> str:
    return "—" if s is None or s["min"] is None else fmt(max(abs(s["min"]), abs(s["max"])))


def _norm(s) -> str:
    return "—" if s is None or s["norm"] is None else fmt(s["norm"])


def _pct(v) -> str:
    return "—" if v is None else f"{100 * v:.1f} %"


def summary_tables(rec) -> dict:
    """The summary's tables: ``layers``, ``parameters``, ``ops summary``, ``largest`` (gradients)
    and ``updates``."""
    t_layers = views.Table("Layers", ["layer", "in → out", "activation", "dead units", "saturated",
                                      "z: mean ± std", "a: mean ± std", "‖∂L/∂z‖"])
    for ly in summary.layer_summaries(rec):
        t_layers.rows.append([ly["name"], f"{ly['in_features']} → {ly['out_features']}",
                              ly["activation"] or "—",
                              f"{ly['dead_units']} of {ly['out_features']} ({_pct(ly['dead_fraction'])})",
                              _pct(ly["saturated_fraction"]), _st(ly["z"], ("mean", "std")),
                              _st(ly["a"], ("mean", "std")), _norm(ly["grad_z"])])
    t_params = views.Table("Parameters", ["parameter", "shape", "value: mean ± std", "‖value‖", "‖gradient‖",
                                          "max |gradient|", "‖update‖", "‖update‖/‖value‖", "changed",
                                          "zero gradient"])
    for p in summary.param_summaries(rec):
        t_params.rows.append([p["name"], str(tuple(p["shape"])), _st(p["value"], ("mean", "std")),
                              _norm(p["value"]), _norm(p["grad"]), _absmax(p["grad"]), _norm(p["update"]),
                              "—" if p["update_to_weight"] is None else fmt(p["update_to_weight"]),
                              f"{p['changed']} of {p['numel']}", str(p["zero_grad"])])
    t_ops = views.Table("Forward and backward, op by op",
                        ["#", "where", "op", "inputs", "shape", "value: mean ± std [min, max]", "‖∂L/∂out‖"])
    for op in summary.op_summaries(rec):
        t_ops.rows.append([op["index"], op["label"], op["op"], ", ".join(op["inputs"]), str(tuple(op["shape"])),
                           _st(op["value"]), _norm(op["grad"])])
    out = {"layers": t_layers, "parameters": t_params, "ops summary": t_ops}
    out.update(conv_tables(rec))
    for key, what, title in (("largest", "grad", "The largest gradients"),
                             ("updates", "update", "The largest updates")):
        t = views.Table(title, ["entry", "old", "gradient", "update", "new", "its derivation"])
        for e in summary.largest(rec, what):
            t.rows.append([e["entry"], e["value"], "None" if e["grad"] is None else e["grad"], e["update"],
                           e["new"], f'step.derivation("{e["entry"]}")'])
        out[key] = t
    return out


def conv_tables(rec) -> dict:
    """The summary's convolution tables: ``conv layers`` (one row per layer) and ``conv
    channels`` (one row per output channel of every layer)."""
    t_layers = views.Table("Convolution layers", ["layer", "in → out channels", "kernel, stride, padding",
                                                  "output", "activation", "dead channels", "zero outputs",
                                                  "‖∂L/∂out‖"])
    t_ch = views.Table("Convolution channels", ["layer", "channel", "zero outputs", "mean output",
                                                "‖∂L/∂W_o‖", "∂L/∂b_o", "‖update of W_o‖", "‖update‖/‖W_o‖"])
    for ly in summary.conv_summaries(rec):
        geo = f"{'×'.join(map(str, ly['kernel']))}, {tuple(ly['stride'])}, {tuple(ly['padding'])}"
        geo += f", groups {ly['groups']}" if ly["groups"] != 1 else ""
        t_layers.rows.append([ly["name"], f"{ly['in_channels']} → {ly['out_channels']}", geo,
                              str(tuple(ly["output"])), ly["activation"] or "—",
                              f"{ly['dead_channels']} of {ly['out_channels']} ({_pct(ly['dead_fraction'])})",
                              _pct(ly["zero_fraction"]), _norm(ly["grad_out"])])
        for c in ly["channels"]:
            t_ch.rows.append([ly["name"], c["channel"], _pct(c["zero_fraction"]) + (" (dead)" if c["dead"] else ""),
                              _opt(c["activation_mean"]), _opt(c["grad_norm"]), _opt(c["bias_grad"]),
                              _opt(c["update_norm"]), _opt(c["update_to_weight"])])
    return {"conv layers": t_layers, "conv channels": t_ch}


def _opt(v) -> str:
    return "—" if v is None else fmt(v)
