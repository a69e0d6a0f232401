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

import itertools
import re
from dataclasses import dataclass, field

import numpy as np

from . import attention as att
from ._numbers import MINUS, fmt, fmt_any, is_exact, scalar, to_float
from .local import ELEMENTWISE, Context, conv_geometry, conv_input_channel, conv_weight_sum, \
    elem_local, loss_local, rule
from .naming import entry_symbol
from .records import Ref


@dataclass
class Derivation:
    """The chain rule for one entry: a headline, the steps, and the recorded value."""

    entry: str
    value: object
    headline: str
    lines: list = field(default_factory=list)      # (math, note)
    convention: str = ""
    agrees: bool = True
    count: int | None = None       # the number of terms of a sum written as one (a convolution's)
    total: object = None           # and their total, computed here from the recorded values
    steps: str = "Step by step, from the loss back to the entry:"

    def __str__(self) -> str:
        out = [self.headline]
        if self.convention:
            out.append(self.convention)
        if self.lines:
            out.append(self.steps)
            out += [f"  {m}" + (f"    ({n})" if n else "") for m, n in self.lines]
        return "\n".join(out)



def fp(value) -> str:
    """A factor in a product: negative numbers in parentheses, ``0.25 · (−1.8)``."""
    text = fmt(value)
    return f"({text})" if text.startswith(MINUS) else text



def parse_entry(text: str):
    """``"layer1.weight[2, 0]"`` -> ("layer1.weight", (2, 0)); ``"b"`` -> ("b", ())."""
    m = re.fullmatch(r"\s*([^\[\]\s]+)\s*(?:\[([\d,\s]*)\])?\s*", text)
    if not m:
        raise ValueError(f"entry {text!r} is not of the form name[i, j], e.g. 'layer1.weight[2, 0]'")
    idx = tuple(int(v) for v in m.group(2).replace(" ", "").split(",") if v) if m.group(2) else ()
    return m.group(1), idx


# -- the walk ------------------------------------------------------------------------------------
def _g(rec, ref, index):
    g = rec.grad(ref)
    return None if g is None else scalar(np.asarray(g)[index] if index else g)


def derive(rec, entry: str) -> Derivation:
    """The derivation of ∂L/∂entry (see the module docstring)."""
    name, index = parse_entry(entry)
    if all(p.name != name for p in rec.params) and (found := att.find_site(rec, name)) is not None:
        return attention_derivation(rec, found[0], index, head=found[1])
    p = rec.param(name)
    shape = np.shape(p.before)
    if len(index) != len(shape) or any(not 0 <= i < n for i, n in zip(index, shape)):
        raise IndexError(f"{entry}: {name} has shape {tuple(shape)}; give an index like "
                         f"{name}[{', '.join('0' for _ in shape)}]")
    if rec.loss_index is None:
        raise RuntimeError("derivation: the recording has no backward pass; call loss.backward() "
                           "inside the record block")
    ctx = Context(rec)
    label = f"{name}[{', '.join(map(str, index))}]" if index else name
    value = scalar(p.grad[index]) if p.grad is not None else 0
    users = rec.consumers(Ref("param", name))
    if len(users) == 1 and users[0][0].op == "ConvNd" and users[0][1] in ([1], [2]) \
            and users[0][0].grad_out is not None:
        return _conv_derivation(rec, ctx, users[0][0], users[0][1][0], name, index, label, value)
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
    if isinstance(stop, tuple) and stop[0].kind == "param":   # a sum right at the entry
        headline = scalar_lines[-1][0]
    elif stop == "zero" or not syms:
        headline = f"∂L/∂{label} = {fmt(value)}"
    elif len(syms) == 1:
        headline = f"∂L/∂{label} = {syms[0]} = {fmt(value)}"
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
        if op.op in ELEMENTWISE and np.shape(op.input_values[pos_list[0]]) == op.shape:
            locs = [elem_local(ctx, op, pos, None) for pos in pos_list]
            if any(loc is None for loc in locs):
                lines.append((f"∂L/∂{name} = {fmt_any(g)}", f"recorded from {op.node}"))
                continue
            sym = locs[0][0] if len(locs) == 1 else (f"2·{locs[0][0]}" if locs[0][0] == locs[1][0]
                                                     else " + ".join(x[0] for x in locs))
            local = np.empty(op.shape, dtype=object)
            for p in _shown(op.shape):
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
            for e in _shown(np.shape(p_val)):
                local[e] = loss_local(ctx, op, 0, e)[1]
            sym = loss_local(ctx, op, 0, next(np.ndindex(*np.shape(p_val))))[0] \
                if np.size(p_val) == 1 else f"∂{op.op}/∂{name}"
            lines.append((f"∂L/∂{name} = {sym} = {fmt_any(g)}", "the loss's own derivative"))
        elif op.op == "MaxPool" and op.attrs.get("indices") is not None:
            lines.append((f"∂L/∂{name} = {fmt_any(g)}", f"recorded from {op.node}; {pool_note(rec, op)}"))
        else:
            lines.append((f"∂L/∂{name} = {fmt_any(g)}", f"recorded from {op.node}"))
    return lines


