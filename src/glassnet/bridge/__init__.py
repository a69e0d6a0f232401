"""glassnet ↔ PyTorch: the observation layer that lets explain and doctor see real torch programs.

Nothing here imports torch at import time; an observation imports it when it starts.
``glassnet.bridge.observe`` is the module (its ``observe()`` function starts an observation):

>>> from glassnet.bridge.observe import observe               # doctest: +SKIP
>>> with observe() as seen:                                   # doctest: +SKIP
...     train()            # any unmodified torch training code
>>> seen.steps[0].loss, seen.steps[0].params["0.weight"].grad_norm   # doctest: +SKIP
"""
from __future__ import annotations

from .observe import TorchObserver  # noqa: F401
from .records import Call, Clip, ParamStat, Step, StepLimitReached  # noqa: F401

__all__ = ["TorchObserver", "Step", "Call", "ParamStat", "Clip", "StepLimitReached"]
