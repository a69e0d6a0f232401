"""``Optimizer``: the base class every optimizer builds on.

An optimizer holds *param groups* (lists of parameters, each with its own options such as
``lr``) and a per-parameter *state* (running averages, step counts).  ``step()`` walks the
groups and, for every parameter that received a gradient, computes the new value with NumPy
and writes it back with ``p._inplace("step", ...)``.  ``state_dict()`` returns both in
PyTorch's layout, with parameters replaced by integer ids in order::

    {"state": {0: {"step": tensor(3.), "exp_avg": tensor([...]), ...}, 1: {...}},
     "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), ..., "params": [0, 1]}]}
"""
from __future__ import annotations

import copy
import warnings
from collections import defaultdict

import numpy as np

import functools

from ..autograd.engine import MUTATIONS, enable_grad, no_grad
from ..nn.hooks import RemovableHandle, add_hook
from ..tensors.tensor import Tensor, tensor

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]

_global_step_pre_hooks: dict = {}
_global_step_post_hooks: dict = {}


def register_optimizer_step_pre_hook(hook) -> RemovableHandle:
    """Call ``hook(optimizer, args, kwargs)`` before every optimizer's ``step`` (torch's global
    hook); it may return a new ``(args, kwargs)``.  ``handle.remove()`` uninstalls it."""
    return add_hook(_global_step_pre_hooks, hook)


def register_optimizer_step_post_hook(hook) -> RemovableHandle:
    """Call ``hook(optimizer, args, kwargs)`` after every optimizer's ``step`` (torch's global hook)."""
    return add_hook(_global_step_post_hooks, hook)


def _with_step_hooks(step):
    """``step`` that runs the global step hooks around it, once per outermost call (a subclass's
    ``step`` that calls ``super().step()`` runs them once).  As in torch, a hook's ``args`` start
    with the optimizer itself."""
    @functools.wraps(step)
    def hooked(self, *args, **kwargs):
        if not (_global_step_pre_hooks or _global_step_post_hooks) or self.__dict__.get("_in_step"):
            return step(self, *args, **kwargs)
        args = (self, *args)
        for hook in tuple(_global_step_pre_hooks.values()):
            changed = hook(self, args, kwargs)
            if changed is not None:
                args, kwargs = changed
        self._in_step = True
        try:
            result = step(*args, **kwargs)
        finally:
            self._in_step = False
        for hook in tuple(_global_step_post_hooks.values()):
            hook(self, args, kwargs)
        return result
    hooked.hooked = True
    return hooked


def _check_non_negative(value, what: str) -> None:
    """Raise torch's ``ValueError: Invalid <what>: <value>`` unless ``value >= 0``."""
    if not 0.0 <= value:  # written so that NaN fails too
        raise ValueError(f"Invalid {what}: {value}")


def _check_betas(betas) -> None:
    """Raise torch's ``ValueError: Invalid beta parameter at index i: b`` unless each is in [0, 1)."""
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")


def _gradient(p: Tensor, maximize: bool, weight_decay: float, decoupled_lr: float | None = None):
    """The gradient an update rule uses: ``−g`` when maximizing, plus the L2 term ``λθ``; with
    ``decoupled_lr`` (AdamW's decoupled decay) the parameter itself is shrunk by ``1 − lr·λ``
    instead and the gradient is left alone."""
    g = p.grad.array
    if maximize:
        g = -g
    if weight_decay != 0:
        if decoupled_lr is not None:
            p._inplace("step", 1 - decoupled_lr * weight_decay, np.multiply)
        else:
            g = g + weight_decay * p.array
    return g


def _check_compat_flags(differentiable: bool) -> None:
    """``foreach``, ``fused`` and ``capturable`` choose among torch's kernels; glassnet has one
    NumPy implementation, so they are accepted (and kept in ``param_groups`` for torch's
    ``state_dict`` layout) but change nothing.  ``differentiable`` would need a step recorded
    in the autograd graph, which glassnet's NumPy steps are not."""
    if differentiable:
        raise NotImplementedError("differentiable=True is not supported: glassnet's optimizer steps "
                                  "update NumPy arrays outside the autograd graph.")


def _new_step() -> Tensor:
    """The step counter: a float32 0-d tensor, as torch keeps it."""
    return tensor(0.0)


def _advance(step_t: Tensor) -> float:
    """``step_t += 1`` (in float32, as torch does), returning the new count as a Python float."""
    step_t._inplace("step", 1, np.add)
    return float(step_t.array)


def _lerp(start, end, weight: float, out=None):
    """torch.lerp: ``start + weight * (end - start)``, written from the nearer end for large weights
    (into ``out``, an array, when given: ``out=start`` updates a running average in place)."""
    if out is None:
        if abs(weight) < 0.5:
            return start + weight * (end - start)
        return end - (end - start) * (1 - weight)
    step = np.subtract(end, start)
    if abs(weight) < 0.5:
        step *= weight
        return np.add(start, step, out=out)
    step *= 1 - weight
    return np.subtract(end, step, out=out)


