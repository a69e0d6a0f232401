"""RAdam: Adam whose adaptive step is switched on, and rectified, once its variance is tractable."""
from __future__ import annotations

import numpy as np

from ..tensors.creation import zeros_like
from .optimizer import (Optimizer, _advance, _check_betas, _check_compat_flags,
                        _check_non_negative, _gradient, _lerp, _new_step)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam (Liu et al., 2019), as ``torch.optim.RAdam``.

    For each parameter :math:`\theta` with gradient :math:`\nabla_\theta f`, at step
    :math:`t = 1, 2, \dots`:

    .. math::

        g_t &= \pm\nabla_\theta f(\theta_{t-1}) \qquad (- \text{ when maximize}) \\
        g_t &\leftarrow g_t + \lambda\,\theta_{t-1}
              \quad\text{or, with decoupled weight decay,}\quad
              \theta_{t-1} \leftarrow \theta_{t-1} - \gamma\lambda\,\theta_{t-1} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2, \qquad
        \hat m_t = m_t / (1 - \beta_1^t) \\
        \rho_\infty &= \frac{2}{1 - \beta_2} - 1, \qquad
        \rho_t = \rho_\infty - \frac{2t\,\beta_2^t}{1 - \beta_2^t} \\
        \theta_t &= \begin{cases}
            \theta_{t-1} - \gamma\,\hat m_t\, \dfrac{\sqrt{1 - \beta_2^t}}{\sqrt{v_t} + \epsilon}\, r_t,
            \quad r_t = \sqrt{\dfrac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}
                                   {(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}}
            & \rho_t > 5 \\
            \theta_{t-1} - \gamma\,\hat m_t & \text{otherwise}
        \end{cases}

    with :math:`m_0 = v_0 = 0`, :math:`\gamma` = ``lr``, :math:`\lambda` = ``weight_decay``.
    The state of each parameter is ``step`` (:math:`t`), ``exp_avg`` (:math:`m`) and
    ``exp_avg_sq`` (:math:`v`).

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters to optimize, or param groups (dicts with ``"params"`` and per-group options).
    lr : float, default 1e-3
        Learning rate :math:`\gamma`.
    betas : (float, float), default (0.9, 0.999)
        Decay rates :math:`\beta_1, \beta_2` of the running averages, each in [0, 1).
    eps : float, default 1e-8
        :math:`\epsilon`, added to the denominator for numerical stability.
    weight_decay : float, default 0
        :math:`\lambda` (an L2 penalty added to the gradient, unless decoupled).
    decoupled_weight_decay : bool, default False
        Shrink the parameter directly instead of adding :math:`\lambda\theta` to the gradient.
    maximize : bool, default False
        Maximize the objective instead of minimizing it.
    foreach, capturable, differentiable
        Accepted for compatibility with torch; see ``optimizer._check_compat_flags``.

    Examples
    --------
    >>> import glassnet
    >>> w = glassnet.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = glassnet.optim.RAdam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()                         # rho_1 <= 5: a plain momentum step
    >>> w
    tensor([ 0.8000, -1.6000], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_non_negative(lr, "learning rate")
        _check_non_negative(eps, "epsilon value")
        _check_betas(betas)
        _check_non_negative(weight_decay, "weight_decay value")
        _check_compat_flags(differentiable)
        defaults = {"lr": lr, "betas": (float(betas[0]), float(betas[1])), "eps": eps,
                    "weight_decay": weight_decay, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _step_group(self, group: dict) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _new_step()
                state["exp_avg"] = zeros_like(p)
                state["exp_avg_sq"] = zeros_like(p)
            step = _advance(state["step"])

            g = _gradient(p, maximize, weight_decay, lr if decoupled else None)

            m = _lerp(state["exp_avg"].array, g, 1 - beta1)
            v = state["exp_avg_sq"].array * beta2 + (1 - beta2) * g * g
            state["exp_avg"]._inplace("lerp_", m)
            state["exp_avg_sq"]._inplace("addcmul_", v)

            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            m_hat = m / bias_correction1
            rho_inf = 2 / (1 - beta2) - 1
            rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                adaptive_lr = (bias_correction2 ** 0.5) / (np.sqrt(v) + eps)
                p._inplace("step", m_hat * lr * adaptive_lr * rect, np.subtract)
            else:
                p._inplace("step", m_hat * lr, np.subtract)
