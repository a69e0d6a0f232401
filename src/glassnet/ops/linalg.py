"""Linear algebra: ``MatMul`` with the cases of ``torch.matmul`` (1-D·1-D (dot), 2-D·1-D, 1-D·2-D
— a vector is treated as a row or column and the added axis removed again — and batched N-D with
broadcasting of the batch axes), and ``Linear``, x·Wᵀ + b as one node instead of three (matmul,
transpose, add), for speed."""
from __future__ import annotations

import numpy as np

from ..autograd.engine import unbroadcast
from ..autograd.function import Function


def _shape_error(a, b) -> str:
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return (f"matmul: both arguments need at least 1 dimension, got {np.ndim(a)}D and "
                f"{np.ndim(b)}D; use * for a scalar product.")
    ka = a.shape[-1]
    kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
    where = "only" if b.ndim == 1 else "second-to-last"
    return (f"matmul: cannot multiply shapes {tuple(a.shape)} and {tuple(b.shape)} ({ka} ≠ {kb}: the "
            f"last dimension of the first must equal the {where} dimension of the second)")


class MatMul(Function):
    __slots__ = ("a", "b")
    saves_inputs = True

    def forward(self, a, b):
        self.a, self.b = a, b
        try:
            return a @ b
        except ValueError:
            raise RuntimeError(_shape_error(a, b)) from None

    def backward(self, g):
        a, b = self.a, self.b
        if a.ndim == 2 and b.ndim == 2:  # the common case: dA = G·Bᵀ, dB = Aᵀ·G
            return (g @ b.T if self.needs_grad(0) else None,
                    a.T @ g if self.needs_grad(1) else None)
        # Lift vectors to matrices so one rule serves every case: dA = G·Bᵀ, dB = Aᵀ·G.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = np.expand_dims(g, -1) if b.ndim == 1 else g
        g2 = np.expand_dims(g2, -2) if a.ndim == 1 else g2
        ga = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        gb = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)
        return ga, gb

    def backward_graph(self, g):
        """The same rule on Tensors (double backward)."""
        a, b = self.inputs
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        g2 = g.unsqueeze(-1) if b.ndim == 1 else g
        g2 = g2.unsqueeze(-2) if a.ndim == 1 else g2
        ga = unbroadcast(g2 @ b2.mT, a2.shape).reshape(a.shape) if self.needs_grad(0) else None
        gb = unbroadcast(a2.mT @ g2, b2.shape).reshape(b.shape) if self.needs_grad(1) else None
        return ga, gb


def _dtype_name(dt) -> str:
    return {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
            "bool": "Bool", "object": "Exact"}.get(np.dtype(dt).name, str(dt))


class Linear(Function):
    """y = x·Wᵀ + b, with x of shape (..., in), W (out, in), b (out,).

    Backward, writing X and G for x and the output gradient flattened to 2-D:
    ∂L/∂x = G·W,  ∂L/∂W = Gᵀ·X,  ∂L/∂b = Σ_rows G.
    (Everything is done on 2-D views with ``np.dot``, which goes straight to BLAS.)
    """

    saves_inputs = True

    def forward(self, x, weight, bias=None):
        if x.dtype is not weight.dtype and x.dtype != weight.dtype:
            raise RuntimeError(
                f"mat1 and mat2 must have the same dtype, but got {_dtype_name(x.dtype)} and "
                f"{_dtype_name(weight.dtype)}: the input is {x.dtype} and the layer's weight is "
                f"{weight.dtype}. Convert one of them, e.g. x.float() or model.double().")
        shape = np.shape(x)
        if not shape or shape[-1] != weight.shape[1]:
            rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({rows}x{shape[-1] if shape else 1} and "
                f"{weight.shape[1]}x{weight.shape[0]}): the layer expects inputs whose last dimension "
                f"is {weight.shape[1]} (in_features), got input of shape {tuple(shape)}.")
        self.x, self.weight = x, weight
        x2 = x if len(shape) == 2 else x.reshape(-1, shape[-1])
        # a narrow layer (an attention head's projection): BLAS is ~25% faster on a contiguous Wᵀ
        out = np.dot(x2, weight.T if weight.shape[0] > 32 else np.ascontiguousarray(weight.T))
        if bias is not None:
            out += bias
        return out if len(shape) == 2 else out.reshape(shape[:-1] + (weight.shape[0],))

    def backward(self, g):
        x, w = self.x, self.weight
        g2 = g if g.ndim == 2 else g.reshape(-1, w.shape[0])
        gx = np.dot(g2, w).reshape(np.shape(x)) if self.needs_grad(0) else None
        gw = np.dot(g2.T, x.reshape(-1, w.shape[1])) if self.needs_grad(1) else None
        if len(self.inputs) == 2:
            return gx, gw
        # Σ over rows as a product with a row of ones: ~10x faster than g2.sum(axis=0) here.
        gb = np.dot(np.ones(len(g2), dtype=g2.dtype), g2) if self.needs_grad(2) else None
        return gx, gw, gb

    def backward_graph(self, g):
        """The same rule on Tensors (double backward)."""
        x, w = self.inputs[:2]
        g2 = g.reshape(-1, w.shape[0])
        gx = (g2 @ w).reshape(x.shape) if self.needs_grad(0) else None
        gw = g2.T @ x.reshape(-1, w.shape[1]) if self.needs_grad(1) else None
        if len(self.inputs) == 2:
            return gx, gw
        return gx, gw, (g2.sum(0) if self.needs_grad(2) else None)
