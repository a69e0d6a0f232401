"""Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..tensors.tensor import tensor
from .optimizer import Optimizer, _check_compat_flags, _check_non_negative

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    For each parameter :math:`\theta` with gradient :math:`\nabla_\theta f`, at step :math:`t`:

    .. math::

        g_t &= \pm\nabla_\theta f(\theta_{t-1}) + \lambda\,\theta_{t-1}
              \qquad (- \text{ when maximize}) \\
        b_t &= \begin{cases} g_t & t = 1 \\ \mu\, b_{t-1} + (1 - \tau)\, g_t & t > 1 \end{cases}
              \qquad (\text{when } \mu \ne 0) \\
        g_t &\leftarrow \begin{cases} g_t + \mu\, b_t & \text{nesterov} \\ b_t & \text{otherwise}
              \end{cases} \\
        \theta_t &= \theta_{t-1} - \gamma\, g_t

    with :math:`\gamma` = ``lr``, :math:`\mu` = ``momentum``, :math:`\tau` = ``dampening``,
    :math:`\lambda` = ``weight_decay``.  The buffer :math:`b` is ``state[p]["momentum_buffer"]``.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters to optimize, or param groups (dicts with ``"params"`` and per-group options).
    lr : float, default 1e-3
        Learning rate :math:`\gamma`.
    momentum : float, default 0
        Momentum factor :math:`\mu`.
    dampening : float, default 0
        Dampening :math:`\tau` for momentum.
    weight_decay : float, default 0
        L2 penalty :math:`\lambda` (added to the gradient).
    nesterov : bool, default False
        Use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
    maximize : bool, default False
        Maximize the objective instead of minimizing it.
    foreach, differentiable, fused
        Accepted for compatibility with torch; see ``optimizer._check_compat_flags``.

    Examples
    --------
    >>> import glassnet
    >>> w = glassnet.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = glassnet.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> (w * w).sum().backward()          # gradient 2w = [2, -4]
    >>> opt.step()
    >>> w
    tensor([ 0.8000, -1.6000], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach=None, differentiable: bool = False, fused=None) -> None:
        _check_non_negative(lr, "learning rate")
        _check_non_negative(momentum, "momentum value")
        _check_non_negative(weight_decay, "weight_decay value")
        _check_compat_flags(differentiable)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
                    "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)

    def _step_group(self, group: dict) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        for p in group["params"]:
            if p.grad is None:
                continue
            g = p.grad.array
            if p.array.dtype == object:  # glassnet.exact: keep every number a fraction
                lr, momentum, dampening, weight_decay = (
                    _fraction(v) for v in (group["lr"], group["momentum"], group["dampening"],
                                           group["weight_decay"]))
            if maximize:
                g = -g
            if weight_decay != 0:
                g = g + weight_decay * p.array
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    state["momentum_buffer"] = tensor(g)  # a copy
                    b = g
                else:
                    b = buf.array * momentum + (1 - dampening) * g
                    buf._inplace("momentum_buffer", b)
                g = g + momentum * b if nesterov else b
            _sgd_step(p, lr, g)


def _fraction(value):
    from fractions import Fraction
    return Fraction(str(value))


#: Up to this many entries, float32 updates reproduce torch's fused rounding bit for bit (what
#: an explanation of a small network compares); beyond it they take the fast in-place path,
#: which rounds twice (at most one unit in the last place per step).
FUSED_ROUNDING_MAX_SIZE = 65_536


def _sgd_step(p, lr, g) -> None:
    """θ ← θ − γ·g.  For float32, PyTorch's ``add_(g, alpha=-γ)`` is one fused multiply-add with
    γ rounded to float32; computing in float64 and rounding once reproduces it."""
    theta = p.array
    if theta.dtype == np.float32 and theta.size <= FUSED_ROUNDING_MAX_SIZE:
        exact_sum = theta.astype(np.float64)
        exact_sum += _alpha64(lr) * g                      # a float32 product is exact in float64
        p._inplace("step", exact_sum)                      # rounded to float32 once, here
    elif theta.dtype == object:
        p._inplace("step", theta - lr * g)
    else:
        p._inplace("step", -lr * g, np.add)


@lru_cache(maxsize=64)
def _alpha64(lr: float) -> np.float64:
    """−γ as PyTorch's float32 kernel sees it (rounded to float32), held exactly in a float64."""
    return np.float64(np.float32(-lr))
