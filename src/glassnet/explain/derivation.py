"""The chain rule for one parameter entry, with the recorded numbers filled in.

``derive(step, "layer1.weight[2, 0]")`` walks from the entry towards the loss.  While each
quantity feeds exactly one entry of the next tensor, the local derivatives multiply (the
*scalar chain*: ``∂L/∂W[2, 0] = ∂L/∂h₂ · relu′(z₂) · x₀``).  Where an entry feeds several
(``h₂`` feeds every output through layer2's weights), the gradient is a sum, written out term
by term; the vector it sums over is then derived from the loss down, one op per line.  Every
number comes from the recording (the gradients the engine's nodes actually sent back), and
every local derivative is computed from the recorded forward values.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ._numbers import MINUS, fmt, fmt_any, is_exact, scalar
from .recorder import Ref
from .recording import entry_symbol

_ELEMENTWISE = {"Add", "Sub", "Mul", "Div", "Neg", "Pow", "Relu", "LeakyRelu", "Sigmoid", "Tanh",
                "Exp", "Log", "Abs", "Cast", "Clamp"}


@dataclass
class Term:
    """One term of ∂L/∂q[e]: ∂L/∂out[index] · coef."""

    out: Ref
    index: tuple
    coef: str
    value: object
    note: str = ""


@dataclass
class Derivation:
    """The chain rule for one entry: a headline, the steps, and the recorded value."""

    entry: str
    value: object
    headline: str
    lines: list = field(default_factory=list)      # (math, note)
    convention: str = ""
    agrees: bool = True

    def __str__(self) -> str:
        out = [self.headline]
        if self.convention:
            out.append(self.convention)
        if self.lines:
            out.append("Step by step, from the loss back to the entry:")
            out += [f"  {m}" + (f"    ({n})" if n else "") for m, n in self.lines]
        return "\n".join(out)


def fp(value) -> str:
    """A factor in a product: negative numbers in parentheses, ``0.25 · (−1.8)``."""
    text = fmt(value)
    return f"({text})" if text.startswith(MINUS) else text


# -- indices -----------------------------------------------------------------------------------
def src_index(in_shape, out_shape, p) -> tuple:
    """The entry of an input (broadcast to ``out_shape``) that feeds output position ``p``."""
    off = len(out_shape) - len(in_shape)
    return tuple(p[off + d] if in_shape[d] != 1 else 0 for d in range(len(in_shape)))


def positions(in_shape, out_shape, e) -> list:
    """Output positions fed by input entry ``e`` (one, unless the input was broadcast)."""
    if tuple(in_shape) == tuple(out_shape):
        return [e]
    return [p for p in np.ndindex(*out_shape) if src_index(in_shape, out_shape, p) == e]


def parse_entry(text: str):
    """``"layer1.weight[2, 0]"`` -> ("layer1.weight", (2, 0)); ``"b"`` -> ("b", ())."""
    m = re.fullmatch(r"\s*([^\[\]\s]+)\s*(?:\[([\d,\s]*)\])?\s*", text)
    if not m:
        raise ValueError(f"entry {text!r} is not of the form name[i, j], e.g. 'layer1.weight[2, 0]'")
    idx = tuple(int(v) for v in m.group(2).replace(" ", "").split(",") if v) if m.group(2) else ()
    return m.group(1), idx


class _Ctx:
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


def _loss_local(ctx, op, pos, e):
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
    if k in _ELEMENTWISE:
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
        sym, value = _loss_local(ctx, op, 0, e)
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


# -- the walk ------------------------------------------------------------------------------------
def _g(rec, ref, index):
    g = rec.grad(ref)
    return None if g is None else scalar(np.asarray(g)[index] if index else g)


def derive(rec, entry: str) -> Derivation:
    """The derivation of ∂L/∂entry (see the module docstring)."""
    name, index = parse_entry(entry)
    p = rec.param(name)
    shape = np.shape(p.before)
    if len(index) != len(shape) or any(not 0 <= i < n for i, n in zip(index, shape)):
        raise IndexError(f"{entry}: {name} has shape {tuple(shape)}; give an index like "
                         f"{name}[{', '.join('0' for _ in shape)}]")
    if rec.loss_index is None:
        raise RuntimeError("derivation: the recording has no backward pass; call loss.backward() "
                           "inside the record block")
    ctx = _Ctx(rec)
    label = f"{name}[{', '.join(map(str, index))}]" if index else name
    value = scalar(p.grad[index]) if p.grad is not None else 0
    q, e = Ref("param", name), index
    factors, scalar_lines, stop, convention = [], [], None, _convention(rec, name, index)
    for _ in range(64):
        if q.kind == "op" and q.key == rec.loss_index:
            break
        users = rec.consumers(q)
        qs = label if q.kind == "param" else ctx.sym(q, e)
        if not users:
            scalar_lines.append((f"∂L/∂{qs} = 0", "nothing downstream of it reaches the loss"))
            stop = "zero"
            break
        terms = []
        for op, pos_list in users:
            t = rule(ctx, op, pos_list, e)
            if t is None:
                terms = None
                break
            terms += t
        if terms is None:
            scalar_lines.append((f"∂L/∂{qs} = {fmt(_g(rec, q, e) or 0)}",
                                 f"value recorded from {users[0][0].node}; no derivation rule for it"))
            stop = q, e
            break
        gq = _g(rec, q, e) if q.kind == "op" else value
        if len(terms) == 1:
            t = terms[0]
            up = ctx.sym(t.out, t.index)
            scalar_lines.append((f"∂L/∂{qs} = ∂L/∂{up} · {t.coef} = {fp(_g(rec, t.out, t.index))} · "
                                 f"{fp(t.value)} = {fmt(gq)}", _bce_note(rec, ctx, users[0][0], t) or t.note))
            factors.append(t)
            q, e = t.out, t.index
            continue
        parts = " + ".join(f"∂L/∂{ctx.sym(t.out, t.index)}·{t.coef}" for t in terms[:6])
        nums = " + ".join(f"({fmt(_g(rec, t.out, t.index))})({fmt(t.value)})" for t in terms[:6])
        more = f" + … ({len(terms)} terms)" if len(terms) > 6 else ""
        scalar_lines.append((f"∂L/∂{qs} = {parts}{more} = {nums}{more} = {fmt(gq)}",
                             ""))
        stop = q, e
        break
    # headline: ∂L/∂entry = [∂L/∂stop ·] factors (loss side first)
    chain = list(reversed(factors))
    shown = [t for t in chain if t.coef != "1"] or chain[:1]
    syms = [t.coef for t in shown]
    nums = [fp(t.value) for t in shown]
    if isinstance(stop, tuple):
        sq, se = stop
        syms.insert(0, f"∂L/∂{ctx.sym(sq, se) if sq.kind != 'param' else label}")
        nums.insert(0, fp(_g(rec, sq, se) if sq.kind == "op" else value))
    if stop == "zero" or not syms:
        headline = f"∂L/∂{label} = {fmt(value)}"
    else:
        headline = f"∂L/∂{label} = {' · '.join(syms)} = {' · '.join(nums)} = {fmt(value)}"
    vector_lines = _vector_lines(rec, ctx, stop) if isinstance(stop, tuple) else []
    if stop is None and factors:   # the chain reached the loss
        vector_lines = [("∂L/∂L = 1", "")]
    product = _product(rec, stop, chain, value)
    return Derivation(label, value, headline, vector_lines + list(reversed(scalar_lines)),
                      convention, agrees=product)


def _bce_note(rec, ctx, op, term) -> str:
    """For σ followed by binary cross-entropy: the two derivatives cancel to (ŷ − y)/n."""
    if op.op != "Sigmoid":
        return ""
    users = rec.consumers(Ref("op", op.index))
    if len(users) != 1 or users[0][0].op != "BinaryCrossEntropy" or users[0][1] != [0] \
            or users[0][0].attrs.get("weight") is not None:
        return ""
    bce = users[0][0]
    n = int(np.size(op.output)) if bce.attrs.get("reduction", "mean") == "mean" else 1
    p, y = scalar(op.output[term.index]), scalar(bce.input_values[1][term.index])
    ps, ys = ctx.sym(Ref("op", op.index), term.index), ctx.sym(bce.inputs[1], term.index)
    div = f")/{n}" if n > 1 else ""
    return (f"BCE′ and σ′ cancel: {'(' if n > 1 else ''}{ps} − {ys}{div} = "
            f"{'(' if n > 1 else ''}{fmt(p)} − {fmt(y)}{div} = {fmt((p - y) / n)}")


def _product(rec, stop, chain, value) -> bool:
    """Does the product of the headline's numbers give the recorded gradient?"""
    total = 1
    if isinstance(stop, tuple):
        sq, se = stop
        if sq.kind != "op":
            return True
        total = _g(rec, sq, se)
    elif stop == "zero":
        return value == 0
    for t in chain:
        total = total * t.value
    if is_exact(value) and is_exact(total):
        return total == value
    return bool(np.isclose(float(total), float(value), rtol=1e-5, atol=1e-7))


