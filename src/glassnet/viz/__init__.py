"""Figures for lessons, the command line and the tour report (matplotlib + seaborn, headless).

Every function takes plain NumPy arrays (or a callable that maps a NumPy array to
probabilities) and returns a ``matplotlib.figure.Figure``; nothing here imports the engine, so
a figure can be drawn from any model that can be called on an array.  Figures are built on
``matplotlib.figure.Figure`` directly, never through ``pyplot``'s global state, and drawn on the Agg canvas, so they render without a display,
never change the user's matplotlib backend, and can be drawn from several threads.

>>> import numpy as np
>>> from glassnet import viz
>>> fig = viz.curve(np.linspace(0, 1, 11), np.linspace(0, 1, 11) ** 2)
>>> paths = viz.save(fig, "/tmp/curve")            # /tmp/curve.png and /tmp/curve.svg
>>> uri = viz.to_data_uri(fig)                      # "data:image/png;base64,..." for HTML
"""
from __future__ import annotations

from .attention import attention_map, attention_maps
from .boundary import decision_boundary, probability_grid
from .curves import curve, history, loss_curves
from .diagram import network_diagram
from .images import channel_maps, confusion_matrix, feature_maps, image_grid, kernel_grid, saliency
from .output import new_figure, save, to_data_uri, to_svg
from .trace import trace_figure

__all__ = ["curve", "history", "decision_boundary", "probability_grid", "network_diagram", "save", "new_figure",
           "to_data_uri", "to_svg", "trace_figure", "image_grid", "kernel_grid", "channel_maps",
           "feature_maps", "saliency", "confusion_matrix", "attention_map", "attention_maps",
           "loss_curves"]
