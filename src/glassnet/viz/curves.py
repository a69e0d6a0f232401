"""Line figures: a 1-D model's curve with its training points, and training histories."""
from __future__ import annotations

import numpy as np
import seaborn as sns

from .output import new_figure

CURVE_COLORS = ("green", "tab:orange", "tab:purple", "tab:gray")


def _as_1d(name: str, values) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        array = array.reshape(-1)
    if array.size == 0:
        raise ValueError(f"{name} is empty; pass at least one value")
    return array


def curve(x, y, *, points=None, xlabel: str = "Dose", ylabel: str = "Effectiveness",
          title: str | None = None, legend_loc: str = "best", figsize=(6.5, 4.2)):
    """A 1-D model's output against its input, as in the dose lesson's plots.

    Parameters
    ----------
    x : array of shape (N,)
        Inputs (e.g. ``linspace(0, 1, 11)``).
    y : array of shape (N,), or dict label -> array of shape (N,)
        The model's outputs; a dict draws one line per entry (``{"before": ..., "after": ...}``),
        the first in the seed's green.
    points : (xs, ys), optional
        Training points, drawn as black-edged dots on top.
    xlabel, ylabel, title : str
        Axis labels (the seed's "Dose" / "Effectiveness") and an optional title.
    legend_loc : str
        Where the legend goes (matplotlib's ``loc``, or ``"below"`` for under the axes).

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = _as_1d("x", x)
    lines = y if isinstance(y, dict) else {None: y}
    fig, ax = new_figure(figsize)
    for (label, values), color in zip(lines.items(), CURVE_COLORS):
        values = _as_1d(f"y[{label!r}]" if label else "y", values)
        if values.shape != x.shape:
            raise ValueError(f"x and y must have the same length, got {x.size} and {values.size}")
        sns.lineplot(x=x, y=values, color=color, linewidth=2.5, label=label, ax=ax)
    if points is not None:
        px, py = _as_1d("points x", points[0]), _as_1d("points y", points[1])
        ax.scatter(px, py, s=60, color="white", edgecolors="k", linewidths=1.5, zorder=5,
                   label="training data")
    if points is not None or len(lines) > 1:
        if legend_loc == "below":
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False)
        else:
            ax.legend(loc=legend_loc)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return fig


def history(loss, accuracy=None, *, test_loss=None, test_accuracy=None, title: str | None = None,
            loss_name: str = "loss", figsize=(9.0, 3.6)):
    """Loss (left) and accuracy (right) per epoch; held-out curves dashed when given.

    Parameters
    ----------
    loss : array of shape (E,)
        Training loss per epoch.
    accuracy : array of shape (E,), optional
        Training accuracy per epoch, as a fraction in [0, 1]; without it only the loss is drawn.
    test_loss, test_accuracy : array of shape (E,) or (E',), optional
        Held-out values, drawn dashed against their own epoch numbers.

    Returns
    -------
    matplotlib.figure.Figure
    """
    loss = _as_1d("loss", loss)
    panels = 2 if accuracy is not None else 1
    fig, axes = new_figure((figsize[0] if panels == 2 else figsize[0] / 1.8, figsize[1]),
                           ncols=panels)
    axes = np.atleast_1d(axes)
    epochs = np.arange(1, loss.size + 1)
    axes[0].plot(epochs, loss, color="tab:blue", linewidth=2, label="train")
    if test_loss is not None:
        test_loss = _as_1d("test_loss", test_loss)
        axes[0].plot(np.linspace(1, loss.size, test_loss.size), test_loss, color="tab:red",
                     linewidth=2, linestyle="--", label="held-out")
        axes[0].legend(loc="best")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel(loss_name)
    axes[0].set_title("Loss")
    if accuracy is not None:
        accuracy = _as_1d("accuracy", accuracy)
        axes[1].plot(np.arange(1, accuracy.size + 1), 100 * accuracy, color="tab:green",
                     linewidth=2, label="train")
        if test_accuracy is not None:
            test_accuracy = _as_1d("test_accuracy", test_accuracy)
            axes[1].plot(np.linspace(1, accuracy.size, test_accuracy.size), 100 * test_accuracy,
                         color="tab:red", linewidth=2, linestyle="--", label="held-out")
            axes[1].legend(loc="best")
        axes[1].set_xlabel("epoch")
        axes[1].set_ylabel("accuracy (%)")
        axes[1].set_ylim(0, 102)
        axes[1].set_title("Accuracy")
    if title:
        fig.suptitle(title)
    return fig


def loss_curves(runs, *, levels=None, xlabel: str = "step", ylabel: str = "loss (nats per character)",
                title: str | None = None, figsize=(8.0, 4.6)):
    """Several models' training (solid) and held-out (dashed) losses, one colour per model.

    Parameters
    ----------
    runs : dict name -> (steps, train, val)
        Three arrays of the same length per model: when the losses were measured, and their values.
    levels : dict label -> float, optional
        Horizontal reference lines (a loss floor, the data's own entropy), dotted grey, labelled.
    """
    fig, ax = new_figure(figsize)
    colors = sns.color_palette("tab10", len(runs))
    for (name, (steps, train, val)), color in zip(runs.items(), colors):
        steps, train, val = _as_1d("steps", steps), _as_1d("train", train), _as_1d("val", val)
        if not steps.shape == train.shape == val.shape:
            raise ValueError(f"{name}: steps, train and val must have the same length, got "
                             f"{steps.size}, {train.size} and {val.size}")
        ax.plot(steps, train, color=color, linewidth=2, label=f"{name} (train)")
        ax.plot(steps, val, color=color, linewidth=2, linestyle="--", label=f"{name} (val)")
    for (label, value), style in zip((levels or {}).items(), (":", "-.", (0, (1, 3)))):
        ax.axhline(value, color="dimgray", linestyle=style, linewidth=1.5, label=f"{label} {value:.3f}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper right", fontsize=8, ncol=2)
    if title:
        ax.set_title(title)
    return fig
