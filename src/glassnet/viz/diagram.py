"""A fully connected network drawn as in the seeds: weights on the edges, biases on the nodes."""
from __future__ import annotations

import numpy as np

from .output import new_figure

POSITIVE, NEGATIVE, NEUTRAL = "#1f5fa8", "#c0392b", "#9a9a9a"


def _layers(weights, biases):
    weights = [np.atleast_2d(np.asarray(w, dtype=np.float64)) for w in weights]
    if not weights:
        raise ValueError("weights is empty; pass one (out_features, in_features) matrix per layer")
    biases = [None] * len(weights) if biases is None else list(biases)
    if len(biases) != len(weights):
        raise ValueError(f"got {len(weights)} weight matrices but {len(biases)} bias vectors")
    sizes = [weights[0].shape[1]]
    for k, w in enumerate(weights):
        if w.shape[1] != sizes[-1]:
            raise ValueError(f"layer {k} weight has shape {w.shape} (out, in) but the layer before it "
                             f"has {sizes[-1]} units; weights use PyTorch's (out_features, in_features)")
        sizes.append(w.shape[0])
    biases = [None if b is None else np.asarray(b, dtype=np.float64).reshape(-1) for b in biases]
    return weights, biases, sizes


def _fmt(value: float, decimals: int) -> str:
    """``-40.8``, ``1.7``, ``0``: rounded to ``decimals`` digits, trailing zeros dropped."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if float(text) == 0 else text


def _default_names(sizes):
    names = [[f"x{i + 1}" for i in range(sizes[0])]]
    for layer, n in enumerate(sizes[1:-1], start=1):
        names.append([f"h{layer},{i + 1}" if len(sizes) > 3 else f"h{i + 1}" for i in range(n)])
    names.append(["ŷ"] if sizes[-1] == 1 else [f"ŷ{i + 1}" for i in range(sizes[-1])])
    return names


def network_diagram(weights, biases=None, *, node_names=None, activations=None,
                    title: str | None = None, decimals: int = 2, max_labels: int = 48,
                    figsize=None):
    """Draw a fully connected network with every weight on its edge and every bias on its node.

    Parameters
    ----------
    weights : list of arrays, each (out_features, in_features)
        One matrix per layer, in PyTorch's ``nn.Linear`` layout.
    biases : list of arrays (out_features,) or None, optional
        One vector per layer (None for a layer without bias).
    node_names : list of lists of str, optional
        A name per node and layer (inputs first); defaults to x1.., h1.., ŷ.
    activations : list of str, optional
        One label per layer drawn under the layer (e.g. ``["ReLU", "identity"]``).
    decimals : int
        Digits shown for weights and biases.
    max_labels : int
        Above this many edges the weight values are left off (a 2-16-8-1 net has 168); edge colour
        (blue positive, red negative) and width (|w|) still show them.

    Returns
    -------
    matplotlib.figure.Figure
    """
    weights, biases, sizes = _layers(weights, biases)
    names = node_names or _default_names(sizes)
    tallest = max(sizes)
    if figsize is None:
        figsize = (1.8 + 2.4 * (len(sizes) - 1), min(8.0, max(3.0, 0.95 * tallest + 1.4)))
    # nodes are markers sized in points, so circles stay round whatever the figure's shape
    pitch = 72 * (figsize[1] - 1.2) / max(tallest, 2)  # points between neighbouring nodes
    diameter = min(34.0, 0.72 * pitch)
    detailed = diameter >= 22 and tallest <= 10
    ys = [(np.arange(n) - (n - 1) / 2)[::-1] for n in sizes]
    fig, ax = new_figure(figsize, style="white")
    n_edges = sum(w.size for w in weights)
    show_values = n_edges <= max_labels
    biggest = max(float(np.abs(w).max()) for w in weights) or 1.0
    for layer, w in enumerate(weights):
        x0, x1 = float(layer), float(layer + 1)
        n_out, n_in = w.shape
        for j in range(n_out):
            for i in range(n_in):
                value = w[j, i]
                y0, y1 = ys[layer][i], ys[layer + 1][j]
                color = NEUTRAL if value == 0 else (POSITIVE if value > 0 else NEGATIVE)
                ax.plot([x0, x1], [y0, y1], color=color, zorder=1, alpha=0.85,
                        linewidth=0.5 + 2.6 * abs(value) / biggest)
                if show_values:
                    # labels of one target's edges sit at different depths so they do not collide
                    t = 0.3 + 0.4 * (i / (n_in - 1) if n_in > 1 else 0.5)
                    ax.text(x0 + t, y0 + t * (y1 - y0), _fmt(value, decimals), fontsize=8,
                            ha="center", va="center", color=color, zorder=3,
                            bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85))
    for layer, n in enumerate(sizes):
        face = "#eaf2e3" if layer == 0 else ("#fdebd0" if layer == len(sizes) - 1 else "#e8eef8")
        ax.scatter(np.full(n, float(layer)), ys[layer], s=diameter ** 2, c=face, edgecolors="k",
                   linewidths=1.2, zorder=4)
        bias = biases[layer - 1] if layer > 0 else None
        for i in range(n):
            if detailed:
                ax.text(layer, ys[layer][i], names[layer][i], ha="center", va="center", fontsize=9,
                        zorder=5)
            if bias is not None and detailed:
                ax.annotate(f"b={_fmt(bias[i], decimals)}", (layer, ys[layer][i]),
                            xytext=(0, -diameter / 2 - 2), textcoords="offset points", ha="center",
                            va="top", fontsize=8, color="#333333", zorder=5)
    if activations:
        for layer, act in enumerate(activations, start=1):
            ax.annotate(act, (layer, -(tallest - 1) / 2), xytext=(0, -diameter / 2 - 17),
                        textcoords="offset points", ha="center", va="top", fontsize=9,
                        style="italic", color="#555555")
    ax.set_xlim(-0.25, len(sizes) - 0.75)
    top = (tallest - 1) / 2
    ax.set_ylim(-top - 0.9, top + 0.6)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return fig
