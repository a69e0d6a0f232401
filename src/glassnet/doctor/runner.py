"""The three ways in: ``check(model, data, loss_fn)``, a ``glassnet train`` spec, and a script.

``diagnose_script`` runs an unmodified PyTorch (or glassnet) script under observation until its
``max_steps``-th optimizer step (then stops it) or its end, with its output captured, and
reports.  torch is imported here only when the script or the model is a torch one.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import runpy
import sys
import time
import traceback

import numpy as np

from ..observe import StepLimitReached, TorchObserver
from . import checks_loop, checks_sequence, checks_setup, checks_training
from .engine_observe import GlassnetObserver
from .observed import Observed, Thresholds
from .probe import probe_glassnet, probe_torch
from .report import Report

CHECKS = checks_setup.CHECKS + checks_training.CHECKS + checks_loop.CHECKS + checks_sequence.CHECKS
CHECK_IDS = ("loss-activation-mismatch", "labels-vs-loss", "initial-loss", "unscaled-input", "nan",
             "lr-too-high", "lr-too-low-or-stalled", "optimizers-take-turns", "no-training", "missing-zero-grad",
             "param-not-in-optimizer", "frozen", "dead-relu", "saturation", "vanishing-gradient",
             "exploding-gradient", "eval-mode", "train-in-eval-mode", "batchnorm-batch-of-one",
             "unshuffled-data", "clip-after-step", "label-imbalance", "overfit-one-batch",
             "noise-limited", "script-error", "hidden-not-detached", "causal-mask-missing",
             "target-not-shifted", "rnn-batch-first", "attention-unscaled", "padding-last-step",
             "padding-mask-inverted", "view-instead-of-permute", "augmentation-target-mismatch")
_TORCH_IMPORT = re.compile(r"^\s*(import|from)\s+torch\b", re.M)


def run_checks(observed: Observed, thresholds: Thresholds | None = None) -> list:
    th = thresholds or Thresholds()
    return [f for check in CHECKS for f in check(observed, th)]


def _observed(seen, engine, **extra) -> Observed:
    trailing = seen.current if not seen.current.empty else None
    measured = [s for s in seen.steps if s.params]
    return Observed(steps=seen.steps, trailing=trailing, backward_calls=seen.backward_calls,
                    grad_calls=getattr(seen, "grad_calls", 0),
                    engine=engine, param_order=list(measured[0].params) if measured else [],
                    batches=getattr(seen, "batches", {}), **extra)


def _labels(target: np.ndarray, kind: str):
    """Class labels from a classification target, or None (regression, soft labels)."""
    t = np.asarray(target)
    if kind in ("cross_entropy", "nll_loss") and t.dtype.kind in "iu" and t.ndim == 1:
        return t
    if kind.startswith("binary_cross_entropy") and np.all((t == 0) | (t == 1)):
        return t.reshape(len(t), -1)[:, 0].astype(int) if t.ndim > 1 else t.astype(int)
    return None


def _batches_data(batches: dict, kind: str | None):
    """(X, labels) from the kept batches of a classification run, for the noise-limited check."""
    if kind is None:
        return None
    xs, ys = [], []
    for b in batches.values():
        if "input" in b and "target" in b and len(b["input"]) == len(b["target"]) and \
                (not xs or b["input"].shape[1:] == xs[0].shape[1:]):   # padded batches differ
            labels = _labels(b["target"], kind)
            if labels is None:
                return None
            xs.append(b["input"])
            ys.append(labels)
    if not xs:
        return None
    X, y = np.concatenate(xs), np.concatenate(ys)
    _, first = np.unique(X.reshape(len(X), -1), axis=0, return_index=True)  # full-batch repeats
    return X[np.sort(first)], y[np.sort(first)]


def _first_loss(observed: Observed):
    calls = observed.loss_calls()
    return calls[0].kind if calls else None


def _error(exc: BaseException, path: str | None, step: int) -> dict:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if path is not None and os.path.abspath(frame.filename) == path:
            line = frame.lineno
    message = " ".join(str(exc).split()) or type(exc).__name__
    return {"type": type(exc).__name__, "message": message[:300], "line": line, "step": step}


def diagnose_script(path, steps: int | None = 200, args=(), probe: bool = False,
                    thresholds: Thresholds | None = None, threads: int | None = None) -> Report:
    """Run ``path`` for at most ``steps`` training steps under observation (``None``: the whole
    run, measured in full for the first 20 steps and then at every 5th); report."""
    path = os.path.abspath(str(path))
    if not os.path.isfile(path):
        raise ValueError(f"no such script {path!r}")
    if steps is not None and steps < 1:
        raise ValueError(f"--steps must be at least 1 or 'all'; got {steps}")
    with open(path, encoding="utf-8") as f:
        source = f.read()
    engine = "torch" if _TORCH_IMPORT.search(source) else "glassnet"
    if engine == "torch":
        try:
            import torch
        except ImportError:
            raise ValueError(f"{path} imports torch, which is not installed; pip install torch") from None
        if threads:
            torch.set_num_threads(threads)
        seen = TorchObserver(max_steps=steps, source=path, keep_batches=20)
    else:
        seen = GlassnetObserver(max_steps=steps, keep_batches=20, source=path)
    buffer, error, stopped = io.StringIO(), None, False
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [path, *args]
    sys.path.insert(0, os.path.dirname(path))
    os.environ.setdefault("MPLBACKEND", "Agg")
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer), seen, \
                np.errstate(all="ignore"):
            runpy.run_path(path, run_name="__main__")
    except StepLimitReached:
        stopped = True
    except SystemExit as exc:
        if exc.code not in (0, None):
            error = {"type": "SystemExit", "message": f"exit status {exc.code}", "line": None,
                     "step": len(seen.steps)}
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # the script's own error becomes a finding
        error = _error(exc, path, len(seen.steps))
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
    seconds = time.perf_counter() - start
    observed = _observed(seen, engine, error=error)
    kind = _first_loss(observed)
    observed.data = _batches_data(seen.batches, kind)
    if probe:
        observed.probe = _script_probe(seen, kind, engine, thresholds or Thresholds())
    tail = "\n".join(buffer.getvalue().splitlines()[-20:])
    return Report(run_checks(observed, thresholds), len(seen.steps), os.path.basename(path), engine,
                  stopped, seconds, checks_run(observed), tail)


def checks_run(observed: Observed) -> list:
    """The check ids that could run on this observation (the probe and kNN need their inputs)."""
    skip = set()
    if not observed.probe or observed.probe.get("skipped"):
        skip.add("overfit-one-batch")
    if observed.data is None:
        skip.add("noise-limited")
    if observed.optimizers_take_turns:
        skip |= {"lr-too-low-or-stalled"}   # (lr-too-high judges only a loss that blew up)
    else:
        skip.add("optimizers-take-turns")
    if observed.drives_loop:
        skip |= {"no-training", "missing-zero-grad", "eval-mode", "train-in-eval-mode",
                 "batchnorm-batch-of-one", "clip-after-step", "script-error", "hidden-not-detached"}
    return [c for c in CHECK_IDS if c not in skip]


def _script_probe(seen, kind, engine, th) -> dict:
    roots = [r for r in seen.roots if any(True for _ in r.parameters())]
    batch = next((b for b in seen.batches.values() if "input" in b and "target" in b), None)
    if not roots or batch is None or kind is None:
        return {"skipped": "no model, batch or loss seen"}
    run = probe_torch if engine == "torch" else probe_glassnet
    try:
        return run(roots[0], batch["input"], batch["target"], kind, th.probe_examples, th.probe_steps)
    except Exception as exc:  # a probe that cannot run says so; it is not a finding
        return {"skipped": f"{type(exc).__name__}: {exc}"}
