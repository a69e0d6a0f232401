"""Image grids for convolutional networks: the kernels of a layer and its feature maps, each
grid on one shared colour scale (so a bright cell means the same number in every panel)."""
from __future__ import annotations

import math

import numpy as np

from .output import new_figure


def image_grid(images, *, row_labels=None, col_labels=None, title: str | None = None,
               symmetric: bool = True, cmap: str | None = None, panel: float = 0.9,
               colorbar_label: str = ""):
    """A grid of 2-D images on one shared colour scale.

    Parameters
    ----------
    images : array of shape (R, C, H, W)
        One image per cell (R rows, C columns of panels).
    row_labels, col_labels : list of str, optional
        Labels at the left of each row and on top of each column.
    symmetric : bool
        Centre the scale on 0 (−m … m, diverging colours: weights, gradients); else the data's
        [min, max] (sequential colours: activations).
    panel : float
        Inches per panel.

    Returns
    -------
    matplotlib.figure.Figure
    """
    a = np.asarray(images, dtype=np.float64)
    if a.ndim != 4:
        raise ValueError(f"images must have shape (rows, columns, height, width), got {a.shape}")
    rows, cols = a.shape[:2]
    finite = a[np.isfinite(a)]
    if symmetric:
        m = float(np.max(np.abs(finite))) if finite.size else 1.0
        vmin, vmax = -(m or 1.0), (m or 1.0)
    else:
        vmin = float(finite.min()) if finite.size else 0.0
        vmax = float(finite.max()) if finite.size else 1.0
        vmax = vmax if vmax > vmin else vmin + 1.0
    cmap = cmap or ("RdBu_r" if symmetric else "viridis")
    fig, axes = new_figure((panel * cols + 1.2, panel * rows + (0.5 if title else 0.2)), style="white",
                           nrows=rows, ncols=cols)
    axes = np.asarray(axes).reshape(rows, cols)
    image = None
    for r in range(rows):
        for c in range(cols):
            ax = axes[r, c]
            image = ax.imshow(a[r, c], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0 and row_labels is not None:
                ax.set_ylabel(row_labels[r], fontsize=8)
            if r == 0 and col_labels is not None:
                ax.set_title(col_labels[c], fontsize=8)
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label=colorbar_label)
    if title:
        fig.suptitle(title)
    return fig


def kernel_grid(weight, *, title: str | None = None):
    """A convolution's kernels, weight of shape (out_channels, in_channels, kH, kW): one row per
    output channel, one column per input channel, on one scale centred on 0."""
    w = np.asarray(weight, dtype=np.float64)
    if w.ndim == 3:                       # conv1d: each kernel a 1-pixel-high strip
        w = w[:, :, None, :]
    o, c = w.shape[:2]
    return image_grid(w, row_labels=[f"out {i}" for i in range(o)], col_labels=[f"in {j}" for j in range(c)],
                      title=title, symmetric=True, colorbar_label="weight")


def feature_maps(maps, *, title: str | None = None, columns: int | None = None, symmetric: bool = False):
    """One sample's feature maps, an array (channels, H, W), as a grid of ``columns`` panels per
    row (default: about square), on one shared scale."""
    m = np.asarray(maps, dtype=np.float64)
    if m.ndim == 2:
        m = m[:, None, :]
    k = m.shape[0]
    cols = columns or math.ceil(math.sqrt(k))
    rows = math.ceil(k / cols)
    grid = np.full((rows * cols,) + m.shape[1:], np.nan)
    grid[:k] = m
    fig = image_grid(grid.reshape((rows, cols) + m.shape[1:]), title=title, symmetric=symmetric,
                     colorbar_label="value")
    for i, ax in enumerate(fig.axes[:rows * cols]):
        if i < k:
            ax.set_title(f"channel {i}", fontsize=8)
        else:
            ax.set_axis_off()
    return fig
