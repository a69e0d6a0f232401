"""Attention in a recorded step: where it is, its weights per head, their entropy, the gradients
it sends into queries, keys and values, and an exact check of one weight's numbers.

``attention_sites(rec)`` finds every attention computation among the recorded ops, read from the
op structure only (nothing in the engine knows it is attention):

* written by hand (Karpathy's ``Head``): a ``Softmax`` over the last axis whose input comes from
  a ``MatMul`` of q with kᵀ (a ``Permute`` swapping k's last two axes), through a scaling
  (``Mul``/``Div`` by a constant), a ``masked_fill`` (a ``Where`` filling a very negative value)
  or the addition of a constant mask, and whose output (through dropout) is the left factor of a
  ``MatMul`` with v.  It is named by the module path whose forward ran the softmax
  (``blocks.0.sa.heads.2``), with ``#2``, ``#3`` … when one module ran several.
* fused: a node that keeps ``probs`` (the weights after the softmax, shape (…, L, S)), ``mask``
  (bool, True = masked out, or None) and ``scale`` (``F.scaled_dot_product_attention``); its
  inputs are q, k, v.

Weights of shape (B, L, S) are one head; (B, H, L, S) hold H heads (named ``NAME.head{h}``).
A weight is *masked* when the mask said so (the ``Where``'s condition, a fused node's ``mask``) or
its score is −∞; masked weights are 0 and shown as masked, never as a small weight.

Exact arithmetic (``exact_check``).  ``exp`` is not rational, so a softmax cannot run in
``glassnet.exact``: a head's weights cannot be recomputed exactly.  What can: every recorded float
is a rational number (a binary fraction), so, given the recorded values as ``Fraction`` s,

* the score s_ij = scale · Σ_c q_ic k_jc (exact whenever the scale is: 1/√d for d = 4, 16, 64 …;
  else the recorded float scale is used), against the recorded score;
* the softmax's gradient as the Jacobian-vector product (diag(p) − p pᵀ) ∂L/∂p, computed with
  ``glassnet.exact`` tensors from the recorded p and ∂L/∂p, which equals p ⊙ (∂L/∂p − Σ p ∂L/∂p)
  exactly, against the recorded ∂L/∂s;
* ∂L/∂q_i by ``glassnet.exact``'s own autograd through s_i = scale · q_i Kᵀ, from that exact ∂L/∂s,
  against the recorded ∂L/∂q_i;
* Σ_j p_ij, which is 1 only up to float rounding.

The differences to the recorded floats are float rounding, reported as numbers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ._numbers import fmt, scalar
from .records import Ref
from .views import Table

#: A filled value at or below this counts as masking (``masked_fill(mask, -inf)`` or ``-1e9``).
MASK_FILL = -1e4
#: A head's weights are written to JSON up to this many entries (64 queries × 64 keys).
WEIGHTS_LIMIT = 4096
#: How many of the largest gradients into q, k and v a head lists.
TOP = 5
#: Ops that may sit between the softmax and the matmul with v (dropout, a cast).
_ON_THE_WAY = ("Mul", "Cast", "Dropout")


@dataclass
class AttentionSite:
    """One attention computation in the recording (see the module docstring)."""

    name: str
    op: object                       # the Softmax OpRecord, or the fused node's
    fused: bool = False
    scores: object = None            # the q @ kᵀ MatMul (hand-written)
    k: Ref | None = None             # k itself, when kᵀ is a recorded transpose of it
    transpose: object = None         # that Permute op
    pv: object = None                # the p @ v MatMul
    scale: object = 1                # the constant the scores were multiplied by
    where: object = None             # masked_fill's Where op, and the input position that
    where_pos: int = 1               # continues the scores (the other is the fill)
    added: list = field(default_factory=list)   # (op, position of the constant) of added masks

    @property
    def shape(self) -> tuple:
        return tuple(np.shape(self.op.attrs["probs"] if self.fused else self.op.output))

    @property
    def heads(self) -> int:
        lead = self.shape[:-2]
        return int(np.prod(lead[1:])) if len(lead) > 1 else 1

    def head_names(self) -> list:
        return [self.name] if self.heads == 1 else [f"{self.name}.head{h}" for h in range(self.heads)]


def _users(rec) -> dict:
    """op index -> [(op, position)] of the forward ops reading its output (gradient or not)."""
    def build():
        out: dict = {}
        for op in rec.forward_ops:
            for pos, r in enumerate(op.inputs):
                if r.kind == "op":
                    out.setdefault(r.key, []).append((op, pos))
        return out
    return rec.cached("attention_users", build)


def _constant(rec, op, pos):
    """The value of input ``pos`` of ``op`` when nothing there needs a gradient, else None."""
    r = op.inputs[pos]
    if r.kind == "param" or (r.kind == "op" and rec.ops[r.key].requires_grad):
        return None
    return op.input_values[pos]


def _last_axis(op) -> bool:
    d, n = op.attrs.get("dim", -1), len(op.shape)
    d = d[0] if isinstance(d, tuple) and len(d) == 1 else d
    return isinstance(d, (int, np.integer)) and n >= 2 and d % n == n - 1


def _softmax_site(rec, sm):
    site = AttentionSite("", sm)
    ref, scale = sm.inputs[0], 1
    for _ in range(8):
        if ref.kind != "op":
            return None
        prev = rec.ops[ref.key]
        if prev.op == "MatMul":
            break
        nxt = None
        if prev.op in ("Mul", "Div") and len(prev.inputs) == 2:
            for pos in (1, 0) if prev.op == "Mul" else (1,):
                c = _constant(rec, prev, pos)
                if c is not None and np.size(c) == 1:
                    c = scalar(np.asarray(c).reshape(()))
                    scale = scale * c if prev.op == "Mul" else scale / c
                    nxt = prev.inputs[1 - pos]
                    break
        elif prev.op == "Where" and len(prev.inputs) == 2 and prev.attrs.get("cond") is not None:
            for pos in (1, 0):
                fill = _constant(rec, prev, 1 - pos)
                if fill is not None and np.size(fill) == 1 and float(np.asarray(fill, np.float64).reshape(())) <= MASK_FILL:
                    site.where, site.where_pos, nxt = prev, pos, prev.inputs[pos]
                    break
        elif prev.op in ("Add", "Sub") and len(prev.inputs) == 2:
            for pos in (1, 0):
                if _constant(rec, prev, pos) is not None:
                    site.added.append((prev, pos))
                    nxt = prev.inputs[1 - pos]
                    break
        if nxt is None:
            return None
        ref = nxt
    else:
        return None
    if prev.op != "MatMul" or len(prev.inputs) != 2 or np.ndim(prev.output) < 2:
        return None
    site.scores, site.scale = prev, scale
    kt = prev.inputs[1]
    if kt.kind == "op" and rec.ops[kt.key].op == "Permute":
        perm = rec.ops[kt.key]
        dims, n = tuple(perm.attrs.get("dims", ())), len(perm.shape)
        if n >= 2 and dims == tuple(range(n - 2)) + (n - 1, n - 2):
            site.k, site.transpose = perm.inputs[0], perm
    # forward: the weights (through dropout) are the left factor of a matmul with v
    frontier = [sm]
    for _ in range(3):
        nxt = []
        for op in frontier:
            for user, pos in _users(rec).get(op.index, []):
                if user.op == "MatMul" and pos == 0:
                    site.pv = user
                    return site
                if user.op in _ON_THE_WAY and user.shape == sm.shape:
                    nxt.append(user)
        frontier = nxt
    return site


def attention_sites(rec) -> list:
    """Every attention computation of the recording, in forward order (see the module docstring)."""
    return rec.cached("attention_sites", lambda: _sites(rec))


def _sites(rec):
    out, seen = [], {}
    for op in rec.forward_ops:
        if op.op == "Softmax" and _last_axis(op):
            site = _softmax_site(rec, op)
        elif "probs" in op.attrs and len(op.inputs) >= 3:
            site = AttentionSite("", op, fused=True, scale=op.attrs.get("scale"))
            if site.scale is None:
                site.scale = 1 / math.sqrt(np.shape(op.input_values[0])[-1])
        else:
            continue
        if site is None:
            continue
        base = op.module or op.label or op.op.lower()
        seen[base] = seen.get(base, 0) + 1
        site.name = base if seen[base] == 1 else f"{base}#{seen[base]}"
        out.append(site)
    return out


def find_site(rec, name: str):
    """The site named ``name`` (or one of its heads: (site, head index or None)), else None."""
    for site in attention_sites(rec):
        if site.name == name:
            return site, None
        if site.heads > 1 and name.startswith(site.name + ".head"):
            h = name[len(site.name) + 5:]
            if h.isdigit() and int(h) < site.heads:
                return site, int(h)
    return None


# -- the arrays -------------------------------------------------------------------------------------
def probs(rec, site) -> np.ndarray:
    """The attention weights, shape (…, L, S)."""
    return np.asarray(site.op.attrs["probs"] if site.fused else site.op.output)


def masked(rec, site) -> np.ndarray:
    """True where a weight is masked out (the mask said so, or its score is −∞)."""
    shape = site.shape
    if site.fused:
        m = site.op.attrs.get("mask")
        out = np.zeros(shape, bool) if m is None else np.broadcast_to(np.asarray(m, bool), shape).copy()
    else:
        s = np.asarray(site.op.input_values[0])
        out = np.zeros(shape, bool) if s.dtype == object else np.isneginf(s)
        if site.where is not None:
            cond = np.broadcast_to(np.asarray(site.where.attrs["cond"], bool), site.where.shape)
            out |= np.broadcast_to(cond if site.where_pos == 1 else ~cond, shape)
    return out


def _transpose(a):
    return np.swapaxes(np.asarray(a), -1, -2)


def qkv(rec, site) -> tuple:
    """(q, k, v) as recorded: (…, L, E), (…, S, E), (…, S, Ev) (v None when not found)."""
    if site.fused:
        return tuple(np.asarray(v) for v in site.op.input_values[:3])
    q, kt = site.scores.input_values
    v = None if site.pv is None else np.asarray(site.pv.input_values[1])
    return np.asarray(q), _transpose(kt), v


def scores(rec, site) -> np.ndarray:
    """The scores the softmax read: scale · q kᵀ (+ mask), −∞ where masked."""
    if not site.fused:
        return np.asarray(site.op.input_values[0])
    q, k, _ = qkv(rec, site)
    s = np.matmul(q, _transpose(k)) * site.scale
    return np.where(masked(rec, site), -np.inf, s)


def _sent(rec, op, pos):
    """The gradient flowing into input ``pos`` of ``op``: ∂L/∂input as recorded when ``op`` is its
    only reader (a torch replay carries torch's gradient there), else what ``op``'s node sent."""
    r = op.inputs[pos]
    if r.kind == "op" and len(_users(rec).get(r.key, ())) == 1 and rec.ops[r.key].grad_out is not None:
        return np.asarray(rec.ops[r.key].grad_out)
    g = op.grad_inputs[pos] if op.grad_inputs and pos < len(op.grad_inputs) else None
    return None if g is None else np.asarray(g)


def grad_probs(rec, site):
    """∂L/∂p (…, L, S): recorded at the softmax's output; for a fused node ∂L/∂out · vᵀ."""
    if not site.fused:
        return None if site.op.grad_out is None else np.asarray(site.op.grad_out)
    g = site.op.grad_out
    return None if g is None else np.matmul(np.asarray(g), _transpose(site.op.input_values[2]))


def softmax_backward(p, gp):
    """∂L/∂s = p ⊙ (∂L/∂p − Σ_k p_k ∂L/∂p_k) over the last axis (0 where p is 0)."""
    return p * (gp - np.sum(p * gp, axis=-1, keepdims=True))


def grad_scores(rec, site):
    """∂L/∂s (…, L, S): recorded at the softmax's input; for a fused node from the formula."""
    if not site.fused:
        return _sent(rec, site.op, 0)
    gp = grad_probs(rec, site)
    return None if gp is None else softmax_backward(probs(rec, site), gp)


def grads_in(rec, site) -> dict:
    """{"q", "k", "v"}: the gradients flowing into queries, keys and values (their layouts)."""
    if site.fused:
        return {n: _sent(rec, site.op, i) for i, n in enumerate("qkv")}
    if site.transpose is not None:
        gk = _sent(rec, site.transpose, 0)
    else:
        gkt = _sent(rec, site.scores, 1)
        gk = None if gkt is None else _transpose(gkt)
    return {"q": _sent(rec, site.scores, 0), "k": gk,
            "v": None if site.pv is None else _sent(rec, site.pv, 1)}


def entropy(p, mask) -> tuple:
    """Per row: (−Σ_j p_j ln p_j over the visible keys, ln(number of visible keys)), in nats."""
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.sum(np.where((p > 0) & ~mask, p * np.log(np.where(p > 0, p, 1)), 0.0), axis=-1)
        visible = np.sum(~mask, axis=-1)
        top = np.where(visible > 0, np.log(np.maximum(visible, 1)), np.nan)
    return np.where(visible > 0, h, np.nan), top


# -- per head, for one sequence ----------------------------------------------------------------------
def _pick(a, site, batch, head):
    """Sequence ``batch`` (and head ``head``) of an array laid out like the weights' leading axes
    (an array without them, e.g. a v shared by the batch, is returned as it is)."""
    if a is None:
        return None
    lead = len(site.shape) - 2
    if np.ndim(a) - 2 < lead:
        return np.asarray(a)
    a = np.asarray(a)
    if lead >= 1:
        a = a[batch]
    if lead >= 2:
        a = a.reshape((-1,) + a.shape[-2:])[head]
    return a


@dataclass
class AttentionHead:
    """One head's attention for one sequence: weights over (query, key), which are masked, the
    entropy of each row against ln(visible keys), and the largest gradients into q, k and v."""

    name: str
    site: str
    head: int | None
    batch: int
    weights: np.ndarray              # (L, S), float64
    masked: np.ndarray               # (L, S), bool
    entropy: np.ndarray              # (L,) nats
    max_entropy: np.ndarray          # (L,) ln(visible keys): a uniform row
    top: dict                        # "q"/"k"/"v" -> [(position, channel, value)]
    norms: dict                      # "q"/"k"/"v" -> (L,) ‖gradient‖ per position

    @property
    def mean_entropy(self) -> float:
        return float(np.nanmean(self.entropy)) if np.isfinite(self.entropy).any() else float("nan")

    @property
    def mean_max_entropy(self) -> float:
        return float(np.nanmean(self.max_entropy)) if np.isfinite(self.max_entropy).any() else float("nan")

    def to_dict(self) -> dict:
        """JSON-ready numbers; the weights (masked ones as null) only up to ``WEIGHTS_LIMIT`` entries."""
        w = np.where(self.masked, np.nan, self.weights)
        weights = [[None if math.isnan(v) else v for v in row] for row in w.tolist()] \
            if w.size <= WEIGHTS_LIMIT else None
        return {"name": self.name, "site": self.site, "head": self.head, "batch": self.batch,
                "shape": list(self.weights.shape), "masked": int(self.masked.sum()),
                "weights": weights,
                "entropy": [None if math.isnan(v) else v for v in self.entropy.tolist()],
                "max_entropy": [None if math.isnan(v) else v for v in self.max_entropy.tolist()],
                "mean_entropy": _num(self.mean_entropy), "mean_max_entropy": _num(self.mean_max_entropy),
                "largest_gradients": {k: [{"position": p, "channel": c, "value": v} for p, c, v in t]
                                      for k, t in self.top.items()}}


def _num(v):
    return None if v is None or not math.isfinite(v) else float(v)


def _top(g, n: int = TOP) -> list:
    g = np.asarray(g, dtype=np.float64)
    if g.ndim != 2:
        return []
    order = np.argsort(-np.abs(g).ravel(), kind="stable")[:n]
    return [(int(i // g.shape[1]), int(i % g.shape[1]), float(g.ravel()[i])) for i in order]


def heads(rec, layer=None, batch: int = 0) -> list:
    """The :class:`AttentionHead` s of sequence ``batch`` of every site whose name is ``layer``,
    starts with ``layer + "."``, or (a head) is ``layer``; every site for ``layer=None``."""
    sites = attention_sites(rec)
    if not sites:
        raise ValueError("the recording has no attention (a softmax over q·kᵀ scores, or a fused "
                         "scaled_dot_product_attention node)")
    out = []
    for site in sites:
        names = site.head_names()
        for h, hname in enumerate(names):
            if layer is not None and layer not in (site.name, hname) \
                    and not site.name.startswith(layer + ".") and not hname.startswith(layer + "."):
                continue
            out.append(_head(rec, site, h, hname, batch))
    if not out:
        raise KeyError(f"no attention layer {layer!r}; there are "
                       f"{[n for s in sites for n in s.head_names()]}")
    return out


def _head(rec, site, h, hname, batch) -> AttentionHead:
    n = site.shape[0] if len(site.shape) > 2 else 1
    if not 0 <= batch < n:
        raise IndexError(f"batch {batch} is out of range: {site.name} has {n} sequences")
    p = np.asarray(_pick(probs(rec, site), site, batch, h), dtype=np.float64)
    m = _pick(masked(rec, site), site, batch, h)
    ent, top = entropy(p, m)
    grads = {k: _pick(g, site, batch, h) for k, g in grads_in(rec, site).items()}
    return AttentionHead(hname, site.name, h if site.heads > 1 else None, batch, p, m, ent, top,
                         {k: _top(g) for k, g in grads.items() if g is not None},
                         {k: np.sqrt(np.sum(np.asarray(g, np.float64) ** 2, axis=-1))
                          for k, g in grads.items() if g is not None and np.ndim(g) == 2})


def _grad_cell(head, key) -> str:
    t = head.top.get(key)
    if not t:
        return "—"
    p, c, v = t[0]
    return f"{fmt(v)} at position {p}, channel {c}"


@dataclass
class AttentionView:
    """The heads of one or more attention layers for one sequence (``Recording.attention``):
    ``str()`` shows the table and each head's weights as a text heatmap, ``table()`` the table,
    ``figure()`` the heatmaps (``glassnet.viz.attention_maps``), ``to_dict()`` the numbers."""

    heads: list
    batch: int

    def __getitem__(self, name):
        if isinstance(name, int):
            return self.heads[name]
        for h in self.heads:
            if h.name == name:
                return h
        raise KeyError(f"no head {name!r}; there are {[h.name for h in self.heads]}")

    def __len__(self) -> int:
        return len(self.heads)

    def table(self) -> Table:
        return attention_table(self.heads, self.batch)

    def figure(self, ncols: int | None = None):
        from ..viz import attention_maps                # (matplotlib loads only when drawn)
        shapes = {h.weights.shape for h in self.heads}
        if len(shapes) > 1:
            raise ValueError(f"the heads have different shapes {sorted(shapes)}: ask for one layer")
        return attention_maps(np.stack([h.weights for h in self.heads]),
                              np.stack([h.masked for h in self.heads]),
                              titles=[f"{h.name}\nH = {fmt(h.mean_entropy)} / {fmt(h.mean_max_entropy)}"
                                      for h in self.heads],
                              title=f"attention weights of sequence {self.batch} (hatched: masked)",
                              ncols=ncols or min(len(self.heads), 4))

    def to_dict(self) -> dict:
        return {"batch": self.batch, "heads": [h.to_dict() for h in self.heads]}

    def __str__(self) -> str:
        t = self.table()
        out = [t.title, " | ".join(t.columns)]
        out += [" | ".join(c if isinstance(c, str) else fmt(c) for c in row) for row in t.rows]
        out.append(t.note)
        for h in self.heads:
            out.append(f"\n{h.name} (rows: queries, columns: keys; '{MASKED_CHAR}' masked, "
                       f"'{SHADES[-1]}' the largest weight, {fmt(float(h.weights.max()))})")
            out += ["  " + r for r in shade_rows(h.weights, h.masked)]
        return "\n".join(out)


def attention_table(heads_, batch: int) -> Table:
    """One row per head: shape, masked entries, mean entropy against ln(visible keys), and the
    largest gradient flowing into q, k and v."""
    t = Table(f"Attention heads, sequence {batch} of the batch",
              ["head", "queries × keys", "masked", "mean entropy (nats)", "uniform would be",
               "largest ∂L/∂q", "largest ∂L/∂k", "largest ∂L/∂v"],
              note="Entropy of each query's row of weights, −Σ p ln p over the keys it may see, "
                   "averaged over the rows; a uniform row has ln(visible keys), a row on one key 0.")
    for h in heads_:
        t.rows.append([h.name, "×".join(map(str, h.weights.shape)), str(int(h.masked.sum())),
                       h.mean_entropy, h.mean_max_entropy,
                       _grad_cell(h, "q"), _grad_cell(h, "k"), _grad_cell(h, "v")])
    return t


def attention(rec, layer=None, batch: int = 0) -> AttentionView:
    """:class:`AttentionView` of the heads of ``layer`` (see :func:`heads`) for sequence ``batch``."""
    return AttentionView(heads(rec, layer, batch), batch)


#: Shades for a weight in a text heatmap, lightest (0) to darkest (the largest shown); ``·``
#: marks a masked entry (not a small weight).
SHADES = " .:-=+*#%@"
MASKED_CHAR = "·"


def shade_rows(weights, mask, top: float | None = None) -> list:
    """A heatmap as text: one string per query row, one character per key."""
    w = np.asarray(weights, dtype=np.float64)
    top = float(np.max(np.where(mask, 0, w), initial=0)) if top is None else top
    idx = np.clip(np.round(w / (top or 1) * (len(SHADES) - 1)), 0, len(SHADES) - 1).astype(int)
    chars = np.asarray(list(SHADES))[idx]
    chars[mask] = MASKED_CHAR
    return ["".join(row) for row in chars]


# -- exact arithmetic -------------------------------------------------------------------------------
@dataclass
class ExactCheck:
    """One weight's numbers redone in exact rational arithmetic (see the module docstring)."""

    index: tuple
    score: Fraction                  # scale · Σ q_ic k_jc, exactly, from the recorded q, k
    score_recorded: float
    scale_exact: bool                # the scale is 1/√d exactly (d a perfect square)
    grad_scores: list                # ∂L/∂s_i· as Fractions: (diag(p) − p pᵀ) ∂L/∂p
    formula_equal: bool              # … equal to p ⊙ (∂L/∂p − Σ p ∂L/∂p), exactly
    grad_scores_recorded: list
    grad_q: list | None              # ∂L/∂q_i by glassnet.exact's autograd
    grad_q_recorded: list | None
    sum_p: Fraction                  # Σ_j p_ij of the recorded floats

    def differences(self) -> dict:
        """The largest |exact − recorded| of the score, ∂L/∂s_i· and ∂L/∂q_i: float rounding."""
        def gap(a, b):
            return max((abs(float(x) - float(y)) for x, y in zip(a, b)), default=0.0)
        return {"score": abs(float(self.score) - self.score_recorded),
                "grad_scores": gap(self.grad_scores, self.grad_scores_recorded),
                "grad_q": None if self.grad_q is None else gap(self.grad_q, self.grad_q_recorded),
                "sum_p": abs(float(self.sum_p) - 1.0)}


def _fr(a) -> np.ndarray:
    """A float (or Fraction) array as an array of Fractions, exactly."""
    a = np.asarray(a)
    out = np.empty(a.shape, dtype=object)
    for i, v in np.ndenumerate(a):
        out[i] = v if isinstance(v, Fraction) else Fraction(float(v)) if np.isfinite(v) else None
    return out


def exact_scale(scale, d: int):
    """The scale as a Fraction: 1/√d exactly when d is a perfect square and the float is its
    rounding, else the recorded float exactly; and whether it is the exact 1/√d."""
    root = math.isqrt(d)
    if root * root == d and abs(float(scale) - 1 / root) <= 1e-7 / root:
        return Fraction(1, root), True
    return Fraction(float(scale)), False


def exact_check(rec, site, index) -> ExactCheck:
    """``index`` = (…, i, j) into the weights: the checks of the module docstring."""
    from .. import exact as exact_dtype, tensor            # (the engine's tensors: only here)
    index = tuple(int(v) for v in index)
    row = index[:-1]
    q, k, _ = qkv(rec, site)
    lead = index[:-2]
    qi = np.asarray(q)[lead + (index[-2],)] if q.ndim == len(site.shape) else np.asarray(q)[index[-2]]
    kk = np.asarray(k)[lead] if k.ndim == len(site.shape) else np.asarray(k)
    scale, is_exact = exact_scale(site.scale, np.shape(qi)[-1])
    qf, kf = _fr(qi), _fr(kk)
    score = sum((a * b for a, b in zip(qf, kf[index[-1]])), Fraction(0)) * scale
    s_rec = float(np.asarray(scores(rec, site), dtype=np.float64)[index]) if not site.fused \
        else float(np.asarray(scores(rec, site))[index])
    p = _fr(probs(rec, site)[row])
    gp = grad_probs(rec, site)
    if gp is None:
        raise RuntimeError("exact_check: the recording has no backward pass through the attention")
    g = _fr(np.asarray(gp)[row])
    pt, gt = tensor(p, dtype=exact_dtype), tensor(g, dtype=exact_dtype)
    n = len(p)
    eye = tensor(np.array([[Fraction(int(a == b)) for b in range(n)] for a in range(n)], dtype=object),
                 dtype=exact_dtype)
    jac = eye * pt - pt.unsqueeze(1) * pt.unsqueeze(0)        # the softmax's Jacobian, symmetric
    gs = (jac @ gt).array
    dot = sum((a * b for a, b in zip(p, g)), Fraction(0))
    formula = [a * (b - dot) for a, b in zip(p, g)]
    gs_rec = grad_scores(rec, site)
    gq, gq_rec = None, None
    gqs = grads_in(rec, site)["q"]
    if gqs is not None:
        qt = tensor(qf.reshape(1, -1), dtype=exact_dtype, requires_grad=True)
        keys = tensor(kf, dtype=exact_dtype)
        s = (qt @ keys.T) * scale
        s.backward(tensor(np.asarray(gs, dtype=object).reshape(1, -1), dtype=exact_dtype))
        gq = list(qt.grad.array.reshape(-1))
        gq_rec = [float(v) for v in np.asarray(gqs)[lead + (index[-2],)]] if np.ndim(gqs) == len(site.shape) \
            else [float(v) for v in np.asarray(gqs)[index[-2]]]
    return ExactCheck(index, score, s_rec, is_exact, list(gs), list(gs) == formula,
                      [float(v) for v in np.asarray(gs_rec)[row]], gq, gq_rec, sum(p, Fraction(0)))
