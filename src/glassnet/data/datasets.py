"""Small data sets for learning: the seed lessons' toy problems, the TensorFlow Playground's
regression sets and scikit-learn's bundled sets.

Every function returns ``(X, y)`` glassnet tensors.  ``X`` is float32 with one row per sample.
``y`` follows the loss it is meant for:

* binary tasks (``xor``, ``spiral``, ``circle``, ``gaussian``, ``moons``, ``breast_cancer``):
  float32 of shape (N, 1) holding 0.0 / 1.0, ready for ``nn.BCEWithLogitsLoss``;
* regression tasks (``plane``, ``multigauss``, ``bump``): float32 of shape (N, 1) holding values
  in [-1, 1], ready for ``nn.MSELoss``;
* multi-class tasks (``iris``, ``wine``, ``digits``): int64 class indices of shape (N,), ready
  for ``nn.CrossEntropyLoss``;
* ``dose``: float32 of shape (3,), as in the seed lesson (one dose in, one effectiveness out).

Nothing is downloaded: the real sets ship inside scikit-learn.  Their features are returned
*raw* (unscaled); pass ``standardize=True`` or call ``standardize`` to give every column
mean 0 and standard deviation 1.

Each set (``dose`` aside) is made as NumPy arrays and handed out as tensors at the very end
(``_tensors``); ``load_arrays(name, **kwargs)`` gives the same arrays as NumPy, for code that
stays in NumPy until it cuts mini-batches (``glassnet train``, the playground).
``load(name, **kwargs)`` and ``names()`` form a registry for the command line and the playground.
"""
from __future__ import annotations

import functools

import numpy as np

from ..tensors import Tensor, tensor
from .csv_file import load_csv

__all__ = ["dose", "xor", "spiral", "circle", "gaussian", "moons", "plane", "multigauss", "bump",
           "digits", "iris", "breast_cancer", "wine", "standardize", "load_csv", "load", "load_arrays",
           "names", "describe"]


def _pair(X, y, column: bool):
    """``(X, y)`` as NumPy arrays: X float32; y float32 (N, 1) if ``column`` (0/1 labels or
    values), else int64 class indices (N,)."""
    X = np.asarray(X, dtype=np.float32)
    if column:
        return X, np.asarray(y, dtype=np.float32).reshape(-1, 1)
    return X, np.asarray(y, dtype=np.int64)


def _tensors(make_arrays):
    """The data set whose NumPy arrays ``make_arrays`` makes, handed out as glassnet tensors.

    The returned function has ``make_arrays``'s name, arguments and docstring; ``make_arrays``
    stays reachable as its ``.arrays`` (what ``load_arrays`` calls).
    """
    @functools.wraps(make_arrays)
    def data_set(*args, **kwargs):
        X, y = make_arrays(*args, **kwargs)
        return tensor(X), tensor(y)
    data_set.arrays = make_arrays
    return data_set


