"""What the step did: per-parameter records with the optimizer's terms, and the loss after.

The loss after the step comes from running the model's forward again on the recorded input
(after the observer and the module hooks are gone, under ``no_grad``) and replaying the
recorded loss ops on the new output, or from the ``loss_fn`` given to ``record``.
"""
from __future__ import annotations

import copy
import math
from functools import partial

import numpy as np

from .. import exact, tensor
from ..autograd import no_grad
from ..nn import functional as F
from ..tensors.tensor import _wrap
from .naming import find_target, loss_ops
from .records import Effect, ParamRecord, snapshot


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


class LazyTerms(dict):
    """The optimizer's terms, a dict computed on first use (most views never read them)."""

    def __init__(self, compute):
        super().__init__()
        self._compute = compute

    def _fill(self):
        if self._compute is not None:
            compute, self._compute = self._compute, None
            dict.update(self, compute())
        return self

    def __getitem__(self, key):
        return dict.__getitem__(self._fill(), key)

    def __iter__(self):
        return dict.__iter__(self._fill())

    def __len__(self):
        return dict.__len__(self._fill())

    def __contains__(self, key):
        return dict.__contains__(self._fill(), key)

    def __repr__(self):
        return dict.__repr__(self._fill())

    def __eq__(self, other):
        return dict.__eq__(self._fill(), other)

    __hash__ = None

    def get(self, key, default=None):
        return dict.get(self._fill(), key, default)

    def keys(self):
        return dict.keys(self._fill())

    def values(self):
        return dict.values(self._fill())

    def items(self):
        return dict.items(self._fill())


def param_records(rec, names: list, before: dict, now: dict) -> list:
    """One ``ParamRecord`` per parameter name, in ``named_parameters()`` order (``now``: value
    and gradient copied when the block ended, for parameters the optimizer's step did not see)."""
    out = []
    for name in names:
        if rec.step_before is not None and name in rec.step_before:
            old, grad, st0 = rec.step_before[name]
            new, _, st1 = rec.step_after[name]
            terms = LazyTerms(partial(optimizer_terms, rec.optimizer_type, rec.hyper, grad, old, new,
                                      st0, st1))
        else:
            old = before[name][0]
            new, grad = now[name]
            terms = {}
        out.append(ParamRecord(name, old, grad, new, terms))
    return out


# -- replaying the loss ----------------------------------------------------------------------
def _const(value, like):
    if value is None:
        return None
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
    "BinaryCrossEntropy": lambda a, at: F.binary_cross_entropy(
        a[0], a[1], weight=_const(at.get("weight"), a[0]), reduction=at.get("reduction", "mean")),
    "CrossEntropy": lambda a, at: F.cross_entropy(
        a[0], a[1], weight=_const(at.get("weight"), a[0]), ignore_index=at.get("ignore_index", -100),
        reduction=at.get("reduction", "mean"), label_smoothing=at.get("label_smoothing", 0.0)),
    "BinaryCrossEntropyWithLogits": lambda a, at: F.binary_cross_entropy_with_logits(
        a[0], a[1], weight=_const(at.get("weight"), a[0]), reduction=at.get("reduction", "mean"),
        pos_weight=_const(at.get("pos_weight"), a[0])),
}


def deferred_effect(rec, model, loss_fn, leaf_of: dict, args: list):
    """A function that computes the step's :class:`Effect` when it is first asked for.

    The recording keeps the model (not a copy) and its own copies of the inputs: ``args`` is
    ``(id, copy)`` for each tensor the model was called with (copied when the block ended; a
    leaf's own copy where the tensor is a leaf, ``leaf_of`` mapping id to leaf index) and
    ``(None, value)`` for anything else.  The forward re-run happens later, on a deep copy of
    the model holding the recorded values after the step, so recording costs no extra forward
    pass and the caller's model is never touched.
    """
    args = [value if key is None else
            _wrap(rec._leaves[leaf_of[key]].value if key in leaf_of else value)
            for key, value in args]
    after = {p.name: p.after for p in rec.params}

    def compute(rec) -> Effect:
        try:
            twin = copy.deepcopy(model)
        except Exception as err:  # noqa: BLE001 - say so in the effect, keep the recording usable
            return Effect(loss_before=None if rec.loss_index is None else rec.ops[rec.loss_index].output[()],
                          note=f"the loss after the step was not computed (the model could not be "
                               f"copied: {type(err).__name__}: {err})")
        for name, p in twin.named_parameters():
            if name in after:
                p.array = after[name].copy()
        leaves = {leaf.index: _wrap(leaf.value) for leaf in rec.leaves}
        with no_grad():
            return compute_effect(rec, twin, loss_fn, args, leaves)
    return compute


def compute_effect(rec, model, loss_fn, args, leaf_tensors: dict) -> Effect:
    """Loss and predictions before and after the step (forward re-run on the recorded input).

    ``model`` holds the values after the step; ``args`` are its inputs and ``leaf_tensors``
    ``{leaf index: tensor}`` (the target, constants) for replaying the loss.
    """
    effect = Effect()
    if rec.loss_index is not None:
        effect.loss_before = rec.ops[rec.loss_index].output[()]
    if rec.output_ref is not None and rec.output_ref.kind == "op":
        effect.predictions_before = rec.ops[rec.output_ref.key].output
    target = find_target(rec)
    by_index = leaf_tensors
    if target is not None:
        effect.targets = target.value
    output = model(*args)
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