def pool_winners(op):
    """For a recorded max pooling: the input index (N, C, row, col, as ``np.unravel_index`` of
    the per-plane flat winner) that each output took its value from, an int array of shape
    output.shape + (ndim,).  Backward sends ∂L/∂out[p] to exactly that input (summed where one
    input wins several overlapping windows)."""
    x_shape = np.shape(op.input_values[0])
    flat = np.asarray(op.attrs["indices"]).reshape(op.shape)
    nd = len(op.attrs["window"][0]) if op.attrs.get("window") else 2
    spatial = list(np.divmod(flat, x_shape[-1])) if nd == 2 else [flat]
    lead = [np.broadcast_to(a.reshape(a.shape + (1,) * nd), op.shape)
            for a in np.indices(op.shape[:-nd])]
    return np.stack(lead + spatial, axis=-1)


def pool_note(rec, op, shown: int = 3) -> str:
    """One sentence: max pooling sends each output's gradient to the input that won its window,
    with the winners of the outputs of largest |∂L/∂out|."""
    win = pool_winners(op)
    g = np.asarray(to_float(np.asarray(op.grad_out)), dtype=np.float64)
    order = np.argsort(-np.abs(g).ravel(), kind="stable")[:shown]
    out_sym, in_sym = rec.symbol(Ref("op", op.index)), rec.symbol(op.inputs[0])
    parts = []
    for f in order:
        p = tuple(int(v) for v in np.unravel_index(int(f), op.shape))
        w = tuple(int(v) for v in win[p])
        parts.append(f"{out_sym}[{', '.join(map(str, p))}] ← {in_sym}[{', '.join(map(str, w))}] = "
                     f"{fmt(scalar(op.input_values[0][w]))}")
    return ("max pooling: each output's gradient goes only to the input that won its window (the "
            "others get 0); largest: " + "; ".join(parts))


def _shown(shape, limit: int = 16, edge: int = 3):
    """The indices ``fmt_any`` prints of an array of ``shape`` (every index of an axis up to
    ``limit`` long, else the first and last ``edge``): a derivation computes local derivatives
    only where they are shown (nowhere in an array of more than two axes: it is summarised)."""
    if len(shape) > 2:
        return iter(())
    axes = [range(n) if n <= limit else list(range(edge)) + list(range(n - edge, n))
            for n in (int(v) for v in shape)]
    return itertools.product(*axes)


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


# -- a convolution's weight or bias: one sum over samples and output positions ----------------------
#: How many of a convolution's terms a derivation shows (the largest by |term|).
CONV_TERMS = 6
_POS = {1: ("t",), 2: ("y", "x"), 3: ("z", "y", "x")}


def _affine(var: str, s: int, off: int) -> str:
    head = var if s == 1 else f"{s}{var}"
    return head if off == 0 else f"{head} + {off}" if off > 0 else f"{head} {MINUS} {-off}"


