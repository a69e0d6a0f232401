"""ASGD: stochastic gradient descent with a decaying step and a running (Polyak) average."""
from __future__ import annotations

import numpy as np

from ..tensors.creation import zeros_like
from ..tensors.tensor import tensor
from .optimizer import Optimizer, _advance, _check_compat_flags, _check_non_negative, _gradient, _new_step

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged stochastic gradient descent (Polyak & Juditsky, 1992), as ``torch.optim.ASGD``.

    For each parameter :math:`\theta` with gradient :math:`\nabla_\theta f`, at step
    :math:`t = 1, 2, \dots`:

    .. math::

        g_t &= \pm\nabla_\theta f(\theta_{t-1}) + \lambda\,\theta_{t-1}
              \qquad (- \text{ when maximize}) \\
        \theta_t &= (1 - \lambda_d\,\eta_{t-1})\,\theta_{t-1} - \eta_{t-1}\, g_t \\
        \bar\theta_t &= \begin{cases} \theta_t & \mu_{t-1} = 1 \\
                        \bar\theta_{t-1} + \mu_{t-1}(\theta_t - \bar\theta_{t-1}) & \text{otherwise}
                        \end{cases} \\
        \eta_t &= \frac{\gamma}{(1 + \lambda_d\,\gamma\, t)^{\alpha}}, \qquad
        \mu_t = \frac{1}{\max(1,\ t - t_0)}

    with :math:`\eta_0 = \gamma` = ``lr``, :math:`\mu_0 = 1`, :math:`\lambda_d` = ``lambd``,
    :math:`\lambda` = ``weight_decay``.  The parameter itself follows the SGD iterates; the
    average :math:`\bar\theta` (starting once :math:`t > t_0`) is ``state[p]["ax"]``.  The state
    is ``step`` (:math:`t`), ``eta`` (:math:`\eta`), ``mu`` (:math:`\mu`), both float32 0-d
    tensors as in torch, and ``ax`` (:math:`\bar\theta`).

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters to optimize, or param groups (dicts with ``"params"`` and per-group options).
    lr : float, default 1e-2
        Learning rate :math:`\gamma`.
    lambd : float, default 1e-4
        Decay term :math:`\lambda_d` (of the step size, and of the parameter).
    alpha : float, default 0.75
        Power :math:`\alpha` of the step-size decay.
    t0 : float, default 1e6
        The step :math:`t_0` after which averaging starts.
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
    >>> opt = glassnet.optim.ASGD([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([ 0.8000, -1.6000], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach=None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        _check_non_negative(lr, "learning rate")
        _check_non_negative(weight_decay, "weight_decay value")
        _check_compat_flags(differentiable)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def _step_group(self, group: dict) -> None:
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _new_step()
                state["eta"] = tensor(np.float32(lr))
                state["mu"] = tensor(1.0)
                state["ax"] = zeros_like(p)
            step = _advance(state["step"])

            g = _gradient(p, maximize, weight_decay)

            eta = float(np.float32(state["eta"].array))   # torch keeps eta and mu in float32
            mu = float(np.float32(state["mu"].array))
            p._inplace("step", 1 - lambd * eta, np.multiply)
            p._inplace("step", -eta * g, np.add)
            if mu != 1:
                ax = state["ax"].array
                state["ax"]._inplace("add_", (p.array - ax) * mu, np.add)
            else:
                state["ax"]._inplace("copy_", p.array)

            state["eta"]._inplace("copy_", np.float32(lr / ((1 + lambd * lr * step) ** alpha)))
            state["mu"]._inplace("copy_", np.float32(1 / max(1, step - t0)))
