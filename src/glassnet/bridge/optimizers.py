"""Optimizers and learning-rate schedulers crossing between glassnet and PyTorch.

An optimizer crosses after its model: each of its parameters must be one that ``to_torch`` /
``from_torch`` made (or made a counterpart of), so the new optimizer updates the crossed model.
The other engine's optimizer of the same name gets the same param groups (every option both
engines know) and the same per-parameter state: ``step``, Adam's ``exp_avg``/``exp_avg_sq``,
SGD's ``momentum_buffer``, RMSprop's ``square_avg``, Adagrad's ``sum``, NAdam's ``mu_product``,
ASGD's ``eta``/``mu``/``ax``, LBFGS's history lists … copied value for value.
A scheduler crosses after its optimizer and continues where it was (``last_epoch``, ``base_lrs``,
ReduceLROnPlateau's ``best`` and counters).
"""
from __future__ import annotations

import inspect
import warnings

import numpy as np

from .crossed import counterpart, remember
from .engines import CrossingError

_NOT_OPTIONS = {"self", "params", "optimizer", "last_epoch", "verbose"}
_KEPT = {"initial_lr", "param_names",    # group keys set by schedulers / named parameters
         "max_lr", "min_lr", "max_momentum", "base_momentum"}  # (OneCycleLR's)


def _class(obj, namespace, dst, kind: str):
    cls = type(obj)
    found = getattr(namespace, cls.__name__, None)
    if found is None:
        raise CrossingError(f"{type(obj).__module__}.{cls.__name__} has no counterpart in "
                            f"{namespace.__name__}, so this {kind} cannot cross to {dst.name}")
    return found


def _options(cls) -> list:
    return [n for n in inspect.signature(cls.__init__).parameters if n not in _NOT_OPTIONS]


def _state_value(value, src, dst, what: str, scalar_step: bool):
    if isinstance(value, src.Tensor):
        array = src.to_array(value, what)
        if scalar_step:  # torch and glassnet both keep the step count as a float32 0-d tensor
            array = array.astype("float32")
        return dst.from_array(array)
    if isinstance(value, dict):
        return {k: _state_value(v, src, dst, f"{what}[{k!r}]", k == "step") for k, v in value.items()}
    if isinstance(value, list):   # LBFGS's history: old_dirs, old_stps, ro, al
        return [_state_value(v, src, dst, f"{what}[{i}]", False) for i, v in enumerate(value)]
    return value


def cross_optimizer(opt, src, dst):
    """The ``dst`` optimizer of the same kind over the crossed parameters, with the same state."""
    cls = _class(opt, dst.optim, dst, "optimizer")
    arguments = _options(cls)
    probe = cls([dst.parameter(np.zeros(1, dtype=np.float32), True)])
    options = set(arguments) | set(probe.defaults)   # AdamW's group also has decoupled_weight_decay
    groups = []
    for g, group in enumerate(opt.param_groups):
        params = []
        for i, p in enumerate(group["params"]):
            crossed = counterpart(p)
            if crossed is None:
                raise CrossingError(f"parameter {i} of param group {g} (shape {tuple(p.shape)}) has "
                                    f"not crossed to {dst.name}; cross the model first "
                                    f"({'to_torch' if dst.name == 'torch' else 'from_torch'}(model)), "
                                    f"then its optimizer")
            params.append(crossed)
        for key, value in group.items():
            if key not in options and key not in _KEPT and key != "params" \
                    and value is not None and value is not False:
                raise CrossingError(f"{type(opt).__name__} option {key}={value!r} has no counterpart "
                                    f"in {cls.__module__}.{cls.__name__}, so it cannot cross")
        kept = {k: v for k, v in group.items() if k in options or k in _KEPT}
        groups.append({**kept, "params": params})
    new = cls(groups, **{k: v for k, v in opt.defaults.items() if k in arguments})
    for p, state in opt.state.items():
        crossed = counterpart(p) if isinstance(p, src.Tensor) else None
        if crossed is not None:
            new.state[crossed] = _state_value(state, src, dst, "optimizer state", False)
    remember(opt, new)
    return new


#: constructor arguments a scheduler keeps under another name (the same in torch and glassnet)
_KEPT_AS = {
    "lr_lambda": lambda s: list(s.lr_lambdas) if hasattr(s, "lr_lambdas") else None,
    "milestones": lambda s: list(s._milestones) if hasattr(s, "_milestones") else sorted(s.milestones.elements()),
    "schedulers": lambda s: list(s._schedulers) if hasattr(s, "_schedulers") else None,
    "max_lr": lambda s: (list(s.max_lrs) if hasattr(s, "max_lrs") else          # CyclicLR
                         [g["max_lr"] for g in s.optimizer.param_groups] if hasattr(s, "total_steps") else None),
    # CyclicLR: its arguments as it keeps them (the sizes and the policy come back with its state)
    "base_lr": lambda s: list(s.base_lrs) if hasattr(s, "max_lrs") else None,
    "step_size_up": lambda s: s.total_size * s.step_ratio if hasattr(s, "step_ratio") else None,
    "step_size_down": lambda s: s.total_size * (1 - s.step_ratio) if hasattr(s, "step_ratio") else None,
    "scale_fn": lambda s: getattr(s, "_scale_fn_custom", None),
    "base_momentum": lambda s: list(s.base_momentums) if hasattr(s, "base_momentums") else None,
    "max_momentum": lambda s: list(s.max_momentums) if hasattr(s, "max_momentums") else None,
}
#: param-group keys a scheduler writes (OneCycleLR's cycle), copied onto the crossed groups
_SCHEDULE_KEYS = ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum", "betas", "momentum")


def cross_scheduler(scheduler, src, dst):
    """The ``dst`` scheduler of the same kind over the crossed optimizer, continuing from here."""
    cls = _class(scheduler, dst.lr_scheduler, dst, "scheduler")
    optimizer = counterpart(scheduler.optimizer)
    if optimizer is None:
        raise CrossingError(f"{type(scheduler).__name__}'s optimizer has not crossed to {dst.name}; "
                            f"cross the model, then the optimizer, then the scheduler")
    kwargs = {}
    for name in _options(cls):
        if name == "min_lr" and hasattr(scheduler, "min_lrs"):
            kwargs[name] = list(scheduler.min_lrs)
        elif name in _KEPT_AS:
            value = _KEPT_AS[name](scheduler)
            if value is not None:
                kwargs[name] = value
        elif hasattr(scheduler, name):
            kwargs[name] = getattr(scheduler, name)
    if "schedulers" in kwargs:  # SequentialLR, ChainedScheduler: their schedulers cross first
        kwargs["schedulers"] = [counterpart(s) or cross_scheduler(s, src, dst) for s in kwargs["schedulers"]]
    saved = [(group["lr"], {k: group[k] for k in _SCHEDULE_KEYS if k in group})
             for group in scheduler.optimizer.param_groups]
    with warnings.catch_warnings():  # building a scheduler steps it once; the state is set below
        warnings.simplefilter("ignore")
        first = list(inspect.signature(cls.__init__).parameters)[1]
        new = cls(optimizer, **kwargs) if first == "optimizer" else cls(**kwargs, optimizer=optimizer)
    for group, (lr, keys) in zip(optimizer.param_groups, saved):
        group["lr"] = lr
        group.update(keys)
    state = scheduler.state_dict()
    fresh = new.state_dict()
    new.load_state_dict({k: v for k, v in state.items() if k in fresh})
    remember(scheduler, new)
    return new
