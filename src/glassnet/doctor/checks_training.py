"""Checks of the training itself: NaN, learning rate, steps that change nothing, the loop's
order (zero_grad, clipping), parameters the optimizer misses, dead and saturated
units, and gradients that vanish or explode from the last layer to the first.

Each check is ``check_x(run: Observed, th: Thresholds) -> list[Finding]``.
"""
from __future__ import annotations

import math

import numpy as np

from .observed import BCE, CE, Observed, Thresholds, class_counts, smooth, soft_bce
from .report import Finding


def _ev(measured, what, threshold, comparison="", **extra) -> dict:
    return {"measured": measured, "measured_what": what, "threshold": threshold,
            "comparison": comparison, **extra}


def check_script_error(run: Observed, th: Thresholds) -> list:
    if not run.error:
        return []
    e = run.error
    return [Finding("script-error", "error",
                    f"The program stopped with {e['type']}: {e['message']}",
                    _ev(e["type"], "exception", None), {"line": e.get("line"), "step": e.get("step")},
                    "Fix the error above; the other findings describe the run up to it.")]


def check_nan(run: Observed, th: Thresholds) -> list:
    """The first step, and in it the first layer or function, that produced inf/NaN."""
    for step in run.all_steps():
        bad = next((c for c in step.calls if not c.finite and c.grad_enabled), None)
        loss_bad = step.loss is not None and not math.isfinite(step.loss)
        grad_bad = next((p for p in step.params.values() if not p.grad_finite), None)
        if bad is None and not loss_bad and grad_bad is None:
            continue
        losses = run.losses()[:step.index]
        finite = losses[np.isfinite(losses)]
        grew = finite.size >= 2 and finite[-1] > 2 * finite.min()
        if bad is not None:
            what, where = f"{bad.type} ({bad.kind})", {"layer": bad.where, "line": bad.line}
        elif loss_bad:
            what, where = "the loss", {}
        else:
            what, where = "the gradient", {"parameter": grad_bad.name}
        where["step"] = step.index
        return [Finding(
            "nan", "error",
            f"{what} produced inf/NaN at step {step.index}"
            + (" after the loss had grown — the updates diverged." if grew else
               "; every later number is NaN and training is over."),
            _ev(step.index, "first step with a non-finite value", None,
                loss_before=float(finite[-1]) if finite.size else None),
            {k: v for k, v in where.items() if v is not None},
            "Lower the learning rate (÷10) or clip gradients." if grew else
            "Look for log(0), x/0 or sqrt(<0) at that op: use log_softmax / BCEWithLogitsLoss "
            "instead of log(softmax) / log(sigmoid), add an epsilon, and check the inputs for NaN.")]
    return []


def check_optimizers_take_turns(run: Observed, th: Thresholds) -> list:
    """A note that the loss-curve checks were not judged: optimizers take turns (a GAN)."""
    n = run.optimizers_take_turns
    if not n:
        return []
    return [Finding(
        "optimizers-take-turns", "info",
        f"{n} optimizers take turns (a GAN's discriminator and generator, or an actor and a "
        "critic): each loss is measured against an opponent that is learning too, so its rises "
        "and falls say little about the learning rate. The loss-curve checks were not judged "
        "(lr-too-high's oscillation and divergence, lr-too-low-or-stalled); a loss that grows "
        "and turns inf/NaN still is.",
        _ev(n, "optimizers stepping in turn", 1, "= "), {},
        "Judge such a run by its own measures (samples, a fixed evaluation, the discriminator's "
        "accuracy), not by one loss curve.")]


