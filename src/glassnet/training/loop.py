"""The training loop, engine-neutral: ``run_epochs`` drives a runner.

``run_epochs`` owns what every engine shares: the order of the samples (``epoch_orders``), the
mini-batches, the evaluation after each epoch, the history and the progress bar.  A *runner*
owns the engine: it trains one epoch on given batches of training-set positions and returns the
raw outputs and the loss on a split.  The runners sit above this module: glassnet's in
``glassnet_runner``, PyTorch's (one process or DistributedDataParallel) in ``torch_runner``.
"""
from __future__ import annotations

import numpy as np

from glassnet.data.loader import batches, epoch_orders

from .config import Spec
from .divergence import check_epoch_loss
from .model import score
from .prepared import Prepared


class TrainingError(RuntimeError):
    """A run that could not finish (e.g. a distributed worker died); the message is one line."""


def progress_bar(enabled: bool):
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn)
    return Progress(TextColumn("[bold]epoch"), MofNCompleteColumn(), BarColumn(),
                    TextColumn("{task.fields[stats]}"), TimeElapsedColumn(),
                    console=Console(stderr=True), disable=not enabled, transient=False)


def fmt(value: float, task: str) -> str:
    return f"{value:.4f}" if task == "regression" else f"{value:.1%}"


def run_epochs(spec: Spec, prepared: Prepared, runner, progress: bool = True,
               main: bool = True) -> dict:
    """Train ``spec.epochs`` epochs with ``runner``; returns the history (on the main process).

    ``main`` is False on the other ranks of a distributed run: they train but neither evaluate
    nor show progress (rank 0 does both, as a single process would).
    """
    n = len(prepared.train_idx)
    orders = epoch_orders(n, spec.seed)
    history = {"loss": [], "accuracy": [], "test_loss": [], "test_accuracy": []}
    metric = "R²" if prepared.task == "regression" else "acc"
    with progress_bar(progress and main) as bar, np.errstate(over="ignore", invalid="ignore",
                                                             divide="ignore"):  # checked instead
        task = bar.add_task("train", total=spec.epochs, stats="")
        for epoch in range(spec.epochs):
            runner.train_epoch(epoch, batches(next(orders), spec.batch_size or n))
            if not main:
                continue
            for key, split, labels in (("", "train", prepared.y_train),
                                       ("test_", "test", prepared.y_test)):
                value, value_score = float("nan"), float("nan")
                if len(labels):
                    value, out = runner.evaluate(split)
                    value_score = score(prepared.task, prepared.loss, out, labels)
                history[key + "loss"].append(value)
                if key == "":
                    check_epoch_loss(value, epoch, spec.lr)
                history[key + "accuracy"].append(value_score)
            stats = f"loss {history['loss'][-1]:.4f}  {metric} {fmt(history['accuracy'][-1], prepared.task)}"
            if len(prepared.test_idx):
                stats += f"  test {metric} {fmt(history['test_accuracy'][-1], prepared.task)}"
            bar.update(task, advance=1, stats=stats)
    return history

