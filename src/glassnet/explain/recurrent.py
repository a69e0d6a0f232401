"""One LSTM step's gates with the numbers: for a recorded step of a model with ``nn.LSTM`` (or
``nn.LSTMCell``), the gates i, f, g, o of one hidden unit at one time step of one sequence, each
from its pre-activation sum, and the new cell and hidden state::

    a_i = W_ih[i-row]·x_t + b_ih + W_hh[i-row]·h_{t−1} + b_hh      i = σ(a_i)   (f, o alike)
    a_g = …                                                        g = tanh(a_g)
    c_t = f·c_{t−1} + i·g,      h_t = o·tanh(c_t)

For an LSTM with projections (``nn.LSTM(proj_size=P)``) the unit's o·tanh(c_t) is r, and the
layer's output h_t (width P) is W_hr·r_t; the step then shows r of ``unit`` and the sum
h_t[j] = Σ_k W_hr[j, k]·r_k of ``out_unit`` j, term by term (W_hh·h_{t−1} reads the P-wide h).

>>> with record(model, optimizer) as step:                        # doctest: +SKIP
...     ...
>>> print(step.lstm_step(layer=0, t=3, batch=0, unit=1))          # doctest: +SKIP

The numbers come from the recording only: the LSTM node's recorded inputs (x, h₀, c₀ and the
weights, as they were in the forward pass; for packed sequences, the lengths read off the zeros
the node output for ended sequences) run again through ``ops.recurrent.LSTMLayer``'s forward,
whose node keeps every step's gates and states (see its docstring); the result is checked against
the recorded output (``matches_recording``).  With ``backward`` recorded, ∂L/∂h_t and ∂L/∂c_T that
reached the node are shown too.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import numpy as np

from ..ops.recurrent import LSTMLayer
from ._numbers import fmt

__all__ = ["LSTMStep", "lstm_layers", "lstm_step"]

_TERMS = 8     # terms of W_hr·r written out one by one

_NAME = re.compile(r"^(?P<module>.*?)\.?weight_ih(_l(?P<layer>\d+))?(?P<reverse>_reverse)?$")


def lstm_layers(rec) -> list:
    """(module path, layer, reverse, op record) for every LSTM node of the recording, in order."""
    found = []
    for op in rec.ops:
        if op.op != "LSTMLayer" or op.phase != "forward":
            continue
        ref = op.inputs[3]
        m = _NAME.match(str(ref.key)) if ref.kind == "param" else None
        module = m.group("module") if m else (op.module or "")
        layer = int(m.group("layer")) if m and m.group("layer") else 0
        found.append((module, layer, bool(m and m.group("reverse")), op))
    return found


def _signed(v) -> str:
    """``+ 0.1`` or ``− 0.1``: a term of a sum."""
    return f"− {fmt(-v)}" if v < 0 else f"+ {fmt(v)}"


@dataclass
class LSTMStep:
    """The numbers of one unit's step (see the module docstring); ``str()`` writes them out."""

    module: str
    layer: int
    reverse: bool
    t: int
    batch: int
    unit: int
    parts: dict                    # gate → (W_ih·x, b_ih, W_hh·h, b_hh, a, value)
    c_prev: float
    h_prev: float
    c: float
    tanh_c: float
    h: float
    matches_recording: bool
    grad_h: float | None = None    # ∂L/∂h_t that reached the node from its output at t
    x: np.ndarray = field(default=None, repr=False)
    r: float | None = None         # with projections: o·tanh(c_t) of ``unit`` …
    out_unit: int | None = None    # … and h_t[out_unit] = Σ_k W_hr[out_unit, k]·r_k (the terms)
    proj_terms: np.ndarray = field(default=None, repr=False)

    def lines(self) -> list:
        where = (f"{self.module or 'LSTM'}, layer {self.layer}{' (reverse)' if self.reverse else ''}, "
                 f"time step t = {self.t}, sequence {self.batch}, hidden unit {self.unit}")
        if self.r is not None:
            where += f" (projection: output unit {self.out_unit})"
        out = [f"One LSTM step: {where}", ""]
        for name, fn in (("i", "σ"), ("f", "σ"), ("g", "tanh"), ("o", "σ")):
            wx, bi, wh, bh, a, v = self.parts[name]
            out.append(f"  a_{name} = W_ih·x_t + b_ih + W_hh·h_(t−1) + b_hh = {fmt(wx)} {_signed(bi)} "
                       f"{_signed(wh)} {_signed(bh)} = {fmt(a)}")
            out.append(f"  {name} = {fn}(a_{name}) = {fn}({fmt(a)}) = {fmt(v)}")
        i, f, g, o = (self.parts[k][5] for k in "ifgo")
        out += ["",
                f"  c_t = f·c_(t−1) + i·g = {fmt(f)}·{fmt(self.c_prev)} + {fmt(i)}·{fmt(g)} = "
                f"{fmt(f * self.c_prev)} {_signed(i * g)} = {fmt(self.c)}",
                f"  h_t = o·tanh(c_t) = {fmt(o)}·tanh({fmt(self.c)}) = {fmt(o)}·{fmt(self.tanh_c)} = "
                f"{fmt(self.h)}"]
        if self.r is not None:       # with projections: that product is r; h_t = W_hr·r_t
            out[-1] = (f"  r_t = o·tanh(c_t) = {fmt(o)}·tanh({fmt(self.c)}) = {fmt(o)}·{fmt(self.tanh_c)} = "
                       f"{fmt(self.r)}")
            terms = [float(v) for v in self.proj_terms]
            shown = " ".join([fmt(terms[0])] + [_signed(v) for v in terms[1:_TERMS]])
            if len(terms) > _TERMS:
                shown += f" {_signed(sum(terms[_TERMS:]))} (the other {len(terms) - _TERMS} terms, summed)"
            out.append(f"  h_t[{self.out_unit}] = W_hr[{self.out_unit}]·r_t = Σ_k W_hr[{self.out_unit}, k]·r_k "
                       f"= {shown} = {fmt(self.h)}")
        if self.grad_h is not None:
            out.append(f"  ∂L/∂h_t from the output at t: {fmt(self.grad_h)}")
        out.append(f"  (h_t {'matches' if self.matches_recording else 'DOES NOT match'} the recorded output)")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def to_html(self) -> str:
        """The same lines as a ``<pre>`` block (shown by notebooks through ``_repr_html_``)."""
        return f"<pre class=\"glassnet-lstm-step\">{html.escape(str(self))}</pre>"

    _repr_html_ = to_html

    def to_dict(self) -> dict:
        return {"module": self.module, "layer": self.layer, "reverse": self.reverse, "t": self.t,
                "batch": self.batch, "unit": self.unit,
                "gates": {k: dict(zip(("W_ih·x", "b_ih", "W_hh·h", "b_hh", "a", "value"), map(float, v)))
                          for k, v in self.parts.items()},
                "c_prev": self.c_prev, "h_prev": self.h_prev, "c": self.c, "h": self.h,
                "matches_recording": self.matches_recording,
                **({} if self.r is None else {"r": self.r, "out_unit": self.out_unit,
                                              "W_hr·r terms": [float(v) for v in self.proj_terms]})}


