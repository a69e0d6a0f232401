"""``gradcheck``: compare autograd's gradients with central finite differences in float64.

For every input element x_j and output element y_i, the numerical Jacobian entry is
(f(x + ε e_j)_i − f(x − ε e_j)_i) / 2ε; the analytical one comes from backward with
a one-hot output gradient.  They must agree within ``atol + rtol·|numerical|``.
"""
from __future__ import annotations

import numpy as np

from .engine import TensorBase


class GradcheckError(RuntimeError):
    """Raised when an analytical gradient disagrees with the finite-difference one."""


def _outputs(func, inputs):
    out = func(*inputs)
    return out if isinstance(out, (tuple, list)) else (out,)


def gradcheck(func, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> bool:
    """Check ``func``'s gradients at ``inputs`` (float64 tensors; those with
    ``requires_grad=True`` are checked).

    Examples
    --------
    >>> x = glassnet.randn(3, dtype=glassnet.float64, requires_grad=True)
    >>> glassnet.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
    True
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    for i, t in enumerate(inputs):
        if isinstance(t, TensorBase) and t.requires_grad and t.array.dtype != np.float64:
            raise ValueError(f"gradcheck: input {i} is {t.dtype}; finite differences need float64 "
                             f"inputs (create them with dtype=glassnet.float64)")
    checked = [i for i, t in enumerate(inputs) if isinstance(t, TensorBase) and t.requires_grad]
    outputs = [o for o in _outputs(func, inputs) if o.requires_grad]
    for k, out in enumerate(outputs):
        for i in checked:
            x = inputs[i]
            analytical = np.zeros((out.numel(), x.numel()))
            for row in range(out.numel()):
                for t in inputs:
                    if isinstance(t, TensorBase):
                        t.grad = None
                fresh = [o for o in _outputs(func, inputs) if o.requires_grad][k]
                seed = np.zeros(out.numel())
                seed[row] = 1.0
                fresh.backward(fresh._from_array(seed.reshape(np.shape(fresh.array))))
                if x.grad is not None:
                    analytical[row] = np.asarray(x.grad.array).reshape(-1)
            numerical = np.zeros_like(analytical)
            for j in range(x.numel()):
                base = np.array(x.array, copy=True)
                for sign in (1, -1):
                    bumped = np.array(base, copy=True)
                    bumped.reshape(-1)[j] += sign * eps
                    x.array = bumped
                    value = np.asarray([o for o in _outputs(func, inputs) if o.requires_grad][k].array,
                                       dtype=np.float64).reshape(-1)
                    numerical[:, j] += sign * value / (2 * eps)
                x.array = base
            bad = np.abs(analytical - numerical) > atol + rtol * np.abs(numerical)
            if bad.any():
                r, c = np.argwhere(bad)[0]
                message = (f"Jacobian mismatch for output {k} with respect to input {i}: at output "
                           f"element {r}, input element {c}, numerical {numerical[r, c]:.8g} but "
                           f"analytical {analytical[r, c]:.8g}")
                if raise_exception:
                    raise GradcheckError(message)
                return False
    for t in inputs:
        if isinstance(t, TensorBase):
            t.grad = None
    return True
