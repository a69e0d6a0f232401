"""Local derivatives: how one entry of an op's input moves one entry of its output.

``rule(ctx, op, positions, e)`` returns the terms of ∂L/∂q[e] through one consumer op: one
term for an element-wise op (∂L/∂out[e] · local), several where the entry feeds several
outputs (a Linear layer's input feeds every unit; a broadcast input feeds every row).  The
values come from the recorded forward values, so a derivation can print them.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ._numbers import fmt, scalar
from .naming import entry_symbol
from .records import Ref

ELEMENTWISE = {"Add", "Sub", "Mul", "Div", "Neg", "Pow", "Relu", "LeakyRelu", "Sigmoid", "Tanh",
                "Exp", "Log", "Abs", "Cast", "Clamp"}



@dataclass
class Term:
    """One term of ∂L/∂q[e]: ∂L/∂out[index] · coef."""

    out: Ref
    index: tuple
    coef: str
    value: object
    note: str = ""



# -- indices -----------------------------------------------------------------------------------
def src_index(in_shape, out_shape, p) -> tuple:
    """The entry of an input (broadcast to ``out_shape``) that feeds output position ``p``."""
    off = len(out_shape) - len(in_shape)
    return tuple(p[off + d] if in_shape[d] != 1 else 0 for d in range(len(in_shape)))


def positions(in_shape, out_shape, e) -> list:
    """Output positions fed by input entry ``e`` (one, unless the input was broadcast)."""
    if tuple(in_shape) == tuple(out_shape):
        return [e]
    # each output axis either ranges fully (the input was broadcast along it) or is fixed by e;
    # itertools.product walks them in the same (row-major) order as np.ndindex would
    off = len(out_shape) - len(in_shape)
    axes = [range(n) if d < off or in_shape[d - off] == 1 else (e[d - off],)
            for d, n in enumerate(out_shape)]
    return [tuple(p) for p in itertools.product(*axes)]




class Context:
    """Symbols and numbers of one recording, for the rules below."""

    def __init__(self, rec):
        self.rec = rec
        self.one = Fraction(1) if rec.exact else 1.0

    def sym(self, ref, index) -> str:
        value = self.rec.value(ref)
        return entry_symbol(self.rec.symbol(ref), index, int(np.size(value)))

    def ratio(self, a, b):
        return Fraction(a) / b if self.rec.exact and not isinstance(a, float) else a / b



# -- local derivatives ---------------------------------------------------------------------------
def elem_local(ctx, op, pos, p):
    """(symbol, value, note) of ∂out[p]/∂input_pos[...] for an element-wise op; p=None: symbol only."""
    vals, out_shape = op.input_values, op.shape

    def s(i):
        idx = None if p is None else src_index(np.shape(vals[i]), out_shape, p)
        return ctx.sym(op.inputs[i], idx)

    def v(i):
        return scalar(vals[i][src_index(np.shape(vals[i]), out_shape, p)])

    def out():
        return scalar(op.output[p])

    k, have = op.op, p is not None
    if k in ("Add", "Cast"):
        return "1", 1, ""
    if k == "Sub":
        return ("1", 1, "") if pos == 0 else ("−1", -1, "")
    if k == "Neg":
        return "−1", -1, ""
    if k == "Mul":
        return s(1 - pos), v(1 - pos) if have else None, ""
    if k == "Div":
        if pos == 0:
            return f"1/{s(1)}", ctx.ratio(1, v(1)) if have else None, ""
        return f"−{s(0)}/{s(1)}²", -v(0) / (v(1) * v(1)) if have else None, ""
    if k == "Pow":
        b = scalar(vals[1]) if np.size(vals[1]) == 1 else None
        if pos == 0 and b is not None:
            sym = f"{fmt(b)}·{s(0)}" if b == 2 else f"{fmt(b)}·{s(0)}^{fmt(b - 1)}"
            return sym, b * v(0) ** (b - 1) if have else None, ""
        return None
    if k == "Relu":
        if not have:
            return f"relu′({s(0)})", None, ""
        z = v(0)
        return (f"relu′({s(0)})", 1 if z > 0 else 0,
                f"{s(0)} = {fmt(z)} {'>' if z > 0 else '≤'} 0")
    if k == "LeakyRelu":
        slope = op.attrs.get("slope", 0.01)
        return f"leaky_relu′({s(0)})", (1 if v(0) > 0 else slope) if have else None, ""
    if k == "Sigmoid":
        h = entry_symbol(op.name, p, int(np.size(op.output)))
        note = f"σ′ = {h}(1 − {h})" if have else ""
        return f"σ′({s(0)})", out() * (1 - out()) if have else None, note
    if k == "Tanh":
        return f"tanh′({s(0)})", 1 - out() * out() if have else None, ""
    if k == "Exp":
        return f"e^{s(0)}", out() if have else None, ""
    if k == "Log":
        return f"1/{s(0)}", ctx.ratio(1, v(0)) if have else None, ""
    if k == "Abs":
        return f"sign({s(0)})", (1 if v(0) > 0 else -1 if v(0) < 0 else 0) if have else None, ""
    return None


def loss_local(ctx, op, pos, e):
    """BCE (with or without logits) w.r.t. its input: (symbol, value)."""
    red = op.attrs.get("reduction", "mean")
    p_val, y_val = op.input_values
    n = int(np.size(p_val)) if red == "mean" else 1
    ps, ys = ctx.sym(op.inputs[0], e), ctx.sym(op.inputs[1], e)
    pv, yv = scalar(p_val[e]), scalar(y_val[e])
    scale = f"·1/{n}" if n > 1 else ""
    if op.op == "BinaryCrossEntropy":
        sym = f"({ps} − {ys})/({ps}(1 − {ps})){scale}"
        value = (pv - yv) / max(pv * (1 - pv), 1e-12) / n
    else:
        sym = f"(σ({ps}) − {ys}){scale}"
        value = (1 / (1 + np.exp(-float(pv))) - yv) / n
    return sym, value


def rule(ctx, op, pos_list, e):
    """The terms of ∂L/∂q[e] through consumer ``op`` (q is its input at ``pos_list``); None if
    this op has no rule here."""
    out_ref = Ref("op", op.index)
    in_shape = np.shape(op.input_values[pos_list[0]])
    k = op.op
    if k in ELEMENTWISE:
        merged: dict = {}
        for pos in pos_list:
            for p in positions(in_shape, op.shape, e):
                loc = elem_local(ctx, op, pos, p)
                if loc is None:
                    return None
                if p in merged:
                    t = merged[p]
                    t.coef = f"2·{t.coef}" if t.coef == loc[0] else f"({t.coef} + {loc[0]})"
                    t.value = t.value + loc[1]
                else:
                    merged[p] = Term(out_ref, p, loc[0], loc[1], loc[2])
        return list(merged.values())
    if k in ("Mean", "Sum"):
        dim = op.attrs.get("dim")
        if dim is not None:
            return None
        n = int(np.size(op.input_values[0]))
        if k == "Sum" or n == 1:
            return [Term(out_ref, (), "1", 1)]
        return [Term(out_ref, (), f"1/{n}", ctx.ratio(1, n), "the mean divides by " + str(n))]
    if k in ("BinaryCrossEntropy", "BinaryCrossEntropyWithLogits") and pos_list == [0]:
        if op.attrs.get("reduction", "mean") == "none" or op.attrs.get("weight") is not None \
                or op.attrs.get("pos_weight") is not None:
            return None
        sym, value = loss_local(ctx, op, 0, e)
        return [Term(out_ref, (), sym, value)]
    if k == "Linear":
        return _linear_terms(ctx, op, pos_list[0], e, out_ref)
    if k == "MatMul" and len(pos_list) == 1:
        return _matmul_terms(ctx, op, pos_list[0], e, out_ref)
    if k == "Reshape":
        flat = np.ravel_multi_index(e, in_shape) if e else 0
        return [Term(out_ref, tuple(int(i) for i in np.unravel_index(flat, op.shape)), "1", 1)]
    return None


def _linear_terms(ctx, op, pos, e, out_ref):
    x_ref, w_ref = op.inputs[0], op.inputs[1]
    x, w = op.input_values[0], op.input_values[1]
    rows = list(np.ndindex(*np.shape(x)[:-1])) or [()]
    if pos == 1:          # W[i, j]: Σ_rows ∂L/∂z[r, i] · x[r, j]
        i, j = e
        wsym = ctx.sym(w_ref, e)
        return [Term(out_ref, r + (i,), ctx.sym(x_ref, r + (j,)), scalar(x[r + (j,)]),
                     f"∂{ctx.sym(out_ref, r + (i,))}/∂{wsym} = {ctx.sym(x_ref, r + (j,))}")
                for r in rows]
    if pos == 2:          # b[i]: Σ_rows ∂L/∂z[r, i]
        return [Term(out_ref, r + e, "1", 1) for r in rows]
    r, j = e[:-1], e[-1]  # x[r, j]: Σ_i ∂L/∂z[r, i] · W[i, j]
    return [Term(out_ref, r + (i,), ctx.sym(w_ref, (i, j)), scalar(w[i, j]))
            for i in range(np.shape(w)[0])]


def _matmul_terms(ctx, op, pos, e, out_ref):
    a, b = op.input_values
    if a.ndim > 2 or b.ndim > 2:
        return None
    other = op.inputs[1 - pos]
    if pos == 0:                      # a[..., j] · b[j, ...]
        j, lead = e[-1], e[:-1]
        cols = [()] if b.ndim == 1 else [(k,) for k in range(b.shape[1])]
        return [Term(out_ref, lead + c, ctx.sym(other, (j,) + c), scalar(b[(j,) + c])) for c in cols]
    j, tail = e[0], e[1:]
    lead_rows = [()] if a.ndim == 1 else [(i,) for i in range(a.shape[0])]
    return [Term(out_ref, r + tail, ctx.sym(other, r + (j,)), scalar(a[r + (j,)])) for r in lead_rows]


# -- convolutions ----------------------------------------------------------------------------
def conv_geometry(op) -> dict:
    """A recorded ``ConvNd``'s geometry: stride, dilation, (lo, hi) pads per spatial dim, groups,
    kernel (from the weight's shape)."""
    w = op.input_values[1]
    nd = np.ndim(w) - 2
    a = op.attrs
    return {"stride": tuple(a.get("stride", (1,) * nd)), "dilation": tuple(a.get("dilation", (1,) * nd)),
            "pads": tuple(tuple(p) for p in a.get("pads", ((0, 0),) * nd)),
            "groups": int(a.get("groups", 1)), "kernel": tuple(np.shape(w)[2:])}


def conv_input_channel(op, o: int, c: int) -> int:
    """The input channel that channel ``c`` of output channel ``o``'s kernel reads (groups)."""
    geo = conv_geometry(op)
    out_ch, in_ch = np.shape(op.input_values[1])[0], np.shape(op.input_values[0])[1]
    g = geo["groups"]
    return (o // (out_ch // g)) * (in_ch // g) + c


def conv_weight_sum(op, pos: int, e: tuple):
    """The terms of ∂L/∂W[o, c, *k] (``pos`` 1) or ∂L/∂b[o] (``pos`` 2) of a recorded ``ConvNd``,
    as arrays over the N·∏Out output positions (samples outermost, then row-major positions):

        ∂L/∂W[o, c, k] = Σ_{n, y} ∂L/∂out[n, o, y] · x[n, c′, y·s + k·δ − p_lo]   (0 where padded)
        ∂L/∂b[o]       = Σ_{n, y} ∂L/∂out[n, o, y]

    Returns ``(out_idx, grads, x_idx, xs, inside)``: the output indices (M, 2 + d), ∂L/∂out there
    (M,), the input indices read (M, 2 + d; None for the bias), their values (0 outside the input)
    and whether each was inside (not padding).  c′ is the group's input channel."""
    geo = conv_geometry(op)
    x, g = op.input_values[0], op.grad_out
    n, nd = np.shape(g)[0], np.ndim(g) - 2
    o = e[0]
    grid = np.indices((n,) + tuple(np.shape(g)[2:])).reshape(nd + 1, -1).T       # (M, 1 + d)
    m = grid.shape[0]
    out_idx = np.concatenate([grid[:, :1], np.full((m, 1), o), grid[:, 1:]], axis=1)
    grads = np.asarray(g)[tuple(out_idx.T)]
    if pos == 2:
        return out_idx, grads, None, None, np.ones(m, dtype=bool)
    c, k = e[1], e[2:]
    cin = conv_input_channel(op, o, c)
    sp = [grid[:, 1 + d] * geo["stride"][d] + k[d] * geo["dilation"][d] - geo["pads"][d][0]
          for d in range(nd)]
    size = np.shape(x)[2:]
    inside = np.ones(m, dtype=bool)
    for d in range(nd):
        inside &= (sp[d] >= 0) & (sp[d] < size[d])
    x_idx = np.stack([grid[:, 0], np.full(m, cin)] + sp, axis=1)
    xs = np.zeros(m, dtype=np.asarray(x).dtype)
    xs[inside] = np.asarray(x)[tuple(x_idx[inside].T)]
    return out_idx, grads, x_idx, xs, inside
