"""A training run's health over its steps: loss, gradient norms, update-to-weight ratios, and
dead or saturated units (from ``glassnet.explain.trace``'s numbers, passed as plain data)."""
from __future__ import annotations

import numpy as np

from .output import new_figure

#: The update-to-weight ratio people aim for (Karpathy's rule of thumb): ~1e-3 per step.
HEALTHY_RATIO = 1e-3


def _series(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def trace_figure(trace: dict, title: str | None = None, figsize=(11.0, 7.5)):
    """Four panels over the sampled steps of a run.

    Parameters
    ----------
    trace : dict
        ``{"steps": [...], "loss": [...], "params": {name: {"grad_norm", "update_to_weight", ...}},
        "activations": {label: {"dead_fraction", "saturated_fraction"}}}`` (lists, one value per
        sampled step; None where there is none), as ``glassnet.explain.trace.to_dict()`` gives.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    steps = np.asarray(trace.get("steps", []), dtype=np.float64)
    if steps.size == 0:
        raise ValueError("trace has no sampled steps; run at least one optimizer.step() inside the block")
    fig, axes = new_figure(figsize, nrows=2, ncols=2)
    (ax_loss, ax_grad), (ax_ratio, ax_units) = axes
    ax_loss.plot(steps, _series(trace.get("loss", [])), color="tab:blue", linewidth=1.8)
    ax_loss.set_title("loss")
    for name, cols in trace.get("params", {}).items():
        g, r = _series(cols.get("grad_norm", [])), _series(cols.get("update_to_weight", []))
        if np.any(g > 0):
            ax_grad.plot(steps, g, linewidth=1.4, label=name)
        if np.any(r > 0):
            ax_ratio.plot(steps, r, linewidth=1.4, label=name)
    for ax, what in ((ax_grad, "gradient norm ‖g‖"), (ax_ratio, "update / weight  ‖Δw‖/‖w‖")):
        ax.set_title(what)
        if ax.lines:
            ax.set_yscale("log")
            ax.legend(fontsize=7, loc="best")
    ax_ratio.axhline(HEALTHY_RATIO, color="k", linestyle="--", linewidth=1, label="1e-3")
    for label, cols in trace.get("activations", {}).items():
        dead, sat = _series(cols.get("dead_fraction", [])), _series(cols.get("saturated_fraction", []))
        if not np.all(np.isnan(dead)):
            ax_units.plot(steps, dead, linewidth=1.4, label=f"dead: {label}")
        if not np.all(np.isnan(sat)):
            ax_units.plot(steps, sat, linewidth=1.4, linestyle="--", label=f"saturated: {label}")
    ax_units.set_title("dead ReLU units / saturated σ, tanh entries")
    ax_units.set_ylim(-0.02, 1.02)
    if ax_units.lines:
        ax_units.legend(fontsize=7, loc="best")
    for ax in (ax_ratio, ax_units):
        ax.set_xlabel("step")
    if title:
        fig.suptitle(title)
    return fig
