"""What the step did: per-parameter records with the optimizer's terms, and the loss after.

The loss after the step comes from running the model's forward again on the recorded input
(after the observer and the module hooks are gone, under ``no_grad``) and replaying the
recorded loss ops on the new output, or from the ``loss_fn`` given to ``record``.
"""
from __future__ import annotations

import math

import numpy as np

from .recording import Effect, ParamRecord, find_target, loss_ops, snapshot


def _sqrt(a):
    if isinstance(a, np.ndarray) and a.dtype == object:
        return np.vectorize(lambda v: math.sqrt(v), otypes=[float])(a)
    return np.sqrt(a)


def optimizer_terms(kind, hyper: dict, grad, before, after, st_before: dict, st_after: dict) -> dict:
    """The terms of the update rule, computed from the hyper-parameters and the state.

    SGD: ``lr·grad`` (or the momentum buffer and ``lr·buffer``); Adam/AdamW: m, v, their
    bias-corrected m̂, v̂ and ``lr·m̂/(√v̂ + ε)``; any other optimizer: its state after the step.
    """
    if grad is None:
        return {}
    lr = hyper.get("lr", 0)
    wd = hyper.get("weight_decay", 0) or 0
    terms: dict = {}
    if kind == "SGD":
        g = grad + wd * before if wd and kind == "SGD" else grad
        if wd:
            terms["grad + wd·w"] = g
        if hyper.get("momentum", 0):
            buf = st_after.get("momentum_buffer")
            terms["momentum buffer"] = buf
            terms["lr·buffer"] = lr * buf
        else:
            terms["lr·grad"] = lr * g
    elif kind in ("Adam", "AdamW") and "exp_avg" in st_after:
        t = float(np.asarray(st_after["step"], dtype=float))
        (b1, b2), eps = hyper.get("betas", (0.9, 0.999)), hyper.get("eps", 1e-8)
        m, v = st_after["exp_avg"], st_after["exp_avg_sq"]
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        terms.update({"step": t, "m": m, "v": v, "m̂": m_hat, "v̂": v_hat,
                      "lr·m̂/(√v̂+ε)": lr * m_hat / (_sqrt(v_hat) + eps)})
    else:
        terms.update({k: v for k, v in st_after.items() if isinstance(v, np.ndarray)})
    return terms


def param_records(rec, params: dict, before: dict) -> list:
    """One ``ParamRecord`` per parameter, in ``named_parameters()`` order."""
    out = []
    for name, p in params.values():
        if rec.step_before is not None and name in rec.step_before:
            old, grad, st0 = rec.step_before[name]
            new, _, st1 = rec.step_after[name]
            terms = optimizer_terms(rec.optimizer_type, rec.hyper, grad, old, new, st0, st1)
        else:
            old = before[name][0]
            new = snapshot(p.array)
            grad = None if p.grad is None else snapshot(p.grad.array)
            terms = {}
        out.append(ParamRecord(name, old, grad, new, terms))
    return out


# -- replaying the loss ----------------------------------------------------------------------
def _functional():
    from ..nn import functional as F
    return F


def _const(value, like):
    if value is None:
        return None
    from .. import tensor
    from ..dtypes import exact
    arr = np.asarray(value)
    return tensor(arr, dtype=exact) if arr.dtype == object else tensor(arr)


_REPLAY = {
    "Add": lambda a, at: a[0] + a[1],
    "Sub": lambda a, at: a[0] - a[1],
    "Mul": lambda a, at: a[0] * a[1],
    "Div": lambda a, at: a[0] / a[1],
    "Pow": lambda a, at: a[0] ** a[1],
    "Neg": lambda a, at: -a[0],
    "Abs": lambda a, at: a[0].abs(),
    "Exp": lambda a, at: a[0].exp(),
    "Log": lambda a, at: a[0].log(),
    "Relu": lambda a, at: a[0].relu(),
    "Sigmoid": lambda a, at: a[0].sigmoid(),
    "Tanh": lambda a, at: a[0].tanh(),
    "Mean": lambda a, at: a[0].mean(at.get("dim"), at.get("keepdim", False)),
    "Sum": lambda a, at: a[0].sum(at.get("dim"), at.get("keepdim", False)),
    "Clamp": lambda a, at: a[0].clamp(at.get("lo"), at.get("hi")),
    "BinaryCrossEntropy": lambda a, at: _functional().binary_cross_entropy(
        a[0], a[1], weight=_const(at.get("weight"), a[0]), reduction=at.get("reduction", "mean")),
    "BinaryCrossEntropyWithLogits": lambda a, at: _functional().binary_cross_entropy_with_logits(
        a[0], a[1], weight=_const(at.get("weight"), a[0]), reduction=at.get("reduction", "mean"),
        pos_weight=_const(at.get("pos_weight"), a[0])),
}


def compute_effect(rec, model, loss_fn, leaf_tensors: list) -> Effect:
    """Loss and predictions before and after the step (forward re-run on the recorded input)."""
    effect = Effect()
    if rec.loss_index is not None:
        effect.loss_before = rec.ops[rec.loss_index].output[()]
    if rec.output_ref is not None and rec.output_ref.kind == "op":
        effect.predictions_before = rec.ops[rec.output_ref.key].output
    target = find_target(rec)
    by_index = dict(enumerate(leaf_tensors))
    if target is not None:
        effect.targets = target.value
    output = model(*rec.model_args)
    if not hasattr(output, "array"):
        effect.note = "the model returned no single tensor; predictions after are not shown"
        return effect
    effect.predictions_after = snapshot(output.array)
    if rec.loss_index is None:
        return effect
    try:
        if loss_fn is not None:
            tgt = by_index.get(target.index) if target is not None else None
            loss = loss_fn(output, tgt) if tgt is not None else loss_fn(output)
        else:
            loss = _replay(rec, output, by_index)
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        effect.note = f"the loss after the step was not computed ({err}); pass loss_fn= to record"
        return effect
    if loss is not None:
        effect.loss_after = snapshot(loss.array)[()]
    return effect


def _replay(rec, output, leaf_tensors):
    chain = loss_ops(rec)
    if not chain:
        raise KeyError("no loss ops after the model's output were recorded")
    env = {rec.output_ref.key: output}
    for i in chain:
        op = rec.ops[i]
        fn = _REPLAY.get(op.op)
        if fn is None:
            raise KeyError(f"cannot replay op {op.op}")
        args = []
        for r, value in zip(op.inputs, op.input_values):
            if r.kind == "op" and r.key in env:
                args.append(env[r.key])
            elif r.kind == "leaf" and r.key in leaf_tensors:
                args.append(leaf_tensors[r.key])
            else:
                args.append(_const(value, output))
        env[i] = fn(args, op.attrs)
    return env[rec.loss_index]

