"""The playground's points: the data sets placed on its square, the train/test split, the input
features, the heat maps' grid, CSV uploads.

Every data set comes from ``glassnet.data.datasets`` as NumPy arrays: the classification sets
(labels 0 and 1), the TensorFlow Playground's regression sets (``plane``, ``multigauss``,
``bump``: labels in [-1, 1]) and the four XOR truth-table points of the step-by-step preset
(``xor()``).  What is the playground's own is here: the noise slider's scale, the placement on
the fixed square, the split.  Every generator takes the session's seed, so the same URL gives
the same points.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np

from glassnet.data import datasets

from .protocol import FEATURES, LIMITS, ProtocolError

GRID = 64              # the output heat map is GRID x GRID
NEURON_FACTOR = 2      # each neuron's map is (GRID / NEURON_FACTOR)^2: 2 x 2 blocks averaged
DOMAIN = (-6.0, 6.0)   # the TensorFlow Playground's fixed square, whatever the noise


@dataclass
class Points:
    """Train and test points (``x``: (n, 2) float32, ``y``: (n,) float32) and the plotted square."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    domain: tuple          # (lo, hi): the square [lo, hi]^2 shown in the heat maps
    label_range: tuple     # (lo, hi) of the labels' colour scale

    def as_json(self) -> dict:
        def pts(x, y):
            return [[round(float(a), 4), round(float(b), 4), round(float(c), 4)] for (a, b), c in zip(x, y)]
        return {"train": pts(self.x_train, self.y_train), "test": pts(self.x_test, self.y_test),
                "domain": list(self.domain), "label_range": list(self.label_range)}


# -- generators -------------------------------------------------------------------------
#: noise slider (0..50 %) -> the generator's noise, in the generator's own units
#: (circle: radii 1 and 0.5; xor: [-1, 1]^2; spiral: radius 0.5..2; moons: about [-1, 2] x [-0.5, 1]).
_NOISE_SCALE = {"circle": 0.5, "xor": 0.6, "spiral": 1.0, "moons": 0.8}
#: (centre, scale): every set is then moved onto the TensorFlow Playground's square of about
#: [-6, 6]^2, so one learning rate suits them all and sin(x) sees more than its linear part.
_PLACE = {"circle": ((0.0, 0.0), 5.0), "xor": ((0.0, 0.0), 5.0), "spiral": ((0.0, 0.0), 2.5),
          "moons": ((0.5, 0.25), 3.0), "gaussian": ((0.0, 0.0), 1.0)}


