"""Adam: gradient steps scaled by running averages of the gradient and of its square."""
from __future__ import annotations

import numpy as np

from ..tensors.creation import zeros_like
from .optimizer import (Optimizer, _advance, _check_betas, _check_compat_flags,
                        _bump, _check_non_negative, _gradient, _lerp, _new_step)

__all__ = ["Adam"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2014), as ``torch.optim.Adam``.

    For each parameter :math:`\theta` with gradient :math:`\nabla_\theta f`, at step
    :math:`t = 1, 2, \dots`:

    .. math::

        g_t &= \pm\nabla_\theta f(\theta_{t-1}) \qquad (- \text{ when maximize}) \\
        g_t &\leftarrow g_t + \lambda\,\theta_{t-1}
              \quad\text{or, with decoupled weight decay,}\quad
              \theta_{t-1} \leftarrow \theta_{t-1} - \gamma\lambda\,\theta_{t-1} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2 \\
        \hat v_t &= \max(\hat v_{t-1}, v_t) \text{ if amsgrad, else } v_t \\
        \theta_t &= \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t}\,
                    \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    with :math:`m_0 = v_0 = 0`, :math:`\gamma` = ``lr``, :math:`\lambda` = ``weight_decay``.
    The state of each parameter is ``step`` (:math:`t`), ``exp_avg`` (:math:`m`),
    ``exp_avg_sq`` (:math:`v`) and, with amsgrad, ``max_exp_avg_sq`` (:math:`\hat v`).

    The operations follow torch's single-tensor loop in order, in the parameter's dtype;
    torch's CPU kernels fuse some multiply-adds, so the last bit of float32 results can differ.

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
    amsgrad : bool, default False
        Use the running maximum of :math:`v_t` (AMSGrad).
    maximize : bool, default False
        Maximize the objective instead of minimizing it.
    decoupled_weight_decay : bool, default False
        Shrink the parameter directly instead of adding :math:`\lambda\theta` to the gradient
        (this is ``AdamW``).
    foreach, capturable, differentiable, fused
        Accepted for compatibility with torch; see ``optimizer._check_compat_flags``.

    Examples
    --------
    >>> import glassnet
    >>> w = glassnet.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = glassnet.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()                         # the first step moves each entry by about lr
    >>> w
    tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach=None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False, fused=None,
                 decoupled_weight_decay: bool = False) -> None:
        _check_non_negative(lr, "learning rate")
        _check_non_negative(eps, "epsilon value")
        _check_betas(betas)
        _check_non_negative(weight_decay, "weight_decay value")
        _check_compat_flags(differentiable)
        defaults = {"lr": lr, "betas": (float(betas[0]), float(betas[1])), "eps": eps,
                    "weight_decay": weight_decay, "amsgrad": amsgrad, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable, "differentiable": differentiable,
                    "fused": fused, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _step_group(self, group: dict) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        flat = None if amsgrad else _flat_state(self, group)
        if flat is not None:
            return _step_flat(self.state, group, flat)
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                _init_state(state, p, amsgrad)
            step = _advance(state["step"])

            g = _gradient(p, maximize, weight_decay, lr if decoupled else None)
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            bias_correction1 = 1 - beta1 ** step
            bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
            step_size = lr / bias_correction1
            if type(exp_avg.array) is not np.ndarray:  # a 0-d parameter: NumPy scalars, out of place
                m = _lerp(exp_avg.array, g, 1 - beta1)
                v = exp_avg_sq.array * beta2 + (1 - beta2) * g * g
                exp_avg._inplace("lerp_", m)
                exp_avg_sq._inplace("addcmul_", v)
            else:  # the same operations in the same order, written into the state's own memory
                m, v = exp_avg.array, exp_avg_sq.array
                _lerp(m, g, 1 - beta1, out=m)
                v *= beta2
                v += np.multiply(g, 1 - beta2) * g
                _bump(exp_avg, exp_avg_sq)
            if amsgrad:
                v = np.maximum(state["max_exp_avg_sq"].array, v)
                state["max_exp_avg_sq"]._inplace("maximum", v)
            denom = np.sqrt(v)
            denom /= bias_correction2_sqrt
            denom += eps
            update = np.multiply(m, -step_size)
            update /= denom
            p._inplace("step", update, np.add)


def _init_state(state: dict, p, amsgrad: bool) -> None:
    """A parameter's state before its first step: step 0 and zero running averages."""
    state["step"] = _new_step()
    state["exp_avg"] = zeros_like(p)
    state["exp_avg_sq"] = zeros_like(p)
    if amsgrad:
        state["max_exp_avg_sq"] = zeros_like(p)


class _Flat:
    """The running averages of a group's parameters laid end to end in two flat arrays, each
    parameter's ``exp_avg``/``exp_avg_sq`` a view into them: one NumPy pass over the whole group
    per operation instead of one per parameter (torch's ``foreach`` kernels do the same)."""

    __slots__ = ("params", "m", "v", "m_views", "v_views", "slices")

    def valid(self, params, state) -> bool:
        """Still the same parameters, and no state tensor has been given a new array since (a
        ``load_state_dict``, or a user's write)."""
        if len(params) != len(self.params) or any(a is not b for a, b in zip(params, self.params)):
            return False
        return all(state[p]["exp_avg"].array is m and state[p]["exp_avg_sq"].array is v
                   for p, m, v in zip(params, self.m_views, self.v_views))


def _flat_state(opt, group):
    """The group's ``_Flat`` state when one pass over all its parameters gives the per-parameter
    loop's numbers exactly (every parameter has an array gradient of the parameters' one float
    dtype and the same step count); ``None`` otherwise, and the loop runs."""
    params = [p for p in group["params"] if p.grad is not None]
    if len(params) < 2:
        return None
    dtype = params[0].array.dtype
    if dtype.kind != "f":
        return None
    state = opt.state
    steps = set()
    for p in params:
        a = p.array
        if type(a) is not np.ndarray or a.ndim == 0 or a.dtype != dtype or p.grad.array.dtype != dtype:
            return None
        s = state.get(p)
        steps.add(float(s["step"].array) if s else 0.0)
        if len(steps) > 1 or (s and "exp_avg" not in s):
            return None
    cache = opt.__dict__.setdefault("_flat", {})
    flat = cache.get(id(group))
    if flat is not None and flat.valid(params, state):
        return flat
    flat = _Flat()
    flat.params = params
    sizes = [p.array.size for p in params]
    ends = np.cumsum(sizes).tolist()
    flat.slices = [slice(e - n, e) for n, e in zip(sizes, ends)]
    flat.m, flat.v = np.zeros(ends[-1], dtype), np.zeros(ends[-1], dtype)
    flat.m_views, flat.v_views = [], []
    for p, sl in zip(params, flat.slices):
        s = state[p]
        if not s:
            _init_state(s, p, False)
        for key, whole, views in (("exp_avg", flat.m, flat.m_views), ("exp_avg_sq", flat.v, flat.v_views)):
            view = whole[sl].reshape(p.array.shape)
            view[...] = s[key].array
            s[key].array = view
            views.append(view)
    cache[id(group)] = flat
    return flat


def _step_flat(state, group, flat) -> None:
    """``Adam._step_group``'s per-parameter loop as one pass over the group (the same operations
    in the same order, element by element, so the same numbers)."""
    lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
    weight_decay, maximize = group["weight_decay"], group["maximize"]
    params, m, v = flat.params, flat.m, flat.v
    steps = [state[p]["step"] for p in params]  # all equal: count once, write into each
    step = _advance(steps[0])
    for t in steps[1:]:
        t.array = steps[0].array
    g = np.concatenate([p.grad.array.reshape(-1) for p in params])
    if maximize:
        np.negative(g, out=g)
    if weight_decay != 0:
        if group["decoupled_weight_decay"]:
            for p in params:
                p.array *= 1 - lr * weight_decay
        else:
            g += weight_decay * np.concatenate([p.array.reshape(-1) for p in params])
    _lerp(m, g, 1 - beta1, out=m)
    v *= beta2
    g2 = np.multiply(g, 1 - beta2)
    g2 *= g
    v += g2
    denom = np.sqrt(v)
    denom /= (1 - beta2 ** step) ** 0.5
    denom += eps
    update = np.multiply(m, -lr / (1 - beta1 ** step))
    update /= denom
    for p, sl in zip(params, flat.slices):
        p.array += update[sl].reshape(p.array.shape)
    _bump(*params, *steps, *(state[p][key] for p in params for key in ("exp_avg", "exp_avg_sq")))