def _check_count(name: str, value, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _check_noise(noise) -> None:
    if not isinstance(noise, (int, float, np.floating, np.integer)) or not noise >= 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")


# -- the seed lessons' toy problems ---------------------------------------------------------------

def dose():
    """Drug doses and their effectiveness (seed lesson 001): doses [0, 0.5, 1] → [0, 1, 0].

    Returns
    -------
    X : Tensor of shape (3,), float32
        The doses 0.0, 0.5, 1.0 (one number per sample, as the lesson's model takes a scalar).
    y : Tensor of shape (3,), float32
        The effectiveness 0.0, 1.0, 0.0 (a regression target, fitted with squared error).
    """
    return tensor([0.0, 0.5, 1.0]), tensor([0.0, 1.0, 0.0])


@_tensors
def xor(n_samples=None, noise=0.0, seed=42):
    """The XOR problem: the four points (0,0)→0, (0,1)→1, (1,0)→1, (1,1)→0, or a cloud of them.

    Parameters
    ----------
    n_samples : int, optional
        By default the four points of the truth table, in that order.  With a number, that
        many points drawn uniformly from the square [-1, 1]², labelled 1 where exactly one
        coordinate is positive (the truth table with "positive" as the bit 1).
    noise : float, default 0.0
        Standard deviation of Gaussian noise added to each coordinate after labelling.
    seed : int, default 42
        Seed of a private ``np.random.RandomState`` (used only for a cloud or for noise).

    Returns
    -------
    X : Tensor of shape (4, 2) or (n_samples, 2), float32
    y : Tensor of shape (4, 1) or (n_samples, 1), float32
    """
    _check_noise(noise)
    rs = np.random.RandomState(seed)
    if n_samples is None:
        X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
        y = np.array([0, 1, 1, 0])
    else:
        _check_count("n_samples", n_samples)
        X = rs.uniform(-1, 1, size=(n_samples, 2))
        y = (X[:, 0] > 0) != (X[:, 1] > 0)
    if noise:
        X = X + rs.normal(0, noise, size=X.shape)
    return _pair(X, y, column=True)


@_tensors
def spiral(n_points=200, noise=0.2, seed=42):
    """Two interleaved spiral arms (seed lesson 003's ``create_spiral_data``, point for point).

    Each arm winds twice around the origin (θ from 0 to 4π) while its radius grows from 0.5
    to 2; the second arm is the first rotated by π.  Gaussian noise of standard deviation
    ``noise`` is added to every coordinate, then the points are shuffled.

    Parameters
    ----------
    n_points : int, default 200
        Points *per arm*, so there are ``2 * n_points`` samples in all.
    noise : float, default 0.2
        Standard deviation of the noise added to each coordinate.
    seed : int, default 42
        Seed of NumPy's legacy generator (the lesson's ``np.random.seed(42)``); a private
        ``np.random.RandomState`` is used, so NumPy's global random state is left untouched.

    Returns
    -------
    X : Tensor of shape (2 * n_points, 2), float32
    y : Tensor of shape (2 * n_points, 1), float32 (0.0 first arm, 1.0 second arm)
    """
    _check_count("n_points", n_points)
    _check_noise(noise)
    rs = np.random.RandomState(seed)
    theta = np.linspace(0, 4 * np.pi, n_points)
    r = np.linspace(0.5, 2, n_points)
    # The draws happen in the lesson's order: x0, y0, x1, y1, then the shuffle.
    x0 = r * np.cos(theta) + rs.randn(n_points) * noise
    y0 = r * np.sin(theta) + rs.randn(n_points) * noise
    x1 = r * np.cos(theta + np.pi) + rs.randn(n_points) * noise
    y1 = r * np.sin(theta + np.pi) + rs.randn(n_points) * noise
    X = np.column_stack([np.concatenate([x0, x1]), np.concatenate([y0, y1])])
    y = np.concatenate([np.zeros(n_points), np.ones(n_points)])
    idx = rs.permutation(len(y))
    return _pair(X[idx], y[idx], column=True)


def _generated(maker_name: str, n_samples, noise, /, **maker_kwargs):
    """scikit-learn's ``maker_name(n_samples=n_samples, **maker_kwargs)`` as binary ``(X, y)`` arrays,
    after checking ``n_samples`` (>= 2) and ``noise`` (>= 0)."""
    import sklearn.datasets
    _check_count("n_samples", n_samples, 2)
    _check_noise(noise)
    X, y = getattr(sklearn.datasets, maker_name)(n_samples=n_samples, **maker_kwargs)
    return _pair(X, y, column=True)


@_tensors
def circle(n_samples=200, noise=0.1, seed=42, factor=0.5):
    """A small circle (label 1) inside a large one (label 0): scikit-learn's ``make_circles``.

    Parameters
    ----------
    n_samples : int, default 200
        Points in all (half on each circle).
    noise : float, default 0.1
        Standard deviation of the Gaussian noise added to each coordinate.
    seed : int, default 42
        ``random_state`` for scikit-learn.
    factor : float, default 0.5
        Radius of the inner circle relative to the outer one (0 < factor < 1).

    Returns
    -------
    X : Tensor of shape (n_samples, 2), float32
    y : Tensor of shape (n_samples, 1), float32
    """
    return _generated("make_circles", n_samples, noise, noise=noise, random_state=seed, factor=factor)


@_tensors
def gaussian(n_samples=200, noise=1.0, seed=42):
    """Two Gaussian blobs centred at (-2, -2) (label 0) and (2, 2) (label 1): ``make_blobs``.

    Parameters
    ----------
    n_samples : int, default 200
        Points in all (half in each blob).
    noise : float, default 1.0
        Standard deviation of each blob (``cluster_std``); above about 2 the blobs overlap.
    seed : int, default 42
        ``random_state`` for scikit-learn.

    Returns
    -------
    X : Tensor of shape (n_samples, 2), float32
    y : Tensor of shape (n_samples, 1), float32
    """
    return _generated("make_blobs", n_samples, noise, centers=[[-2.0, -2.0], [2.0, 2.0]],
                      cluster_std=noise, random_state=seed)


@_tensors
def moons(n_samples=200, noise=0.1, seed=42):
    """Two interleaving half circles: scikit-learn's ``make_moons``.

    Parameters
    ----------
    n_samples : int, default 200
        Points in all (half on each moon).
    noise : float, default 0.1
        Standard deviation of the Gaussian noise added to each coordinate.
    seed : int, default 42
        ``random_state`` for scikit-learn.

    Returns
    -------
    X : Tensor of shape (n_samples, 2), float32
    y : Tensor of shape (n_samples, 1), float32
    """
    return _generated("make_moons", n_samples, noise, noise=noise, random_state=seed)


# -- the TensorFlow Playground's regression sets ---------------------------------------------------

#: multigauss's six bumps: (x1, x2, sign) of each centre
MULTI_GAUSS = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def _square(n_samples, noise, seed):
    """``n_samples`` points drawn uniformly from [-6, 6]², and where each one's label is read:
    the point moved by up to ``noise * 6`` in each coordinate (the TensorFlow Playground's way)."""
    _check_count("n_samples", n_samples)
    _check_noise(noise)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-6, 6, size=(n_samples, 2))
    return x, x + rng.uniform(-6, 6, size=(n_samples, 2)) * noise


