"""Matrix multiplication with the cases of ``torch.matmul``: 1-D·1-D (dot), 2-D·1-D,
1-D·2-D (a vector is treated as a row or column and the added axis removed again),
and batched N-D with broadcasting of the batch axes."""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from .broadcast import unbroadcast


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
