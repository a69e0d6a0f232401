"""A binary classifier's decision boundary over 2-D data, in the seed's contour style."""
from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from .output import new_figure

LEVELS = np.linspace(0, 1, 11)


def _check_points(name: str, X, y):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"{name} must have shape (N, 2) to draw a 2-D boundary, got {X.shape}")
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"{name} has {X.shape[0]} rows but its labels have {y.shape[0]}")
    return X, y


def probability_grid(predict, X, resolution: int = 100, padding: float = 0.5):
    """Evaluate ``predict`` on a ``resolution`` × ``resolution`` grid covering ``X`` plus ``padding``.

    Parameters
    ----------
    predict : callable
        Maps an array of shape (M, 2) to probabilities of class 1, shape (M,) or (M, 1).
    X : array of shape (N, 2)

    Returns
    -------
    xx, yy, Z : arrays of shape (resolution, resolution)
    """
    X = np.asarray(X, dtype=np.float64)
    x_min, x_max = X[:, 0].min() - padding, X[:, 0].max() + padding
    y_min, y_max = X[:, 1].min() - padding, X[:, 1].max() + padding
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, resolution), np.linspace(y_min, y_max, resolution))
    grid = np.c_[xx.ravel(), yy.ravel()].astype(np.float32)
    Z = np.asarray(predict(grid), dtype=np.float64)
    if Z.size != grid.shape[0]:
        raise ValueError(f"predict must return one probability per grid point ({grid.shape[0]}), "
                         f"got an array of shape {Z.shape}")
    return xx, yy, Z.reshape(xx.shape)


def decision_boundary(predict, X, y, *, X_test=None, y_test=None, title: str = "Decision Boundary",
                      resolution: int = 100, padding: float = 0.5, figsize=(7.0, 5.6)):
    """Filled contours of P(class 1) with the data on top (seed lesson 003's ``plot_decision_boundary``).

    Contours use ``levels=linspace(0, 1, 11)``, ``cmap='RdBu_r'``, ``alpha=0.6`` and a colorbar
    labelled ``P(Class 1)``; points are coloured by label with black edges.  Held-out points,
    when given, are drawn as triangles so the two sets can be told apart.

    Parameters
    ----------
    predict : callable
        Maps an array of shape (M, 2) to P(class 1), shape (M,) or (M, 1).
    X, y : arrays of shape (N, 2) and (N,) or (N, 1)
        Training points and their 0/1 labels.
    X_test, y_test : optional
        Held-out points and labels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    X, y = _check_points("X", X, y)
    everything = X if X_test is None else np.vstack([X, np.asarray(X_test, dtype=np.float64)])
    xx, yy, Z = probability_grid(predict, everything, resolution, padding)
    fig, ax = new_figure(figsize, style="white")
    filled = ax.contourf(xx, yy, Z, levels=LEVELS, cmap="RdBu_r", alpha=0.6)
    fig.colorbar(filled, ax=ax, label="P(Class 1)")
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", vmin=0, vmax=1, edgecolors="k", s=40,
               label="train")
    if X_test is not None:
        X_test, y_test = _check_points("X_test", X_test, y_test)
        ax.scatter(X_test[:, 0], X_test[:, 1], c=y_test, cmap="RdBu_r", vmin=0, vmax=1,
                   edgecolors="k", s=55, marker="^", label="held-out")
        ax.legend(handles=[
            Line2D([], [], marker=m, linestyle="", markerfacecolor="#bbbbbb", markeredgecolor="k",
                   markersize=7, label=label) for m, label in (("o", "train"), ("^", "held-out"))],
            loc="upper right")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    return fig
