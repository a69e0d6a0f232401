"""The ``glassnet train`` / ``glassnet predict`` recipe: an MLP on any data set, as a result object.

``fit(spec)`` loads the data, splits it, trains ``Linear → activation → ... → Linear`` with the
chosen loss and optimizer, and returns a ``TrainingRun`` (history, final train/test numbers,
figure paths).  ``--save`` stores the architecture, the class names and the feature scaling in
the safetensors metadata, so ``predict`` can rebuild the model from the file alone.  Like a
lesson, nothing here prints except the progress bar; the CLI renders the result.
"""
from __future__ import annotations

import csv
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import glassnet as torch
import glassnet.nn as nn
from glassnet import datasets

from .config import BUILTIN, Spec, resolve  # noqa: F401 - resolve is part of the API

METADATA_KEY = "glassnet.architecture"
STANDARDIZED = {"digits", "iris", "breast-cancer", "wine", "csv"}
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


@dataclass
class Data:
    """Features as float32, labels as given, and what kind of task they make."""

    X: np.ndarray
    y: np.ndarray
    task: str                      # "binary", "multiclass" or "regression"
    classes: list | None = None    # class names, index i ↔ class i
    features: list | None = None   # CSV feature column names
    target: str | None = None      # CSV target column name


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


# -- data ----------------------------------------------------------------------------------------

def _csv_header(path: str) -> list:
    with open(path, newline="", encoding="utf-8-sig") as f:
        header = next(csv.reader(f), None)
    if not header:
        raise ValueError(f"{path} is empty; expected a header row naming the columns")
    return [name.strip() for name in header]


def _task_of(y: np.ndarray, classes):
    """Infer the task from the labels; returns (task, labels, class names)."""
    if y.dtype.kind in "iu":
        classes = classes or [str(c) for c in range(int(y.max()) + 1)]
        if len(classes) == 2:
            return "binary", y.astype(np.float32).reshape(-1, 1), classes
        return "multiclass", y.astype(np.int64).ravel(), classes
    values = np.unique(y)
    if set(values.tolist()) <= {0.0, 1.0}:
        return "binary", y.astype(np.float32).reshape(-1, 1), ["0", "1"]
    if np.all(values == np.round(values)) and len(values) <= 20:
        index = {v: i for i, v in enumerate(values.tolist())}
        labels = np.array([index[v] for v in y.ravel().tolist()], dtype=np.int64)
        return "multiclass", labels, [f"{v:g}" for v in values.tolist()]
    return "regression", y.astype(np.float32).reshape(-1, 1), None


def load_data(name: str, target: str | None = None) -> Data:
    """A built-in data set by CLI name, or a CSV file (target: the last column by default)."""
    if name.lower().endswith(".csv"):
        if not Path(name).is_file():
            raise ValueError(f"--data: no such file {name!r}")
        header = _csv_header(name)
        target = target or header[-1]
        X, y, classes = datasets.load_csv(name, target, return_classes=True)
        task, labels, classes = _task_of(y.numpy(), classes)
        return Data(X.numpy(), labels, task, classes, [h for h in header if h != target], target)
    if name not in BUILTIN:
        raise ValueError(f"--data must be one of {', '.join(BUILTIN)} or a .csv file; got {name!r}")
    X, y = datasets.load(BUILTIN[name])
    task, labels, classes = _task_of(y.numpy(), None)
    return Data(X.numpy().astype(np.float32), labels, task, classes)


def _split(n: int, test_size: float, seed: int):
    order = torch.Generator().manual_seed(seed).permutation(n)
    n_test = int(round(n * test_size))
    if test_size > 0 and n_test == 0:
        n_test = 1
    if n_test >= n:
        raise ValueError(f"--test-size {test_size} leaves no training samples out of {n}")
    return order[n_test:], order[:n_test]


# -- model, loss, predictions -------------------------------------------------------------------

def default_loss(task: str) -> str:
    return {"binary": "bce-logits", "multiclass": "cross-entropy", "regression": "mse"}[task]


def _check_loss(task: str, loss: str, n_classes: int) -> int:
    """The number of outputs for this task and loss, or a ValueError for a mismatch."""
    if task == "regression" and loss != "mse":
        raise ValueError(f"--loss {loss} needs class labels, but the target is a continuous number; "
                         f"use --loss mse")
    if task == "multiclass" and loss == "bce-logits":
        raise ValueError(f"--loss bce-logits is for two classes; this data has {n_classes}; "
                         f"use --loss cross-entropy")
    if task == "binary":
        return 2 if loss == "cross-entropy" else 1
    return n_classes if task == "multiclass" else 1


def build_model(in_features: int, hidden: list, activation: str, out_features: int):
    layers, width = [], in_features
    for size in hidden:
        layers += [nn.Linear(width, size), ACTIVATIONS[activation]()]
        width = size
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)


