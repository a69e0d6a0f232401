"""Image figures: grids of small images (kernels, digits), feature maps, saliency maps, and the
confusion matrix of a classifier.

Every function takes NumPy arrays (an image is a 2-D array, a stack of them a 3-D array
(count, height, width)) and returns a ``matplotlib.figure.Figure``.
"""
from __future__ import annotations

import math

import numpy as np
import seaborn as sns

from .output import new_figure


def _stack(name: str, images) -> np.ndarray:
    array = np.asarray(images, dtype=np.float64)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[0] == 0:
        raise ValueError(f"{name} must be a stack of 2-D images (count, height, width); got shape "
                         f"{array.shape}")
    return array


def _grid(rows: int, cols: int, cell: float = 1.25, extra=(0.0, 0.5)):
    fig, axes = new_figure((cols * cell + extra[0], rows * cell + extra[1]), style="white",
                           nrows=rows, ncols=cols)
    axes = np.asarray(axes).reshape(rows, cols)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    return fig, axes


def image_grid(images, *, titles=None, title: str | None = None, ncols: int | None = None,
               symmetric: bool = False, cmap: str | None = None, colorbar: bool = True,
               row_labels=None, col_labels=None, colorbar_label: str = ""):
    """Small images on one shared colour scale (so a bright cell means the same number in every
    panel): a conv layer's kernels, digits, feature maps.

    Parameters
    ----------
    images : array of shape (count, height, width), laid out ``ncols`` to a row (default up to 8),
        or of shape (rows, columns, height, width), one image per cell (NaN cells stay blank)
    titles : list of str, optional
        One per image (for a (count, h, w) stack).
    row_labels, col_labels : list of str, optional
        Labels at the left of each row and on top of each column (for a 4-D grid).
    symmetric : bool
        Centre the colour scale on 0 (a diverging map, blue < 0 < red): what weights and gradients
        need, so their signs and sizes can be compared.
    cmap : str, optional
        Default ``"RdBu_r"`` when symmetric, else ``"gray_r"`` (ink dark on white).
    """
    array = np.asarray(images, dtype=np.float64)
    if array.ndim == 4:
        nrows, ncols = array.shape[:2]
        cells = array.reshape((-1,) + array.shape[2:])
    else:
        cells = _stack("images", images)
        ncols = ncols or min(len(cells), 8)
        nrows = -(-len(cells) // ncols)
    fig, axes = _grid(nrows, ncols, extra=(0.8 if colorbar else 0.0, 0.6))
    finite = cells[np.isfinite(cells)]
    bound = float(np.abs(finite).max()) if finite.size else 1.0
    if symmetric:
        vmin, vmax = -(bound or 1.0), (bound or 1.0)
    else:
        vmin = float(finite.min()) if finite.size else 0.0
        vmax = float(finite.max()) if finite.size else 1.0
    cmap = cmap or ("RdBu_r" if symmetric else "gray_r")
    shown = None
    for i, ax in enumerate(axes.ravel()):
        if i >= len(cells) or not np.isfinite(cells[i]).any():
            ax.set_visible(False)
            continue
        shown = ax.imshow(cells[i], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        row, col = divmod(i, ncols)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=9)
        if col == 0 and row_labels is not None:
            ax.set_ylabel(row_labels[row], fontsize=8)
        if row == 0 and col_labels is not None:
            ax.set_title(col_labels[col], fontsize=8)
    if colorbar and shown is not None:
        fig.colorbar(shown, ax=axes.ravel().tolist(), shrink=0.8, label=colorbar_label)
    if title:
        fig.suptitle(title)
    return fig


def kernel_grid(weight, *, title: str | None = None):
    """A convolution's kernels, weight of shape (out_channels, in_channels, kH, kW) (or (out, in, k)
    for conv1d): one row per output channel, one column per input channel, centred on 0."""
    w = np.asarray(weight, dtype=np.float64)
    if w.ndim == 3:                       # conv1d: each kernel a 1-pixel-high strip
        w = w[:, :, None, :]
    o, c = w.shape[:2]
    return image_grid(w, row_labels=[f"out {i}" for i in range(o)], col_labels=[f"in {j}" for j in range(c)],
                      title=title, symmetric=True, colorbar_label="weight")


def channel_maps(maps, *, title: str | None = None, columns: int | None = None, symmetric: bool = False):
    """One sample's feature maps, an array (channels, H, W) (or (channels, L)), as a grid of
    ``columns`` panels per row (default: about square), titled by channel, on one shared scale."""
    m = np.asarray(maps, dtype=np.float64)
    if m.ndim == 2:
        m = m[:, None, :]
    k = m.shape[0]
    cols = columns or math.ceil(math.sqrt(k))
    rows = math.ceil(k / cols)
    grid = np.full((rows * cols,) + m.shape[1:], np.nan)
    grid[:k] = m
    fig = image_grid(grid.reshape((rows, cols) + m.shape[1:]), title=title, symmetric=symmetric,
                     cmap=None if symmetric else "magma", colorbar_label="value")
    for i, ax in enumerate(fig.axes[:k]):
        ax.set_title(f"channel {i}", fontsize=8)
    return fig


def feature_maps(inputs, maps, *, labels=None, map_titles=None, title: str | None = None):
    """For each input image, the image and then what each channel of a layer made of it.

    Parameters
    ----------
    inputs : array of shape (count, height, width)
        The images (e.g. a few digits).
    maps : array of shape (count, channels, h, w)
        The layer's output for each image (e.g. after the first convolution and its ReLU).
    labels : list of str, optional
        One per input (its class), shown on the left.
    map_titles : list of str, optional
        One per channel, shown over the first row.
    """
    inputs = _stack("inputs", inputs)
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim != 4 or len(maps) != len(inputs):
        raise ValueError(f"maps must have shape (count, channels, h, w) with count {len(inputs)}; "
                         f"got {maps.shape}")
    count, channels = maps.shape[:2]
    fig, axes = _grid(count, channels + 1)
    top = float(maps.max()) or 1.0
    for r in range(count):
        axes[r, 0].imshow(inputs[r], cmap="gray_r", interpolation="nearest")
        if labels is not None:
            axes[r, 0].set_ylabel(str(labels[r]), rotation=0, labelpad=18, fontsize=11)
        for c in range(channels):
            axes[r, c + 1].imshow(maps[r, c], cmap="magma", vmin=min(0.0, float(maps.min())),
                                  vmax=top, interpolation="nearest")
    axes[0, 0].set_title("input", fontsize=9)
    for c in range(channels):
        axes[0, c + 1].set_title(map_titles[c] if map_titles is not None else f"channel {c}",
                                 fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def saliency(images, gradients, *, titles=None, title: str | None = None):
    """Each image above the size of its saliency map, |∂ class score / ∂ pixel|.

    Parameters
    ----------
    images : array of shape (count, height, width)
    gradients : array of shape (count, height, width)
        The gradient of a class score with respect to each input pixel; drawn as its absolute
        value, scaled per image (the brightest pixel is the one whose change moves the score most).
    """
    images, gradients = _stack("images", images), _stack("gradients", gradients)
    if images.shape != gradients.shape:
        raise ValueError(f"images {images.shape} and gradients {gradients.shape} differ in shape")
    count = len(images)
    fig, axes = _grid(2, count)
    for i in range(count):
        axes[0, i].imshow(images[i], cmap="gray_r", interpolation="nearest")
        size = np.abs(gradients[i])
        axes[1, i].imshow(size / (size.max() or 1.0), cmap="hot", vmin=0, vmax=1,
                          interpolation="nearest")
        if titles is not None:
            axes[0, i].set_title(str(titles[i]), fontsize=9)
    axes[0, 0].set_ylabel("input", fontsize=9)
    axes[1, 0].set_ylabel("|gradient|", fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def confusion_matrix(matrix, *, classes=None, title: str | None = None, figsize=(5.6, 4.8)):
    """A classifier's confusion matrix: row = true class, column = predicted class, counts.

    Parameters
    ----------
    matrix : array of shape (K, K)
        ``matrix[i, j]``: how many samples of class ``i`` were predicted as ``j``.
    classes : list of str, optional
        Class names (default 0 … K−1).
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"a confusion matrix is square; got shape {matrix.shape}")
    names = [str(c) for c in (classes if classes is not None else range(len(matrix)))]
    fig, ax = new_figure(figsize, style="white")
    sns.heatmap(matrix, annot=True, fmt="d" if matrix.dtype.kind in "iu" else ".2g", cmap="Blues",
                cbar=False, xticklabels=names, yticklabels=names, square=True, ax=ax,
                annot_kws={"fontsize": 8})
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title)
    return fig
