"""torch helpers of the observation layer: what to watch, how to read tensors.

Imported by ``observer`` only; every function takes the ``torch`` module as an argument, so this
module itself imports nothing from torch.
"""
from __future__ import annotations

import math

import numpy as np

from .records import SATURATION_Z, ParamStat

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
                     (getattr(F, "multi_head_attention_forward", None), "mha")):
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
        if kind == "softmax" and dim in (-1, out.dim() - 1):
            attention_stats(out, stats)
            if "square" in stats and out.dim() >= 3 and x is not None and x.shape == out.shape:
                logit_stats(x, out, stats)
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


def logit_stats(logits, weights, stats) -> None:
    """Attention logits (…, T, T) and their softmax at a step: ``onehot``, the fraction of the
    rows over ≥ 4 unmasked keys whose largest weight is above 0.99, and ``logit_std``, the mean
    over those rows of the logits' standard deviation across the unmasked keys (masked keys: -inf
    or below -1e4)."""
    z = logits.detach().float().reshape(-1, logits.shape[-1])
    allowed = z > -1e4
    wide = allowed.sum(-1) >= 4
    if not bool(wide.any()):
        return
    z, allowed = z[wide], allowed[wide]
    n = allowed.sum(-1)
    zero = z.masked_fill(~allowed, 0.0)
    mean = zero.sum(-1) / n
    var = ((zero - mean[:, None]) ** 2).masked_fill(~allowed, 0.0).sum(-1) / n
    stats["logit_std"] = float(var.sqrt().mean())
    rows = weights.detach().float().reshape(-1, weights.shape[-1])[wide]
    stats["onehot"] = float((rows.max(-1).values > 0.99).float().mean())


def last_step_index(x, index):
    """The axis ``x[index]`` reads at its last position, for a 3-D float ``x`` and an index that
    picks the last element of axis 0 or 1 and keeps the rest (``out[:, -1]``, ``out[-1]``,
    ``out[:, -1, :]``); otherwise None."""
    if x.dim() != 3 or not x.is_floating_point():
        return None
    items = index if isinstance(index, tuple) else (index,)
    if not 1 <= len(items) <= 3:
        return None
    picked = [i for i, it in enumerate(items) if isinstance(it, int)]
    if len(picked) != 1 or picked[0] > 1:
        return None
    axis = picked[0]
    if items[axis] not in (-1, x.shape[axis] - 1) or x.shape[axis] < 2:
        return None
    if not all(it is Ellipsis or (isinstance(it, slice) and it == slice(None))
               for i, it in enumerate(items) if i != axis):
        return None
    return axis


def mixes_axes(x, out) -> bool:
    """``(a, b, c)`` viewed as ``(a·c, b)``: the middle (class or channel) axis kept as the last
    one, so each row mixes positions of different classes instead of the classes of one position."""
    if x.dim() != 3 or out.dim() != 2:
        return False
    a, b, c = x.shape
    return b > 1 and c > 1 and b != c and tuple(out.shape) == (a * c, b)
