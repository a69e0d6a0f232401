"""NAdam: Adam with Nesterov momentum and a momentum schedule (Dozat, 2016)."""
from __future__ import annotations

import numpy as np

from ..tensors.creation import zeros_like
from ..tensors.tensor import tensor
from .optimizer import (Optimizer, _advance, _check_betas, _check_compat_flags,
                        _check_non_negative, _gradient, _lerp, _new_step)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam (Adam with Nesterov momentum), as ``torch.optim.NAdam``.

    For each parameter :math:`\theta` with gradient :math:`\nabla_\theta f`, at step
    :math:`t = 1, 2, \dots`:

    .. math::

        g_t &= \pm\nabla_\theta f(\theta_{t-1}) \qquad (- \text{ when maximize}) \\
        g_t &\leftarrow g_t + \lambda\,\theta_{t-1}
              \quad\text{or, with decoupled weight decay,}\quad
              \theta_{t-1} \leftarrow \theta_{t-1} - \gamma\lambda\,\theta_{t-1} \\
        \mu_t &= \beta_1 \bigl(1 - \tfrac12\, 0.96^{t\psi}\bigr), \qquad
        \mu_{t+1} = \beta_1 \bigl(1 - \tfrac12\, 0.96^{(t+1)\psi}\bigr), \qquad
        \Pi_t = \textstyle\prod_{i=1}^{t} \mu_i \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2 \\
        d_t &= \sqrt{v_t / (1 - \beta_2^t)} + \epsilon \\
        \theta_t &= \theta_{t-1} - \gamma\,\frac{1 - \mu_t}{1 - \Pi_t}\,\frac{g_t}{d_t}
                    - \gamma\,\frac{\mu_{t+1}}{1 - \Pi_t\,\mu_{t+1}}\,\frac{m_t}{d_t}

    with :math:`m_0 = v_0 = 0`, :math:`\gamma` = ``lr``, :math:`\lambda` = ``weight_decay``,
    :math:`\psi` = ``momentum_decay``.  The state of each parameter is ``step`` (:math:`t`),
    ``mu_product`` (:math:`\Pi_t`, a float32 0-d tensor as in torch, whatever the parameter's
    dtype), ``exp_avg`` (:math:`m`) and ``exp_avg_sq`` (:math:`v`).

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters to optimize, or param groups (dicts with ``"params"`` and per-group options).
    lr : float, default 2e-3
        Learning rate :math:`\gamma`.
    betas : (float, float), default (0.9, 0.999)
        Decay rates :math:`\beta_1, \beta_2` of the running averages, each in [0, 1).
    eps : float, default 1e-8
        :math:`\epsilon`, added to the denominator for numerical stability.
    weight_decay : float, default 0
        :math:`\lambda` (an L2 penalty added to the gradient, unless decoupled).
    momentum_decay : float, default 4e-3
        :math:`\psi`, how fast the momentum schedule :math:`\mu_t` rises to :math:`\beta_1`.
    decoupled_weight_decay : bool, default False
        Shrink the parameter directly instead of adding :math:`\lambda\theta` to the gradient
        (NAdamW).
    maximize : bool, default False
        Maximize the objective instead of minimizing it.
    foreach, capturable, differentiable
        Accepted for compatibility with torch; see ``optimizer._check_compat_flags``.

    Examples
    --------
    >>> import glassnet
    >>> w = glassnet.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = glassnet.optim.NAdam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([ 0.8944, -1.8944], requires_grad=True)
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach=None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        _check_non_negative(lr, "learning rate")
        _check_non_negative(eps, "epsilon value")
        _check_betas(betas)
        _check_non_negative(weight_decay, "weight_decay value")
        _check_non_negative(momentum_decay, "momentum_decay value")
        _check_compat_flags(differentiable)
        defaults = {"lr": lr, "betas": (float(betas[0]), float(betas[1])), "eps": eps,
                    "weight_decay": weight_decay, "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable, "differentiable": differentiable}
        super().__init__(params, defaults)

    def _step_group(self, group: dict) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, momentum_decay = group["weight_decay"], group["momentum_decay"]
        decoupled, maximize = group["decoupled_weight_decay"], group["maximize"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _new_step()
                state["mu_product"] = tensor(1.0)
                state["exp_avg"] = zeros_like(p)
                state["exp_avg_sq"] = zeros_like(p)
            step = _advance(state["step"])

            g = _gradient(p, maximize, weight_decay, lr if decoupled else None)
            bias_correction2 = 1 - beta2 ** step

            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
            # torch keeps the product in a float32 tensor: multiplied in float32, read back as a float
            mu_product = float(np.float32(state["mu_product"].array) * np.float32(mu))
            state["mu_product"]._inplace("mul_", np.float32(mu_product))

            m = _lerp(state["exp_avg"].array, g, 1 - beta1)
            v = state["exp_avg_sq"].array * beta2 + (1 - beta2) * g * g
            state["exp_avg"]._inplace("lerp_", m)
            state["exp_avg_sq"]._inplace("addcmul_", v)

            denom = np.sqrt(v / bias_correction2) + eps
            mu_product_next = mu_product * mu_next
            p._inplace("step", ((-lr * (1.0 - mu) / (1.0 - mu_product)) * g) / denom, np.add)
            p._inplace("step", ((-lr * mu_next / (1.0 - mu_product_next)) * m) / denom, np.add)
