"""The ``glassnet train`` / ``glassnet predict`` pipeline (not a lesson: lessons use it).

``config`` turns defaults, a TOML file and flags into a checked ``Spec``; ``pipeline`` loads the
data, trains, and writes the outputs; ``predict`` rebuilds a saved model from its metadata.
"""
from .config import BUILTIN, Spec, resolve
from .pipeline import (Data, TrainingRun, build_model, fit, load_data, predict, predictions,
                       read_architecture, write_predictions)

__all__ = ["BUILTIN", "Spec", "resolve", "Data", "TrainingRun", "build_model", "fit", "load_data",
           "predict", "predictions", "read_architecture", "write_predictions"]