def check_lr_too_high(run: Observed, th: Thresholds) -> list:
    """Divergence (smoothed loss ends above 2× its minimum) or wild oscillation without progress."""
    losses = run.losses()
    finite = losses[np.isfinite(losses)]
    lr = run.steps[0].lr if run.steps else None
    blown = np.flatnonzero(~np.isfinite(losses))
    if blown.size and finite.size >= 2:
        before = losses[:blown[0]]
        before = before[np.isfinite(before)]
        if before.size >= 2 and before[-1] > th.divergence * before.min():
            return [Finding(
                "lr-too-high", "error",
                f"The loss grew from {before.min():.3g} to {before[-1]:.3g} and then became "
                f"{losses[blown[0]]} at step {blown[0]}: the updates diverged.",
                _ev(float(before[-1] / before.min()), "last finite / lowest loss", th.divergence,
                    "≤ ", learning_rate=lr), {"step": int(blown[0])},
                f"Divide the learning rate{f' ({lr:g})' if lr else ''} by 10, or clip gradients.")]
    if finite.size < 2 * th.window or run.optimizers_take_turns:  # (a GAN: see check_optimizers_take_turns)
        return []
    s = smooth(finite, th.window)
    low, end = float(s.min()), float(s[-1])
    tail = s[int(np.argmin(s)):]
    rising = (tail.size > 2 * th.window and float(np.mean(np.diff(tail) > 0)) > 0.6
              and end > th.late_rise * low and end - low > (s[0] - low) / 3)  # gave back a third
    if low > 0 and end > th.divergence * low and (end > s[0] or rising):
        return [Finding(
            "lr-too-high", "error",
            f"The loss diverges: its {th.window}-step average fell to {low:.3g} at step "
            f"{int(np.argmin(s)) + th.window - 1} and then rose to {end:.3g}.", _ev(end / low, "final / lowest smoothed loss", th.divergence, "≤ ",
                               learning_rate=lr),
            {"step": int(np.argmin(s)) + th.window - 1},
            f"Divide the learning rate{f' ({lr:g})' if lr else ''} by 10; with SGD consider momentum "
            "and a smaller step, with Adam 1e-3 is the usual start.")]
    step_size = _step_size_finding(run, th, finite, lr)
    if step_size:
        return step_size
    jumps = np.abs(np.diff(finite)) / max(float(np.mean(np.abs(finite))), 1e-12)
    if float(jumps.mean()) > th.oscillation and end >= 0.9 * float(s[0]):
        return [Finding(
            "lr-too-high", "warning",
            f"The loss oscillates: it changes by {jumps.mean():.0%} of its size per step on average "
            "and makes no progress.",
            _ev(float(jumps.mean()), "mean |ΔL| / mean L per step", th.oscillation, "≤ ",
                learning_rate=lr), {},
            "Lower the learning rate (÷3 to ÷10) or use a larger batch.")]
    return []


def _early_update_ratio(run: Observed, steps: int = 5) -> float | None:
    """The largest, over the first measured steps, of the median ‖Δw‖/‖w‖ of the weight matrices."""
    per_step = []
    for s in run.measured()[:steps]:
        ratios = [p.update_norm / p.weight_norm for p in s.params.values()
                  if p.in_optimizer and p.update_norm is not None and p.weight_norm > 0
                  and len(p.shape) >= 2]
        if ratios:
            per_step.append(float(np.median(ratios)))
    return max(per_step) if per_step else None


def _step_size_finding(run: Observed, th: Thresholds, finite: np.ndarray, lr) -> list:
    """Updates as large as the weights, a loss that jumped far above its start and a run that
    ends no better than it began: the step size is the cause (dead ReLUs are the symptom)."""
    ratio = _early_update_ratio(run)
    if ratio is None or ratio <= th.update_ratio_high or finite.size < 2 * th.window:
        return []
    start, peak = float(finite[0]), float(finite.max())
    end = float(finite[-th.window:].mean())
    if start <= 0 or peak < th.loss_jump * start or end < th.no_progress * start:
        return []
    dead = _dead_layers(run, th)
    symptom = (f"; {dead[0][1]:.0%} of the ReLU units after {dead[0][0]} have died (never active), "
               "a symptom of the same cause" if dead else "")
    return [Finding(
        "lr-too-high", "error",
        f"The step size is too large: the first updates changed the weights by {ratio:.2g} of their "
        f"size (healthy ≈ 1e-3), the loss jumped from {start:.3g} to {peak:.3g} at step "
        f"{int(np.argmax(finite))} and ends at {end:.3g}, no better than it began{symptom}.",
        _ev(ratio, "largest early median ‖Δw‖/‖w‖", th.update_ratio_high, "≤ ", learning_rate=lr,
            loss_start=start, loss_peak=peak, loss_end=end,
            dead_relu={d[0]: d[1] for d in dead}), {"step": int(np.argmax(finite))},
        f"Divide the learning rate{f' ({lr:g})' if lr else ''} by 10 (or more) until ‖Δw‖/‖w‖ "
        "is near 1e-3; with SGD start near 0.01–0.1, with Adam at 1e-3.")]


