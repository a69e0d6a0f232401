"""What ``glassnet train`` leaves behind and what ``glassnet predict`` reads back.

``TrainingRun`` is the result the CLI renders; ``save_checkpoint`` writes the trained weights as
safetensors with the architecture, class names and feature scaling in the metadata (the same
file whichever engine trained, one process or several), so ``predict`` can rebuild the model
from the file alone; ``plots`` draws the figures ``--plot`` asks for.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import glassnet as torch
import glassnet.nn as nn
from glassnet.data.csv_file import load_csv_arrays, read_features, read_header

from .config import Spec
from .guards import check_architecture, write_text_atomically
from .model import build_model, image_shape, model_channels, predictions, score
from .prepared import Prepared, csv_delimiter, load_data

METADATA_KEY = "glassnet.architecture"


@dataclass
class TrainingRun:
    """What ``fit`` found: the numbers the CLI prints and the files it wrote."""

    spec: Spec
    task: str
    loss: str
    architecture: str
    parameters: int
    n_train: int
    n_test: int
    history: dict
    final: dict
    seconds: float
    classes: list | None = None
    saved: str | None = None
    figures: list = field(default_factory=list)
    model: object = None


def architecture(spec: Spec, prepared: Prepared) -> dict:
    """What ``predict`` needs to rebuild the model and read new data (stored in the metadata)."""
    data = prepared.data
    shape = image_shape(spec)
    convolutions = {} if shape is None else {"model": spec.model, "image_shape": list(shape),
                                              "channels": list(model_channels(spec))}
    return {**convolutions, "in_features": int(prepared.X.shape[1]), "hidden": spec.hidden,
            "activation": spec.activation, "out_features": prepared.n_out, "loss": prepared.loss,
            "task": prepared.task, "classes": data.classes, "mean": prepared.mean.tolist(),
            "std": prepared.std.tolist(), "features": data.features, "target": data.target,
            "data": spec.data}


def save_checkpoint(model, path, arch: dict) -> None:
    """The model's ``state_dict`` as safetensors, ``arch`` in the metadata."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    from glassnet.serialization import save
    save(model.state_dict(), str(path), metadata={METADATA_KEY: json.dumps(arch)})


def plots(run: TrainingRun, model, prepared: Prepared) -> list:
    """The figures ``--plot`` asks for; returns the paths written."""
    return _plots(run, model, prepared.X_train, prepared.y_train, prepared.X_test, prepared.y_test,
                  prepared.task)


def _plots(run: TrainingRun, model, Xtr, ytr, Xte, yte, task) -> list:
    from glassnet import viz
    folder = Path(run.spec.plot)
    name = Path(run.spec.data).stem
    h = run.history
    written = viz.save(viz.history(h["loss"], None if task == "regression" else h["accuracy"],
                                   test_loss=h["test_loss"] if run.n_test else None,
                                   test_accuracy=h["test_accuracy"] if run.n_test and task != "regression"
                                   else None, title=f"{name}: {run.architecture}"),
                       folder / f"{name}_history")
    if Xtr.shape[1] == 2 and task == "binary":
        def probability(grid):
            with torch.no_grad():
                out = model(torch.tensor(grid)).numpy()
            return 1 / (1 + np.exp(-out[:, 0])) if out.shape[1] == 1 else \
                np.exp(out[:, 1]) / np.exp(out).sum(1)
        written += viz.save(viz.decision_boundary(probability, Xtr, ytr,
                                                  X_test=Xte if len(Xte) else None,
                                                  y_test=yte if len(yte) else None,
                                                  title=f"{name}: {run.architecture}"),
                            folder / f"{name}_boundary")
    if run.parameters <= 300:
        linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
        written += viz.save(viz.network_diagram([m.weight.detach().numpy() for m in linears],
                                                [m.bias.detach().numpy() for m in linears],
                                                title=f"{name}: trained weights"),
                            folder / f"{name}_network")
    return [str(p) for p in written]


# -- prediction ----------------------------------------------------------------------------------

