"""Adadelta: steps scaled by the ratio of running RMS of past updates to that of gradients."""
from __future__ import annotations

import numpy as np

from ..tensors.creation import zeros_like
from .optimizer import Optimizer, _advance, _check_compat_flags, _check_non_negative, _gradient, _new_step

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), as ``torch.optim.Adadelta``.

    For each parameter :math:`\theta` with gradient :math:`\nabla_\theta f`, at step
    :math:`t = 1, 2, \dots`:

    .. math::

        g_t &= \pm\nabla_\theta f(\theta_{t-1}) + \lambda\,\theta_{t-1}
              \qquad (- \text{ when maximize}) \\
        v_t &= \rho\, v_{t-1} + (1 - \rho)\, g_t^2 \\
        \Delta x_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t \\
        u_t &= \rho\, u_{t-1} + (1 - \rho)\, \Delta x_t^2 \\
        \theta_t &= \theta_{t-1} - \gamma\, \Delta x_t

    with :math:`v_0 = u_0 = 0`, :math:`\gamma` = ``lr``, :math:`\lambda` = ``weight_decay``.
    The state of each parameter is ``step`` (:math:`t`), ``square_avg`` (:math:`v`) and
    ``acc_delta`` (:math:`u`).

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters to optimize, or param groups (dicts with ``"params"`` and per-group options).
    lr : float, default 1.0
        Learning rate :math:`\gamma`, a factor on :math:`\Delta x_t`.
    rho : float, default 0.9
        Decay rate :math:`\rho` of both running averages, in [0, 1].
    eps : float, default 1e-6
        :math:`\epsilon`, added inside both square roots.
    weight_decay : float, default 0
        :math:`\lambda`, an L2 penalty added to the gradient.
    maximize : bool, default False
        Maximize the objective instead of minimizing it.
    foreach, capturable, differentiable
        Accepted for compatibility with torch; see ``optimizer._check_compat_flags``.

    Examples
    --------
    >>> import glassnet
    >>> w = glassnet.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = glassnet.optim.Adadelta([w])
    >>> (w * w).sum().backward()
    >>> opt.step()                         # the first steps are about sqrt(eps / (1 - rho))
    >>> w
    tensor([ 0.9968, -1.9968], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach=None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        _check_non_negative(lr, "learning rate")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_non_negative(eps, "epsilon value")
        _check_non_negative(weight_decay, "weight_decay value")
        _check_compat_flags(differentiable)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _step_group(self, group: dict) -> None:
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _new_step()
                state["square_avg"] = zeros_like(p)
                state["acc_delta"] = zeros_like(p)
            _advance(state["step"])

            g = _gradient(p, maximize, weight_decay)

            v = state["square_avg"].array * rho + (1 - rho) * g * g
            state["square_avg"]._inplace("addcmul_", v)
            std = np.sqrt(v + eps)
            delta = np.sqrt(state["acc_delta"].array + eps) / std * g
            u = state["acc_delta"].array * rho + (1 - rho) * delta * delta
            state["acc_delta"]._inplace("addcmul_", u)
            p._inplace("step", -lr * delta, np.add)
