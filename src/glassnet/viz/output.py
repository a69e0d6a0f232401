"""Creating figures on the Agg canvas and writing them out (PNG, SVG, base64 for HTML)."""
from __future__ import annotations

import base64
import io
from pathlib import Path

import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

FORMATS = ("png", "svg")


def new_figure(figsize=(7.0, 4.5), style: str = "whitegrid", nrows: int = 1, ncols: int = 1):
    """A headless figure with seaborn's ``style`` applied to its axes.

    The style is applied only while the axes are created (``sns.axes_style`` as a context), so
    the user's global matplotlib settings are left as they were.

    Returns
    -------
    (Figure, Axes or ndarray of Axes)
    """
    with sns.axes_style(style):
        fig = Figure(figsize=figsize, layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(nrows, ncols, squeeze=True)
    return fig, axes


def save(fig, path, formats=FORMATS, dpi: int = 120) -> list[Path]:
    """Write ``fig`` to ``path`` once per format; returns the paths written.

    ``path`` may carry a suffix (``curve.png``): then only that format is written.  Missing
    parent folders are created.
    """
    path = Path(path)
    if path.suffix.lstrip(".") in FORMATS:
        formats, path = (path.suffix.lstrip("."),), path.with_suffix("")
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"formats must be among {FORMATS}, got {unknown}")
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        target = path.with_suffix(f".{fmt}")
        fig.savefig(target, format=fmt, dpi=dpi)
        written.append(target)
    return written


def _bytes(fig, fmt: str, dpi: int) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi)
    return buffer.getvalue()


def to_data_uri(fig, fmt: str = "png", dpi: int = 100) -> str:
    """``data:image/png;base64,...``: the figure embedded in one string, for self-contained HTML."""
    mime = {"png": "image/png", "svg": "image/svg+xml"}[fmt]
    return f"data:{mime};base64," + base64.b64encode(_bytes(fig, fmt, dpi)).decode("ascii")


def to_svg(fig) -> str:
    """The figure as SVG text."""
    return _bytes(fig, "svg", 100).decode("utf-8")
