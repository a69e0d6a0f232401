"""Text form of a tensor, following PyTorch's printing rules so that glassnet prints
what torch prints: ``tensor([0.1000, 0.2000], requires_grad=True)``, ``tensor(0.0162)``,
``tensor([1., 0.])``; scientific notation when values span more than 1000x."""
from __future__ import annotations

import numpy as np


def _float_formatter(values: np.ndarray):
    finite = values[np.isfinite(values)]
    nonzero = np.abs(finite[finite != 0])
    int_mode = finite.size == 0 or bool(np.all(np.ceil(finite) == finite))
    sci = False
    if nonzero.size:
        lo, hi = float(nonzero.min()), float(nonzero.max())
        sci = (hi / lo > 1000.0 or hi > 1e8) if int_mode else (hi / lo > 1000.0 or hi > 1e8 or lo < 1e-4)
    if sci:
        fmt = "{:.4e}".format
    elif int_mode:
        fmt = lambda v: f"{v:.0f}." if np.isfinite(v) else f"{v}"  # noqa: E731
    else:
        fmt = "{:.4f}".format
    def one(v):
        v = float(v)
        if np.isnan(v):
            return "nan"
        if np.isinf(v):
            return "inf" if v > 0 else "-inf"
        return fmt(v)
    return one


def format_values(array, prefix: str = "tensor(") -> str:
    """The values part of the repr, indented to line up after ``prefix``."""
    a = np.asarray(array)
    summarize = a.size > _THRESHOLD
    shown = _summarized(a) if summarize and a.ndim else a   # torch formats what it shows
    if a.dtype == object:  # exact fractions: print them as fractions
        one = str
    elif a.dtype.kind == "f":
        one = _float_formatter(shown.astype(np.float64))
    elif a.dtype.kind == "b":
        one = str
    else:
        one = str
    if a.ndim == 0:
        return one(a.item() if a.dtype != object else a[()])
    if a.size == 0:
        return "[]"
    flat = shown.reshape(-1)
    if a.dtype.kind == "f":   # torch pads to the widest nonzero finite value (inf, nan and 0 do not count)
        flat = flat[np.isfinite(flat) & (flat != 0)]
    width = max((len(one(v)) for v in flat), default=1)
    return _layout(a, len(prefix), summarize, lambda v: one(v).rjust(width), width)


_THRESHOLD, _EDGE, _LINEWIDTH = 1000, 3, 80   # torch's default print options


def _summarized(a: np.ndarray) -> np.ndarray:
    """The values torch shows (and sizes its columns by) when it summarizes: the first and last
    ``_EDGE`` along every axis longer than ``2 * _EDGE``."""
    for axis, n in enumerate(a.shape):
        if n > 2 * _EDGE:
            a = np.concatenate([a.take(range(_EDGE), axis), a.take(range(n - _EDGE, n), axis)], axis)
    return a


def _layout(a: np.ndarray, indent: int, summarize: bool, fmt, width: int) -> str:
    """torch's ``_tensor_str_with_formatter``: a vector is cut into lines of
    ``floor((80 - indent) / (width + 2))`` values; an array is its slices, one per line, each
    indented one column more, separated by ``dim - 1`` line breaks; summarized axes show their
    first and last three entries around ``...``."""
    n = a.shape[0]
    cut = summarize and n > 2 * _EDGE
    if a.ndim == 1:
        items = [fmt(v) for v in a[:_EDGE]] + [" ..."] + [fmt(v) for v in a[-_EDGE:]] if cut \
            else [fmt(v) for v in a]
        per_line = max(1, (_LINEWIDTH - indent) // (width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = [_layout(a[i], indent + 1, summarize, fmt, width) for i in (range(_EDGE) if cut else range(n))]
    if cut:
        rows += ["..."] + [_layout(a[i], indent + 1, summarize, fmt, width) for i in range(n - _EDGE, n)]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(rows) + "]"