def _vector_lines(rec, ctx, stop) -> list:
    """∂L/∂T for each tensor from the loss down to the tensor the sum ran over."""
    q, _ = stop
    users = rec.consumers(q)
    if len(users) != 1:
        return []
    path, t = [], Ref("op", users[0][0].index)
    while not (t.kind == "op" and t.key == rec.loss_index):
        users = rec.consumers(t)
        if len(users) != 1:
            return []
        path.append((t, users[0][0], users[0][1]))
        t = Ref("op", users[0][0].index)
    lines = [("∂L/∂L = 1", "")]
    for t, op, pos_list in reversed(path):
        name, out = ctx.sym(t, None), ctx.sym(Ref("op", op.index), None)
        g = rec.grad(t)
        if op.op in _ELEMENTWISE and np.shape(op.input_values[pos_list[0]]) == op.shape:
            locs = [elem_local(ctx, op, pos, None) for pos in pos_list]
            if any(loc is None for loc in locs):
                lines.append((f"∂L/∂{name} = {fmt_any(g)}", f"recorded from {op.node}"))
                continue
            sym = locs[0][0] if len(locs) == 1 else (f"2·{locs[0][0]}" if locs[0][0] == locs[1][0]
                                                     else " + ".join(x[0] for x in locs))
            local = np.empty(op.shape, dtype=object)
            for p in np.ndindex(*op.shape):
                local[p] = sum(elem_local(ctx, op, pos, p)[1] for pos in pos_list)
            lines.append((f"∂L/∂{name} = ∂L/∂{out} ⊙ {sym} = {fmt_any(op.grad_out)} ⊙ "
                          f"{fmt_any(local)} = {fmt_any(g)}", ""))
        elif op.op in ("Mean", "Sum") and op.attrs.get("dim") is None:
            n = int(np.size(op.input_values[0]))
            coef = "1" if op.op == "Sum" else f"1/{n}"
            lines.append((f"∂L/∂{name} = ∂L/∂{out} · {coef} = {fmt_any(g)}",
                          f"the mean divides by {n}" if op.op == "Mean" else ""))
        elif op.op == "Linear" and pos_list == [0]:
            w = rec.symbol(op.inputs[1])
            lines.append((f"∂L/∂{name} = ∂L/∂{out} · {w} = {fmt_any(g)}",
                          "each input feeds every unit: a sum over the units"))
        elif op.op in ("BinaryCrossEntropy", "BinaryCrossEntropyWithLogits") and pos_list == [0]:
            p_val = op.input_values[0]
            local = np.empty(np.shape(p_val), dtype=object)
            for e in np.ndindex(*np.shape(p_val)):
                local[e] = _loss_local(ctx, op, 0, e)[1]
            sym = _loss_local(ctx, op, 0, next(np.ndindex(*np.shape(p_val))))[0] \
                if np.size(p_val) == 1 else f"∂{op.op}/∂{name}"
            lines.append((f"∂L/∂{name} = {sym} = {fmt_any(g)}", "the loss's own derivative"))
        else:
            lines.append((f"∂L/∂{name} = {fmt_any(g)}", f"recorded from {op.node}"))
    return lines


def _convention(rec, name: str, index: tuple) -> str:
    """How to read a Linear weight's index (torch's (out, in) layout)."""
    for ly in rec.layers():
        if ly["weight"] == name and len(index) == 2:
            i, j = index
            x = rec.symbol(ly["x"])
            xs = entry_symbol(x, (j,), 2) if x else f"input {j}"
            return (f"Convention: {name} has torch's layout (out_features, in_features) = "
                    f"{tuple(np.shape(rec.param(name).before))}; entry [{i}, {j}] is the weight from "
                    f"{xs} (input {j}) to unit {i} of {ly['path']}. Tables that index weights as "
                    f"(input, unit) call it W[{j}][{i}].")
    return ""
