"""Which task the labels make (classification or regression), inferred or asked for by ``--task``.

Inferred: text labels and 0/1 are classes, as are whole numbers with at most
``MAX_INFERRED_CLASSES`` distinct values; other numbers are a value to predict.  What cannot be
meant is refused (a single class; ``--task classification`` on fractional values; ``--task
regression`` on text), and the one guess that could go either way (many distinct whole numbers,
such as labels 0..999) is made with a ``DataWarning`` naming the count and the flag that decides.
"""
from __future__ import annotations

import warnings

import numpy as np

TASKS = ("classification", "regression")
MAX_INFERRED_CLASSES = 20


class DataWarning(UserWarning):
    """Something about the data the user should know (``glassnet train`` prints it as one line)."""


def _single(values, name: str, n: int, task: str | None) -> ValueError:
    value = values[0] if len(values) else "?"
    shown = f"{value:g}" if isinstance(value, (float, np.floating)) else str(value)
    what = "class" if task != "regression" else "value"
    return ValueError(f"{name} has a single {what} ({shown!r}) in all {n} rows: there is nothing to "
                      f"learn. A classifier needs at least two classes and a regression two "
                      f"different values; check --target")


def _as_classes(y: np.ndarray, values: np.ndarray):
    """Numeric labels → (task, labels, names), numbering the distinct values in sorted order."""
    if set(values.tolist()) <= {0.0, 1.0}:
        return "binary", y.astype(np.float32).reshape(-1, 1), ["0", "1"]
    index = {v: i for i, v in enumerate(values.tolist())}
    labels = np.array([index[v] for v in y.ravel().tolist()], dtype=np.int64)
    return "multiclass", labels, [f"{v:g}" for v in values.tolist()]


def infer_task(y: np.ndarray, classes=None, requested: str | None = None, name: str = "the target",
               strict: bool = True):
    """(task, labels, class names) for labels ``y``.

    Parameters
    ----------
    y : ndarray
        Integer class indices (``classes`` names them, or they are a built-in data set's labels)
        or float values from a CSV's numeric target column.
    classes : list of str, optional
        The names of text labels.
    requested : {"classification", "regression"}, optional
        ``--task``; None infers it.
    name : str
        How messages name the labels (``"the target 'label'"``).
    strict : bool, default True
        Refuse single-class targets and warn about guesses (training); ``predict`` passes False,
        since a file to predict on may hold only one class.

    Returns
    -------
    task : "binary", "multiclass" or "regression"
    labels : ndarray
        float32 (N, 1) for binary and regression, int64 (N,) class indices for multiclass.
    names : list of str or None
    """
    if requested not in (None, *TASKS):
        raise ValueError(f"--task must be one of {', '.join(TASKS)}; got {requested!r}")
    n = len(y)
    if y.dtype.kind in "iu":  # class indices: text labels or a built-in data set
        if requested == "regression":
            if classes is not None:
                raise ValueError(f"--task regression needs numbers, but {name} holds text labels "
                                 f"such as {classes[0]!r}; drop --task or choose another --target")
            return "regression", y.astype(np.float32).reshape(-1, 1), None
        present = np.unique(y)
        if strict and len(present) < 2:
            raise _single([classes[present[0]]] if classes and len(present) else present, name, n,
                          None)
        classes = classes or [str(c) for c in range(int(y.max()) + 1 if n else 0)]
        if len(classes) == 2:
            return "binary", y.astype(np.float32).reshape(-1, 1), classes
        return "multiclass", y.astype(np.int64).ravel(), classes
    values = np.unique(y)
    if strict and len(values) < 2:
        raise _single(values, name, n, requested)
    if requested == "regression":
        return "regression", y.astype(np.float32).reshape(-1, 1), None
    whole = bool(np.all(values == np.round(values)))
    if requested == "classification":
        if not whole:
            example = next(v for v in values.tolist() if v != round(v))
            raise ValueError(f"--task classification needs class labels, but {name} holds "
                             f"fractional values such as {example:g}; use --task regression")
        return _as_classes(y, values)
    if set(values.tolist()) <= {0.0, 1.0} or (whole and len(values) <= MAX_INFERRED_CLASSES):
        return _as_classes(y, values)
    if whole and strict:
        warnings.warn(f"{name} holds {len(values)} different whole numbers ({values[0]:g} to "
                      f"{values[-1]:g}); treating it as regression (a number to predict). If they "
                      f"are class labels, pass --task classification ({len(values)} classes)",
                      DataWarning, stacklevel=2)
    return "regression", y.astype(np.float32).reshape(-1, 1), None
