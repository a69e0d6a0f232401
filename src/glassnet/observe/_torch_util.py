"""torch helpers of the observation layer: what to watch, how to read tensors.

Imported by ``observer`` only; every function takes the ``torch`` module as an argument, so this
module itself imports nothing from torch.
"""
from __future__ import annotations

import math

import numpy as np

from .graph import TorchGraph, score_scaling, token_vocabulary
from .records import SATURATION_Z, ParamStat
from .sequence import attention_stats, logit_stats

_GRAPH = TorchGraph()

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
    for fn, kind in ((torch.Tensor.__getitem__, "index"), (torch.Tensor.view, "reshape"),
                     (torch.Tensor.reshape, "reshape"), (torch.reshape, "reshape"),
                     (getattr(F, "multi_head_attention_forward", None), "mha"),
                     (getattr(F, "scaled_dot_product_attention", None), "sdpa")):
        if fn is not None:
            table[fn] = kind
    return table


def _module_kinds(torch):
    nn = torch.nn
    return ((nn.modules.loss._Loss, "loss"), (nn.ReLU, "relu"), (nn.Sigmoid, "sigmoid"),
            (nn.Tanh, "tanh"), (nn.Softmax, "softmax"), (nn.LogSoftmax, "log_softmax"),
            (nn.modules.dropout._DropoutNd, "dropout"), (nn.modules.batchnorm._BatchNorm, "norm"),  # (not
            # InstanceNorm: without running statistics it computes the same in training and eval mode)
            ((nn.Linear, nn.modules.conv._ConvNd, nn.Bilinear), "layer"),
            (nn.RNNBase, "recurrent"), (nn.MultiheadAttention, "attention"),
            (nn.Embedding, "embedding"))


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


def _param_stats(torch, rows, values: bool) -> dict:
    """One ``ParamStat`` per ``(name, parameter, weight before the update, held by an optimizer)``
    row: the gradient's and the weight's norms (and, with ``values``, the arrays themselves)."""
    grads = [p.grad for _, p, _, _ in rows]
    g_norms = iter(_norms(torch, [g for g in grads if g is not None]))
    w_norms = _norms(torch, [w for _, _, w, _ in rows])
    stats = {}
    for (name, p, before, in_opt), g, wn in zip(rows, grads, w_norms):
        gn = next(g_norms) if g is not None else None
        stat = ParamStat(name, tuple(p.shape), in_opt, p.requires_grad, gn, wn,
                         grad_finite=gn is None or math.isfinite(gn))
        if values:
            stat.values = {"before": _numpy(before), "grad": _numpy(g) if g is not None else None}
        stats[name] = stat
    return stats


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
        if kind == "softmax" and dim in (-1, out.dim() - 1) and _square(out):
            weights = _numpy(out)
            attention_stats(weights, stats)
            if out.dim() >= 3 and x is not None and x.shape == out.shape:
                logit_stats(_numpy(x), weights, stats)
                scaling = score_scaling(_GRAPH, x)
                if scaling is not None:
                    stats["head_size"], stats["scale_found"] = scaling
        stats["dim_size"] = int(out.shape[stats.pop("dim", -1)]) if out.dim() else 1


def _token_vocabulary(tensor, classes=None):
    """The token vocabulary a loss's logits were computed from (``graph.token_vocabulary``)."""
    return token_vocabulary(_GRAPH, tensor, classes=classes)


def _square(t) -> bool:
    """(…, T, T) with T > 1 and floating: the shape of self-attention weights."""
    return t.dim() >= 2 and t.shape[-1] == t.shape[-2] > 1 and t.is_floating_point()
