"""``gradcheck``: compare autograd's gradients with central finite differences in float64.

For every input element x_j and output element y_i, the numerical Jacobian entry is
(f(x + ε e_j)_i − f(x − ε e_j)_i) / 2ε; the analytical one comes from backward with
a one-hot output gradient.  They must agree within ``atol + rtol·|numerical|``.
"""
from __future__ import annotations

import numpy as np

from .engine import TensorBase
from .gradients import grad


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


def gradgradcheck(func, inputs, grad_outputs=None, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True) -> bool:
    """Check the second derivatives of ``func`` (its double backward, ``create_graph=True``) by
    finite differences, as ``torch.autograd.gradgradcheck``: ``gradcheck`` of the function
    (inputs, v) ↦ ∂⟨func(inputs), v⟩/∂inputs, with ``v`` = ``grad_outputs`` (random float64
    tensors if not given), built by each op's ``backward_graph``.

    Examples
    --------
    >>> x = glassnet.randn(3, dtype=glassnet.float64, requires_grad=True)
    >>> glassnet.autograd.gradgradcheck(lambda t: (t * t.tanh()).sum(), (x,))
    True
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    outputs = [o for o in _outputs(func, inputs) if o.requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [o._from_array(rng.standard_normal(np.shape(o.array)).astype(np.float64))
                        for o in outputs]
        for v in grad_outputs:
            v.requires_grad = True
    grad_outputs = tuple(grad_outputs) if isinstance(grad_outputs, (tuple, list)) else (grad_outputs,)
    n = len(inputs)

    def first_derivatives(*args):
        outs = [o for o in _outputs(func, args[:n]) if o.requires_grad]
        wrt = [t for t in args[:n] if isinstance(t, TensorBase) and t.requires_grad]
        grads = grad(outs, wrt, args[n:], create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None and g.requires_grad)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps, atol, rtol, raise_exception)
