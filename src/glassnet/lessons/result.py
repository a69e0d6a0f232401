"""What a lesson returns: its numbers, tables, figures and the text that explains them.

The command line, the tour's HTML report and the playground all render this one object, so a
lesson computes everything once and says nothing about how it is shown.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Table", "FigureEntry", "Claim", "Check", "LessonResult", "timed"]


@dataclass
class Table:
    """A titled table: ``rows`` hold numbers or text, one entry per column."""

    title: str
    columns: list[str]
    rows: list[list[Any]]
    caption: str = ""

    def __post_init__(self):
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.title!r}: a row has {len(row)} cells but there are "
                                 f"{len(self.columns)} columns")


@dataclass
class FigureEntry:
    """A matplotlib figure with a file-name stem and a caption saying what to look at."""

    name: str
    caption: str
    figure: Any


@dataclass
class Claim:
    """What a seed says, what glassnet measures, and whether the claim holds."""

    seed_says: str
    measured: str
    holds: bool


@dataclass
class Check:
    """One line of a checklist: ``status`` is "pass", "warn" or "fail", ``value`` the number behind it."""

    name: str
    status: str
    value: str
    detail: str = ""

    def __post_init__(self):
        if self.status not in ("pass", "warn", "fail"):
            raise ValueError(f"check status must be 'pass', 'warn' or 'fail', got {self.status!r}")


@dataclass
class LessonResult:
    """Everything a lesson found.

    Attributes
    ----------
    name, title, seed : str
        Registry name (``"dose"``), a human title, and the seed lesson(s) it reproduces.
    summary : str
        One paragraph: the lesson's point and its headline numbers.
    numbers : dict
        Every measured number under a stable key; tests assert these.
    output : list of str
        What the seed's own code prints when run on glassnet (``Num steps: 34``).
    sections : list of (heading, text)
        The explanation, paragraph by paragraph (blank lines separate paragraphs).
    tables, figures, claims, checks : lists
        See ``Table``, ``FigureEntry``, ``Claim``, ``Check``.
    documents : dict
        Extra renderings made by other parts of glassnet, by format (``{"html": ..., "text": ...}``),
        e.g. glassnet.explain's worked example.
    seconds : float
        How long the lesson took to compute.
    """

    name: str
    title: str
    seed: str
    summary: str
    numbers: dict = field(default_factory=dict)
    output: list = field(default_factory=list)
    sections: list = field(default_factory=list)
    tables: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    claims: list = field(default_factory=list)
    checks: list = field(default_factory=list)
    documents: dict = field(default_factory=dict)
    seconds: float = 0.0

    def save_figures(self, directory, formats=("png", "svg")) -> list[Path]:
        """Write every figure to ``directory/<lesson>_<figure>.<format>``; returns the paths."""
        from ..viz import save
        written = []
        for entry in self.figures:
            written += save(entry.figure, Path(directory) / f"{self.name}_{entry.name}", formats)
        return written

    def to_dict(self) -> dict:
        """A JSON-ready dict (figures as name and caption only; NumPy values as Python numbers)."""
        return {
            "name": self.name, "title": self.title, "seed": self.seed, "summary": self.summary,
            "numbers": _plain(self.numbers), "output": list(self.output),
            "sections": [list(s) for s in self.sections],
            "tables": [{"title": t.title, "columns": t.columns, "rows": _plain(t.rows),
                        "caption": t.caption} for t in self.tables],
            "figures": [{"name": f.name, "caption": f.caption} for f in self.figures],
            "claims": [vars(c).copy() for c in self.claims],
            "checks": [vars(c).copy() for c in self.checks],
            "seconds": self.seconds,
        }


def _plain(value):
    """NumPy scalars and arrays → Python numbers and lists (NaN and inf → None), recursively."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def timed(lesson):
    """Decorator: fill in ``LessonResult.seconds`` with the lesson's wall time."""
    import functools

    @functools.wraps(lesson)
    def run(*args, **kwargs):
        start = time.perf_counter()
        result = lesson(*args, **kwargs)
        result.seconds = time.perf_counter() - start
        return result
    return run
