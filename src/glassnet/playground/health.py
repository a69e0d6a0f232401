"""When training breaks, say why: where a divergence began, and live warnings.

* :func:`diagnose_divergence` -- the first op (and layer) of a step that produced inf/NaN,
  found by running the step's forward pass again under the engine's observer hook
  (``glassnet.autograd.observe``), or the parameters that are already non-finite.
* :func:`live_warnings` -- dead ReLUs and saturated units, from ``glassnet.explain``'s insights
  on a recording of the network on a sample of the training points (on a copy of the model),
  and a stalled loss, from the loss history.

Each warning is ``{"kind", "where", "message"}``; the page shows them in a lasting banner.
"""
from __future__ import annotations

import copy

import numpy as np

import glassnet

SAMPLE = 200            # training points the insights look at
SATURATED_SHARE = 0.9   # a unit counts as saturated when it is on this share of the sample
SATURATION = 0.01       # the slope below which explain's insights call a sigmoid/tanh saturated
STALL_WINDOW = 40       # frames of history a stalled loss is judged on
STALL_CHANGE = 0.001    # relative change of the training loss below which it has stalled


def layer_name(trainer, module_path: str) -> str:
    """``"2"`` (the model's third module) -> "hidden layer 2" / "the output layer" (a trainer
    with a ``layer_label`` method names its layers itself)."""
    if hasattr(trainer, "layer_label"):
        return trainer.layer_label(module_path)
    try:
        k = int(module_path.split(".")[0])
    except ValueError:
        return module_path
    layer = k // 2                          # Linear, activation, Linear, ... in the Sequential
    return "the output layer" if layer >= len(trainer.linears) - 1 else f"hidden layer {layer + 1}"


class _FirstNonFinite:
    """An engine observer that remembers the first op whose output is not finite."""

    def __init__(self):
        self.first = None

    def on_forward(self, fn, out) -> None:
        if self.first is None and not np.isfinite(np.asarray(out.array, dtype=np.float64)).all():
            self.first = (type(fn).__name__, out.array)

    def on_backward(self, fn, grad_out, grad_inputs) -> None:
        pass


def broken_parameters(trainer, loss: float) -> dict | None:
    """The divergence finding when parameters are already inf/NaN (named, with their layer), else None."""
    step = trainer.steps
    bad_params = [name for name, p in trainer.model.named_parameters()
                  if not np.isfinite(np.asarray(p.array, dtype=np.float64)).all()]
    if not bad_params:
        return None
    where = layer_name(trainer, bad_params[0])
    return {"kind": "diverged", "step": step, "where": where, "message": (
        f"Training diverged at step {step}: the loss is {loss}, because the parameters "
        f"{', '.join(bad_params)} ({where}) are already inf/NaN after the previous update. "
        f"The learning rate is too large for this set-up: lower it and press reset.")}


def diagnose_divergence(trainer, idx, loss: float) -> dict:
    """Why the loss of the step on batch ``idx`` is not finite: a sentence and where."""
    from glassnet.autograd import observe
    step = trainer.steps
    broken = broken_parameters(trainer, loss)
    if broken:
        return broken
    seen, first = _FirstNonFinite(), None
    with glassnet.no_grad(), observe(seen):
        h = glassnet.tensor(trainer.x_train[idx])
        for i, mod in enumerate(trainer.model):
            h = mod(h)
            if seen.first is not None and first is None:
                first = (i, type(mod).__name__)
        largest = float(np.abs(np.asarray(h.array, dtype=np.float64)).max())
        trainer.data_loss(h, glassnet.tensor(trainer.y_train[idx]))
    if first is not None:
        i, kind = first
        where = f"{layer_name(trainer, str(i))} ({kind}, its {seen.first[0]} op)"
    elif seen.first is not None:
        where = (f"the loss (its {seen.first[0]} op: the network's output reached |ŷ| = {largest:.3g}, "
                 f"beyond what float32 can square or sum)")
    else:
        where = "the loss"
    return {"kind": "diverged", "step": step, "where": where, "message": (
        f"Training diverged at step {step}: the loss is {loss}; the first value to become inf/NaN "
        f"came out of {where}. Lower the learning rate (or the regularization rate) and press reset.")}


