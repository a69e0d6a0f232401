"""The ``glassnet train`` / ``glassnet predict`` pipeline (not a lesson: lessons use it).

``config`` turns defaults, a TOML file and flags into a checked ``Spec``; ``data`` loads, splits
and scales (NumPy, engine-neutral); ``model`` builds the MLP and scores outputs; ``loop`` runs
the epochs with a runner (glassnet's own, or ``torch_runner``'s for ``--engine torch``, with
``distributed`` for ``--nproc``); ``outputs`` writes the checkpoint and figures and rebuilds a
saved model for ``predict``; ``pipeline.fit`` puts them together.
"""
from .config import BUILTIN, Spec, resolve
from .data import Data, Prepared, load_data, prepare
from .loop import TrainingError
from .model import build_model, predictions
from .outputs import TrainingRun, predict, read_architecture, write_predictions
from .pipeline import fit

__all__ = ["BUILTIN", "Spec", "resolve", "Data", "Prepared", "TrainingError", "TrainingRun", "build_model", "fit",
           "load_data", "predict", "predictions", "prepare", "read_architecture",
           "write_predictions"]
