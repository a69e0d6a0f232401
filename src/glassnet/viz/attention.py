"""Attention weights as heatmaps over (query, key): one head with the characters on its axes, or
every head of a model as small multiples.  Masked entries (a NaN, or above the diagonal of a
causal head) are drawn in light grey, outside the colour scale, never as a weight of 0."""
from __future__ import annotations

import numpy as np
from matplotlib.patches import Patch

from .images import image_grid
from .output import new_figure

CMAP = "viridis"
MASKED = "#d9d9d9"


def _masked(weights, causal: bool) -> np.ma.MaskedArray:
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(f"attention weights must be a square (query, key) matrix, got shape {w.shape}")
    mask = ~np.isfinite(w)
    if causal:
        mask |= np.triu(np.ones(w.shape, dtype=bool), k=1)
    return np.ma.masked_array(np.where(mask, 0.0, w), mask=mask)


def _show(ax, w, vmax):
    import matplotlib
    cmap = matplotlib.colormaps[CMAP].with_extremes(bad=MASKED)
    image = ax.imshow(w, cmap=cmap, vmin=0.0, vmax=vmax, interpolation="nearest")
    return image


def _label(token: str) -> str:
    return {"\n": "⏎", " ": "␣"}.get(token, token)


def attention_map(weights, tokens=None, *, causal: bool = True, title: str | None = None,
                  figsize=(7.2, 6.4)):
    """One head's attention weights: row = query position, column = key position.

    Parameters
    ----------
    weights : array of shape (T, T)
        Each row sums to 1 over the positions it may see.
    tokens : sequence of str, optional
        The T characters (or tokens) of the sequence, written along both axes (newline as ⏎,
        space as ␣).
    causal : bool
        Mask the entries above the diagonal (the future), as a decoder head does.
    """
    w = _masked(weights, causal)
    fig, ax = new_figure(figsize, style="white")
    image = _show(ax, w, vmax=1.0)
    fig.colorbar(image, ax=ax, shrink=0.8, label="attention weight")
    if tokens is not None:
        if len(tokens) != w.shape[0]:
            raise ValueError(f"{len(tokens)} tokens for a {w.shape[0]}×{w.shape[0]} map")
        labels = [_label(t) for t in tokens]
        ticks = np.arange(len(labels))
        ax.set_xticks(ticks, labels, fontsize=8, fontfamily="monospace")
        ax.set_yticks(ticks, labels, fontsize=8, fontfamily="monospace")
    ax.set_xlabel("key: the position read")
    ax.set_ylabel("query: the position reading")
    if w.mask.any():
        ax.legend(handles=[Patch(facecolor=MASKED, edgecolor="gray", label="masked (the future)")],
                  loc="upper right", fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def attention_maps(weights, masked=None, *, titles=None, title: str | None = None,
                   ncols: int | None = None, row_labels=None, col_labels=None):
    """Many heads on one shared colour scale (viridis: dark is small; the colour bar): ``weights``
    of shape (heads, queries, keys), one panel per head (``titles``, ``ncols`` to a row), or
    (layers, heads, queries, keys), one row per layer (``row_labels``, ``col_labels``).  Entries
    where ``masked`` (bool, broadcast to ``weights``; default: the non-finite ones) is True are
    drawn hatched grey, as masked, not as a weight of 0."""
    from matplotlib.patches import Rectangle

    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 2:
        w = w[None]
    if w.ndim not in (3, 4):
        raise ValueError(f"weights must have shape (heads, queries, keys) or (layers, heads, queries, "
                         f"keys), got {w.shape}")
    m = ~np.isfinite(w) if masked is None else np.broadcast_to(np.asarray(masked, bool), w.shape)
    fig = image_grid(np.where(m, np.nan, w), titles=titles, title=title, ncols=ncols, cmap=CMAP,
                     row_labels=row_labels, col_labels=col_labels, colorbar_label="attention weight")
    for ax, mm in zip(fig.axes, m.reshape((-1,) + w.shape[-2:])):
        if mm.any() and ax.get_visible():
            rows, cols = mm.shape
            ax.add_patch(Rectangle((-0.5, -0.5), cols, rows, facecolor="0.88", edgecolor="0.6",
                                   hatch="///", linewidth=0, zorder=-1))
            ax.set_xlabel("key", fontsize=7)
            ax.set_ylabel("query", fontsize=7)
    return fig
