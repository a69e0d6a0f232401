"""``load_csv``: a user's own table of numbers as ``(X, y)`` tensors, checked cell by cell.

``load_csv_arrays`` is the same as NumPy arrays (``load_csv`` makes them tensors at the end);
``read_features`` reads only named feature columns (a file to predict on has no target).
Every problem is reported as a ``ValueError`` naming the file, the line (counting the header
as line 1) and the column, so it can be fixed in a text editor.  Missing values are never
turned into NaN silently.
"""
from __future__ import annotations

import csv
import itertools
import math
import os

import numpy as np

from ..tensors.tensor import tensor

__all__ = ["load_csv", "load_csv_arrays", "read_features", "read_header", "sniff_delimiter"]

_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _where(source: str, line: int, column: str) -> str:
    return f"{source}, line {line}, column {column!r}"


def _number(cell: str, source: str, line: int, column: str) -> float:
    """The cell as a finite float, or a ValueError saying where and what is wrong."""
    text = cell.strip()
    if not text:
        raise ValueError(f"{_where(source, line, column)}: the cell is empty. Missing values are not "
                         f"allowed; fill the cell in or delete the row.")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{_where(source, line, column)}: {text!r} is not a number. Feature columns "
                         f"must hold numbers; leave text columns out with features=[...]") from None
    if math.isnan(value):
        raise ValueError(f"{_where(source, line, column)}: the cell is {text!r} (a missing value). "
                         f"Missing values are not allowed; fill the cell in or delete the row.")
    if math.isinf(value):
        raise ValueError(f"{_where(source, line, column)}: {text!r} is not a finite number")
    if abs(value) > _FLOAT32_MAX:
        raise ValueError(f"{_where(source, line, column)}: {text!r} is too large for float32 (about "
                         f"±3.4e38); rescale the column")
    return value


def _feature_matrix(source: str, header: list, rows: list, features: list) -> np.ndarray:
    """The named columns (all in ``header``) of ``_read_rows``'s rows as float32, cell by cell
    through ``_number`` (a bad cell is an error naming its line and column)."""
    positions = [header.index(name) for name in features]
    X = np.empty((len(rows), len(features)), dtype=np.float32)
    for r, (line, cells) in enumerate(rows):
        for c, (pos, name) in enumerate(zip(positions, features)):
            X[r, c] = _number(cells[pos], source, line, name)
    return X


def _read_rows(path, delimiter: str):
    """The header (stripped names) and ``(line_number, cells)`` for each non-blank row."""
    source = getattr(path, "name", None) if hasattr(path, "read") else os.fspath(path)
    source = str(source or "<csv data>")
    if hasattr(path, "read"):
        rows = _all_rows(path, delimiter, source)
    else:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = _all_rows(f, delimiter, source)
    if not rows:
        raise ValueError(f"{source} is empty; expected a header row naming the columns, then one row "
                         f"per sample")
    (_, header), rows = rows[0], rows[1:]
    header = [name.strip() for name in header]
    for i, name in enumerate(header):
        if not name:
            raise ValueError(f"{source}, line 1: column {i + 1} of the header has no name; every column "
                             f"needs a name")
        if name in header[:i]:
            raise ValueError(f"{source}, line 1: the column name {name!r} appears twice in the header")
    if not rows:
        raise ValueError(f"{source} has a header but no data rows")
    for line, cells in rows:
        if len(cells) != len(header):
            raise ValueError(f"{source}, line {line}: expected {len(header)} cells (one per header "
                             f"column: {header}), got {len(cells)}. Check for a missing or extra "
                             f"delimiter {delimiter!r} on that line.")
    return source, header, rows


def _all_rows(f, delimiter: str, source: str) -> list:
    """Every non-blank row; the csv module's errors and undecodable bytes as one-line ValueErrors."""
    reader = csv.reader(f, delimiter=delimiter)
    try:
        return list(_numbered(reader))
    except csv.Error as error:
        line = reader.line_num  # the line being read when the error came
        if "field larger" in str(error):
            raise ValueError(f"{source}, line {line}: a cell is longer than "
                             f"{csv.field_size_limit():,} characters (the csv module's limit); "
                             f"is this a CSV file of numbers?") from None
        raise ValueError(f"{source}, line {max(line, 1)}: not readable as CSV ({error})") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"{source} is not UTF-8 text (byte {error.start}: {error.reason}); save it "
                         f"as UTF-8 CSV") from None


def read_header(path, delimiter: str = ",") -> list:
    """The column names on the first line of a CSV file (stripped), checked as ``load_csv`` does."""
    source = os.fspath(path)
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = _all_rows(itertools.islice(f, 1), delimiter, source)
    if not rows or not any(cell.strip() for cell in rows[0][1]):
        raise ValueError(f"{source} is empty; expected a header row naming the columns")
    return [name.strip() for name in rows[0][1]]


