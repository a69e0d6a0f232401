"""glassnet ↔ PyTorch: models, optimizers and schedulers cross both ways (``to_torch``,
``from_torch``).

Nothing here imports torch at import time: ``convert`` imports it on first use.

>>> from glassnet.bridge import to_torch, from_torch          # doctest: +SKIP
>>> torch_model = to_torch(model)                             # doctest: +SKIP

The torch observation that explain and doctor use (torch's global hooks, the function mode, the
step records) is its own package, ``glassnet.observe``; its public names stay importable from
here as well (``glassnet.bridge.TorchObserver``, ``Step``, ``Call``, ``ParamStat``, ``Clip``,
``StepLimitReached``).
"""
from __future__ import annotations

import importlib

from ..observe import Call, Clip, ParamStat, Step, StepLimitReached, TorchObserver  # noqa: F401

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
