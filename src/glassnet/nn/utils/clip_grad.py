"""``glassnet.nn.utils.clip_grad``: gradient clipping, as torch's (same results, same errors).

    total norm  N = ‖(‖g₁‖_p, ‖g₂‖_p, …)‖_p   (the p-norm of all gradients seen as one vector;
                                               p = inf: the largest |gᵢ|)
    clip_grad_norm_:  gᵢ ← gᵢ · min(max_norm / (N + 10⁻⁶), 1)
    clip_grad_value_: gᵢ ← clamp(gᵢ, −clip_value, clip_value)

The gradients are changed in place.  ``register_clip_hook(hook)`` lets an observer (the doctor)
see each call: ``hook(name, result)`` after it ran.
"""
from __future__ import annotations

import math
import types
import warnings

import numpy as np

from ...autograd.engine import TensorBase, no_grad
from ...tensors.tensor import tensor
from ..hooks import add_hook

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm",
           "register_clip_hook"]

_clip_hooks: dict = {}


def register_clip_hook(hook):
    """Install ``hook(name, result)``, called after every ``clip_grad_norm_`` / ``clip_grad_value_``
    (glassnet's stand-in for the wrapper the doctor puts around torch's)."""
    return add_hook(_clip_hooks, hook)


def _notify(name, result):
    for hook in list(_clip_hooks.values()):
        hook(name, result)


def _as_list(tensors) -> list:
    return [tensors] if isinstance(tensors, TensorBase) else list(tensors)


def _foreach(foreach) -> None:
    if foreach:
        raise RuntimeError("foreach=True was passed, but can't use the foreach API on cpu tensors")


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None):
    """The p-norm of ``tensors`` seen as one vector (the norm of their norms), a 0-d tensor."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return tensor(0.0)
    dtype = tensors[0].array.dtype
    arrays = [np.abs(np.asarray(t.array, dtype=dtype)).reshape(-1) for t in tensors]
    if norm_type == math.inf:
        norms = [a.max(initial=0) for a in arrays]
        total = max(norms)
    elif norm_type == -math.inf:
        total = min(a.min(initial=math.inf) for a in arrays)
    elif norm_type == 0:
        total = sum(np.count_nonzero(a) for a in arrays)
    else:
        norms = np.array([np.sum(a ** norm_type) ** (1 / norm_type) for a in arrays], dtype=dtype)
        total = np.sum(norms ** norm_type) ** (1 / norm_type)
    total = tensors[0]._from_array(np.asarray(total, dtype=dtype)[()])
    if error_if_nonfinite and not np.isfinite(total.array):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is "
                           f"non-finite, so it cannot be clipped. To disable this error and scale the "
                           f"gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return total


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    """Scale every ``.grad`` by min(max_norm / (total_norm + 10⁻⁶), 1), in place."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    norm = np.asarray(total_norm.array if isinstance(total_norm, TensorBase) else total_norm)
    coef = np.minimum(float(max_norm) / (norm + norm.dtype.type(1e-6)), 1.0).astype(norm.dtype)
    with no_grad():
        for g in grads:
            g._inplace("mul_", g.array * coef.astype(g.array.dtype))


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None):
    """Clip the gradients' total norm to ``max_norm`` (in place); return the norm they had.

    Examples
    --------
    >>> w = glassnet.tensor([3.0, 4.0], requires_grad=True)
    >>> (w * w).sum().backward()            # w.grad = [6, 8], norm 10
    >>> glassnet.nn.utils.clip_grad_norm_([w], max_norm=5.0)
    tensor(10.)
    >>> w.grad
    tensor([3.0000, 4.0000])
    """
    _foreach(foreach)
    if isinstance(parameters, types.GeneratorType):
        parameters = list(parameters)
        if not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    parameters = _as_list(parameters)
    total = get_total_norm([p.grad for p in parameters if p.grad is not None], norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    _notify("clip_grad_norm_", total)
    return total


def clip_grad_norm(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None):
    """Deprecated spelling of ``clip_grad_norm_``."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element to [−clip_value, clip_value], in place."""
    _foreach(foreach)
    clip_value = float(clip_value)
    with no_grad():
        for p in _as_list(parameters):
            if p.grad is not None:
                p.grad._inplace("clamp_", np.clip(p.grad.array, -clip_value, clip_value))
    _notify("clip_grad_value_", None)
