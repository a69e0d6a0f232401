"""What the sequence checks read, measured on NumPy arrays and shapes: one implementation for the
torch observer (``observer.py``, which hands over ``tensor.numpy()`` copies) and glassnet's
(``glassnet/doctor/engine_observe.py``).

* ``attention_stats`` and ``logit_stats``: a self-attention softmax's weights and logits;
* ``last_step_axis``: an index that reads the last time step of a 3-D output (``out[:, -1]``);
* ``mixes_axes``: a view (a, b, c) → (a·c, b) that keeps the class axis last without a permute;
* ``key_padding``: the keys a mask hides from every query, per sequence (B, S).
"""
from __future__ import annotations

import numpy as np

__all__ = ["attention_stats", "logit_stats", "last_step_axis", "mixes_axes", "key_padding"]


def attention_stats(weights: np.ndarray, stats: dict) -> None:
    """Attention weights (…, L, S) with L == S > 1 (self-attention): ``upper_mass``, the mean
    weight a query puts on later positions (0 under a causal mask), and ``peaked``, the fraction
    of rows over ≥ 4 keys whose largest weight is above 0.9 (near one-hot)."""
    if weights is None or weights.ndim < 2 or weights.shape[-1] != weights.shape[-2] \
            or weights.shape[-1] < 2 or weights.dtype.kind != "f":
        return
    T = weights.shape[-1]
    w = np.nan_to_num(weights.reshape(-1, T, T).astype(np.float32, copy=False))
    upper = np.triu(np.ones((T, T), dtype=bool), 1)
    stats["upper_mass"] = float((w * upper).sum(-1)[:, :-1].mean())   # the last query has no later key
    stats["square"] = int(T)
    rows = w.reshape(-1, T)
    wide = (rows > 0).sum(-1) >= 4
    if wide.any():
        stats["peaked"] = float((rows[wide].max(-1) > 0.9).mean())


def logit_stats(logits: np.ndarray, weights: np.ndarray, stats: dict) -> None:
    """Attention logits (…, T, T) and their softmax at a step: ``onehot``, the fraction of the
    rows over ≥ 4 unmasked keys whose largest weight is above 0.99, and ``logit_std``, the mean
    over those rows of the logits' standard deviation across the unmasked keys (masked keys: -inf
    or below -1e4)."""
    z = logits.reshape(-1, logits.shape[-1]).astype(np.float64)
    allowed = z > -1e4
    wide = allowed.sum(-1) >= 4
    if not wide.any():
        return
    z, allowed = z[wide], allowed[wide]
    n = allowed.sum(-1)
    zero = np.where(allowed, z, 0.0)
    mean = zero.sum(-1) / n
    var = np.where(allowed, (zero - mean[:, None]) ** 2, 0.0).sum(-1) / n
    stats["logit_std"] = float(np.sqrt(var).mean())
    rows = weights.reshape(-1, weights.shape[-1])[wide]
    stats["onehot"] = float((rows.max(-1) > 0.99).mean())


def last_step_axis(shape, floating: bool, index):
    """The axis ``x[index]`` reads at its last position, for a 3-D float ``x`` of ``shape`` and an
    index that picks the last element of axis 0 or 1 and keeps the rest (``out[:, -1]``,
    ``out[-1]``, ``out[:, -1, :]``); otherwise None."""
    if len(shape) != 3 or not floating:
        return None
    items = index if isinstance(index, tuple) else (index,)
    if not 1 <= len(items) <= 3:
        return None
    picked = [i for i, it in enumerate(items) if isinstance(it, (int, np.integer))
              and not isinstance(it, bool)]
    if len(picked) != 1 or picked[0] > 1:
        return None
    axis = picked[0]
    if items[axis] not in (-1, shape[axis] - 1) or shape[axis] < 2:
        return None
    if not all(it is Ellipsis or (isinstance(it, slice) and it == slice(None))
               for i, it in enumerate(items) if i != axis):
        return None
    return axis


def mixes_axes(in_shape, out_shape) -> bool:
    """``(a, b, c)`` viewed as ``(a·c, b)``: the middle (class or channel) axis kept as the last
    one, so each row mixes positions of different classes instead of the classes of one position."""
    if len(in_shape) != 3 or len(out_shape) != 2:
        return False
    a, b, c = in_shape
    return b > 1 and c > 1 and b != c and tuple(out_shape) == (a * c, b)


def key_padding(masked: np.ndarray, ndim: int):
    """From an attention mask (True = the score is masked out) broadcastable to the scores of
    rank ``ndim`` (B, [heads,] L, S): the keys hidden from every query of each sequence, (B, S);
    None when the mask has no batch axis of its own.  A causal triangle hides no key from every
    query (the last query sees them all), so only the padding part of a combined mask remains."""
    m = np.asarray(masked, dtype=bool)
    if ndim < 3 or m.ndim < 2 or m.ndim > ndim:
        return None
    m = m.reshape((1,) * (ndim - m.ndim) + m.shape)           # aligned to the scores' axes
    if m.shape[0] < 2:
        return None
    keys = m.all(axis=-2)                                    # hidden from every query
    return keys.reshape(keys.shape[0], -1, keys.shape[-1]).all(axis=1)