def _batch_sizes(output):
    """For a packed input, how many sequences still run at each time step: the node outputs 0 for
    a sequence that has ended (batch sorted by length).  None when every sequence runs throughout."""
    running = np.any(output != 0, axis=2).sum(axis=1)
    return None if np.all(running == output.shape[1]) else running


def lstm_step(rec, layer: int = 0, t: int = 0, batch: int = 0, unit: int = 0, module: str | None = None,
              reverse: bool = False, out_unit: int = 0) -> LSTMStep:
    """The gates and states of ``unit`` at time ``t`` of sequence ``batch`` in LSTM ``layer`` (of
    ``module``, a path such as ``"lstm"``; default: the first LSTM), with every number.  With
    projections (``proj_size``), also h_t = W_hr·r_t for output unit ``out_unit``."""
    layers = lstm_layers(rec)
    if not layers:
        raise ValueError("this recording has no LSTM (nn.LSTM or nn.LSTMCell) in its forward pass")
    if module is None:
        module = layers[0][0]
    hits = [op for m, k, r, op in layers if m == module and k == layer and r == reverse]
    if not hits:
        have = sorted({f"{m!r} layer {k}{' reverse' if r else ''}" for m, k, r, _ in layers})
        raise ValueError(f"no LSTM layer {layer}{' (reverse)' if reverse else ''} of {module!r} in this "
                         f"recording; it has: {', '.join(have)}")
    op = hits[0]
    values = [np.asarray(v, dtype=np.float64) for v in op.input_values]
    x, w_ih, w_hh = values[0], values[3], values[4]
    T, B, _ = x.shape
    H, P = w_ih.shape[0] // 4, w_hh.shape[1]
    proj = P != H                                       # torch requires proj_size < hidden_size
    w_hr = values[-1] if proj else None
    for name, value, size in (("t", t, T), ("batch", batch, B), ("unit", unit, H)) + \
            ((("out_unit", out_unit, P),) if proj else ()):
        if not 0 <= value < size:
            raise IndexError(f"{name} = {value} is out of range: the layer has {size}")
    output = np.asarray(op.output, dtype=np.float64)   # with proj: h (width P) padded to H
    running = _batch_sizes(output[:T])
    if running is not None and batch >= running[t]:
        raise ValueError(f"sequence {batch} has no step t = {t}: its length is "
                         f"{int((running > batch).sum())} (a packed sequence)")
    node = LSTMLayer()
    node.forward(*values, reverse=reverse, batch_sizes=running, proj=proj)
    s = T - 1 - t if reverse else t                     # the node's processing step
    has_bias = len(values) - proj > 5
    b_ih = values[5] if has_bias else np.zeros(4 * H)
    b_hh = values[6] if has_bias else np.zeros(4 * H)
    h_prev, c_prev = node.h[s, batch], node.c[s, batch]
    parts = {}
    for k, name in enumerate("ifgo"):
        row = k * H + unit
        wx, wh = float(w_ih[row] @ x[t, batch]), float(w_hh[row] @ h_prev)
        parts[name] = (wx, float(b_ih[row]), wh, float(b_hh[row]), wx + b_ih[row] + wh + b_hh[row],
                       float(node.gates[s, batch, row]))
    j = out_unit if proj else unit                      # the unit of h_t shown
    recorded = output[t, batch, j]
    h = float(node.h[s + 1, batch, j])
    grad = None if op.grad_out is None else float(np.asarray(op.grad_out)[t, batch, j])
    extra = {}
    if proj:
        extra = {"r": float(node.r[s, batch, unit]), "out_unit": out_unit,
                 "proj_terms": w_hr[out_unit] * node.r[s, batch]}
    return LSTMStep(module, layer, reverse, t, batch, unit, parts, float(c_prev[unit]),
                    float(h_prev[j]), float(node.c[s + 1, batch, unit]),
                    float(node.tanh_c[s, batch, unit]), h,
                    bool(np.isclose(h, recorded, rtol=1e-5, atol=1e-6)), grad, x[t, batch], **extra)