def read_architecture(path) -> dict:
    """The architecture ``fit`` stored in a safetensors file's metadata, checked against the
    file's tensors (``guards.check_architecture``) before anything is allocated."""
    from safetensors import safe_open
    if not Path(path).is_file():
        raise ValueError(f"--model: no such file {str(path)!r}")
    try:
        with safe_open(str(path), framework="numpy") as f:
            meta = f.metadata() or {}
            shapes = {name: f.get_slice(name).get_shape() for name in f.keys()}
    except Exception as error:  # safetensors raises its own error type for damaged files
        raise ValueError(f"--model {path}: not a safetensors file ({error})") from None
    if METADATA_KEY not in meta:
        raise ValueError(f"--model {path}: no architecture in its metadata; save models with "
                         f"glassnet train --save")
    try:
        arch = json.loads(meta[METADATA_KEY])
    except (ValueError, RecursionError):
        raise ValueError(f"--model {path}: the architecture in its metadata is not valid JSON; "
                         f"save models with glassnet train --save") from None
    return check_architecture(arch, shapes, path)


def load_model(model_path):
    """(architecture, glassnet model with the saved weights) from a ``glassnet train --save`` file."""
    arch = read_architecture(model_path)
    model = build_model(arch["in_features"], arch["hidden"], arch["activation"], arch["out_features"],
                        arch.get("image_shape"), arch.get("channels", ()))
    try:
        model.load_state_dict(torch.load(str(model_path)))
    except (RuntimeError, TypeError) as error:  # e.g. a dtype the layers cannot take
        raise ValueError(f"--model {model_path}: {str(error).splitlines()[-1].strip()}") from None
    return arch, model


def predict(model_path, data: str, target: str | None = None, delimiter: str | None = None) -> dict:
    """Rebuild the saved model, predict on ``data``; score it when the answers are there."""
    arch, model = load_model(model_path)
    model.eval()
    X, labels = read_inputs(arch, data, target, delimiter)
    with torch.no_grad():
        out = model(torch.tensor(X)).numpy()
    pred = predictions(arch["task"], arch["loss"], out)
    result = {"architecture": arch, "predictions": pred, "outputs": out, "n": len(X), "score": None}
    if labels is not None:
        result["score"] = score(arch["task"], arch["loss"], out, labels)
    return result


def read_inputs(arch: dict, data: str, target: str | None = None, delimiter: str | None = None):
    """(features scaled as in training, labels or None) of ``data`` for a saved model."""
    labels = None
    if data.lower().endswith(".csv") and arch.get("features"):
        if not Path(data).is_file():
            raise ValueError(f"--data: no such file {data!r}")
        sep = csv_delimiter(data, delimiter)
        target = target or arch.get("target")
        if target in read_header(data, sep):
            X, y, classes = load_csv_arrays(data, target, features=arch["features"], delimiter=sep)
            labels = _relabel(y, classes, arch)
        else:
            X = read_features(data, arch["features"], sep)
    else:
        loaded = load_data(data, target, delimiter=delimiter, strict=False)
        X, labels = loaded.X, loaded.y
    if X.shape[1] != arch["in_features"]:
        raise ValueError(f"the model takes {arch['in_features']} features but {data!r} has "
                         f"{X.shape[1]}")
    X = ((X - np.asarray(arch["mean"])) / np.asarray(arch["std"])).astype(np.float32)
    return X, labels


def _relabel(y: np.ndarray, classes, arch) -> np.ndarray:
    """Labels of a CSV in the class numbering used at training time."""
    if arch["task"] == "regression":
        return y
    names = arch["classes"]
    if classes is not None:  # text labels: map by name
        unknown = sorted(set(classes) - set(names))
        if unknown:
            raise ValueError(f"the CSV has classes the model never saw: {unknown}")
        return np.array([names.index(classes[i]) for i in y.ravel()], dtype=np.int64)
    lookup = {float(n): i for i, n in enumerate(names)}
    try:
        return np.array([lookup[float(v)] for v in y.ravel()], dtype=np.int64)
    except KeyError as missing:
        raise ValueError(f"the CSV has a label the model never saw: {missing}") from None


def write_predictions(result: dict, path) -> None:
    """One row per sample: the prediction, and the class name when there are classes.

    The rows are built in memory and written atomically: a failure leaves no half-written file.
    """
    names = result["architecture"].get("classes")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["prediction"] + (["class"] if names else []))
    for p in result["predictions"]:
        writer.writerow([p] + ([names[int(p)]] if names else []))
    write_text_atomically(path, buffer.getvalue())
