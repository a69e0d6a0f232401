"""The loss in the step-through: each loss as its formula with the recorded numbers filled in,
the regularisation penalty and the total, and the gradient arriving at the output, ∂L/∂ŷ.

The playground's loss is ``data_loss(ŷ, t) + penalty`` (``Trainer.data_loss`` and
``Trainer.penalty``); :func:`loss_parts` finds those ops in the recording.
"""
from __future__ import annotations

import numpy as np

from .stepdoc import Doc, derived, paren_derived


def sigmoid(z: float) -> float:
    return float(1.0 / (1.0 + np.exp(-np.float64(z))))


def loss_parts(d: Doc) -> dict:
    """Indices of the recorded ops that make the loss: {"out": ŷ, "root": L, "data": the data loss,
    "penalty": the regularisation term or None, "chain": the data loss's ops in order}."""
    ops = d.doc["ops"]
    out = max(i for i, o in enumerate(ops) if o["module"] is not None)
    root = len(ops) - 1
    downstream, chain = {out}, []
    for o in ops[out + 1:]:
        if any(r["kind"] == "op" and r["ref"] in downstream for r in o["inputs"]):
            downstream.add(o["index"])
            chain.append(o["index"])
    data, penalty = root, None
    root_in = [r["ref"] for r in ops[root]["inputs"] if r["kind"] == "op"]
    if ops[root]["op"] == "Add" and len(root_in) == 2 and (root_in[0] in downstream) != (root_in[1] in downstream):
        data = root_in[0] if root_in[0] in downstream else root_in[1]
        penalty = root_in[1] if data == root_in[0] else root_in[0]
    return {"out": out, "root": root, "data": data, "penalty": penalty,
            "chain": [i for i in chain if i <= data]}


def _op_path(d: Doc, i: int) -> str:
    """The path of op i's (single) value: ``ops/i/value``, or ``ops/i/value/0/0`` for a 1 x 1."""
    v = d.doc["ops"][i]["value"]
    return f"ops/{i}/value" if not isinstance(v, list) else f"ops/{i}/value/0/0"


def _first(d: Doc, parts: dict, kind: str):
    return next((i for i in parts["chain"] if d.doc["ops"][i]["op"] == kind), None)


def data_loss_lines(d: Doc, cfg, parts: dict) -> list:
    """The data loss as its formula, then with the recorded numbers filled in."""
    n = len(d.doc["layers"])
    yhat = f"layers/{n - 1}/neurons/0/z"
    t = "effect/targets/0/0"
    L = d.num(_op_path(d, parts["data"]))
    sub, sig = _first(d, parts, "Sub"), _first(d, parts, "Sigmoid")
    if cfg.loss == "bce":
        p = sigmoid(d.get(yhat))
        return [f'<div class="eq">binary cross-entropy (on the logit ŷ): L<sub>data</sub> = −[t·log σ(ŷ) + '
                f"(1 − t)·log(1 − σ(ŷ))]</div>",
                f'<div class="eq">&nbsp;&nbsp;σ(ŷ) = σ({d.num(yhat)}) = {derived(p, "sigmoid(ŷ)")}</div>',
                f'<div class="eq">&nbsp;&nbsp;L<sub>data</sub> = −[{d.num(t)}·log {derived(p, "sigmoid(ŷ)")} + '
                f"(1 − {d.num(t)})·log(1 − {derived(p, 'sigmoid(ŷ)')})] = {L}</div>"]
    if cfg.loss == "mse" and sig is not None:
        sq = _op_path(d, sub)
        return [f'<div class="eq">mean squared error on σ(ŷ), the probability of class 1: '
                f"L<sub>data</sub> = (σ(ŷ) − t)²</div>",
                f'<div class="eq">&nbsp;&nbsp;= (σ({d.num(yhat)}) − {d.num(t)})² = ({d.num(_op_path(d, sig))} − '
                f"{d.num(t)})² = {d.paren(sq)}² = {L}</div>"]
    if cfg.loss == "mse":
        return ['<div class="eq">mean squared error: L<sub>data</sub> = (ŷ − t)²</div>',
                f'<div class="eq">&nbsp;&nbsp;= ({d.num(yhat)} − {d.paren(t)})² = {d.paren(_op_path(d, sub))}² '
                f"= {L}</div>"]
    return ['<div class="eq">mean absolute error: L<sub>data</sub> = |ŷ − t|</div>',
            f'<div class="eq">&nbsp;&nbsp;= |{d.num(yhat)} − {d.paren(t)}| = |{d.num(_op_path(d, sub))}| = {L}</div>']


def penalty_lines(d: Doc, cfg, parts: dict) -> list:
    if parts["penalty"] is None:
        return []
    ops = d.doc["ops"]
    pen = ops[parts["penalty"]]
    inner = next(r["ref"] for r in pen["inputs"] if r["kind"] == "op")
    rate = cfg.reg_rate
    what = "Σ|w|" if cfg.regularization == "l1" else "½·Σw²"
    return [f'<div class="eq">{cfg.regularization.upper()} penalty (every weight, no biases): '
            f"λ·{what} = {derived(rate, 'λ, the regularization rate')} × {d.num(_op_path(d, inner))} = "
            f"{d.num(_op_path(d, parts['penalty']))}</div>",
            f'<div class="eq">total loss: L = L<sub>data</sub> + penalty = {d.num(_op_path(d, parts["data"]))} + '
            f"{d.num(_op_path(d, parts['penalty']))} = {d.num(_op_path(d, parts['root']))}</div>"]


def output_gradient_lines(d: Doc, cfg, parts: dict) -> list:
    """∂L/∂ŷ for each loss, with its numbers."""
    n = len(d.doc["layers"])
    out = f"layers/{n - 1}/neurons/0"
    yhat, t, g = f"{out}/z", "effect/targets/0/0", d.num(f"{out}/grad_z")
    sub, sig = _first(d, parts, "Sub"), _first(d, parts, "Sigmoid")
    if cfg.loss == "bce":
        p = sigmoid(d.get(yhat))
        return [f'<div class="eq">∂L/∂ŷ = σ(ŷ) − t = {derived(p, "sigmoid(ŷ)")} − {d.paren(t)} = {g}</div>']
    if cfg.loss == "mse" and sig is not None:
        p = d.get(_op_path(d, sig))
        return [f'<div class="eq">∂L/∂ŷ = 2(σ(ŷ) − t) · σ(ŷ)(1 − σ(ŷ)) = 2 × {d.paren(_op_path(d, sub))} × '
                f"{derived(p * (1 - p), 'σ(ŷ)(1 − σ(ŷ))')} = {g}</div>"]
    if cfg.loss == "mse":
        return [f'<div class="eq">∂L/∂ŷ = 2(ŷ − t) = 2 × {d.paren(_op_path(d, sub))} = {g}</div>']
    return [f'<div class="eq">∂L/∂ŷ = sign(ŷ − t) = sign({d.num(_op_path(d, sub))}) = {g}</div>',
            '<div class="note">|u| has slope −1 left of 0 and +1 right of it (0 at u = 0).</div>']
