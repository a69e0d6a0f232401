"""Step through one attention weight of the Text page's GPT and its gradient, read from one
``glassnet.explain`` recording of a training step on the window under the cursor (copies of the
model and optimizer; the session is not changed).

The ``explain`` message for weight p[i, j] of head ``blocks.L.sa.heads.H``:

* ``row``        query i's row, each key j' with: q_i·k_j' (from the recorded q and k), the score
                 s_ij' = scale · q_i·k_j' as the softmax read it (null where masked: −∞), whether
                 the mask hid it, the weight p_ij' (the softmax over the visible keys), ∂L/∂p_ij'
                 and ∂L/∂s_ij' as recorded;
* ``scale``      1/√(head size), and ``head_size``;
* ``derivation`` ``step.derivation("blocks.L.sa.heads.H[0, i, j]")`` in explain's JSON form
                 (headline, convention, lines [{math, note}], value, agrees) and as text: the score,
                 the softmax over the row, then the backward pass through the softmax;
* ``chars``      the window's characters (query i reads keys 0..i);
* ``exact``      ``step.attention_exact("blocks.L.sa.heads.H[0, i, j]")``: the score and the row's
                 ∂L/∂s redone in exact rational arithmetic from the recorded q, k, p and ∂L/∂p
                 (``glassnet.exact``), each beside the recorded float and the number of significant
                 digits they share (``digits``: null when they are equal; a masked score has no
                 recorded value), whether the scale is exactly 1/√d, whether (diag(p) − p pᵀ) ∂L/∂p
                 equals p ⊙ (∂L/∂p − Σ p ∂L/∂p) exactly, the largest difference of ∂L/∂q_i, and Σ_j p_ij
                 of the recorded floats, exactly (or ``{"error": ...}`` if it cannot be done).
"""
from __future__ import annotations

import math
from decimal import Context
from fractions import Fraction

import numpy as np

from glassnet.explain import attention as att

from .imagestep import _num, derivation_dict
from .protocol import ProtocolError


def _row(a):
    return [_num(v) for v in np.asarray(a, dtype=np.float64).tolist()]


EXACT_DIGITS = 20       # significant digits an exact (rational) value is shown to


def decimal(x: Fraction) -> str:
    """An exact rational number as a decimal string of ``EXACT_DIGITS`` significant digits."""
    ctx = Context(prec=EXACT_DIGITS)
    return format(ctx.divide(ctx.create_decimal(x.numerator), ctx.create_decimal(x.denominator)), "g")


def digits(exact: Fraction, recorded) -> int | None:
    """The significant digits a recorded float shares with the exact value (None: equal)."""
    if recorded is None or not math.isfinite(recorded):
        return 0
    diff = abs(exact - Fraction(recorded))
    if diff == 0:
        return None
    scale = abs(exact) if exact != 0 else abs(Fraction(recorded))
    return max(0, int(math.floor(-math.log10(float(diff / scale))))) if scale else 0


def exact_dict(rec, entry: str, masked: bool, head_size: int) -> dict:
    """The ``exact`` part of the message (see the module docstring)."""
    try:
        c = rec.attention_exact(entry)
    except Exception as err:  # noqa: BLE001 - the page says why
        return {"error": f"{type(err).__name__}: {err}"}
    rows = [{"exact": decimal(e), "recorded": _num(r), "digits": digits(e, r)}
            for e, r in zip(c.grad_scores, c.grad_scores_recorded)]
    gap = c.differences()
    return {"score": {"exact": decimal(c.score), "recorded": None if masked else _num(c.score_recorded),
                      "masked": bool(masked), "digits": None if masked else digits(c.score, c.score_recorded)},
            "scale_exact": bool(c.scale_exact), "scale": f"1/{math.isqrt(head_size)}" if c.scale_exact else None,
            "grad_scores": rows, "formula_equal": bool(c.formula_equal),
            "grad_q": None if c.grad_q is None else {
                "max_difference": _num(gap["grad_q"]),
                "min_digits": min((d for d in (digits(e, r) for e, r in zip(c.grad_q, c.grad_q_recorded))
                                   if d is not None), default=None)},
            "sum_p": {"exact": decimal(c.sum_p), "difference": _num(gap["sum_p"])},
            "call": f'step.attention_exact("{entry}")'}


def explain_weight(trainer, layer: int, head: int, i: int, j: int) -> dict:
    """The ``explain`` message for attention weight [i, j] of ``layer``'s head ``head`` (see above)."""
    cfg = trainer.cfg
    if cfg.model != "gpt":
        raise ProtocolError("the bigram model has no attention (each character sees only the one before); "
                            "choose the GPT to step through an attention weight")
    if layer >= cfg.n_layer or head >= cfg.n_head:
        raise ProtocolError(f"there is no head {head} in layer {layer}; the GPT has {cfg.n_layer} layers of "
                            f"{cfg.n_head} heads (from 0)")
    T = trainer.T
    if i >= T or j >= T:
        raise ProtocolError(f"the window has {T} characters; weight [{i}, {j}] is outside")
    rec, _, start = trainer.record_window(optimizer_step=True)
    name = f"blocks.{layer}.sa.heads.{head}"
    site, _ = att.find_site(rec, name)
    entry = f"{name}[0, {i}, {j}]"
    try:
        d = rec.derivation(entry)
    except Exception as err:  # noqa: BLE001 - the page shows why
        raise ProtocolError(f"glassnet.explain could not derive {entry}: {type(err).__name__}: {err}") from None
    q, k, _ = att.qkv(rec, site)
    raw = np.asarray(q, np.float64)[0, i] @ np.asarray(k, np.float64)[0].T
    masked = att.masked(rec, site)[0, i]
    scores = np.asarray(att.scores(rec, site), np.float64)[0, i]
    gp, gs = att.grad_probs(rec, site), att.grad_scores(rec, site)
    chars = trainer.vocab.decode(trainer.ids[start:start + T])
    return {"type": "explain", "layer": layer, "head": head, "i": i, "j": j, "entry": entry, "name": name,
            "chars": list(chars), "start": start, "scale": float(site.scale), "head_size": int(np.shape(q)[-1]),
            "loss": _num(rec.ops[rec.loss_index].output),
            "row": {"qk": _row(raw), "scores": [None if m else _num(s) for s, m in zip(scores, masked)],
                    "masked": [bool(m) for m in masked], "probs": _row(att.probs(rec, site)[0, i]),
                    "grad_probs": None if gp is None else _row(np.asarray(gp)[0, i]),
                    "grad_scores": None if gs is None else _row(np.asarray(gs)[0, i])},
            "derivation": derivation_dict(d), "exact": exact_dict(rec, entry, bool(masked[j]), int(np.shape(q)[-1]))}
