"""Matrix multiplication with the cases of ``torch.matmul``: 1-D·1-D (dot), 2-D·1-D,
1-D·2-D (a vector is treated as a row or column and the added axis removed again),
and batched N-D with broadcasting of the batch axes."""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from .broadcast import unbroadcast


class MatMul(Function):
    saves_inputs = True

    def forward(self, a, b):
        self.a, self.b = a, b
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got "
                               f"{a.ndim}D and {b.ndim}D; use * for a scalar product.")
        ka = a.shape[-1]
        kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if ka != kb:
            raise RuntimeError(f"matmul: cannot multiply shapes {tuple(a.shape)} and {tuple(b.shape)} "
                               f"({ka} ≠ {kb}: the last dimension of the first must equal the "
                               f"{'only' if b.ndim == 1 else 'second-to-last'} dimension of the second)")
        return a @ b

    def backward(self, g):
        a, b = self.a, self.b
        if a.ndim == 2 and b.ndim == 2:  # the common case: dA = G·Bᵀ, dB = Aᵀ·G
            return (g @ b.T if self.needs_grad(0) else None,
                    a.T @ g if self.needs_grad(1) else None)
        # Lift vectors to matrices so one rule serves every case: dA = G·Bᵀ, dB = Aᵀ·G.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = np.expand_dims(g2, -1)
        ga = g2 @ np.swapaxes(b2, -1, -2)
        gb = np.swapaxes(a2, -1, -2) @ g2
        if a.ndim == 1:
            ga = unbroadcast(ga, (1,) + a.shape) if ga.ndim > 2 else ga
            ga = ga.reshape(a.shape)
        else:
            ga = unbroadcast(ga, a.shape)
        if b.ndim == 1:
            gb = unbroadcast(gb, b.shape + (1,)).reshape(b.shape)
        else:
            gb = unbroadcast(gb, b.shape)
        return ga, gb
