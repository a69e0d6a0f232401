"""Normalisation: ``LayerNorm`` as one primitive (torch's ``native_layer_norm``).

Written as tensor ops, a layer norm is nine nodes (two means, a subtraction, a square, a
square root, a division, the scale and the shift), each a pass over the whole input and a node
for backward to visit; as one node it is a few passes, and its backward is the closed form below.

The row sums are products with a vector of ones (``np.dot`` goes to BLAS), several times faster
than ``np.sum(axis=-1)`` on the short rows of a layer norm.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Function


def row_means(a2):
    """The mean of each row of a 2-D array, as a column (rows, 1)."""
    n = a2.shape[1]
    return np.dot(a2, np.full(n, 1 / n, dtype=a2.dtype))[:, None]


def column_sums(a2):
    """The sum of each column of a 2-D array (the gradient of a per-feature scale or shift)."""
    return np.dot(np.ones(a2.shape[0], dtype=a2.dtype), a2)


def _normalize_rows(x2, eps):
    """x̂ = (x − μ)·r and r = 1/√(σ² + ε) of each row of a 2-D array (σ² the biased variance)."""
    xhat = x2 - row_means(x2)
    r = 1 / np.sqrt(row_means(xhat * xhat) + eps)
    xhat *= r
    return xhat, r


def _rows_grad(ghat, xhat, r):
    """∂L/∂x of a row normalisation, ĝ = ∂L/∂x̂: r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))."""
    gx = ghat - row_means(ghat)
    gx -= xhat * row_means(ghat * xhat)
    gx *= r
    return gx


def _normalize_rows_graph(x2, eps):
    """``_normalize_rows`` on Tensors (double backward: x̂ and r depend on x)."""
    centred = x2 - x2.mean(-1, keepdim=True)
    r = ((centred * centred).mean(-1, keepdim=True) + eps).rsqrt()
    return centred * r, r


def _rows_grad_graph(ghat, xhat, r):
    """``_rows_grad`` on Tensors."""
    return r * (ghat - ghat.mean(-1, keepdim=True) - xhat * (ghat * xhat).mean(-1, keepdim=True))


class LayerNorm(Function):
    """y = x̂·γ + β over the last ``dims`` dimensions, with x̂ = (x − μ)·r, μ the mean and
    r = 1/√(σ² + ε) (σ² the biased variance) of each row of those dimensions.

    Backward, with ĝ = ∂L/∂y·γ and means taken over each row:
    ∂L/∂x = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)),  ∂L/∂γ = Σ_rows ∂L/∂y·x̂,  ∂L/∂β = Σ_rows ∂L/∂y.
    (γ and β are optional: ``apply(x)``, ``apply(x, γ)`` or ``apply(x, γ, β)``.)
    Double backward: the same rule on Tensors, x̂ and r recomputed from x (they depend on it).
    """

    __slots__ = ("xhat", "r", "weight", "eps")
    saves_inputs = True

    def forward(self, x, weight=None, bias=None, dims=1, eps=1e-5):
        n = math.prod(x.shape[x.ndim - dims:])
        xhat, r = _normalize_rows(x.reshape(-1, n), eps)
        self.xhat, self.r, self.weight, self.eps = xhat, r, weight, eps
        out = xhat if weight is None else xhat * weight.reshape(-1)
        if bias is not None:
            out += bias.reshape(-1)
        return out.reshape(x.shape)

    def backward(self, g):
        xhat, w = self.xhat, self.weight
        g2 = g.reshape(xhat.shape)
        ghat = g2 if w is None else g2 * w.reshape(-1)
        gx = None
        if self.needs_grad(0):
            gx = _rows_grad(ghat, xhat, self.r).reshape(g.shape)
        grads = [gx]
        if w is not None:
            grads.append(column_sums(g2 * xhat).reshape(w.shape) if self.needs_grad(1) else None)
        if len(self.inputs) == 3:
            grads.append(column_sums(g2).reshape(w.shape) if self.needs_grad(2) else None)
        return tuple(grads)

    def backward_graph(self, g):
        """The same rule on Tensors (double backward)."""
        x, w = self.inputs[0], (self.inputs[1] if len(self.inputs) > 1 else None)
        xhat, r = _normalize_rows_graph(x.reshape(self.xhat.shape), self.eps)
        g2 = g.reshape(self.xhat.shape)
        ghat = g2 if w is None else g2 * w.reshape(-1)
        gx = None
        if self.needs_grad(0):
            gx = _rows_grad_graph(ghat, xhat, r).reshape(x.shape)
        grads = [gx]
        if w is not None:
            grads.append((g2 * xhat).sum(0).reshape(w.shape) if self.needs_grad(1) else None)
        if len(self.inputs) == 3:
            grads.append(g2.sum(0).reshape(w.shape) if self.needs_grad(2) else None)
        return tuple(grads)

class GroupNorm(Function):
    """y[n, c] = x̂[n, c]·γ[c] + β[c], with x̂ normalised over each sample's group of C/G channels
    and all their positions (torch's ``native_group_norm``): the input (N, C, *) seen as N·G rows
    of (C/G)·∏* values, each row's μ and r = 1/√(σ² + ε) (σ² biased), x̂ = (x − μ)·r.

    Backward, the layer norm's per row with the per-channel scale folded in (ĝ = ∂L/∂y·γ[c]):
    ∂L/∂x = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)),  ∂L/∂γ[c] = Σ_{n, positions} ∂L/∂y·x̂,
    ∂L/∂β[c] = Σ_{n, positions} ∂L/∂y.  (``apply(x)``, ``apply(x, γ)`` or ``apply(x, γ, β)``;
    ``groups=C`` is the instance norm.)
    """

    __slots__ = ("xhat", "r", "weight", "groups", "eps")
    saves_inputs = True

    def name(self) -> str:
        return "NativeGroupNormBackward0"

    def forward(self, x, weight=None, bias=None, groups=1, eps=1e-5):
        n, c = x.shape[:2]
        xhat, r = _normalize_rows(x.reshape(n * groups, -1), eps)
        self.xhat, self.r, self.weight, self.groups, self.eps = xhat, r, weight, groups, eps
        out = xhat.reshape(n, c, -1)
        if weight is not None:
            out = out * weight[:, None]
        if bias is not None:
            out = out + bias[:, None]
        return out.reshape(x.shape)

    def backward(self, g):
        xhat, w = self.xhat, self.weight
        g3 = g.reshape(g.shape[0], g.shape[1], -1)
        gx = None
        if self.needs_grad(0):
            ghat = (g3 if w is None else g3 * w[:, None]).reshape(xhat.shape)
            gx = _rows_grad(ghat, xhat, self.r).reshape(g.shape)
        grads = [gx]
        if w is not None:
            grads.append((g3 * xhat.reshape(g3.shape)).sum(axis=(0, 2)) if self.needs_grad(1) else None)
        if len(self.inputs) == 3:
            grads.append(g3.sum(axis=(0, 2)) if self.needs_grad(2) else None)
        return tuple(grads)

    def backward_graph(self, g):
        x, w = self.inputs[0], (self.inputs[1] if len(self.inputs) > 1 else None)
        n, c = x.shape[:2]
        xhat, r = _normalize_rows_graph(x.reshape(n * self.groups, -1), self.eps)
        g3 = g.reshape(n, c, -1)
        ghat = (g3 if w is None else g3 * w.reshape(-1, 1)).reshape(n * self.groups, -1)
        grads = [_rows_grad_graph(ghat, xhat, r).reshape(x.shape)]
        if w is not None:
            grads.append((g3 * xhat.reshape(n, c, -1)).sum((0, 2)))
        if len(self.inputs) == 3:
            grads.append(g3.sum((0, 2)))
        return tuple(grads)