def live_warnings(trainer) -> list:
    """Dead ReLUs, saturated units (explain's insights) and a stalled loss, as warnings."""
    from glassnet.explain import record
    out = []
    if hasattr(trainer, "warning_sample"):      # a page whose data are not rows of x_train
        xs, ts, what = trainer.warning_sample()
        n = len(ts)
    else:
        n = min(SAMPLE, len(trainer.y_train))
        xs, ts, what = trainer.x_train[:n], trainer.y_train[:n], f"{n} training points"
    if n:
        model = copy.deepcopy(trainer.model)
        x = glassnet.tensor(xs)
        t = glassnet.tensor(ts)
        try:
            with record(model, None) as rec:
                trainer.data_loss(model(x), t).backward()
            found = rec.insights()
        except Exception:  # noqa: BLE001 - a warning must never break training
            found = []
        for ins in found:
            if ins.kind == "dead_relu":
                units = [int(u) + 1 for u in ins.data.get("units", [])]
                out.append({"kind": "dead_relu", "where": layer_name(trainer, ins.where), "units": units,
                            "message": f"Dead ReLU{'s' if len(units) > 1 else ''} in "
                                       f"{layer_name(trainer, ins.where)}: neuron{'s' if len(units) > 1 else ''} "
                                       f"{', '.join(map(str, units))} output 0 for every one of {what} "
                                       f"(pre-activation ≤ 0), so no gradient reaches their weights."})
            elif ins.kind == "saturated":
                units = saturated_units(rec, ins.where)
                if units:
                    out.append({"kind": "saturated", "where": layer_name(trainer, ins.where), "units": units,
                                "message": f"Saturated units in {layer_name(trainer, ins.where)}: neuron"
                                           f"{'s' if len(units) > 1 else ''} {', '.join(map(str, units))} "
                                           f"sit on the flat part of the activation (slope < {SATURATION}) for at "
                                           f"least {SATURATED_SHARE:.0%} of {what}, so gradients through them "
                                           f"vanish."})
    stalled = stalled_loss(trainer.history)
    if stalled:
        out.append(stalled)
    return out


def saturated_units(rec, label: str) -> list:
    """The units (from 1) of the recorded sigmoid/tanh ``label`` (an insight's ``where``) whose
    slope, from the recorded activations, is below ``SATURATION`` on ``SATURATED_SHARE`` of the points."""
    for op in rec.forward_ops:
        if op.label == label and op.op in ("Sigmoid", "Tanh"):
            a = np.asarray(op.output, dtype=np.float64).reshape(-1, np.shape(op.output)[-1])
            slope = a * (1 - a) if op.op == "Sigmoid" else 1 - a * a
            share = (slope < SATURATION).mean(axis=0)
            return [int(u) + 1 for u in np.flatnonzero(share >= SATURATED_SHARE)]
    return []


def stalled_loss(history) -> dict | None:
    """A warning if the training loss moved by less than ``STALL_CHANGE`` over the last frames."""
    recent = [(s, a) for s, a, _ in history[-STALL_WINDOW:] if a is not None]
    if len(recent) < STALL_WINDOW or recent[-1][0] - recent[0][0] < 200:
        return None
    first, last = recent[0][1], recent[-1][1]
    change = abs(last - first) / max(abs(first), 1e-12)
    if change >= STALL_CHANGE:
        return None
    return {"kind": "stalled", "where": "the loss", "message": (
        f"The training loss has stalled: {first:.4f} → {last:.4f} ({change:.2%}) over the last "
        f"{recent[-1][0] - recent[0][0]} steps. Try a larger learning rate, another optimizer, or more neurons.")}
