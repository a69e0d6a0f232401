"""glassnet: a see-through neural-network engine with PyTorch's API.

>>> import glassnet as torch   # a tensor-only PyTorch program runs with this import changed
"""
from __future__ import annotations

from . import autograd
from .autograd.engine import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .creation import (FloatTensor, LongTensor, allclose, arange, as_tensor, cat, concat, concatenate,
                       empty, equal, eye, from_numpy, full, full_like, isclose, linspace, ones,
                       ones_like, rand, randint, randn, randperm, stack, unique, where, zeros,
                       zeros_like)
from .dtypes import (bool, device, double, dtype, exact, float, float32, float64, int, int32, int64,
                     long)
from .random import Generator, default_generator, initial_seed, manual_seed, seed
from .tensor import Size, Tensor, tensor

__version__ = "0.1.0"


for _name in ("exp", "log", "sqrt", "abs", "sin", "cos", "relu", "sigmoid", "tanh", "softmax",
              "log_softmax", "sum", "mean", "max", "min", "argmax", "argmin", "matmul", "mm", "clamp",
              "clip", "reshape", "flatten", "transpose", "permute", "squeeze", "unsqueeze", "pow",
              "std", "var", "t", "numel", "neg", "mul", "add", "sub", "div", "detach", "clone"):
    globals()[_name] = getattr(Tensor, _name)  # glassnet.exp(t) is t.exp()
del _name


def is_tensor(obj):
    return isinstance(obj, Tensor)


def save(obj, path) -> None:
    """Save a state dict to ``path`` in the safetensors format (see ``glassnet.serialization``)."""
    from .serialization import save as _save
    _save(obj, path)


def load(path, map_location=None, weights_only=True):
    """Load a state dict saved by ``glassnet.save`` or by ``safetensors.torch.save_file``."""
    from .serialization import load as _load
    return _load(path)


_SUBMODULES = ("nn", "optim", "data", "utils", "datasets", "explain", "lessons", "viz", "serialization",
               "playground")


def __getattr__(name):
    """``glassnet.nn`` etc. load on first use, so ``import glassnet as torch; torch.nn`` works."""
    if name in _SUBMODULES:
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'glassnet' has no attribute {name!r}")