@_tensors
def plane(n_samples=200, noise=0.0, seed=42):
    """A tilted plane on [-6, 6]²: y = (x1 + x2) / 10, clipped to [-1, 1] (TensorFlow Playground).

    Parameters
    ----------
    n_samples : int, default 200
        Points in all, drawn uniformly from the square [-6, 6]².
    noise : float, default 0.0
        Each point's label is read at the point moved by up to ``noise * 6`` in each coordinate
        (uniformly); the TensorFlow Playground's slider goes from 0 to 0.5.
    seed : int, default 42
        Seed of a private ``np.random.default_rng``.

    Returns
    -------
    X : Tensor of shape (n_samples, 2), float32
    y : Tensor of shape (n_samples, 1), float32 in [-1, 1]
    """
    x, shifted = _square(n_samples, noise, seed)
    return _pair(x, np.clip(shifted.sum(axis=1) / 10.0, -1, 1), column=True)


@_tensors
def multigauss(n_samples=200, noise=0.0, seed=42):
    """Six Gaussian bumps of alternating sign on [-6, 6]² (TensorFlow Playground's multi-Gaussian).

    The bumps sit at x1 in (-4, 0, 4), x2 in (2.5, -2.5) (``MULTI_GAUSS``); a point at distance d
    from a centre gets sign · max(0, 1 - d/2) from it, and takes the label of largest magnitude.
    Parameters and returns as ``plane``.
    """
    x, shifted = _square(n_samples, noise, seed)
    y = np.zeros(n_samples)
    for cx, cy, sign in MULTI_GAUSS:
        d = np.hypot(shifted[:, 0] - cx, shifted[:, 1] - cy)
        label = sign * np.clip(1 - d / 2, 0, 1)
        y = np.where(np.abs(label) > np.abs(y), label, y)
    return _pair(x, y, column=True)


@_tensors
def bump(n_samples=200, noise=0.0, seed=42):
    """One Gaussian bump on [-6, 6]²: y = 2 exp(-(x1² + x2²) / 8) - 1, from -1 far out to 1 at 0.

    Parameters and returns as ``plane``.
    """
    x, shifted = _square(n_samples, noise, seed)
    return _pair(x, 2 * np.exp(-(shifted ** 2).sum(axis=1) / 8.0) - 1, column=True)


# -- real data sets bundled with scikit-learn -----------------------------------------------------

def standardize(X, mean=None, std=None):
    """Scale every column to mean 0 and standard deviation 1: ``(X - mean) / std``.

    Compute ``mean`` and ``std`` on the training set and reuse them for the test set, so that
    nothing about the test set leaks into training.  A constant column (std 0) is divided by 1,
    as scikit-learn's ``StandardScaler`` does.

    Parameters
    ----------
    X : Tensor of shape (N, F)
    mean, std : Tensor of shape (F,), optional
        The statistics to use; by default the column means and (population) standard
        deviations of ``X``.

    Returns
    -------
    X_scaled : Tensor of shape (N, F), the dtype of ``X``
    mean, std : Tensor of shape (F,)
        The statistics used, to apply to other data.

    Examples
    --------
    >>> Xs_train, mean, std = standardize(X_train)
    >>> Xs_test, _, _ = standardize(X_test, mean, std)
    """
    if not isinstance(X, Tensor):
        raise TypeError(f"standardize expects a glassnet tensor, got {type(X).__name__}")
    if X.dim() != 2:
        raise ValueError(f"standardize expects a 2-D tensor of shape (samples, features), got shape "
                         f"{tuple(X.shape)}; reshape your data with X.reshape(-1, 1) for one feature")
    if (mean is None) != (std is None):
        raise ValueError("standardize: pass both mean and std (from a previous call), or neither")
    scaled, m, s = _standardized(np.asarray(X.detach().array), mean, std)
    return tensor(scaled), tensor(m), tensor(s)