def _targets(task: str, loss: str, y: np.ndarray, n_out: int):
    if loss == "cross-entropy":
        return torch.tensor(y.ravel().astype(np.int64))
    if loss == "mse" and task == "multiclass":
        return torch.tensor(np.eye(n_out, dtype=np.float32)[y])
    return torch.tensor(y.astype(np.float32).reshape(-1, 1))


def _criterion(task: str, loss: str):
    if loss == "bce-logits":
        return nn.BCEWithLogitsLoss()
    if loss == "cross-entropy":
        return nn.CrossEntropyLoss()
    squash = {"binary": torch.sigmoid, "multiclass": lambda z: z.softmax(dim=1)}.get(task)
    mse = nn.MSELoss()
    return (lambda out, t: mse(squash(out), t)) if squash else mse


def predictions(task: str, loss: str, out: np.ndarray) -> np.ndarray:
    """Class indices (classification) or values (regression) from raw outputs."""
    if task == "regression":
        return out.ravel()
    if out.shape[1] == 1:
        return (out.ravel() > 0).astype(np.int64)   # logit > 0 ⇔ σ(logit) > 0.5
    return out.argmax(axis=1)


def _score(task: str, loss: str, out: np.ndarray, y: np.ndarray) -> float:
    """Accuracy for classification, R² for regression."""
    pred = predictions(task, loss, out)
    truth = y.ravel()
    if task == "regression":
        spread = float(np.sum((truth - truth.mean()) ** 2)) or 1.0
        return 1.0 - float(np.sum((truth - pred) ** 2)) / spread
    return float(np.mean(pred == truth.astype(np.int64)))


# -- training ------------------------------------------------------------------------------------

def _progress(enabled: bool, epochs: int):
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn)
    return Progress(TextColumn("[bold]epoch"), MofNCompleteColumn(), BarColumn(),
                    TextColumn("{task.fields[stats]}"), TimeElapsedColumn(),
                    console=Console(stderr=True), disable=not enabled, transient=False)


def fit(spec: Spec, progress: bool = True, trace=None) -> TrainingRun:
    """Train the MLP described by ``spec``; write the model and figures it asks for.

    ``trace``: a folder; ``glassnet.explain.trace`` then follows the whole run (every
    ``TRACE_EVERY``-th step) and writes trace.json, trace.png and trace.svg there.
    """
    start = time.perf_counter()
    data = load_data(spec.data, spec.target)
    kind = "csv" if spec.data.lower().endswith(".csv") else spec.data
    loss_name = spec.loss or default_loss(data.task)
    n_classes = len(data.classes or [])
    n_out = _check_loss(data.task, loss_name, n_classes)
    train_idx, test_idx = _split(len(data.X), spec.test_size, spec.seed)
    mean = data.X[train_idx].mean(0) if kind in STANDARDIZED else np.zeros(data.X.shape[1])
    std = data.X[train_idx].std(0) if kind in STANDARDIZED else np.ones(data.X.shape[1])
    std = np.where(std > 0, std, 1.0)
    X = ((data.X - mean) / std).astype(np.float32)
    Xtr, Xte = torch.tensor(X[train_idx]), torch.tensor(X[test_idx])
    ytr, yte = data.y[train_idx], data.y[test_idx]
    ttr, tte = _targets(data.task, loss_name, ytr, n_out), _targets(data.task, loss_name, yte, n_out)

    torch.manual_seed(spec.seed)
    model = build_model(X.shape[1], spec.hidden, spec.activation, n_out)
    optimizer = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
                 "rmsprop": torch.optim.RMSprop}[spec.optimizer](model.parameters(), lr=spec.lr)
    criterion = _criterion(data.task, loss_name)
    batch = spec.batch_size or len(train_idx)
    loader = torch.data.DataLoader(torch.data.TensorDataset(Xtr, ttr), batch_size=batch, shuffle=True,
                                   generator=torch.Generator().manual_seed(spec.seed))
    history = {"loss": [], "accuracy": [], "test_loss": [], "test_accuracy": []}
    tracer = _start_trace(trace, model, optimizer)

    def evaluate(Xs, ts, ys):
        if len(ys) == 0:
            return float("nan"), float("nan")
        with torch.no_grad():
            out = model(Xs)
            return criterion(out, ts).item(), _score(data.task, loss_name, out.numpy(), ys)

    with _progress(progress, spec.epochs) as bar:
        task = bar.add_task("train", total=spec.epochs, stats="")
        for _ in range(spec.epochs):
            model.train()
            for xb, tb in loader:
                optimizer.zero_grad()
                loss = criterion(model(xb), tb)
                loss.backward()
                optimizer.step()
            model.eval()
            for key, (value, score) in (("", evaluate(Xtr, ttr, ytr)), ("test_", evaluate(Xte, tte, yte))):
                history[key + "loss"].append(value)
                history[key + "accuracy"].append(score)
            metric = "R²" if data.task == "regression" else "acc"
            stats = f"loss {history['loss'][-1]:.4f}  {metric} {_fmt(history['accuracy'][-1], data.task)}"
            if len(test_idx):
                stats += f"  test {metric} {_fmt(history['test_accuracy'][-1], data.task)}"
            bar.update(task, advance=1, stats=stats)

    final = {k: v[-1] for k, v in history.items()}
    arch = {"in_features": int(X.shape[1]), "hidden": spec.hidden, "activation": spec.activation,
            "out_features": n_out, "loss": loss_name, "task": data.task, "classes": data.classes,
            "mean": mean.tolist(), "std": std.tolist(), "features": data.features,
            "target": data.target, "data": spec.data}
    run = TrainingRun(spec=spec, task=data.task, loss=loss_name,
                      architecture="-".join(map(str, [X.shape[1], *spec.hidden, n_out])),
                      parameters=sum(p.numel() for p in model.parameters()), n_train=len(train_idx),
                      n_test=len(test_idx), history=history, final=final, seconds=0.0,
                      classes=data.classes, model=model)
    if spec.save:
        Path(spec.save).parent.mkdir(parents=True, exist_ok=True)
        from glassnet.serialization import save
        save(model.state_dict(), spec.save, metadata={METADATA_KEY: json.dumps(arch)})
        run.saved = spec.save
    if spec.plot:
        run.figures = _plots(run, model, X[train_idx], ytr, X[test_idx], yte, data.task)
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


