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
        sci = (hi > 1e8) if int_mode else (hi / lo > 1000.0 or hi > 1e8 or lo < 1e-4)
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
    if a.dtype == object:  # exact fractions: print them as fractions
        one = str
    elif a.dtype.kind == "f":
        one = _float_formatter(a.astype(np.float64))
    elif a.dtype.kind == "b":
        one = str
    else:
        one = str
    if a.ndim == 0:
        return one(a.item() if a.dtype != object else a[()])
    if a.size == 0:
        return "[]"
    flat = a.reshape(-1)[:2000]
    if a.dtype.kind == "f":   # torch pads to the widest nonzero finite value (inf, nan and 0 do not count)
        flat = flat[np.isfinite(flat) & (flat != 0)]
    width = max((len(one(v)) for v in flat), default=1)
    return np.array2string(a, separator=", ", prefix=prefix, threshold=1000, edgeitems=3,
                           max_line_width=80,
                           formatter={"all": lambda v: one(v).rjust(width)})