def _update_ratio(run: Observed) -> float | None:
    ratios = [p.update_norm / p.weight_norm for s in run.measured() for p in s.params.values()
              if p.in_optimizer and p.update_norm is not None and p.weight_norm > 0 and len(p.shape) >= 2]
    return float(np.median(ratios)) if ratios else None


def check_lr_too_low(run: Observed, th: Thresholds) -> list:
    """The loss drops by < 5 % over the run (stall); tiny ‖Δw‖/‖w‖ says the learning rate is why."""
    if run.optimizers_take_turns:
        return []
    # the steps that had a backward (a second optimizer stepping after the same backward, as a
    # decoder's after an encoder's, adds a step without a loss of its own)
    losses = np.array([s.loss for s in run.steps if s.losses], dtype=float)
    finite = losses[np.isfinite(losses)]
    if finite.size < th.stall_steps or finite.size != losses.size:
        return []
    head, tail = float(finite[:th.window].mean()), float(finite[-th.window:].mean())
    if head <= 0:
        return []
    floor = _soft_target_floor(run)   # what a BCE on soft targets cannot go below (else 0)
    floor = floor if floor is not None and floor < head else 0.0
    drop = (head - tail) / (head - floor)
    if drop >= th.min_drop:
        return _at_chance(run, th, finite)
    ratio = _update_ratio(run)
    low = ratio is not None and ratio < th.update_ratio
    return [Finding(
        "lr-too-low-or-stalled", "warning",
        f"Over {finite.size} steps the loss went from {head:.4g} to {tail:.4g} "
        f"({'a drop' if drop >= 0 else 'a rise'} of {abs(drop):.1%}"
        + (f" of the way down to {floor:.4g}, the soft targets' own entropy, below which a "
           "binary cross-entropy cannot go)" if floor else ")")
        + (f"; each step changes the weights by only {ratio:.2g} of their size, so the learning "
           "rate is too low." if low else
           f"; the weights do move ({ratio:.2g} of their size per step)" if ratio is not None else "")
        + ("" if low else ", so the model is stuck: see the other findings (dead units, "
           "saturation, frozen layers, labels)."),
        _ev(drop, "relative loss drop over the run", th.min_drop, "≥ ", update_ratio=ratio,
            update_ratio_threshold=th.update_ratio, loss_floor=floor or None), {},
        "Raise the learning rate ×10 (Adam: 1e-3, SGD: 0.01–0.1) and check the update/weight "
        "ratio is near 1e-3." if low else "Look at the other findings; try Adam at 1e-3, and a "
        "learning-rate finder sweep.")]


