"""RMSprop: gradient steps divided by a running root-mean-square of the gradient."""
from __future__ import annotations

import numpy as np

from ..tensors.creation import zeros_like
from .optimizer import (Optimizer, _advance, _check_compat_flags, _check_non_negative,
                        _gradient, _lerp, _new_step)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e), as ``torch.optim.RMSprop``.

    For each parameter :math:`\theta` with gradient :math:`\nabla_\theta f`, at each step:

    .. math::

        g_t &= \pm\nabla_\theta f(\theta_{t-1}) + \lambda\,\theta_{t-1}
              \qquad (- \text{ when maximize}) \\
        v_t &= \alpha\, v_{t-1} + (1 - \alpha)\, g_t^2 \\
        \tilde v_t &= \begin{cases} v_t - \bar g_t^2,\quad
              \bar g_t = \alpha\, \bar g_{t-1} + (1 - \alpha)\, g_t & \text{centered} \\
              v_t & \text{otherwise} \end{cases} \\
        b_t &= \mu\, b_{t-1} + \frac{g_t}{\sqrt{\tilde v_t} + \epsilon}, \qquad
        \theta_t = \theta_{t-1} - \gamma\, b_t \qquad (\text{when } \mu > 0) \\
        \theta_t &= \theta_{t-1} - \gamma\, \frac{g_t}{\sqrt{\tilde v_t} + \epsilon}
              \qquad (\text{when } \mu = 0)

    with :math:`v_0 = \bar g_0 = b_0 = 0`, :math:`\gamma` = ``lr``, :math:`\alpha` = ``alpha``,
    :math:`\mu` = ``momentum``, :math:`\lambda` = ``weight_decay``.  The state of each parameter
    is ``step``, ``square_avg`` (:math:`v`), and ``momentum_buffer`` (:math:`b`, when
    ``momentum > 0``) and ``grad_avg`` (:math:`\bar g`, when ``centered``).

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters to optimize, or param groups.
    lr : float, default 1e-2
        Learning rate :math:`\gamma`.
    alpha : float, default 0.99
        Smoothing constant :math:`\alpha` of the running averages.
    eps : float, default 1e-8
        :math:`\epsilon`, added to the denominator.
    weight_decay : float, default 0
        L2 penalty :math:`\lambda` (added to the gradient).
    momentum : float, default 0
        Momentum factor :math:`\mu`.
    centered : bool, default False
        Divide by an estimate of the gradient's *variance* (subtract the squared mean).
    maximize : bool, default False
        Maximize the objective instead of minimizing it.
    capturable, foreach, differentiable
        Accepted for compatibility with torch.

    Examples
    --------
    >>> import glassnet
    >>> w = glassnet.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = glassnet.optim.RMSprop([w], lr=0.01)
    >>> (w * w).sum().backward()
    >>> opt.step()                         # first step: g / sqrt(0.01 g^2) = 10 sign(g)
    >>> w
    tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_non_negative(lr, "learning rate")
        _check_non_negative(eps, "epsilon value")
        _check_non_negative(momentum, "momentum value")
        _check_non_negative(weight_decay, "weight_decay value")
        _check_non_negative(alpha, "alpha value")
        _check_compat_flags(differentiable)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def _step_group(self, group: dict) -> None:
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        weight_decay, centered, maximize = group["weight_decay"], group["centered"], group["maximize"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _new_step()
                state["square_avg"] = zeros_like(p)
                if momentum > 0:
                    state["momentum_buffer"] = zeros_like(p)
                if centered:
                    state["grad_avg"] = zeros_like(p)
            _advance(state["step"])  # RMSprop counts steps but its update does not use the count

            g = _gradient(p, maximize, weight_decay)

            v = state["square_avg"].array * alpha + (1 - alpha) * g * g
            state["square_avg"]._inplace("addcmul_", v)
            if centered:
                g_avg = _lerp(state["grad_avg"].array, g, 1 - alpha)
                state["grad_avg"]._inplace("lerp_", g_avg)
                avg = np.sqrt(v - g_avg * g_avg) + eps
            else:
                avg = np.sqrt(v) + eps

            if momentum > 0:
                b = state["momentum_buffer"].array * momentum + g / avg
                state["momentum_buffer"]._inplace("addcdiv_", b)
                p._inplace("step", -lr * b, np.add)
            else:
                p._inplace("step", (-lr * g) / avg, np.add)
