"""Attention: ``ScaledDotProductAttention``, softmax(q·kᵀ·scale + mask)·v as one node, forward and
backward by hand.

Forward, for queries q (…, L, E), keys k (…, S, E) and values v (…, S, Ev):

    S = q·kᵀ · scale (+ the float mask) (−∞ where the bool mask masks out)   scores   (…, L, S)
    P = softmax(S) over the keys (the row maximum subtracted first)            weights  (…, L, S)
    D = P ⊙ keep, keep = Bernoulli(1 − p)/(1 − p) (dropout; no dropout: D = P)
    out = D·v                                                                  (…, L, Ev)

Backward, with G = ∂L/∂out:

    ∂v = Dᵀ·G,    ∂P = (G·vᵀ) ⊙ keep,    ∂S = P ⊙ (∂P − Σ_keys P ⊙ ∂P)   (through the softmax)
    ∂q = ∂S·k · scale,    ∂k = ∂Sᵀ·q · scale,    ∂mask = ∂S (a float mask that wants a gradient)

A row whose every key is masked out gives weights 0 and output 0, as torch 2.13 does on the CPU
(its safe softmax); ``empty_rows="nan"`` gives NaN there instead, as torch's plain softmax in
``nn.MultiheadAttention(need_weights=True)`` does.  The node keeps, for explanations:

* ``probs``: P, the attention weights after the softmax and before dropout, shape (…, L, S);
* ``mask``: bool, True where a score was masked out (the bool mask, the causal triangle, or −∞
  in a float mask), broadcastable to (…, L, S); None when nothing is masked;
* ``scale``: the factor on q·kᵀ (1/√E unless given).

Batch dimensions broadcast (a key shared across a batch gets its gradient summed by the engine).
The dropout draw (``keep``) comes from the caller, so this file needs no random stream.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function


class ScaledDotProductAttention(Function):
    """softmax(q·kᵀ·scale + mask)·v with dropout on the weights (see the module docstring)."""

    __slots__ = ("q", "k", "v", "probs", "mask", "scale", "keep", "dropped", "float_mask")

    saves_inputs = True

    def forward(self, q, k, v, float_mask=None, mask=None, scale=None, keep=None, empty_rows="zero"):
        scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
        self.q, self.k, self.v, self.scale, self.keep = q, k, v, scale, keep
        self.float_mask = float_mask is not None
        scores = np.matmul(q, np.swapaxes(k, -1, -2))
        scores *= q.dtype.type(scale)
        if float_mask is not None:
            scores = scores + float_mask
            neg = np.isneginf(float_mask)
            if neg.any():
                mask = neg if mask is None else (mask | neg)
        if mask is not None:
            scores = np.where(mask, -np.inf, scores)
        self.mask = mask
        top = np.max(scores, axis=-1, keepdims=True)
        empty = np.isneginf(top)
        if mask is not None and empty.any():
            top = np.where(empty, 0.0, top).astype(scores.dtype, copy=False)
        e = np.exp(scores - top, out=scores)
        total = np.sum(e, axis=-1, keepdims=True)
        if mask is not None and empty.any():
            total = np.where(empty, 1.0, total).astype(e.dtype, copy=False)
            if empty_rows == "nan":
                e = np.where(empty, np.nan, e).astype(e.dtype, copy=False)
        e /= total
        self.probs = e
        self.dropped = e if keep is None else e * keep
        return np.matmul(self.dropped, v)

    def backward(self, g):
        p, q, k, v, scale = self.probs, self.q, self.k, self.v, self.scale
        dv = np.matmul(np.swapaxes(self.dropped, -1, -2), g) if self.needs_grad(2) else None
        dp = np.matmul(g, np.swapaxes(v, -1, -2))
        if self.keep is not None:
            dp *= self.keep
        ds = p * (dp - np.sum(p * dp, axis=-1, keepdims=True))   # through the softmax
        dmask = ds if self.float_mask and self.needs_grad(3) else None
        ds = ds * q.dtype.type(scale)
        dq = np.matmul(ds, k) if self.needs_grad(0) else None
        dk = np.matmul(np.swapaxes(ds, -1, -2), q) if self.needs_grad(1) else None
        return (dq, dk, dv) if not self.float_mask else (dq, dk, dv, dmask)
