"""The ``glassnet train`` recipe: an MLP on any data set, as a result object.

``fit(spec)`` prepares the data (``data``), builds the model (``model``), trains it with the
engine ``spec.engine`` chooses (``loop``: glassnet; ``torch_runner``: PyTorch, one process or
DistributedDataParallel over ``--nproc`` processes) and writes the outputs (``outputs``).
Like a lesson, nothing here prints except the progress bar; the CLI renders the result.
"""
from __future__ import annotations

import os
import time

import glassnet as torch

from .config import BUILTIN, Spec, resolve  # noqa: F401 - part of the API
from .guards import check_output_folder, check_outputs
from .data import Data, Prepared, load_data, prepare  # noqa: F401
from .loop import GlassnetRunner, run_epochs
from .model import build_model, predictions  # noqa: F401
from .outputs import (METADATA_KEY, TrainingRun, architecture, plots, predict,  # noqa: F401
                      read_architecture, save_checkpoint, write_predictions)


def initial_model(spec: Spec, prepared: Prepared):
    """The glassnet model every engine starts from: ``manual_seed(spec.seed)``, then the layers."""
    torch.manual_seed(spec.seed)
    return build_model(prepared.X.shape[1], spec.hidden, spec.activation, prepared.n_out)


def train_glassnet(spec: Spec, prepared: Prepared, progress: bool = True, dtype: str = "float32",
                   trace=None):
    """(trained glassnet model, history, tracer or None) with glassnet's engine (float64 for
    exact comparisons); ``trace``: a folder for ``glassnet.explain.trace`` (see ``fit``)."""
    model = initial_model(spec, prepared)
    runner = GlassnetRunner(spec, prepared, model.double() if dtype == "float64" else model)
    tracer = _start_trace(trace, runner.model, runner.optimizer)
    try:
        history = run_epochs(spec, prepared, runner, progress)
    except BaseException:
        if tracer is not None:
            tracer.__exit__(None, None, None)
        raise
    return runner.model, history, tracer


def fit(spec: Spec, progress: bool = True, trace=None) -> TrainingRun | None:
    """Train the MLP described by ``spec``; write the model and figures it asks for.

    ``trace``: a folder; ``glassnet.explain.trace`` then follows the whole run (every
    ``TRACE_EVERY``-th step) and writes trace.json, trace.png and trace.svg there (glassnet's
    engine).  Returns None in a distributed run's processes other than rank 0 (rank 0 reports).
    """
    start = time.perf_counter()
    check_outputs(spec)  # a bad --save/--plot path fails now, not after training
    if trace:
        check_output_folder(trace, "--trace")
    if trace and spec.engine == "torch":
        raise ValueError("--trace follows glassnet's engine; drop --engine torch (or --trace)")
    prepared = prepare(spec)
    tracer = None
    if spec.engine == "torch":
        if os.environ.get("TORCHELASTIC_RUN_ID") and os.environ.get("LOCAL_WORLD_SIZE"):
            local, world = int(os.environ["LOCAL_WORLD_SIZE"]), int(os.environ["WORLD_SIZE"])
            spec.nproc, spec.nnodes = local, max(1, world // local)   # torchrun decides these
        try:
            from .torch_runner import train_torch
        except ImportError as error:
            raise ValueError(f"--engine torch needs PyTorch ({error}); pip install torch") from None
        trained = train_torch(spec, prepared, progress)
        if trained is None:
            return None
        model, history = trained
    else:
        model, history, tracer = train_glassnet(spec, prepared, progress, trace=trace)
    run = finish(spec, prepared, model, history, start)
    if tracer is not None:
        tracer.__exit__(None, None, None)
        run.figures = list(run.figures) + tracer.save(trace)
        run.seconds = time.perf_counter() - start
    return run


TRACE_EVERY = 10


def _start_trace(folder, model, optimizer):
    """``glassnet train --trace FOLDER``: an entered ``explain.trace`` (None without a folder)."""
    if not folder:
        return None
    from glassnet.explain import trace
    return trace(model, optimizer, every=TRACE_EVERY).__enter__()


def write_outputs(run: TrainingRun, model, prepared: Prepared) -> None:
    """``--plot`` and ``--save``, all or nothing: the figures are drawn into a staging folder
    first (drawing is what can fail), then the checkpoint is written atomically, then the
    figures are moved into place."""
    spec = run.spec
    if not spec.plot:
        if spec.save:
            save_checkpoint(model, spec.save, architecture(spec, prepared))
            run.saved = spec.save
        return
    import shutil
    import tempfile
    from dataclasses import replace
    from pathlib import Path
    staging = Path(tempfile.mkdtemp(prefix="glassnet-plot-"))
    try:
        staged = replace(run, spec=replace(spec, plot=str(staging)))
        drawn = plots(staged, model, prepared)
        if spec.save:
            save_checkpoint(model, spec.save, architecture(spec, prepared))
            run.saved = spec.save
        folder = Path(spec.plot)
        folder.mkdir(parents=True, exist_ok=True)
        for path in drawn:
            target = folder / Path(path).relative_to(staging)
            shutil.move(path, target)
            run.figures.append(str(target))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def finish(spec: Spec, prepared: Prepared, model, history: dict, start: float) -> TrainingRun:
    """The ``TrainingRun`` of a trained glassnet model, after writing ``--save`` and ``--plot``."""
    final = {k: v[-1] for k, v in history.items()}
    run = TrainingRun(spec=spec, task=prepared.task, loss=prepared.loss,
                      architecture="-".join(map(str, [prepared.X.shape[1], *spec.hidden,
                                                      prepared.n_out])),
                      parameters=sum(p.numel() for p in model.parameters()),
                      n_train=len(prepared.train_idx), n_test=len(prepared.test_idx),
                      history=history, final=final, seconds=0.0, classes=prepared.data.classes,
                      model=model)
    write_outputs(run, model, prepared)
    run.seconds = time.perf_counter() - start
    return run