def _conv_derivation(rec, ctx, op, pos, name, index, label, value) -> Derivation:
    """∂L/∂W[o, c, k] = Σ_{n, y} ∂L/∂out[n, o, y] · x[n, c′, y·s + k·δ − p] (see
    ``local.conv_weight_sum``), or ∂L/∂b[o] = Σ_{n, y} ∂L/∂out[n, o, y]: the formula, the
    largest terms, how many more, and their total against the recorded gradient."""
    geo = conv_geometry(op)
    out_ref, x_ref = Ref("op", op.index), op.inputs[0]
    out_idx, grads, x_idx, xs, inside = conv_weight_sum(op, pos, index)
    m, nd, o = len(grads), np.ndim(op.grad_out) - 2, index[0]
    var = _POS.get(nd, tuple(f"y{d}" for d in range(nd)))
    gname, xname = rec.symbol(out_ref), rec.symbol(x_ref)
    gsym = f"∂L/∂{gname}[n, {o}, {', '.join(var)}]"
    exact = rec.exact
    if pos == 1:
        cin = conv_input_channel(op, o, index[1])
        reads = [_affine(v, geo["stride"][d], index[2 + d] * geo["dilation"][d] - geo["pads"][d][0])
                 for d, v in enumerate(var)]
        formula = f"{gsym} · {xname}[n, {cin}, {', '.join(reads)}]"
        terms = grads * xs if exact else np.asarray(grads, np.float64) * np.asarray(xs, np.float64)
    else:
        formula, terms = gsym, grads if exact else np.asarray(grads, np.float64)
    total = sum(terms.tolist(), 0) if exact else float(np.sum(terms))
    shape = "·".join(str(v) for v in (np.shape(op.grad_out)[0],) + np.shape(op.grad_out)[2:])
    sum_over = f"Σ over n, {', '.join(var)}"
    headline = f"∂L/∂{label} = {sum_over} of {formula} = {fmt(value)}"
    mag = np.abs(np.asarray([float(t) for t in terms] if exact else terms, dtype=np.float64))
    order = np.argsort(-mag, kind="stable")
    top = order[:CONV_TERMS]
    lines = []
    for t in top:
        oi = tuple(int(v) for v in out_idx[t])
        g = scalar(grads[t])
        if pos == 1:
            xi = tuple(int(v) for v in x_idx[t])
            xsym = ctx.sym(x_ref, xi) if inside[t] else f"{xname}[{', '.join(map(str, xi))}]"
            note = "" if inside[t] else "outside the input: zero padding"
            lines.append((f"∂L/∂{ctx.sym(out_ref, oi)} · {xsym} = {fp(g)} · {fp(scalar(xs[t]))} = "
                          f"{fmt(scalar(terms[t]))}", note))
        else:
            lines.append((f"∂L/∂{ctx.sym(out_ref, oi)} = {fmt(g)}", ""))
    rest = order[CONV_TERMS:]
    if len(rest):
        zero = int(np.count_nonzero(mag == 0))
        pad = int(np.count_nonzero(~inside))
        gz = int(np.count_nonzero(np.asarray(grads) == 0))
        parts = [f"{zero} of all {m} terms are 0"] if zero else []
        if zero and pos == 1:
            parts.append(f"{pad} read the zero padding, {gz} have ∂L/∂{gname} = 0")
        lines.append((f"… {len(rest)} more (each |term| ≤ {fmt(float(mag[rest[0]]))})", "; ".join(parts)))
    agrees = _sum_agrees(total, value, float(np.sum(mag)), rec.dtype)
    lines.append((f"{sum_over}: {m} terms (N·{'·'.join(f'{v}out' for v in ('H', 'W')[-nd:]) if nd <= 2 else '∏out'}"
                  f" = {shape}) = {fmt(total)}",
                  f"the recorded gradient from {op.node} is {fmt(value)}"
                  + ("" if agrees else "; they DISAGREE")))
    convention = _conv_convention(rec, op, name, index, geo)
    vector_lines = _vector_lines(rec, ctx, (Ref("param", name), index))
    return Derivation(label, value, headline, vector_lines + lines, convention, agrees=agrees, count=m,
                      total=total)


def _sum_agrees(total, value, scale: float, dtype) -> bool:
    """The sum of the terms against the recorded gradient: equal in exact arithmetic, else
    within the float type's rounding of a sum of that size (relative to Σ|term|)."""
    if is_exact(total) and is_exact(value):
        return total == value
    rtol = 1e-12 if dtype == "float64" else 1e-5
    return bool(abs(float(total) - float(value)) <= rtol * max(scale, abs(float(value))) + 1e-30)