def _classification(name: str, n: int, noise: float, seed: int):
    """Two-class points (``noise`` in [0, 0.5], the slider's fraction).

    spiral is the seed's generator (``n // 2`` points per arm); circle, moons and gaussian are
    scikit-learn's; xor is a cloud labelled by the truth table.  Then centred and scaled (``_PLACE``).
    """
    if name == "spiral":
        x, y = datasets.spiral.arrays(max(1, n // 2), noise=noise * _NOISE_SCALE[name], seed=seed)
    elif name == "gaussian":                   # the blobs' standard deviation is the noise
        x, y = datasets.gaussian.arrays(n, noise=0.5 + 4.0 * noise, seed=seed)
    else:
        x, y = datasets.load_arrays(name, n_samples=n, noise=noise * _NOISE_SCALE[name], seed=seed)
    centre, scale = _PLACE[name]
    x = (np.asarray(x, dtype=np.float64).reshape(-1, 2) - centre) * scale
    return x.astype(np.float32), y.reshape(-1)


def _regression(name: str, n: int, noise: float, seed: int):
    """The TensorFlow Playground's regression sets, already on its square [-6, 6]^2: ``plane``,
    ``multigauss`` or ``bump`` (``noise`` in [0, 0.5]); labels in [-1, 1]."""
    x, y = datasets.load_arrays(name, n_samples=n, noise=noise, seed=seed)
    return x, y.reshape(-1)


def split(x, y, train_ratio: int, seed: int):
    """Shuffle with ``seed`` and cut: the first ``train_ratio`` percent train, the rest test."""
    order = np.random.default_rng(seed + 7919).permutation(len(y))
    cut = min(max(1, round(len(y) * train_ratio / 100)), len(y) - 1)
    tr, te = order[:cut], order[cut:]
    return x[tr], y[tr], x[te], y[te]


def domain_of(x: np.ndarray) -> tuple:
    """A square around the points with a 10 % margin, rounded outward to one decimal."""
    lo, hi = float(x.min()), float(x.max())
    span = max(hi - lo, 1e-3)
    lo, hi = lo - 0.1 * span, hi + 0.1 * span
    if lo < 0 < hi and abs(abs(lo) - abs(hi)) < 0.25 * span:   # roughly centred: make it symmetric
        half = max(-lo, hi)
        lo, hi = -half, half
    return (math.floor(lo * 10) / 10, math.ceil(hi * 10) / 10)


def label_range(problem: str, y: np.ndarray) -> tuple:
    if problem == "classification":
        return (0.0, 1.0)
    m = max(1.0, float(np.abs(y).max()) if len(y) else 1.0)
    return (-m, m)


def make_points(cfg, upload=None) -> Points:
    """The points for a config (``upload``: the (name, text) of the last CSV, for ``dataset='csv'``)."""
    noise = cfg.noise / 100.0
    if cfg.dataset == "xor_table":         # the four points of the truth table, train and test alike
        x, y = datasets.xor.arrays()
        y = y.reshape(-1)
        return Points(x, y, x.copy(), y.copy(), (-0.5, 1.5), (0.0, 1.0))
    if cfg.dataset == "csv":
        if upload is None:
            raise ProtocolError("no CSV uploaded yet: upload one first, or pick another data set")
        x, y = parse_csv(upload[1], cfg.problem)
    elif cfg.problem == "regression":
        x, y = _regression(cfg.dataset, cfg.n_points, noise, cfg.seed)
    else:
        x, y = _classification(cfg.dataset, cfg.n_points, noise, cfg.seed)
    xtr, ytr, xte, yte = split(x, y, cfg.train_ratio, cfg.seed)
    # the generated sets keep TF's fixed square (noise moves points, never the axes); a CSV's own
    domain = domain_of(x) if cfg.dataset == "csv" else DOMAIN
    return Points(xtr, ytr, xte, yte, domain, label_range(cfg.problem, y))


# -- input features ---------------------------------------------------------------------
_FEATURE_FUNCS = {
    "x1": lambda a, b: a, "x2": lambda a, b: b, "x1^2": lambda a, b: a * a, "x2^2": lambda a, b: b * b,
    "x1x2": lambda a, b: a * b, "sin(x1)": lambda a, b: np.sin(a), "sin(x2)": lambda a, b: np.sin(b),
}

#: The same features in PyTorch code, for the exported model's loader.
FEATURE_CODE = {"x1": "x1", "x2": "x2", "x1^2": "x1 * x1", "x2^2": "x2 * x2", "x1x2": "x1 * x2",
                "sin(x1)": "torch.sin(x1)", "sin(x2)": "torch.sin(x2)"}


def features(x: np.ndarray, names) -> np.ndarray:
    """The network's input columns for points ``x`` (n, 2), in the order of ``names``."""
    a, b = x[:, 0], x[:, 1]
    return np.stack([_FEATURE_FUNCS[n](a, b) for n in names], axis=1).astype(np.float32)


def grid(domain: tuple, size: int = GRID) -> np.ndarray:
    """``size * size`` points over the square, row 0 at the top (largest x2), x1 growing rightward."""
    lo, hi = domain
    step = (hi - lo) / size
    centres = lo + step * (np.arange(size) + 0.5)
    x1, x2 = np.meshgrid(centres, centres[::-1])
    return np.stack([x1.ravel(), x2.ravel()], axis=1).astype(np.float32)


assert set(_FEATURE_FUNCS) == set(FEATURES)


# -- CSV uploads ------------------------------------------------------------------------
def parse_csv(text: str, problem: str):
    """Read ``x1, x2, label`` rows (an optional header row) into (x, y); raise ProtocolError otherwise.

    Classification labels must be 0/1 (or -1/1, read as 0/1); regression labels any finite number.
    """
    if len(text.encode("utf-8", "replace")) > LIMITS.max_upload_bytes:
        raise ProtocolError(f"the CSV is larger than {LIMITS.max_upload_bytes // 1024} KiB")
    try:
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t ")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in r)]
    if not rows:
        raise ProtocolError("the CSV is empty: expected rows of x1, x2, label")

    def numbers(row):
        try:
            vals = [float(c) for c in row]
        except ValueError:
            return None
        return vals

    if numbers(rows[0]) is None:   # a header
        rows = rows[1:]
    if len(rows) < LIMITS.min_points:
        raise ProtocolError(f"the CSV has {len(rows)} data rows; at least {LIMITS.min_points} are needed")
    if len(rows) > LIMITS.max_points:
        raise ProtocolError(f"the CSV has {len(rows)} data rows; at most {LIMITS.max_points} are allowed")
    data = []
    for i, row in enumerate(rows, start=1):
        if len(row) != 3:
            raise ProtocolError(f"data row {i} has {len(row)} columns; expected 3: two numeric feature "
                                f"columns and a label column (x1, x2, label)")
        vals = numbers(row)
        if vals is None:
            raise ProtocolError(f"data row {i} is not numeric: {', '.join(row)[:80]!r}")
        if not all(math.isfinite(v) for v in vals):
            raise ProtocolError(f"data row {i} holds a NaN or infinite value")
        data.append(vals)
    arr = np.array(data, dtype=np.float64)
    x, y = arr[:, :2], arr[:, 2]
    if np.abs(x).max() > 1e6:
        raise ProtocolError("feature values must lie within ±1e6")
    if problem == "classification":
        labels = set(np.unique(y).tolist())
        if labels <= {0.0, 1.0}:
            pass
        elif labels <= {-1.0, 1.0}:
            y = (y > 0).astype(np.float64)
        else:
            shown = sorted(labels)[:6]
            raise ProtocolError(f"classification labels must be 0 and 1 (or -1 and 1); this CSV has "
                                f"{shown}{'...' if len(labels) > 6 else ''}. Switch the problem type to "
                                f"regression for numeric targets.")
    elif np.abs(y).max() > 1e6:
        raise ProtocolError("regression labels must lie within ±1e6")
    return x.astype(np.float32), y.astype(np.float32)