def _standardized(values: np.ndarray, mean=None, std=None):
    """``standardize`` on a NumPy array: (scaled, mean, std) as arrays of ``values``'s dtype."""
    if mean is None:
        m = values.mean(axis=0)
        s = values.std(axis=0)
        s = np.where(s == 0, 1.0, s).astype(values.dtype)
    else:
        m = np.asarray(mean.array if isinstance(mean, Tensor) else mean, dtype=values.dtype)
        s = np.asarray(std.array if isinstance(std, Tensor) else std, dtype=values.dtype)
        if m.shape != values.shape[1:] or s.shape != values.shape[1:]:
            raise ValueError(f"standardize: mean and std must have shape ({values.shape[1]},), one value "
                             f"per column; got {m.shape} and {s.shape}")
    scaled = ((values - m) / s).astype(values.dtype)
    return scaled, np.asarray(m, values.dtype), np.asarray(s, values.dtype)


def _bundled(loader_name: str, binary: bool, scale: bool):
    import sklearn.datasets
    bunch = getattr(sklearn.datasets, loader_name)()
    X, y = _pair(bunch.data, bunch.target, binary)
    return (_standardized(X)[0], y) if scale else (X, y)


@_tensors
def digits(standardize=False):
    """8×8 images of handwritten digits 0–9 (1797 samples, 64 pixel features, 10 classes).

    Parameters
    ----------
    standardize : bool, default False
        Scale each pixel column to mean 0, std 1 (constant columns are left at 0).  The raw
        pixels are intensities from 0 to 16; ``X / 16`` is the other common scaling.

    Returns
    -------
    X : Tensor of shape (1797, 64), float32
    y : Tensor of shape (1797,), int64 (the digit)
    """
    return _bundled("load_digits", binary=False, scale=standardize)


@_tensors
def iris(standardize=False):
    """Fisher's iris flowers (150 samples, 4 measurements in cm, 3 species, 50 each).

    Parameters
    ----------
    standardize : bool, default False
        Scale each column to mean 0, std 1; the raw features are in centimetres.

    Returns
    -------
    X : Tensor of shape (150, 4), float32 (sepal length, sepal width, petal length, petal width)
    y : Tensor of shape (150,), int64 (0 setosa, 1 versicolor, 2 virginica)
    """
    return _bundled("load_iris", binary=False, scale=standardize)


@_tensors
def breast_cancer(standardize=False):
    """Wisconsin breast-cancer diagnosis (569 samples, 30 features, binary).

    Parameters
    ----------
    standardize : bool, default False
        Scale each column to mean 0, std 1.  The raw features range from about 0.001 to
        4000, so an unscaled network trains poorly; standardize for training.

    Returns
    -------
    X : Tensor of shape (569, 30), float32
    y : Tensor of shape (569, 1), float32 (1.0 benign, 0.0 malignant, scikit-learn's coding);
        for ``CrossEntropyLoss`` use ``y.long().squeeze(1)``.
    """
    return _bundled("load_breast_cancer", binary=True, scale=standardize)


@_tensors
def wine(standardize=False):
    """Chemical analysis of wines from three cultivars (178 samples, 13 features, 3 classes).

    Parameters
    ----------
    standardize : bool, default False
        Scale each column to mean 0, std 1; the raw features have very different ranges
        (proline is in the hundreds, hue around 1).

    Returns
    -------
    X : Tensor of shape (178, 13), float32
    y : Tensor of shape (178,), int64 (cultivar 0, 1 or 2)
    """
    return _bundled("load_wine", binary=False, scale=standardize)


# -- the registry ---------------------------------------------------------------------------------

_REGISTRY = {f.__name__: f for f in (dose, xor, spiral, circle, gaussian, moons, digits, iris,
                                      breast_cancer, wine, plane, multigauss, bump)}


def names() -> list:
    """The names of the built-in data sets, for ``load(name)``."""
    return list(_REGISTRY)


def _lookup(name: str):
    if name not in _REGISTRY:
        raise ValueError(f"unknown data set {name!r}; the built-in data sets are {names()} "
                         f"(for your own file use glassnet.datasets.load_csv)")
    return _REGISTRY[name]


def load(name: str, **kwargs):
    """Load a built-in data set by name: ``load("spiral", noise=0.1)`` is ``spiral(noise=0.1)``."""
    return _lookup(name)(**kwargs)


def load_arrays(name: str, **kwargs):
    """``load(name, **kwargs)`` as NumPy arrays ``(X, y)``, never made tensors: the same dtypes,
    shapes and values (every set but ``dose``, three numbers the seed lesson writes as tensors)."""
    data_set = _lookup(name)
    if not hasattr(data_set, "arrays"):
        raise ValueError(f"the data set {name!r} comes as tensors only; use load({name!r})")
    return data_set.arrays(**kwargs)


def describe(name: str) -> str:
    """One line saying what the data set ``name`` is (the first line of its docstring)."""
    return _lookup(name).__doc__.strip().splitlines()[0].replace("``", "")