def _conv_convention(rec, op, name, index, geo) -> str:
    shape = tuple(np.shape(rec.param(name).before))
    if len(index) < 3:
        return (f"Convention: {name} has one entry per output channel; entry [{index[0]}] is added to "
                f"every position of channel {index[0]} of layer {op.label}'s output.")
    nd = len(shape) - 2
    axes = ", ".join(["out_channels", "in_channels/groups"] + (["kH", "kW"] if nd == 2 else
                                                               [f"k{d}" for d in range(nd)]))
    cin = conv_input_channel(op, index[0], index[1])
    return (f"Convention: {name} has torch's layout ({axes}) = {shape}; entry "
            f"[{', '.join(map(str, index))}] is tap {tuple(index[2:])} of the kernel from input "
            f"channel {cin} to output channel {index[0]} of layer {op.label} (stride {geo['stride']}, "
            f"padding {tuple(p[0] for p in geo['pads'])}, dilation {geo['dilation']}, groups "
            f"{geo['groups']}): output position y reads input y·stride + tap·dilation − padding.")


# -- one attention weight: the scaled dot product, the softmax over its row, and its gradient --------
#: How many terms of a dot product or a row a derivation line writes out.
ROW_TERMS = 6


def _terms(values, limit: int = ROW_TERMS) -> str:
    shown = " + ".join(values[:limit])
    return shown + (f" + … ({len(values) - limit} more)" if len(values) > limit else "")


def _close(a, b, scale: float, dtype) -> bool:
    rtol = 1e-12 if dtype == "float64" else 2e-5
    return bool(abs(float(a) - float(b)) <= rtol * max(scale, abs(float(b))) + 1e-30)


