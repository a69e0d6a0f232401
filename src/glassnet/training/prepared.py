"""What one ``glassnet train`` run trains on: the data set ``--data`` names, its task, the split,
the scaling and the loss targets (``prepare(spec) -> Prepared``).

The data sets and CSV files are loaded by ``glassnet.data`` as NumPy arrays, and everything here
stays NumPy (engine-neutral): both runners (glassnet and torch, one process or several) train
on the same ``Prepared`` arrays and visit the samples in the same order
(``glassnet.data.loader.epoch_orders``), which is what lets ``--engine torch`` reproduce
``--engine glassnet``.  A runner makes tensors of a mini-batch's rows, once per batch.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glassnet.data.csv_file import load_csv_arrays, read_header, sniff_delimiter
from glassnet.data.datasets import load_arrays
from glassnet.random import Generator

from .config import BUILTIN, Spec
from .task import DataWarning, infer_task

STANDARDIZED = {"digits", "iris", "breast-cancer", "wine", "csv"}


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
class Prepared:
    """The split, scaled arrays one training run uses, whatever the engine."""

    X: np.ndarray                  # all samples, scaled, float32
    train_idx: np.ndarray
    test_idx: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    task: str
    loss: str                      # "bce-logits", "mse" or "cross-entropy"
    n_out: int
    y_train: np.ndarray            # labels (as ``Data.y``)
    y_test: np.ndarray
    t_train: np.ndarray            # loss targets: int64 class indices or float32 values
    t_test: np.ndarray
    data: Data

    @property
    def X_train(self) -> np.ndarray:
        return self.X[self.train_idx]

    @property
    def X_test(self) -> np.ndarray:
        return self.X[self.test_idx]


def csv_delimiter(path: str, given: str | None = None) -> str:
    """``--delimiter`` (``tab`` or ``\\t`` for a tab), or the one ``csv.Sniffer`` finds."""
    if given is None:
        return sniff_delimiter(path)
    given = {"tab": "\t", "\\t": "\t"}.get(given, given)
    if len(given) != 1 or given in "\"\r\n" or given.isalnum():
        raise ValueError(f"--delimiter must be one character such as ',' ';' '|' or 'tab'; "
                         f"got {given!r}")
    return given


def _one_column(path: str, header: list, delimiter: str, given: str | None) -> ValueError:
    how = "given with --delimiter" if given is not None else "detected"
    return ValueError(f"{path}: the header {header[0]!r} is a single column when split at "
                      f"{delimiter!r} ({how}); a target and at least one feature column are "
                      f"needed. If the cells are separated by another character, pass it with "
                      f"--delimiter (e.g. --delimiter ';')")


def load_data(name: str, target: str | None = None, task: str | None = None,
              delimiter: str | None = None, strict: bool = True) -> Data:
    """A built-in data set by CLI name, or a CSV file (target: the last column by default).

    ``task`` is ``--task`` (None: inferred, see ``task.infer_task``); ``delimiter`` is
    ``--delimiter`` (None: detected).
    """
    if name.lower().endswith(".csv"):
        if not Path(name).is_file():
            raise ValueError(f"--data: no such file {name!r}")
        sep = csv_delimiter(name, delimiter)
        if sep != ",":
            warnings.warn(f"{name}: cells separated by {sep!r} "
                          f"({'--delimiter' if delimiter is not None else 'detected'})",
                          DataWarning, stacklevel=2)
        header = read_header(name, sep)
        if len(header) < 2:
            raise _one_column(name, header, sep, delimiter)
        target = target or header[-1]
        X, y, classes = load_csv_arrays(name, target, delimiter=sep)
        task, labels, classes = infer_task(y, classes, task, f"the target {target!r}", strict)
        return Data(X, labels, task, classes, [h for h in header if h != target], target)
    if name not in BUILTIN:
        raise ValueError(f"--data must be one of {', '.join(BUILTIN)} or a .csv file; got {name!r}")
    X, y = load_arrays(BUILTIN[name])   # float32 features, as load_csv_arrays's
    task, labels, classes = infer_task(y, None, task, f"the labels of {name}", strict)
    return Data(X, labels, task, classes)


def split(n: int, test_size: float, seed: int):
    """(train indices, test indices): a permutation by glassnet's generator seeded with ``seed``."""
    order = Generator().manual_seed(seed).permutation(n)
    n_test = int(round(n * test_size))
    if test_size > 0 and n_test == 0:
        n_test = 1
    if n_test >= n:
        raise ValueError(f"--test-size {test_size} leaves no training samples out of {n}")
    return order[n_test:], order[:n_test]


def default_loss(task: str) -> str:
    return {"binary": "bce-logits", "multiclass": "cross-entropy", "regression": "mse"}[task]


def check_loss(task: str, loss: str, n_classes: int) -> int:
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


def targets(task: str, loss: str, y: np.ndarray, n_out: int) -> np.ndarray:
    """What the loss compares the outputs with: class indices, one-hot rows or values."""
    if loss == "cross-entropy":
        return y.ravel().astype(np.int64)
    if loss == "mse" and task == "multiclass":
        return np.eye(n_out, dtype=np.float32)[y]
    return y.astype(np.float32).reshape(-1, 1)


def prepare(spec: Spec) -> Prepared:
    """Load ``spec.data``, split it by ``spec.seed``, standardize by the training part (each
    feature by its own mean and std for an MLP; every pixel by the same two for a LeNet)."""
    data = load_data(spec.data, spec.target, spec.task, spec.delimiter)
    kind = "csv" if spec.data.lower().endswith(".csv") else spec.data
    loss = spec.loss or default_loss(data.task)
    n_out = check_loss(data.task, loss, len(data.classes or []))
    train_idx, test_idx = split(len(data.X), spec.test_size, spec.seed)
    n_features = data.X.shape[1]
    if spec.model != "mlp":   # images: one mean and std for every pixel, so a pixel keeps its
        mean = np.full(n_features, data.X[train_idx].mean())   # contrast with its neighbours
        std = np.full(n_features, data.X[train_idx].std())
    else:
        mean = data.X[train_idx].mean(0) if kind in STANDARDIZED else np.zeros(n_features)
        std = data.X[train_idx].std(0) if kind in STANDARDIZED else np.ones(n_features)
    std = np.where(std > 0, std, 1.0)
    X = ((data.X - mean) / std).astype(np.float32)
    ytr, yte = data.y[train_idx], data.y[test_idx]
    return Prepared(X, train_idx, test_idx, mean, std, data.task, loss, n_out, ytr, yte,
                    targets(data.task, loss, ytr, n_out), targets(data.task, loss, yte, n_out), data)

