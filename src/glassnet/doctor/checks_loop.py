"""Checks of how the loop uses the model and the data: train/eval mode around the evaluation,
batch norm meeting a batch of one, and batches drawn in a class-sorted order.

Each check is ``check_x(run: Observed, th: Thresholds) -> list[Finding]``.
"""
from __future__ import annotations

import re

from .checks_training import _ev
from .observed import Observed, Thresholds
from .report import Finding

_BATCH_OF_ONE = re.compile(r"Expected more than 1 value per channel when training", re.I)


def _where(**items) -> dict:
    return {k: v for k, v in items.items() if v is not None}


def check_eval_mode(run: Observed, th: Thresholds) -> list:
    """Dropout / batch norm still in training mode while the program evaluates under no_grad
    (modules left in train(), or F.dropout without training=self.training)."""
    calls = [c for c in run.calls(("dropout", "norm"), training=False) if c.training]
    if not calls:
        return []
    c = calls[0]
    roots = [r for s in run.all_steps() for r in s.calls if r.kind == "root" and not r.grad_enabled
             and r.step == c.step]
    functional = c.type == "dropout"                     # F.dropout, not an nn.Dropout module
    if functional:
        what = ("F.dropout is called without training=self.training; its default is True, so "
                "model.eval() does not switch it off and it zeroes random units")
    elif c.kind == "dropout":
        what = "dropout zeroes random units"
    else:
        what = "batch norm normalises with the batch's statistics and overwrites its running " \
               "averages with the evaluation data"
    return [Finding(
        "eval-mode", "warning",
        f"{c.where} ({c.type}) ran in training mode under no_grad {len(calls)} times: {what}, so the "
        "evaluation numbers are noisy and wrong.",
        _ev(len(calls), "evaluation calls in training mode", 0, "= ", functional=functional),
        _where(layer=c.where, step=c.step, line=roots[0].line if roots else None),
        "Pass training=self.training to F.dropout (or use an nn.Dropout module)." if functional else
        "Call model.eval() before evaluating and model.train() before training again.")]


def check_train_in_eval_mode(run: Observed, th: Thresholds) -> list:
    """Training steps whose dropout / batch-norm modules run in eval mode after having run in
    training mode: an evaluation's model.eval() that no model.train() undid."""
    trained, flipped = set(), []
    for step in run.steps:
        if not step.losses:
            continue
        calls = [c for c in step.calls if c.kind in ("dropout", "norm") and c.grad_enabled
                 and c.training is not None and c.type != "dropout"]
        on = {c.where for c in calls if c.training}
        off = [c for c in calls if not c.training and c.where not in on and c.where in trained]
        if off:
            flipped.append((step, off[0]))
        trained |= on
    if len(flipped) < 2:
        return []
    step, c = flipped[0]
    return [Finding(
        "train-in-eval-mode", "warning",
        f"From step {step.index} on, {c.where} ({c.type}) runs in eval mode during training "
        f"({len(flipped)} measured training steps), after running in training mode before: an "
        "evaluation called model.eval() and nothing called model.train() again, so "
        + ("dropout is off" if c.kind == "dropout" else "batch norm uses frozen running statistics")
        + " while the model trains.",
        _ev(len(flipped), "measured training steps with layers in eval mode", 1, "≤ "),
        _where(layer=c.where, step=step.index),
        "Call model.train() at the start of every training epoch (after each evaluation).")]


def check_batchnorm_batch_of_one(run: Observed, th: Thresholds) -> list:
    """Batch norm in training mode given a batch of one example: torch raises mid-epoch."""
    e = run.error
    if not e or not _BATCH_OF_ONE.search(e.get("message", "")):
        return []
    return [Finding(
        "batchnorm-batch-of-one", "error",
        f"Batch norm in training mode was given a batch of one example at step {e.get('step')} "
        "and raised: a variance over one value per channel is undefined. The usual cause is the "
        "last batch of an epoch (len(dataset) % batch_size == 1).",
        _ev(1, "examples in the batch", 2, "≥ ", exception=e["message"]),
        _where(line=e.get("line"), step=e.get("step")),
        "Pass drop_last=True to the training DataLoader (or pick a batch size that does not "
        "leave one example); evaluate in model.eval(), where batches of one are fine.")]


def check_unshuffled(run: Observed, th: Thresholds) -> list:
    """Training batches that hold a single class while the data have several: sorted, unshuffled."""
    single, counted, classes = [], 0, set()
    for c in run.loss_calls():
        counts = (c.stats.get("target") or {}).get("counts")
        if c.kind not in ("cross_entropy", "nll_loss", "binary_cross_entropy",
                          "binary_cross_entropy_with_logits") or not counts:
            continue
        if sum(counts.values()) < th.unshuffled_batch:
            continue
        counted += 1
        classes |= set(counts)
        if len(counts) == 1:
            single.append(c)
    if counted < 5 or len(classes) < 2 or len(single) / counted <= th.unshuffled_fraction:
        return []
    return [Finding(
        "unshuffled-data", "warning",
        f"{len(single)} of {counted} measured training batches hold a single class, while the "
        f"targets have {len(classes)}: the data are drawn in a class-sorted order, so each "
        "stretch of steps pulls the model toward one class and the loss swings instead of falling.",
        _ev(len(single) / counted, "fraction of single-class batches", th.unshuffled_fraction, "≤ "),
        _where(step=single[0].step, line=single[0].line),
        "Shuffle the training data: DataLoader(..., shuffle=True), or a random permutation "
        "of the indices each epoch.")]


CHECKS = [check_eval_mode, check_train_in_eval_mode, check_batchnorm_batch_of_one, check_unshuffled]