def attention_derivation(rec, site, index, head=None) -> Derivation:
    """The weight p_ij of one query i and key j and the gradient through the softmax at it:

        s_ij = scale · Σ_c q_ic k_jc (+ mask),   p_ij = exp(s_ij − max_k s_ik) / Σ_k exp(s_ik − max_k s_ik)
        ∂L/∂s_ij = p_ij (∂L/∂p_ij − Σ_k p_ik ∂L/∂p_ik)

    with the recorded numbers, each checked against the recorded value (``agrees``).  ``index``
    indexes the weights (…, i, j); for a head of a multi-head site (``head``) it omits the head
    axis.  (``attention.exact_check`` redoes it in exact arithmetic.)"""
    index = tuple(int(v) for v in index)
    if head is not None:
        index = index[:1] + (head,) + index[1:]
    shape = site.shape
    if len(index) != len(shape) or any(not 0 <= v < n for v, n in zip(index, shape)):
        raise IndexError(f"{site.name}: the attention weights have shape {shape}; give an index like "
                         f"{site.name}[{', '.join('0' for _ in shape)}] (…, query, key)")
    i, j, row = index[-2], index[-1], index[:-1]
    label = f"{site.name}[{', '.join(map(str, index))}]"
    q, k, _ = att.qkv(rec, site)
    lead = index[:-2]
    where = (lambda r: rec.ops[r.key].label if r.kind == "op" and rec.ops[r.key].label else rec.symbol(r))
    qi = np.asarray(q)[lead + (i,)] if np.ndim(q) == len(shape) else np.asarray(q)[i]
    kk = np.asarray(k)[lead] if np.ndim(k) == len(shape) else np.asarray(k)
    s_row = np.asarray(att.scores(rec, site))[row]
    p_row = np.asarray(att.probs(rec, site))[row]
    mask_row = att.masked(rec, site)[row]
    dt, d = rec.dtype, int(np.shape(qi)[-1])
    scale = site.scale
    lines, agrees = [], True
    # forward: the score
    prods = [f"{fp(scalar(a))}·{fp(scalar(b))}" for a, b in zip(qi, kk[j])]
    raw = float(np.dot(np.asarray(qi, np.float64), np.asarray(kk[j], np.float64)))
    qsym = "q" if site.fused else where(site.scores.inputs[0])
    ksym = "k" if site.fused or site.k is None else where(site.k)
    lines.append((f"q_{i}·k_{j} = Σ_c q[{i}, c]·k[{j}, c] = {_terms(prods)} = {fmt(raw)}",
                  f"q from {qsym}, k from {ksym}: {d} channels"))
    s_ij = scalar(s_row[j])
    masked = bool(mask_row[j])
    if masked:
        lines.append((f"s_{i}{j} = −∞", "masked: the mask hides key " + str(j) + " from query " + str(i)
                      + (" (masked_fill)" if site.where is not None else "")))
    else:
        computed = raw * float(scale)
        ok = _close(computed, s_ij, abs(raw * float(scale)) + 1e-6, dt)
        agrees &= ok
        extra = " + mask" if site.added else ""
        lines.append((f"s_{i}{j} = scale · q_{i}·k_{j}{extra} = {fmt(scale)} · {fp(raw)}{extra} = {fmt(s_ij)}",
                      f"scale = 1/√{d}" + ("" if ok or site.added else "; the recorded score DISAGREES")))
    # forward: the softmax over the row
    vis = ~mask_row
    s64 = np.asarray(s_row, dtype=np.float64)
    m = float(np.max(s64[vis])) if vis.any() else float("nan")
    e = np.where(vis, np.exp(np.where(vis, s64 - m, 0.0)), 0.0)
    z = float(np.sum(e))
    p_rec = scalar(p_row[j])
    lines.append((f"max_k s_{i}k = {fmt(m)}", f"over the {int(vis.sum())} visible keys of row {i}"))
    lines.append((f"Σ_k exp(s_{i}k − max) = {_terms([fmt(float(v)) for v in e[vis]])} = {fmt(z)}",
                  "masked keys contribute exp(−∞) = 0" if (~vis).any() else ""))
    p_ij = float(e[j] / z) if z else float("nan")
    ok = _close(p_ij, p_rec, 1.0, dt)
    agrees &= ok
    lines.append((f"p_{i}{j} = exp(s_{i}{j} − max) / Σ = {fmt(float(e[j]))} / {fmt(z)} = {fmt(p_ij)}",
                  f"the recorded weight is {fmt(p_rec)}" + ("" if ok else "; they DISAGREE")))
    headline = f"p[{', '.join(map(str, index))}] = softmax(s_{i})_{j} = {fmt(p_rec)}"
    # backward: through the softmax
    gp, gs = att.grad_probs(rec, site), att.grad_scores(rec, site)
    value = None
    if gp is not None and gs is not None:
        g_row = np.asarray(gp)[row]
        dot_terms = [f"{fp(scalar(a))}·{fp(scalar(b))}" for a, b in zip(p_row[vis], g_row[vis])]
        dot = float(np.sum(np.asarray(p_row, np.float64) * np.asarray(g_row, np.float64)))
        where = "∂L/∂out · vᵀ" if site.fused else f"recorded from {site.pv.node if site.pv else 'the next op'}"
        lines.append((f"∂L/∂p_{i}· = {fmt_any(np.asarray(g_row))}", where))
        lines.append((f"Σ_k p_{i}k ∂L/∂p_{i}k = {_terms(dot_terms)} = {fmt(dot)}", ""))
        value = scalar(np.asarray(gs)[index])
        g_ij = scalar(g_row[j])
        computed = float(p_rec) * (float(g_ij) - dot)
        ok = _close(computed, value, float(np.sum(np.abs(np.asarray(p_row, np.float64) *
                                                       np.asarray(g_row, np.float64)))) + abs(float(g_ij)), dt)
        agrees &= ok
        src = "computed by the formula (a fused node keeps no ∂L/∂s)" if site.fused \
            else f"the recorded gradient from {site.op.node} is {fmt(value)}" + ("" if ok else "; they DISAGREE")
        lines.append((f"∂L/∂s_{i}{j} = p_{i}{j} (∂L/∂p_{i}{j} − Σ_k p_{i}k ∂L/∂p_{i}k) = {fmt(p_rec)} · "
                      f"({fp(g_ij)} − {fp(dot)}) = {fmt(computed)}",
                      ("masked: p = 0, so no gradient reaches the score; " if masked else "") + src))
        headline += (f"; ∂L/∂s[{', '.join(map(str, index))}] = p_{i}{j} (∂L/∂p_{i}{j} − Σ_k p_{i}k ∂L/∂p_{i}k)"
                     f" = {fmt(value)}")
    convention = (f"Attention {site.name}: weights of shape {shape} (…, query, key); row {i} is query "
                  f"position {i}, column {j} key position {j}; each row sums to 1 over its visible keys.")
    return Derivation(label, value if value is not None else p_rec, headline, lines, convention,
                      agrees=bool(agrees), steps="Step by step, forward (the score, then the softmax "
                                                 "over its row), then backward through the softmax:")
