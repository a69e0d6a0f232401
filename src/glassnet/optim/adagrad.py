"""Adagrad: each entry's step shrinks with the sum of its squared gradients so far."""
from __future__ import annotations

import numpy as np

from ..tensors.creation import full_like
from .optimizer import Optimizer, _advance, _check_compat_flags, _check_non_negative, _gradient, _new_step

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), as ``torch.optim.Adagrad``.

    For each parameter :math:`\theta` with gradient :math:`\nabla_\theta f`, at step
    :math:`t = 1, 2, \dots`:

    .. math::

        g_t &= \pm\nabla_\theta f(\theta_{t-1}) + \lambda\,\theta_{t-1}
              \qquad (- \text{ when maximize}) \\
        \tilde\gamma_t &= \frac{\gamma}{1 + (t - 1)\,\eta} \\
        s_t &= s_{t-1} + g_t^2 \\
        \theta_t &= \theta_{t-1} - \tilde\gamma_t\, \frac{g_t}{\sqrt{s_t} + \epsilon}

    with :math:`s_0` = ``initial_accumulator_value``, :math:`\gamma` = ``lr``,
    :math:`\eta` = ``lr_decay``, :math:`\lambda` = ``weight_decay``.  The state of each
    parameter is ``step`` (:math:`t`) and ``sum`` (:math:`s`); as in torch it is created for
    every parameter when the optimizer is built.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters to optimize, or param groups.
    lr : float, default 1e-2
        Learning rate :math:`\gamma`.
    lr_decay : float, default 0
        Learning-rate decay :math:`\eta`.
    weight_decay : float, default 0
        L2 penalty :math:`\lambda` (added to the gradient).
    initial_accumulator_value : float, default 0
        Starting value :math:`s_0` of the sum of squared gradients.
    eps : float, default 1e-10
        :math:`\epsilon`, added to the denominator.
    maximize : bool, default False
        Maximize the objective instead of minimizing it.
    foreach, differentiable, fused
        Accepted for compatibility with torch.

    Examples
    --------
    >>> import glassnet
    >>> w = glassnet.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = glassnet.optim.Adagrad([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()                         # first step: g / sqrt(g^2) = sign(g)
    >>> w
    tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach=None, *,
                 maximize: bool = False, differentiable: bool = False, fused=None) -> None:
        _check_non_negative(lr, "learning rate")
        _check_non_negative(lr_decay, "lr_decay value")
        _check_non_negative(weight_decay, "weight_decay value")
        _check_non_negative(initial_accumulator_value, "initial_accumulator_value value")
        _check_non_negative(eps, "epsilon value")
        _check_compat_flags(differentiable)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group: dict) -> None:
        state = self.state[p]
        state["step"] = _new_step()
        state["sum"] = full_like(p, group["initial_accumulator_value"])

    def _step_group(self, group: dict) -> None:
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:  # a group added after construction (torch would raise a KeyError)
                self._init_state(p, group)
            step = _advance(state["step"])

            g = _gradient(p, maximize, weight_decay)
            clr = lr / (1 + (step - 1) * lr_decay)

            s = state["sum"].array + g * g
            state["sum"]._inplace("addcmul_", s)
            std = np.sqrt(s) + eps
            p._inplace("step", (-clr * g) / std, np.add)