def sniff_delimiter(path, candidates: str = ",;\t|") -> str:
    """The cell separator of a CSV file, guessed from its first lines (``csv.Sniffer``).

    Only ``candidates`` are considered; when nothing is consistent (a one-column file, say),
    the answer is ``","``.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
            sample = f.read(1 << 16)
    except OSError:
        return ","
    if len(sample) == 1 << 16 and "\n" in sample:  # whole lines only
        sample = sample[:sample.rindex("\n")]
    lines = sample.splitlines()
    if lines and any(c in lines[0] for c in candidates):
        header = lines[0]  # the header names the columns: prefer a separator it contains
        candidates = "".join(c for c in candidates if c in header)
    try:
        return csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=candidates).delimiter
    except csv.Error:
        return candidates[0] if len(candidates) == 1 else ","


def _numbered(reader):
    for cells in reader:
        if cells:  # a blank line reads as []; skip it
            yield reader.line_num, cells


def _labels(values, lines, source: str, target: str):
    """Numbers → float32 (N, 1); text → int64 class indices (N,) and the sorted class names."""
    texts = [v.strip() for v in values]
    numeric = []
    for text in texts:
        try:
            numeric.append(float(text))
        except ValueError:
            numeric.append(None)
    for text, line in zip(texts, lines):
        if not text:
            raise ValueError(f"{_where(source, line, target)}: the target cell is empty. Every row "
                             f"needs a target value; fill it in or delete the row.")
    is_number = [v is not None for v in numeric]
    if all(is_number):
        y = [_number(text, source, line, target) for text, line in zip(texts, lines)]
        return np.asarray(y, dtype=np.float32).reshape(-1, 1), None
    if any(is_number):
        first_num = is_number.index(True)
        first_text = is_number.index(False)
        raise ValueError(f"{source}: the target column {target!r} mixes numbers (line "
                         f"{lines[first_num]}: {texts[first_num]!r}) and text (line {lines[first_text]}: "
                         f"{texts[first_text]!r}); class labels must be all numbers or all text")
    classes = sorted(set(texts))
    index = {name: i for i, name in enumerate(classes)}
    return np.asarray([index[t] for t in texts], dtype=np.int64), classes


def load_csv(path, target, features=None, delimiter=",", return_classes=False):
    """Load a CSV file with a header row as ``(X, y)`` tensors.

    Parameters
    ----------
    path : str, os.PathLike or file object
        The file.  Its first line names the columns; every other non-blank line is one sample
        with one cell per column.
    target : str
        The name of the column to predict.
    features : list of str, optional
        The columns to use as inputs, in this order; by default every column except ``target``.
        Feature cells must be finite numbers.
    delimiter : str, default ","
        The cell separator (``";"`` or ``"\\t"`` for other exports).
    return_classes : bool, default False
        Also return the class names (see Returns).

    Returns
    -------
    X : Tensor of shape (N, F), float32
    y : Tensor
        If every target cell is a number: float32 of shape (N, 1) (regression, or 0/1 labels
        for ``BCEWithLogitsLoss``; for ``CrossEntropyLoss`` use ``y.long().squeeze(1)``).
        If the target cells are text: int64 class indices of shape (N,), the classes numbered
        in sorted order (``"cat", "dog"`` → 0, 1).
    classes : list of str or None
        Only with ``return_classes=True``: ``classes[i]`` is the label of class index ``i``
        (None for a numeric target).

    Raises
    ------
    ValueError
        For a missing column (the message lists the available ones), an empty, NaN, infinite
        or non-numeric feature cell, an empty target cell, or a row with the wrong number of
        cells; the message names the line (the header is line 1) and the column.

    Examples
    --------
    >>> X, y, classes = load_csv("flowers.csv", target="species", return_classes=True)
    """
    X, y, classes = load_csv_arrays(path, target, features, delimiter)
    X, y = tensor(X), tensor(y)
    return (X, y, classes) if return_classes else (X, y)


def load_csv_arrays(path, target, features=None, delimiter=","):
    """``load_csv(..., return_classes=True)`` as NumPy arrays ``(X, y, classes)``, never made
    tensors: the same checks, dtypes, shapes and values."""
    source, header, rows = _read_rows(path, delimiter)
    if target not in header:
        raise ValueError(f"{source}: there is no column named {target!r}; the columns are {header}")
    if features is None:
        features = [name for name in header if name != target]
    else:
        features = [features] if isinstance(features, str) else list(features)
        missing = [name for name in features if name not in header]
        if missing:
            raise ValueError(f"{source}: no column named {missing[0]!r} (features={features}); the "
                             f"columns are {header}")
        if target in features:
            raise ValueError(f"{source}: the target column {target!r} is also listed in features; a "
                             f"model must not see its answer among its inputs")
    if not features:
        raise ValueError(f"{source}: no feature columns are left besides the target {target!r}")
    X = _feature_matrix(source, header, rows, features)
    t = header.index(target)
    y, classes = _labels([cells[t] for _, cells in rows], [line for line, _ in rows], source, target)
    return X, y, classes


def read_features(path, features: list, delimiter: str = ",") -> np.ndarray:
    """The columns ``features`` of a CSV file that may have no target column, as float32 (N, F),
    checked cell by cell as ``load_csv`` checks them (a NaN, inf or empty cell is an error naming
    its line and column)."""
    source, header, rows = _read_rows(path, delimiter)
    missing = [f for f in features if f not in header]
    if missing:
        raise ValueError(f"{path}: no column named {missing[0]!r}; the model needs {features}")
    return _feature_matrix(source, header, rows, features)
