"""The ``glassnet train`` recipe: an MLP on any data set (or a LeNet on images), as a result object.

``fit(spec)`` prepares the data (``data``), trains the model with the engine ``spec.engine``
chooses (``loop``: glassnet's runner; or PyTorch: ``torch_runner`` in one process, ``distributed`` for
DistributedDataParallel over ``--nproc`` processes or as one of torchrun's workers) and writes
the outputs (``outputs``).  It sits on top of the package: nothing in ``training`` imports it.
Like a lesson, nothing here prints except the progress bar; the CLI renders the result.
"""
from __future__ import annotations

import time

from .config import Spec
from .guards import check_output_folder, check_outputs
from .loop import train_glassnet
from .model import describe, image_shape, initial_model, model_channels
from .outputs import TrainingRun, architecture, plots, save_checkpoint
from .prepared import Prepared, prepare


def train_torch(spec: Spec, prepared: Prepared, progress: bool = True, dtype: str = "float32"):
    """(trained glassnet model, history) with PyTorch, or None on a distributed run's ranks
    other than 0: one of torchrun's workers (``spec.rank``), ``--nproc``/``--nnodes`` processes
    started here, or this process alone."""
    try:
        from . import distributed, torch_runner
    except ImportError as error:
        raise ValueError(f"--engine torch needs PyTorch ({error}); pip install torch") from None
    if spec.rank is not None:
        result = distributed.worker(spec, progress, dtype)
    elif spec.nproc > 1 or spec.nnodes > 1:
        result = distributed.launch(spec, progress, dtype)
    else:
        result = torch_runner.train_state(spec, prepared, progress, dtype)
    if result is None:
        return None
    state, history = result
    model = initial_model(spec, prepared)
    if dtype == "float64":
        model = model.double()
    model.load_state_dict(state)
    return model, history


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
        trained = train_torch(spec, prepared, progress)
        if trained is None:
            return None
        model, history = trained
    else:
        model, history, tracer = train_glassnet(spec, prepared, progress, trace=trace)
    run = finish(spec, prepared, model, history, start)
    if tracer is not None:
        run.figures = list(run.figures) + tracer.save(trace)
        run.seconds = time.perf_counter() - start
    return run


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
                      architecture=describe(prepared.X.shape[1], spec.hidden, prepared.n_out,
                                            image_shape(spec), model_channels(spec)),
                      parameters=sum(p.numel() for p in model.parameters()),
                      n_train=len(prepared.train_idx), n_test=len(prepared.test_idx),
                      history=history, final=final, seconds=0.0, classes=prepared.data.classes,
                      model=model)
    write_outputs(run, model, prepared)
    run.seconds = time.perf_counter() - start
    return run
