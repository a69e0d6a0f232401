"""The ``glassnet train`` / ``glassnet predict`` pipeline (not a lesson: lessons use it).

The modules import one way, bottom to top:

1. ``config`` turns defaults, a TOML file, flags (and, from the CLI, torchrun's environment)
   into a checked ``Spec``; ``task`` infers the task from the labels; ``prepared`` loads (through
   ``glassnet.data``, as NumPy arrays), splits and scales; ``model`` builds the MLP (or the
   LeNet of ``--model lenet``) and scores outputs;
2. ``guards`` checks paths and checkpoints; ``divergence`` stops a diverging run; ``loop`` runs
   the epochs with a runner, and holds glassnet's; ``outputs`` writes the checkpoint and figures
   and rebuilds a saved model for ``predict``;
3. the torch engine: ``torch_runner`` (``--engine torch``) and ``distributed`` (``--nproc``,
   torchrun's workers);
4. ``pipeline.fit`` puts them together (``explain_step`` records one step of a saved model).
"""
from .config import BUILTIN, Spec, resolve
from .loop import TrainingError
from .model import build_model, predictions
from .outputs import TrainingRun, predict, read_architecture, write_predictions
from .pipeline import fit
from .prepared import Data, Prepared, load_data, prepare

__all__ = ["BUILTIN", "Spec", "resolve", "Data", "Prepared", "TrainingError", "TrainingRun", "build_model", "fit",
           "load_data", "predict", "predictions", "prepare", "read_architecture",
           "write_predictions"]
