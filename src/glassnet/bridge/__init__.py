"""glassnet ↔ PyTorch: models, optimizers and schedulers cross both ways (``to_torch``,
``from_torch``), and the observation layer lets explain and doctor see real torch programs.

Nothing here imports torch at import time: ``convert`` imports it on first use, an observation
imports it when it starts.  ``glassnet.bridge.observe`` is the module (its ``observe()``
function starts an observation):

>>> from glassnet.bridge import to_torch, from_torch          # doctest: +SKIP
>>> from glassnet.bridge.observe import observe               # doctest: +SKIP
>>> with observe() as seen:                                   # doctest: +SKIP
...     train()            # any unmodified torch training code
>>> seen.steps[0].loss, seen.steps[0].params["0.weight"].grad_norm   # doctest: +SKIP
"""
from __future__ import annotations

import importlib

from .observe import TorchObserver  # noqa: F401
from .records import Call, Clip, ParamStat, Step, StepLimitReached  # noqa: F401

_LAZY = {  # public name → submodule that defines it (imported on first use)
    "to_torch": "convert", "from_torch": "convert", "counterpart": "crossed",
    "CrossingError": "engines",
}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'glassnet.bridge' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


__all__ = ["TorchObserver", "Step", "Call", "ParamStat", "Clip", "StepLimitReached", *sorted(_LAZY)]
