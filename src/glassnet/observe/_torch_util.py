"""torch helpers of the observation layer: what to watch, how to read tensors.

Imported by ``observer`` only; every function takes the ``torch`` module as an argument, so this
module itself imports nothing from torch.
"""
from __future__ import annotations

import numpy as np

from .records import SATURATION_Z

_FUNCTIONS = {  # function name → kind (the same names on torch, torch.nn.functional and Tensor)
    "relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax",
    "log_softmax": "log_softmax", "cross_entropy": "cross_entropy", "nll_loss": "nll_loss",
    "binary_cross_entropy": "binary_cross_entropy",
    "binary_cross_entropy_with_logits": "binary_cross_entropy_with_logits",
    "mse_loss": "mse_loss", "l1_loss": "l1_loss", "smooth_l1_loss": "smooth_l1_loss",
    "huber_loss": "huber_loss", "dropout": "dropout",
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
            ((nn.Linear, nn.modules.conv._ConvNd, nn.Bilinear), "layer"),
            (nn.RNNBase, "recurrent"), (nn.MultiheadAttention, "attention"))


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


def _activation_stats(kind, x, out, stats) -> None:
    """Add to ``stats`` what the activation ``kind`` shows: units alive, saturation, softmax size."""
    if kind == "relu" and out.dim() >= 1:
        units = out.detach().reshape(-1, out.shape[-1]) if out.dim() <= 2 else \
            out.detach().transpose(0, 1).reshape(out.shape[1], -1).t()
        stats["active"] = (units > 0).any(0).cpu().numpy()
    elif kind in ("sigmoid", "tanh") and x is not None and x.numel():
        stats["saturated"] = float((x.detach().abs() > SATURATION_Z).float().mean())
    elif kind in ("softmax", "log_softmax"):
        dim = stats.get("dim", -1)
        if kind == "softmax" and dim in (-1, out.dim() - 1):
            attention_stats(out, stats)
        stats["dim_size"] = int(out.shape[stats.pop("dim", -1)]) if out.dim() else 1


def attention_stats(weights, stats) -> None:
    """Attention weights (…, L, S) with L == S > 1 (self-attention): ``upper_mass``, the mean
    weight a query puts on later positions (0 under a causal mask), and ``peaked``, the fraction
    of rows over ≥ 4 keys whose largest weight is above 0.9 (near one-hot)."""
    if weights is None or weights.dim() < 2 or weights.shape[-1] != weights.shape[-2] \
            or weights.shape[-1] < 2 or not weights.is_floating_point():
        return
    w = weights.detach().float().reshape(-1, weights.shape[-2], weights.shape[-1])
    upper = w.triu(1).sum(-1)[:, :-1]                  # the last query has no later key
    stats["upper_mass"] = float(upper.mean())
    stats["square"] = int(weights.shape[-1])
    rows = w.reshape(-1, w.shape[-1])
    wide = (rows > 0).sum(-1) >= 4
    if bool(wide.any()):
        stats["peaked"] = float((rows[wide].max(-1).values > 0.9).float().mean())
