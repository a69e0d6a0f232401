"""Adamax: Adam with the second moment replaced by an exponentially decayed infinity norm."""
from __future__ import annotations

import numpy as np

from ..tensors.creation import zeros_like
from .optimizer import (Optimizer, _advance, _check_betas, _check_compat_flags,
                        _check_non_negative, _gradient, _lerp, _new_step)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, 2014, section 7), as ``torch.optim.Adamax``.

    For each parameter :math:`\theta` with gradient :math:`\nabla_\theta f`, at step
    :math:`t = 1, 2, \dots`:

    .. math::

        g_t &= \pm\nabla_\theta f(\theta_{t-1}) + \lambda\,\theta_{t-1}
              \qquad (- \text{ when maximize}) \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
        u_t &= \max\bigl(\beta_2 u_{t-1},\ |g_t| + \epsilon\bigr) \\
        \theta_t &= \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t}\,\frac{m_t}{u_t}

    with :math:`m_0 = u_0 = 0`, :math:`\gamma` = ``lr``, :math:`\lambda` = ``weight_decay``.
    The state of each parameter is ``step`` (:math:`t`), ``exp_avg`` (:math:`m`) and
    ``exp_inf`` (:math:`u`).

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters to optimize, or param groups (dicts with ``"params"`` and per-group options).
    lr : float, default 2e-3
        Learning rate :math:`\gamma`.
    betas : (float, float), default (0.9, 0.999)
        Decay rates :math:`\beta_1, \beta_2` of the running average and of the infinity norm.
    eps : float, default 1e-8
        :math:`\epsilon`, added to :math:`|g_t|` for numerical stability.
    weight_decay : float, default 0
        :math:`\lambda`, an L2 penalty added to the gradient.
    maximize : bool, default False
        Maximize the objective instead of minimizing it.
    foreach, differentiable, capturable
        Accepted for compatibility with torch; see ``optimizer._check_compat_flags``.

    Examples
    --------
    >>> import glassnet
    >>> w = glassnet.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = glassnet.optim.Adamax([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()                         # the first step moves each entry by lr
    >>> w
    tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        _check_non_negative(lr, "learning rate")
        _check_non_negative(eps, "epsilon value")
        _check_betas(betas)
        _check_non_negative(weight_decay, "weight_decay value")
        _check_compat_flags(differentiable)
        defaults = {"lr": lr, "betas": (float(betas[0]), float(betas[1])), "eps": eps,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def _step_group(self, group: dict) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _new_step()
                state["exp_avg"] = zeros_like(p)
                state["exp_inf"] = zeros_like(p)
            step = _advance(state["step"])

            g = _gradient(p, maximize, weight_decay)

            m = _lerp(state["exp_avg"].array, g, 1 - beta1)
            u = np.maximum(state["exp_inf"].array * beta2, np.abs(g) + eps)
            state["exp_avg"]._inplace("lerp_", m)
            state["exp_inf"]._inplace("maximum", u)

            clr = lr / (1 - beta1 ** step)
            p._inplace("step", (-clr * m) / u, np.add)
