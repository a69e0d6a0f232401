"""torch helpers of the observation layer: what to watch, how to read tensors.

Imported by ``observer`` only; every function takes the ``torch`` module as an argument, so this
module itself imports nothing from torch.
"""
from __future__ import annotations

import math
import sys

import numpy as np

from .records import SATURATION_Z, ParamStat
from .sequence import attention_stats, logit_stats

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
            (nn.modules.dropout._DropoutNd, "dropout"), (nn.modules.batchnorm._NormBase, "norm"),
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
                scaling = _score_scaling(x)
                if scaling is not None:
                    stats["head_size"], stats["scale_found"] = scaling
        stats["dim_size"] = int(out.shape[stats.pop("dim", -1)]) if out.dim() else 1


# autograd nodes the attention scores pass through unchanged in scale on their way to the softmax
_SCORE_PASS = {"MaskedFillBackward0", "MaskedFillBackward1", "ViewBackward0", "UnsafeViewBackward0",
               "ReshapeAliasBackward0", "CloneBackward0", "ExpandBackward0", "AddBackward0",
               "SubBackward0", "SliceBackward0", "SelectBackward0", "IndexBackward0",
               "ToCopyBackward0", "WhereBackward0", "PermuteBackward0", "TransposeBackward0",
               "TBackward0", "SqueezeBackward0", "SqueezeBackward1", "UnsqueezeBackward0",
               "ContiguousBackward0"}
_SCORE_SCALE = {"MulBackward0", "MulBackward1", "DivBackward0", "DivBackward1"}
_SCORE_MATMUL = {"BmmBackward0", "MmBackward0"}


def _follow(node, depth: int):
    """From ``node``, through the pass-through ops with a single differentiable input, the first
    node that is no such op (or None past ``depth`` or at a fork)."""
    for _ in range(depth):
        if node is None or type(node).__name__ not in _SCORE_PASS:
            return node
        nxt = [n for n, _ in node.next_functions if n is not None]
        if len(nxt) != 1:
            return None                     # two differentiable inputs (a learned bias): unknown
        node = nxt[0]
    return None


def _score_scaling(x):
    """Attention logits ``x`` about to enter a softmax: ``(head size, scaled)`` when its autograd
    graph leads back, through masking and shape ops only, to the q·kᵀ matmul (``scaled``: a
    multiply or divide sits between them, or on q or k right before the matmul); None when the
    path is anything else (a learned bias added, ``baddbmm``, no graph)."""
    node = _follow(getattr(x, "grad_fn", None), 16)
    if node is None:
        return None
    name = type(node).__name__
    if name in _SCORE_SCALE:
        return None, True
    if name not in _SCORE_MATMUL:
        return None
    saved = getattr(node, "_saved_self", None)
    if saved is None or saved.dim() < 2:
        return None
    d = int(saved.shape[-1])
    inputs = [n for n, _ in node.next_functions if n is not None]
    if len(inputs) != 2:                    # q or k without a gradient: not learned attention
        return None
    scaled = any(type(_follow(n, 8)).__name__ in _SCORE_SCALE for n in inputs)
    return d, scaled


def _token_vocabulary(tensor, limit: int = 3000):
    """The size of the token vocabulary ``tensor`` (a loss's logits) was computed from, or None:
    its autograd graph, walked back, meets a lookup table read by token ids (``nn.Embedding``,
    or ``C[X]``, a learned 2-D leaf indexed by an integer tensor: its rows) or a one-hot matrix
    multiplied into a learned weight (d2l's ``F.one_hot(X, V).float() @ W_xh``: its width)."""
    torch = sys.modules.get("torch")
    fn = getattr(tensor, "grad_fn", None)
    seen, stack = set(), [fn] if fn is not None else []
    while stack and len(seen) < limit:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        name = type(node).__name__
        nxt = [n for n, _ in node.next_functions if n is not None]
        if name in ("EmbeddingBackward0", "IndexBackward0"):
            table = [getattr(n, "variable", None) for n in nxt]
            table = [t for t in table if t is not None and t.dim() == 2]
            if table:
                return int(table[0].shape[0])
        elif name in ("MmBackward0", "AddmmBackward0"):
            x = getattr(node, "_saved_mat1" if name == "AddmmBackward0" else "_saved_self", None)
            if isinstance(x, torch.Tensor) and x.dim() == 2 and x.shape[1] > 2 and x.numel() \
                    and x.is_floating_point() and bool(((x == 0) | (x == 1)).all()) \
                    and bool((x.sum(1) == 1).all()):
                return int(x.shape[1])
        stack.extend(nxt)
    return None


def _square(t) -> bool:
    """(…, T, T) with T > 1 and floating: the shape of self-attention weights."""
    return t.dim() >= 2 and t.shape[-1] == t.shape[-2] > 1 and t.is_floating_point()
