"""``doctor.check(model, data, loss_fn, optimizer=None)`` and the ``glassnet doctor --data`` way in.

``check`` trains a deep copy of the model (with a copy of the optimizer, or Adam at 1e-3) for
``steps`` steps on the data under observation, runs every check, and by default the
overfit-one-batch probe; the model, optimizer and random state given are left as they were.
"""
from __future__ import annotations

import copy
import itertools
import time

import numpy as np

import glassnet

from ..observe import TorchObserver
from ..random import default_generator
from .checks_setup import check_noise_limited
from .engine_observe import GlassnetObserver
from .observed import Observed, Thresholds
from .probe import probe_glassnet, probe_torch
from .report import Report
from .runner import _batches_data, _first_loss, _labels, _observed, checks_run, run_checks


def _is_torch(model) -> bool:
    return any(c.__module__.startswith("torch.") for c in type(model).__mro__)


def _copy_optimizer(optimizer, original, clone, engine):
    params = dict(zip(map(id, original.parameters()), clone.parameters()))
    if optimizer is None:
        if engine == "torch":
            import torch
            return torch.optim.Adam(clone.parameters(), lr=1e-3)
        return glassnet.optim.Adam(clone.parameters(), lr=1e-3)
    groups = [{**{k: v for k, v in g.items() if k != "params"},
               "params": [params[id(p)] for p in g["params"] if id(p) in params]}
              for g in optimizer.param_groups]
    return type(optimizer)(groups)


def _batches(data, engine):
    """``(X, y)`` (one full batch, repeated) or an iterable of ``(xb, yb)`` batches, cycled."""
    if isinstance(data, tuple) and len(data) == 2 and hasattr(data[0], "shape"):
        return itertools.repeat(data), data
    batches = list(data)
    if not batches:
        raise ValueError("data holds no batches; pass (X, y) or a non-empty DataLoader")
    return itertools.cycle(batches), None


def _numpy(t):
    if hasattr(t, "detach"):
        t = t.detach()
        return t.cpu().numpy() if hasattr(t, "cpu") else t.numpy()
    return np.asarray(t)


def check(model, data, loss_fn, optimizer=None, *, steps: int = 100, probe: bool = True,
          thresholds: Thresholds | None = None) -> Report:
    """Diagnose a glassnet or torch model on ``data`` with ``loss_fn``.

    Parameters
    ----------
    model : glassnet.nn.Module or torch.nn.Module
        Not modified: a deep copy is trained.
    data : (X, y) or iterable of (xb, yb)
        Tensors of the model's engine.
    loss_fn : callable
        ``loss_fn(model(x), y)``, e.g. ``nn.BCEWithLogitsLoss()``.
    optimizer : optimizer or None
        Copied (class and hyperparameters) onto the copy's parameters; None: Adam, lr 1e-3.
    steps : int
        Training steps to observe.
    probe : bool
        Also run the overfit-one-batch probe on another fresh copy.

    Returns
    -------
    Report
        ``print(report.to_text())``, ``report.to_markdown()``, ``report.to_json()``; shows itself
        in Jupyter.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1; got {steps}")
    th = thresholds or Thresholds()
    engine = "torch" if _is_torch(model) else "glassnet"
    if engine == "torch":
        import torch
        state = torch.random.get_rng_state()
        seen = TorchObserver(dense=steps, keep_batches=20)
    else:
        state = default_generator.get_state()
        seen = GlassnetObserver(keep_batches=20)
    clone = copy.deepcopy(model)
    opt = _copy_optimizer(optimizer, model, clone, engine)
    stream, full = _batches(data, engine)
    start = time.perf_counter()
    error = None
    try:
        with seen, np.errstate(all="ignore"):        # overflow is reported as a finding instead
            clone.train()
            for _, (xb, yb) in zip(range(steps), stream):
                opt.zero_grad()
                loss = loss_fn(clone(xb), yb)
                loss.backward()
                opt.step()
    except Exception as exc:  # e.g. a target out of range: reported with what was seen up to it
        error = {"type": type(exc).__name__, "message": " ".join(str(exc).split())[:300],
                 "line": None, "step": len(seen.steps)}
    finally:
        if engine == "torch":
            torch.random.set_rng_state(state)
        else:
            default_generator.set_state(state)
    observed = _observed(seen, engine, drives_loop=True, error=error)
    kind = _first_loss(observed)
    if full is not None and kind is not None:
        labels = _labels(_numpy(full[1]), kind)
        observed.data = None if labels is None else (_numpy(full[0]), labels)
    else:
        observed.data = _batches_data(seen.batches, kind)
    if probe and error is None:
        observed.probe = _probe(model, seen, kind, engine, loss_fn, th)
    return Report(run_checks(observed, th), len(seen.steps), type(model).__name__, engine, False,
                  time.perf_counter() - start, checks_run(observed))


def _probe(model, seen, kind, engine, loss_fn, th) -> dict:
    batch = next((b for b in seen.batches.values() if "input" in b and "target" in b), None)
    if batch is None:
        return {"skipped": "no batch seen"}
    run = probe_torch if engine == "torch" else probe_glassnet
    try:
        return run(model, batch["input"], batch["target"], loss_fn, th.probe_examples, th.probe_steps)
    except Exception as exc:
        return {"skipped": f"{type(exc).__name__}: {exc}"}


def diagnose_spec(spec, steps: int = 200, probe: bool = True,
                  thresholds: Thresholds | None = None) -> Report:
    """The ``glassnet train`` recipe for ``spec`` (data, model, loss, optimizer), diagnosed."""
    from ..training.prepared import prepare      # the train pipeline loads only for this way in
    from ..training.model import build_model, criterion, optimizer_class
    prepared = prepare(spec)                  # the split and scaling glassnet train uses
    X, train_idx, n_out = prepared.X, prepared.train_idx, prepared.n_out
    Xtr, ttr = glassnet.tensor(prepared.X_train), glassnet.tensor(prepared.t_train)
    glassnet.manual_seed(spec.seed)
    model = build_model(X.shape[1], spec.hidden, spec.activation, n_out)
    optimizer = optimizer_class(spec.optimizer)(model.parameters(), lr=spec.lr)
    batch = spec.batch_size or len(train_idx)
    if batch >= len(train_idx):
        data_arg = (Xtr, ttr)
    else:
        data_arg = glassnet.data.DataLoader(glassnet.data.TensorDataset(Xtr, ttr), batch_size=batch,
                                            shuffle=True,
                                            generator=glassnet.Generator().manual_seed(spec.seed))
    report = check(model, data_arg, criterion(prepared.task, prepared.loss), optimizer, steps=steps,
                   probe=probe, thresholds=thresholds)
    report.source = f"--data {spec.data} ({'-'.join(map(str, [X.shape[1], *spec.hidden, n_out]))}, " \
                    f"{spec.optimizer} lr {spec.lr:g})"
    if prepared.task != "regression":  # the kNN baseline sees every training point, not a batch
        th = thresholds or Thresholds()
        observed = Observed([], data=(X[train_idx], np.asarray(prepared.y_train).ravel()))
        report.findings = [f for f in report.findings if f.id != "noise-limited"]
        report.findings += check_noise_limited(observed, th)
        report.__post_init__()
        if "noise-limited" not in report.checks_run:
            report.checks_run.append("noise-limited")
    return report
