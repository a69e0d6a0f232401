"""The training loop, engine-neutral, and the glassnet runner it drives.

``run_epochs`` owns what every engine shares: the order of the samples (``epoch_orders``), the
mini-batches, the evaluation after each epoch, the history and the progress bar.  A *runner*
owns the engine: it trains one epoch on given batches of training-set positions and returns the
raw outputs and the loss on a split.  ``GlassnetRunner`` is glassnet's: the prepared NumPy arrays
are indexed with a batch's positions and become tensors there, once per batch (the only place
the data changes type); ``train_glassnet`` builds the model and runs the epochs, with ``--trace``
inside one ``with`` block of ``glassnet.explain.trace``.  The torch runner (one process or
DistributedDataParallel) lives in ``torch_runner``, above this module.
"""
from __future__ import annotations

import contextlib

import numpy as np

import glassnet as torch
from glassnet.data.loader import batches, epoch_orders

from .config import Spec
from .divergence import Watch, check_epoch_loss
from .model import criterion, initial_model, optimizer_class, score
from .prepared import Prepared

TRACE_EVERY = 10   # --trace samples every TRACE_EVERY-th step


class TrainingError(RuntimeError):
    """A run that could not finish (e.g. a distributed worker died); the message is one line."""


class GlassnetRunner:
    """Trains a glassnet model on the prepared arrays."""

    def __init__(self, spec: Spec, prepared: Prepared, model):
        self.model = model
        self.optimizer = optimizer_class(spec.optimizer)(model.parameters(), lr=spec.lr)
        self.criterion = criterion(prepared.task, prepared.loss)
        self.lr = spec.lr
        self.watch = Watch(model)  # stops at the first non-finite loss, naming the op that began it
        dtype = next(model.parameters()).dtype   # float32, or float64 when the model is
        cast = (lambda a: a.astype(dtype.np)) if dtype != torch.float32 else (lambda a: a)
        targets = {s: getattr(prepared, f"t_{s}") for s in ("train", "test")}
        targets = {s: cast(t) if t.dtype.kind == "f" else t for s, t in targets.items()}
        self.train_arrays = (cast(prepared.X_train), targets["train"])
        self.splits = {s: (torch.tensor(cast(getattr(prepared, f"X_{s}"))), torch.tensor(targets[s]))
                       for s in ("train", "test")}

    def train_epoch(self, epoch: int, steps: list) -> None:
        X, t = self.train_arrays
        self.model.train()
        for step, idx in enumerate(steps):
            xb, tb = torch.tensor(X[idx]), torch.tensor(t[idx])   # the batch: NumPy → tensor, once
            compute = lambda: self.criterion(self.model(xb), tb)  # noqa: E731 - replayed on a NaN
            self.watch.begin(epoch, step)
            self.optimizer.zero_grad()
            loss = compute()
            self.watch.check_loss(loss.item(), compute, self.lr)
            loss.backward()
            self.watch.check_gradients(compute)
            self.optimizer.step()

    def evaluate(self, split: str):
        """(loss, outputs as NumPy) on ``"train"`` or ``"test"``, without gradients."""
        X, t = self.splits[split]
        self.model.eval()
        with torch.no_grad():
            out = self.model(X)
            return self.criterion(out, t).item(), out.numpy()


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


def _followed(folder, runner):
    """``--trace FOLDER``: ``glassnet.explain.trace`` of the runner's model and optimizer (a
    context manager); with no folder, one that follows nothing and gives None."""
    if not folder:
        return contextlib.nullcontext()
    from glassnet.explain import trace
    return trace(runner.model, runner.optimizer, every=TRACE_EVERY)


def train_glassnet(spec: Spec, prepared: Prepared, progress: bool = True, dtype: str = "float32",
                   trace=None):
    """(trained glassnet model, history, finished trace or None) with glassnet's engine (float64
    for exact comparisons).

    ``trace``: a folder; the epochs then run inside ``glassnet.explain.trace``'s block, which is
    left when they end (or fail); ``fit`` saves the trace after the other outputs.
    """
    model = initial_model(spec, prepared)
    runner = GlassnetRunner(spec, prepared, model.double() if dtype == "float64" else model)
    with _followed(trace, runner) as tracer:
        history = run_epochs(spec, prepared, runner, progress)
    return runner.model, history, tracer
