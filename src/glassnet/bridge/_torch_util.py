"""torch helpers of the observation layer: what to watch, how to read tensors, the function mode.

Imported by ``observe`` only; every function takes the ``torch`` module as an argument, so this
module itself imports nothing from torch.
"""
from __future__ import annotations

import numpy as np

_FUNCTIONS = {  # function name → kind (the same names on torch, torch.nn.functional and Tensor)
    "relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax",
    "log_softmax": "log_softmax", "cross_entropy": "cross_entropy", "nll_loss": "nll_loss",
    "binary_cross_entropy": "binary_cross_entropy",
    "binary_cross_entropy_with_logits": "binary_cross_entropy_with_logits",
    "mse_loss": "mse_loss", "l1_loss": "l1_loss", "smooth_l1_loss": "smooth_l1_loss",
    "huber_loss": "huber_loss",
}


def _watched(torch):
    """The callables the function mode reports: {callable: kind}."""
    F = torch.nn.functional
    table = {}
    for name, kind in _FUNCTIONS.items():
        for owner in (torch, F, torch.Tensor):
            fn = getattr(owner, name, None)
            if fn is not None:
                table[fn] = kind
    return table


def _module_kinds(torch):
    nn = torch.nn
    return ((nn.modules.loss._Loss, "loss"), (nn.ReLU, "relu"), (nn.Sigmoid, "sigmoid"),
            (nn.Tanh, "tanh"), (nn.Softmax, "softmax"), (nn.LogSoftmax, "log_softmax"),
            (nn.modules.dropout._DropoutNd, "dropout"), (nn.modules.batchnorm._NormBase, "norm"),
            ((nn.Linear, nn.modules.conv._ConvNd, nn.Bilinear), "layer"))


def _first_tensor(torch, value):
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (tuple, list)) and value and isinstance(value[0], torch.Tensor):
        return value[0]
    return None


def _numpy(t) -> np.ndarray:
    return t.detach().cpu().float().numpy().copy() if t.is_floating_point() else \
        t.detach().cpu().numpy().copy()


def _norms(torch, tensors) -> list:
    if not tensors:
        return []
    try:
        norms = torch._foreach_norm([t.detach().float() for t in tensors])
    except (AttributeError, RuntimeError):
        norms = [t.detach().float().norm() for t in tensors]
    return torch.stack(list(norms)).tolist()


_MODE_CLASS = {}


def _mode_class(torch):
    """A ``TorchFunctionMode`` that passes every call through and reports the watched ones."""
    if "cls" in _MODE_CLASS:
        return _MODE_CLASS["cls"]

    class _Watch(torch.overrides.TorchFunctionMode):
        def __init__(self, observer, watched):
            super().__init__()
            self.observer, self.watched = observer, watched

        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            kind = self.watched.get(func)
            if kind is None:
                return func(*args, **kwargs)
            try:
                result = func(*args, **kwargs)
            except Exception:
                self.observer._function_failed(kind, func, args, kwargs)
                raise
            self.observer._function(kind, func, args, kwargs, result)
            return result

    _MODE_CLASS["cls"] = _Watch
    return _Watch
