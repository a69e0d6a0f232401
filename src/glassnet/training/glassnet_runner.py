"""``glassnet train`` on glassnet's own engine: the runner ``loop.run_epochs`` drives, and the run.

``GlassnetRunner`` trains one epoch on given batches of training-set positions: the prepared
NumPy arrays are indexed with a batch's positions and become tensors there, once per batch
(the only place the data changes type).  ``train_glassnet`` builds the model, and with
``--trace`` follows the whole run with ``glassnet.explain.trace`` inside one ``with`` block.
"""
from __future__ import annotations

import contextlib

import glassnet as torch

from .config import Spec
from .divergence import Watch
from .loop import run_epochs
from .model import criterion, initial_model, optimizer_class
from .prepared import Prepared

TRACE_EVERY = 10   # --trace samples every TRACE_EVERY-th step


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
