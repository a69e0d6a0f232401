"""glassnet ↔ PyTorch: models, optimizers and schedulers cross both ways, and glassnet's views
observe real torch models.  torch is imported only inside this package, and only when used.

>>> from glassnet.bridge import to_torch, from_torch
"""
import importlib

_LAZY = {  # public name → submodule that defines it (imported on first use)
    "to_torch": "convert", "from_torch": "convert", "counterpart": "convert",
    "CrossingError": "engines",
}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'glassnet.bridge' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


__all__ = sorted(_LAZY)