def _bump(*tensors) -> None:
    """Record that an optimizer wrote into ``tensors``' arrays directly (as ``_inplace`` does)."""
    MUTATIONS[0] += 1
    for t in tensors:
        t._version = MUTATIONS[0]


class Optimizer:
    """Base class for all optimizers.

    Parameters
    ----------
    params : iterable of Tensor, of (name, Tensor) pairs, or of dict
        The tensors to optimize, or a list of param groups: dicts with a ``"params"`` entry and
        any options that override ``defaults`` for that group.
    defaults : dict
        Option values used by every group that does not set its own.

    Attributes
    ----------
    param_groups : list of dict
        Each group's ``"params"`` (a list of tensors) and its options.
    state : defaultdict(dict)
        Per-parameter state, keyed by the parameter tensor itself.
    """

    def __init_subclass__(cls, **kwargs):
        """A subclass's own ``step`` runs the global step hooks too, as in torch."""
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "hooked", False):
            cls.step = _with_step_hooks(step)

    def __init__(self, params, defaults: dict) -> None:
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors "
                            "or dicts, but got glassnet.Tensor")
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"

    # -- param groups ---------------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters (with its own options) to ``param_groups``.

        Useful when fine-tuning: layers that were frozen can be made trainable later.
        Options the group does not set are taken from ``defaults``.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the "
                            "ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        params = list(params)

        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = params
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. "
                                 "Some param names are missing")
            param_group["param_names"] = names

        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__module__}.{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)

        if len(params) != len(set(params)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error", stacklevel=3)
        seen: set = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # -- the training-loop methods ---------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors.

        Parameters
        ----------
        set_to_none : bool, default True
            Set ``p.grad = None`` (the next ``step`` then skips parameters that get no new
            gradient) instead of filling it with zeros (the next ``step`` then still moves
            them, e.g. through momentum or weight decay).
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad.zero_()

    @_with_step_hooks
    def step(self, closure=None):
        """Perform one optimization step: update every parameter whose ``grad`` is not None.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss (called with gradients enabled).

        Returns
        -------
        The closure's loss, or None.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._opt_called = True  # lets a learning-rate scheduler check the call order
        with no_grad():
            for group in self.param_groups:
                self._step_group(group)
        return loss

    def _step_group(self, group: dict) -> None:
        """Update the parameters of one group (each optimizer implements its rule here)."""
        raise NotImplementedError

    # -- saving and loading ----------------------------------------------------------------
    def state_dict(self) -> dict:
        """The optimizer's state in torch's layout: ``{"state": ..., "param_groups": ...}``.

        Parameters are replaced by integer ids, numbered in order across the groups.  Each
        group keeps its options and ``"params"`` (its ids); ``state`` maps an id to that
        parameter's state (e.g. ``{"step": ..., "exp_avg": ..., "exp_avg_sq": ...}``).  The
        state tensors are copies, so the dict is a snapshot that later steps do not change.
        """
        ids: dict[int, int] = {}
        param_groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                ids.setdefault(id(p), len(ids))
            packed["params"] = [ids[id(p)] for p in group["params"]]
            param_groups.append(packed)
        state = {(ids[id(k)] if isinstance(k, Tensor) else k): _copy_state(v) for k, v in self.state.items()}
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state saved by ``state_dict()`` (glassnet's or torch's).

        Ids are matched to this optimizer's parameters by position.  State values are copied;
        floating-point ones are cast to their parameter's dtype, except ``step``.  Values that
        are not glassnet tensors but can be read as arrays (NumPy arrays, CPU torch tensors)
        become glassnet tensors.
        """
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size "
                             "of optimizer's group")
        id_map = {saved_id: p for group, saved in zip(groups, saved_groups)
                  for saved_id, p in zip(saved["params"], group["params"])}

        state: defaultdict = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                param = id_map[key]
                state[param] = {k: _cast(v, param, keep_dtype=(k == "step")) for k, v in value.items()}
            else:
                state[key] = value
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.state = state
        self.param_groups = saved_groups


def _copy_state(value):
    """A copy of a state entry: tensors copied, containers rebuilt, other values shared."""
    if isinstance(value, Tensor):
        return tensor(value.array)  # (glassnet.tensor(a_tensor) would turn float64 into float32)
    if isinstance(value, dict):
        return {k: _copy_state(v) for k, v in value.items()}
    return value


def _cast(value, param: Tensor, keep_dtype: bool):
    """A loaded state value as a glassnet tensor, cast to ``param``'s float dtype where it is one."""
    if isinstance(value, dict):
        return {k: _cast(v, param, keep_dtype=(k == "step")) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(v, param, keep_dtype) for v in value)
    if isinstance(value, Tensor):
        array = value.array
    elif hasattr(value, "__array__") and hasattr(value, "shape"):  # NumPy arrays, torch tensors
        array = np.asarray(value)
    elif keep_dtype and isinstance(value, (int, float)):  # a plain step count (old torch checkpoints)
        return tensor(float(value))
    else:
        return value
    if not keep_dtype and param.is_floating_point() and np.issubdtype(np.asarray(array).dtype, np.floating):
        array = np.asarray(array, dtype=np.asarray(param.array).dtype)
    return tensor(np.array(array, copy=True))