def _soft_target_floor(run: Observed):
    """The lowest loss a binary cross-entropy against soft targets (a VAE's pixel intensities)
    can reach: the targets' own entropy −[t ln t + (1 − t) ln(1 − t)], summed or averaged as the
    loss's value says (reduction='sum' or 'mean'), over the kept batches; None for other losses."""
    floors = []
    for c in run.loss_calls():
        kept = (run.batches.get(c.step) or {}).get("target")
        if not soft_bce(c) or kept is None or "value" not in c.stats \
                or np.shape(kept) != tuple(c.stats["target"].get("shape") or ()):
            continue
        t = np.clip(np.asarray(kept, dtype=float), 0.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            h = -np.nan_to_num(t * np.log(t)) - np.nan_to_num((1 - t) * np.log(1 - t))
        total, mean = float(h.sum()), float(h.mean())
        floors.append(total if abs(c.stats["value"] - total) < abs(c.stats["value"] - mean) else mean)
    return float(np.mean(floors)) if floors else None


def _chance_level(run: Observed):
    """(loss of predicting the class prior, what it is) for a classifier: the entropy of the
    training targets' class counts (CE: over its C classes; BCE: 0/1 targets), else None."""
    calls = [c for c in run.loss_calls() if c.kind in BCE + CE and not c.stats.get("raised")]
    kinds = {c.kind for c in calls}
    if len(kinds) != 1:
        return None
    counts = np.array([k for k in class_counts(calls).values() if k > 0], float)
    if counts.size < 2:
        return None
    p = counts / counts.sum()
    entropy = float(-(p * np.log(p)).sum())
    return entropy, f"the entropy of the {counts.size} classes' frequencies"


def _at_chance(run: Observed, th: Thresholds, finite: np.ndarray) -> list:
    """A classifier whose smoothed loss never falls below the loss of predicting the class prior
    (ln C for balanced classes): the first batches' noise can hide that in the drop test (a loss
    that jumps at the start and settles back at ln C has 'dropped')."""
    chance = _chance_level(run)
    if chance is None:
        return []
    level, what = chance
    low, tail = float(smooth(finite, th.window).min()), float(finite[-th.window:].mean())
    if level <= 0 or low < (1 - th.chance_margin) * level or tail > 1.1 * level:
        return []                   # learned something, or a loss of another scale (a sum)
    ratio = _update_ratio(run)
    return [Finding(
        "lr-too-low-or-stalled", "warning",
        f"Over {finite.size} steps the smoothed loss never fell below {low:.4g}, while predicting "
        f"the class prior alone gives {level:.4g} ({what}); it ends at "
        f"{tail:.4g}. The model has learned nothing from its inputs "
        "yet" + (f" although the weights move ({ratio:.2g} of their size per step)" if ratio else "")
        + ": saturated units (sigmoid/tanh), a learning rate too high or too low for them, or "
        "inputs and labels that do not belong together.",
        _ev(low, "lowest smoothed loss", round((1 - th.chance_margin) * level, 4), "< ",
            chance_loss=level, update_ratio=ratio), {},
        "Look at the other findings; try ReLU and Adam at 1e-3, standardise the inputs, and "
        "check that the labels match the inputs (shuffle them together).")]


def check_no_training(run: Observed, th: Thresholds) -> list:
    """Nothing trained: gradients computed but no parameter ever changes (no step(), no manual
    update); a program without backward() or step() (evaluation, save/load) gets a note."""
    if run.drives_loop:
        return []
    if not run.steps:
        if run.backward_calls:
            return [Finding("no-training", "error",
                            f"backward() ran {run.backward_calls} times but no parameter was updated: "
                            "the gradients are computed and thrown away.",
                            _ev(0, "training steps", 1, "≥ ", backward_calls=run.backward_calls), {},
                            "Call optimizer.step() after loss.backward() in every iteration.")]
        if run.grad_calls:
            return [Finding("no-training", "info",
                            f"autograd.grad ran {run.grad_calls} times, but no backward() and no "
                            "optimizer step: a loop that applies autograd.grad's gradients by hand "
                            "is not followed, so its training is not judged (the doctor sees training "
                            "through backward() and optimizer.step()).",
                            _ev(0, "backward() calls and optimizer steps", 1, "≥ ",
                                autograd_grad_calls=run.grad_calls), {},
                            "To have it judged, write the update as loss.backward() and an optimizer "
                            "(or a manual update after backward()); nothing to fix otherwise.")]
        return [Finding("no-training", "info",
                        "No backward() and no optimizer step ran, so there is no training to "
                        "diagnose (an evaluation, inference or save/load script, or gradients "
                        "written by hand without autograd); the checks of the set-up still ran "
                        "on what was seen.",
                        _ev(0, "backward() calls and optimizer steps", 1, "≥ "), {},
                        "Nothing to fix if the script is not meant to train; otherwise make sure "
                        "the training loop runs (epochs > 0, a non-empty DataLoader).")]
    out = []
    measured = run.measured()
    manual = all(s.optimizer in ("", "manual update") for s in run.steps)
    # A gradient below a millionth of the largest one is rounding noise around 0 (the bias of a
    # layer feeding a batch norm, whose mean subtraction cancels it): lr × it moves nothing.
    noise = 1e-6 * max((p.grad_norm or 0.0 for s in measured for p in s.params.values()
                        if p.grad_norm is not None and math.isfinite(p.grad_norm)), default=0.0)
    order = run.param_order or (list(measured[0].params) if measured else [])
    if not manual:   # backward() calls before the first step() (a GAN's D on real, then on fake)
        measured = [s for s in measured if s.optimizer not in ("", "manual update")]
        order = list(dict.fromkeys([n for n in order if any(n in s.params for s in measured)] +
                                   [n for s in measured for n in s.params]))
    for name in order:
        # the steps of the optimizer that holds it (a GAN's generator step() finds gradients
        # the critic's loss would never have given its parameters, and leaves them unchanged)
        stats = [s.params[name] for s in measured if name in s.params and s.params[name].stepped is not False]
        if not stats or not stats[0].in_optimizer:
            continue
        had_grad = any(p.grad_norm and p.grad_norm > noise for p in stats)
        moved = max((p.update_norm or 0.0) for p in stats)
        if had_grad and moved == 0.0 and manual:
            out.append(Finding(
                "no-training", "error",
                f"backward() ran {run.backward_calls} times but no parameter changed between one "
                f"backward() and the next ({name} and the others stay where they were): no "
                "optimizer.step() and no manual update ran, so the gradients are thrown away.",
                _ev(0.0, "largest update ‖Δw‖ between backward() calls", 0.0, "> ",
                    backward_calls=run.backward_calls), {"parameter": name},
                "Call optimizer.step() after loss.backward() in every iteration (or update the "
                "parameters by hand under torch.no_grad())."))
            break
        if had_grad and moved == 0.0:
            out.append(Finding(
                "no-training", "error",
                f"{name} gets gradients but never changes over {len(stats)} measured steps.",
                _ev(0.0, "largest update ‖Δw‖", 0.0, "> ", learning_rate=measured[0].lr),
                {"parameter": name}, "Check the learning rate (0?) and that step() updates the "
                "parameters you think it does."))
    return out[:1]


def check_zero_grad(run: Observed, th: Thresholds) -> list:
    """Gradients carried across step(): backward found last step's gradient still there."""
    stale = [s for s in run.steps if s.stale_grads]
    if len(stale) < th.stale_steps:
        return []
    norms = [sum(p.grad_norm or 0 for p in s.params.values()) for s in run.measured()]
    growth = norms[-1] / norms[0] if len(norms) > 1 and norms[0] else None
    return [Finding(
        "missing-zero-grad", "error",
        f"In {len(stale)} of {len(run.steps)} steps backward() added to gradients left over from "
        "before the previous optimizer.step(): gradients accumulate across steps"
        + (f" (the summed gradient norm grew {growth:.3g}× from the first to the last measured step)."
           if growth else "."),
        _ev(len(stale), "steps with stale gradients", th.stale_steps - 1, "≤ ", grad_norm_growth=growth),
        {"step": stale[0].index, "parameter": stale[0].stale_grads[0]},
        "Call optimizer.zero_grad() once per iteration, before loss.backward().")]


def check_optimizer_coverage(run: Observed, th: Thresholds) -> list:
    """Parameters with gradients that no optimizer holds, and optimized ones that get none."""
    out, measured = [], run.measured()
    if not measured:
        return []
    # held by an optimizer at any measured step: an optimizer is seen at its first step(), so a
    # GAN's generator optimizer is unknown during the critic's first steps
    held = {p.name for s in measured for p in s.params.values() if p.in_optimizer}
    missing = {}
    for s in measured:
        for p in s.params.values():
            if p.name not in held and p.grad_norm:
                missing.setdefault(p.name, p.grad_norm)
    if missing:
        names = list(missing)
        out.append(Finding(
            "param-not-in-optimizer", "error",
            f"{len(names)} parameter{'s' if len(names) > 1 else ''} get gradients but are in no "
            f"optimizer, so they never learn: {', '.join(names[:6])}{'…' if len(names) > 6 else ''}.",
            _ev(len(names), "parameters with gradients outside every optimizer", 0, "= "),
            {"parameter": names[0]},
            "Build the optimizer from model.parameters() after the whole model exists "
            "(layers added later, or a second model, are not included otherwise)."))
    at_init = _frozen_at_init(measured[0])
    if at_init:
        names = [n for n, _, _ in at_init]
        out.append(Finding(
            "frozen", "warning",
            f"{len(names)} weight tensor{'s' if len(names) > 1 else ''} ({', '.join(names[:4])}"
            f"{'…' if len(names) > 4 else ''}) {'have' if len(names) > 1 else 'has'} "
            "requires_grad=False, no optimizer holds them, and their values are still PyTorch's "
            f"default random initialisation (RMS {at_init[0][1]:.3g}, the default gives "
            f"{at_init[0][2]:.3g}): a layer frozen as if pretrained, with nothing loaded into it, "
            "gives random features that never improve.",
            _ev(len(names), "frozen weight tensors at their initial scale", 0, "= ",
                rms={n: r for n, r, _ in at_init}, init_rms={n: e for n, _, e in at_init}),
            {"parameter": names[0]},
            "Load the pretrained weights before freezing (check load_state_dict's missing_keys), "
            "or leave the layers trainable and in the optimizer."))
    never, off, zero = [], [], []
    for name in measured[0].params:
        stats = [s.params[name] for s in measured if name in s.params]
        if not stats[0].in_optimizer:
            continue
        if not stats[0].requires_grad:
            off.append(name)
        elif all(p.grad_norm is not None and p.grad_norm == 0 for p in stats) and _sibling_learns(measured, name):
            zero.append(name)   # reached, its layer's weight learns, but the loss does not depend on it
        elif all(not p.grad_norm for p in stats):
            never.append(name)
    if zero:
        out.append(Finding(
            "frozen", "info",
            f"{', '.join(zero[:6])} get{'' if len(zero) > 1 else 's'} a gradient of exactly 0 at every one "
            f"of {len(measured)} measured steps: the graph reaches {'them' if len(zero) > 1 else 'it'}, "
            "but the loss does not depend on it — a constant the loss cancels, such as a WGAN "
            "critic's last bias (E[critic(real)] − E[critic(fake)] subtracts it out) or a bias right "
            "before a batch norm (its mean subtraction removes it). It never trains; that is harmless.",
            _ev(0.0, "largest gradient norm", 0.0, "> ", parameters=len(zero)), {"parameter": zero[0]},
            "Nothing to fix; drop the parameter (bias=False) if you want the model to say so."))
    if never or off:
        names = never or off
        out.append(Finding(
            "frozen", "warning",
            (f"No gradient ever reaches {', '.join(names[:6])} ({len(names)} optimized parameter"
             f"{'s' if len(names) > 1 else ''}) over {len(measured)} measured steps: they are "
             "frozen (a .detach(), an unused layer, or an integer/no_grad path cuts the graph).")
            if never else
            (f"{', '.join(names[:6])} {'are' if len(names) > 1 else 'is'} in the optimizer but has "
             "requires_grad=False, so the optimizer never moves it."),
            _ev(0.0, "largest gradient norm", 0.0, "> ", parameters=len(names)),
            {"parameter": names[0]},
            "Remove the .detach()/.data/.item() on the path to the loss, or set requires_grad=True; "
            "leave frozen layers out of the optimizer if freezing is intended."))
    return out


def _sibling_learns(measured, name: str) -> bool:
    """Does the weight of the layer that holds bias ``name`` get a non-zero gradient?  (Then a
    zero gradient of the bias is the loss cancelling it, not a dead or cut-off layer.)"""
    if not name.endswith("bias"):
        return False
    weight = name[:-len("bias")] + "weight"
    return any((s.params[weight].grad_norm or 0) > 0 for s in measured if weight in s.params)


def _dead_layers(run: Observed, th: Thresholds) -> list:
    """[(layer, dead fraction, units, steps)] of the ReLU layers with too many units never active
    in the last measured batches."""
    by_layer = {}
    for c in run.calls(("relu",)):
        if "active" in c.stats and c.finite:
            by_layer.setdefault(c.where, []).append(c)
    out = []
    for where, calls in by_layer.items():
        steps = sorted({c.step for c in calls})[-th.dead_window:]
        recent = [c.stats["active"] for c in calls if c.step in steps]
        if len({len(a) for a in recent}) != 1:
            continue
        alive = np.logical_or.reduce(recent)
        dead = 1.0 - float(alive.mean())
        if dead >= th.dead_fraction and len(alive) > 1:
            out.append((where, dead, len(alive), steps))
    return out


def _frozen_at_init(step, tolerance: float = 0.15) -> list:
    """[(name, RMS, default RMS)] of weight tensors (≥ 64 values) outside every optimizer, with
    requires_grad=False, whose RMS is within ``tolerance`` of torch's default Kaiming-uniform
    initialisation, U(±1/√fan_in), whose RMS is 1/√(3·fan_in)."""
    out = []
    for p in step.params.values():
        if p.in_optimizer or p.requires_grad or len(p.shape) < 2 or math.prod(p.shape) < 64:
            continue
        rms = p.weight_norm / math.sqrt(math.prod(p.shape))
        expected = 1.0 / math.sqrt(3.0 * math.prod(p.shape[1:]))
        if abs(rms / expected - 1.0) < tolerance:
            out.append((p.name, rms, expected))
    return out


def check_dead_relu(run: Observed, th: Thresholds) -> list:
    """Per ReLU layer: units with output 0 for every sample of the last measured batches."""
    out = []
    for where, dead, units, steps in _dead_layers(run, th):
        out.append(Finding(
            "dead-relu", "warning",
            f"{int(round(dead * units))} of {units} ReLU units after {where} output 0 "
            f"for every sample in the last {len(steps)} measured batches: they pass no gradient "
            "and have stopped learning.",
            _ev(dead, "fraction of units never active", th.dead_fraction, "< "),
            {"layer": where, "step": steps[-1]},
            "Lower the learning rate, keep biases at their default (not large negative), "
            "standardise inputs, or use LeakyReLU/GELU."))
    return out


def check_saturation(run: Observed, th: Thresholds) -> list:
    """Hidden sigmoid/tanh layers whose inputs sit beyond ±5, where the slope is ≈ 0."""
    feeding_loss = {c.stats.get("input_where") for c in run.loss_calls()}
    by_layer = {}
    for c in run.calls(("sigmoid", "tanh")):
        if "saturated" in c.stats and c.where not in feeding_loss:
            by_layer.setdefault(c.where, []).append(c.stats["saturated"])
    out = []
    for where, fractions in by_layer.items():
        frac = float(np.mean(fractions))
        if frac > th.saturated_fraction:
            out.append(Finding(
                "saturation", "warning",
                f"{frac:.0%} of the inputs to {where} are beyond ±5, where the slope of the "
                "activation is below 0.007: those units barely learn.",
                _ev(frac, "fraction of |z| > 5", th.saturated_fraction, "≤ "), {"layer": where},
                "Standardise inputs, use Xavier/Glorot initialisation (nn.init.xavier_uniform_), "
                "or switch hidden layers to ReLU."))
    return out


def check_gradient_flow(run: Observed, th: Thresholds) -> list:
    """First-layer / last-layer weight-gradient norm (median over the first 5 measured steps:
    the flow at initialisation, before the last layer's gradient shrinks as it fits)."""
    measured = run.measured()[:5]
    if not measured:
        return []
    weights = [n for n, p in measured[0].params.items() if len(p.shape) >= 2 and p.requires_grad]
    if len(weights) < 3:
        return []
    first, last = weights[0], weights[-1]
    ratios = [s.params[first].grad_norm / s.params[last].grad_norm for s in measured
              if s.params.get(first) and s.params.get(last) and s.params[first].grad_norm is not None
              and s.params[last].grad_norm and math.isfinite(s.params[first].grad_norm)]
    if not ratios:
        return []
    ratio = float(np.median(ratios))
    per_layer = {n: float(np.median([s.params[n].grad_norm or 0 for s in measured if n in s.params]))
                 for n in weights}
    if ratio < th.vanishing_ratio:
        return [Finding(
            "vanishing-gradient", "warning",
            f"The gradient reaching {first} is {ratio:.2g} times the one at {last}: across "
            f"{len(weights)} layers it shrinks until the first layers barely learn.",
            _ev(ratio, "first / last layer gradient norm", th.vanishing_ratio, "≥ ", per_layer=per_layer),
            {"parameter": first}, "Use ReLU (not sigmoid/tanh) in hidden layers, Kaiming/Xavier "
            "initialisation, residual connections or normalisation layers.")]
    first_norms = {n: p.grad_norm for n, p in measured[0].params.items() if n in per_layer}
    biggest = max(first_norms, key=lambda n: first_norms[n] or 0.0)
    big = first_norms[biggest] or 0.0
    if big > th.exploding_norm or not math.isfinite(big):
        return [Finding(
            "exploding-gradient", "warning",
            f"At the first step the gradient of {biggest} has norm {big:.3g}: gradients this large "
            "make each update throw the weights far away (and soon overflow).",
            _ev(big, "largest layer gradient norm at step 0", th.exploding_norm, "≤ ",
                first_over_last=ratio, per_layer=per_layer),
            {"parameter": biggest, "step": measured[0].index},
            "Use the default (Kaiming-uniform) or Kaiming-normal initialisation instead of large "
            "weights, standardise inputs and targets, clip gradients (clip_grad_norm_).")]
    if ratio > th.exploding_ratio:
        return [Finding(
            "exploding-gradient", "warning",
            f"The gradient reaching {first} is {ratio:.3g} times the one at {last}: it grows layer "
            "by layer toward the input.",
            _ev(ratio, "first / last layer gradient norm", th.exploding_ratio, "≤ ", per_layer=per_layer),
            {"parameter": first}, "Use the default (Kaiming-uniform) or Xavier initialisation "
            "instead of large weights, clip gradients (clip_grad_norm_), add normalisation.")]
    return []


def check_loss_spike(run: Observed, th: Thresholds) -> list:
    """exploding-gradient: a loss that jumps far above its recent median (and above twice where
    it started: every gain undone), then falls back, in a run that does not clip its gradients."""
    if any(s.clips for s in run.all_steps()):
        return []
    losses = run.losses()
    w = th.window
    if losses.size < 2 * w or not np.all(np.isfinite(losses[:w])):
        return []
    start = float(np.median(losses[:w]))
    spikes = []                                   # (step, loss, median before, step back)
    for i in range(w, losses.size):
        recent = losses[i - w:i]
        recent = recent[np.isfinite(recent)]
        if recent.size < w // 2 or not np.isfinite(losses[i]):
            continue
        median = float(np.median(recent))
        if median <= 0 or losses[i] <= th.loss_spike * median or losses[i] <= 2 * start:
            continue
        after = losses[i + 1:]
        back = np.flatnonzero(np.isfinite(after) & (after <= 2 * median))
        if back.size:
            spikes.append((i, float(losses[i]), median, i + 1 + int(back[0])))
    if not spikes:
        return []
    i, value, median, back = max(spikes, key=lambda s: s[1] / s[2])
    grads = {s.index: sum(p.grad_norm or 0.0 for p in s.params.values()) for s in run.measured()}
    at = grads.get(i)
    typical = float(np.median(list(grads.values()))) if grads else None
    grad = (f" (the summed gradient norm there: {at:.3g}, median {typical:.3g})"
            if at is not None and typical else "")
    return [Finding(
        "exploding-gradient", "warning",
        f"The loss spiked {len(spikes)} time{'s' if len(spikes) > 1 else ''} and recovered, with no "
        f"gradient clipping: the largest at step {i}, to {value:.3g}, {value / median:.3g}× the "
        f"median {median:.3g} of the {w} steps before it and above twice its first value "
        f"{start:.3g}, "
        f"back below {2 * median:.3g} at step {back}{grad}. A spike like this comes with a "
        "gradient many times the usual size (a cliff of the loss surface, a batch of outliers), "
        "and nothing bounds the update it drives, so one step can throw the weights far away.",
        _ev(value / median, "largest spike / median of the previous losses", th.loss_spike, "≤ ",
            spikes=len(spikes), steps=[s[0] for s in spikes[:10]], recovered_at=back,
            grad_norm_at_spike=at, median_grad_norm=typical),
        {"step": i},
        "Clip the gradient norm between backward() and step(): "
        "torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); look for outliers in the "
        "batches at those steps; lower the learning rate or add warm-up if spikes persist.")]


def check_clip_after_step(run: Observed, th: Thresholds) -> list:
    clips = [c for s in run.all_steps() for c in s.clips]
    late = [c for c in clips if c.after_step]
    if not late or len(late) < len(clips):
        return []
    c = late[0]
    return [Finding(
        "clip-after-step", "error",
        f"{c.function} ran after optimizer.step() {len(late)} times: the step has already used the "
        "unclipped gradients, and the clipped ones are discarded by the next zero_grad().",
        _ev(len(late), "clip calls after step()", 0, "= ", total_norm=c.total_norm),
        {k: v for k, v in {"step": c.step, "line": c.line}.items() if v is not None},
        "Clip between loss.backward() and optimizer.step().")]


def check_probe(run: Observed, th: Thresholds) -> list:
    """overfit-one-batch: can a fresh copy of the model fit a handful of examples?"""
    p = run.probe
    if not p or p.get("skipped"):
        return []
    if p["ratio"] <= th.probe_fit:
        return []
    return [Finding(
        "overfit-one-batch", "warning",
        f"A fresh copy of the model trained {p['steps']} steps on {p['examples']} examples took the "
        f"loss only from {p['loss_0']:.4g} to {p['loss_end']:.4g}; a working model and loss fit so "
        "few examples almost exactly.",
        _ev(p["ratio"], "final / initial loss on the probe batch", th.probe_fit, "≤ "), {},
        "Look for a bug between the output and the loss (activation, labels, detach), or a model "
        "too small or too constrained to express the labels.")]


CHECKS = [check_script_error, check_nan, check_lr_too_high, check_lr_too_low, check_optimizers_take_turns,
          check_no_training,
          check_zero_grad, check_optimizer_coverage, check_dead_relu, check_saturation,
          check_gradient_flow, check_loss_spike, check_clip_after_step, check_probe]