def _fmt(value: float, task: str) -> str:
    return f"{value:.4f}" if task == "regression" else f"{value:.1%}"


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
    """The architecture ``fit`` stored in a safetensors file's metadata."""
    from safetensors import safe_open
    if not Path(path).is_file():
        raise ValueError(f"--model: no such file {str(path)!r}")
    try:
        with safe_open(str(path), framework="numpy") as f:
            meta = f.metadata() or {}
    except Exception as error:  # safetensors raises its own error type for damaged files
        raise ValueError(f"--model {path}: not a safetensors file ({error})") from None
    if METADATA_KEY not in meta:
        raise ValueError(f"--model {path}: no architecture in its metadata; save models with "
                         f"glassnet train --save")
    return json.loads(meta[METADATA_KEY])


def _read_features(path: str, features: list) -> np.ndarray:
    """Feature columns of a CSV without a target column, checked cell by cell."""
    header = _csv_header(path)
    missing = [f for f in features if f not in header]
    if missing:
        raise ValueError(f"{path}: no column named {missing[0]!r}; the model needs {features}")
    cols = [header.index(f) for f in features]
    rows = []
    with open(path, newline="", encoding="utf-8-sig") as f:
        for line, cells in enumerate(csv.reader(f), start=1):
            if line == 1 or not cells:
                continue
            if len(cells) != len(header):
                raise ValueError(f"{path}, line {line}: expected {len(header)} cells, got {len(cells)}")
            try:
                rows.append([float(cells[c]) for c in cols])
            except ValueError:
                bad = next(features[i] for i, c in enumerate(cols) if not _is_number(cells[c]))
                raise ValueError(f"{path}, line {line}, column {bad!r}: "
                                 f"{cells[header.index(bad)]!r} is not a number") from None
    return np.asarray(rows, dtype=np.float32).reshape(-1, len(features))


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def predict(model_path, data: str, target: str | None = None) -> dict:
    """Rebuild the saved model, predict on ``data``; score it when the answers are there."""
    arch = read_architecture(model_path)
    model = build_model(arch["in_features"], arch["hidden"], arch["activation"], arch["out_features"])
    model.load_state_dict(torch.load(str(model_path)))
    model.eval()
    labels = None
    if data.lower().endswith(".csv") and arch.get("features"):
        if not Path(data).is_file():
            raise ValueError(f"--data: no such file {data!r}")
        target = target or arch.get("target")
        if target in _csv_header(data):
            X, y, classes = datasets.load_csv(data, target, features=arch["features"],
                                              return_classes=True)
            X, labels = X.numpy(), _relabel(y.numpy(), classes, arch)
        else:
            X = _read_features(data, arch["features"])
    else:
        loaded = load_data(data, target)
        X, labels = loaded.X, loaded.y
    if X.shape[1] != arch["in_features"]:
        raise ValueError(f"the model takes {arch['in_features']} features but {data!r} has "
                         f"{X.shape[1]}")
    X = ((X - np.asarray(arch["mean"])) / np.asarray(arch["std"])).astype(np.float32)
    with torch.no_grad():
        out = model(torch.tensor(X)).numpy()
    pred = predictions(arch["task"], arch["loss"], out)
    result = {"architecture": arch, "predictions": pred, "outputs": out, "n": len(X), "score": None}
    if labels is not None:
        result["score"] = _score(arch["task"], arch["loss"], out, labels)
    return result


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
    """One row per sample: the prediction, and the class name when there are classes."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    names = result["architecture"].get("classes")
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["prediction"] + (["class"] if names else []))
        for p in result["predictions"]:
            writer.writerow([p] + ([names[int(p)]] if names else []))
