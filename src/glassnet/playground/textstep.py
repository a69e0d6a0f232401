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
* ``chars``      the window's characters (query i reads keys 0..i).
"""
from __future__ import annotations

import numpy as np

from glassnet.explain import attention as att

from .imagestep import _num, derivation_dict
from .protocol import ProtocolError


def _row(a):
    return [_num(v) for v in np.asarray(a, dtype=np.float64).tolist()]


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
            "derivation": derivation_dict(d)}
