"""glassnet: a see-through neural-network engine with PyTorch's API.

>>> import glassnet as torch   # a tensor-only PyTorch program runs with this import changed
"""
from __future__ import annotations

import sys as _sys

from . import autograd  # first: the engine, before the tensor that uses it
from .autograd.engine import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.grad_mode import inference_mode
from .random import Generator, default_generator, initial_seed, manual_seed, seed
from .serialization.checkpoint import is_flat_state_dict as _is_flat_state_dict
from .serialization.checkpoint import load_any as _load_any
from .serialization.checkpoint import save_checkpoint as _save_checkpoint
from .serialization.safetensors_io import save as _save_state_dict
from .tensors.aliases import accept_aliases as _accept_aliases
from .amp import autocast
from .tensors.creation import (BFloat16Tensor, BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor,
                              HalfTensor, IntTensor, LongTensor, ShortTensor, allclose, arange, as_tensor, cat, column_stack, concat,
                              concatenate, dstack, empty, empty_like, equal, eye, from_numpy, full, full_like,
                              hstack, isclose, linspace, ones, ones_like, rand, randint, randn, randperm,
                              meshgrid, row_stack, stack, unique, vstack, where, zeros, zeros_like)
from .tensors.device import check_device as _check_device
from .tensors.device import device
from .tensors.dtypes import as_dtype as _as_dtype
from .tensors.dtypes import (bfloat16, bool, double, dtype, exact, float, float16, float32, float64, half, int,
                             int8, int16, int32, int64, long, short, uint8)
from .tensors.functions import *  # noqa: F401,F403 - glassnet.sum(input, dim) and the other method forms
from .tensors.sampling import bernoulli, multinomial, normal, poisson, rand_like, randint_like, randn_like
from .tensors.tensor import Size, Tensor, tensor
from .data import datasets
from .serialization import checkpoint

# Their homes are glassnet/data/ and glassnet/serialization/; these two older paths stay importable
# (``import glassnet.datasets``, ``from glassnet.checkpoint import rebuild``) as the same modules.
_sys.modules[f"{__name__}.datasets"] = datasets
_sys.modules[f"{__name__}.checkpoint"] = checkpoint

__version__ = "0.1.0"

cat = concat = _accept_aliases(cat)             # torch.cat(xs, axis=1) works as in torch
concatenate, stack = _accept_aliases(concatenate), _accept_aliases(stack)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def _assert(condition, message):
    """``torch._assert``: ``assert condition, message`` that also works where Python's ``assert``
    is compiled away (a tensor condition is checked with ``bool()``)."""
    if not condition:
        raise AssertionError(message)


def save(obj, f) -> None:
    """Save a state dict, or a checkpoint dict, to ``f`` in the safetensors format (never pickle).

    A flat dict of name → Tensor (``model.state_dict()``) is written as it is; any other dict (of
    state dicts, tensors, numbers, strings, lists, an optimizer's ``state_dict()``) is written by
    ``glassnet.checkpoint``: tensors under flattened names, everything else as JSON metadata.
    """
    if hasattr(obj, "state_dict") and hasattr(obj, "parameters"):  # a whole nn.Module
        raise TypeError(f"glassnet.save: got a whole {type(obj).__name__} module. glassnet never writes "
                        f"pickle (a pickled model runs code when loaded), so it saves state, not "
                        f"objects: glassnet.save(model.state_dict(), path) writes safetensors, and "
                        f"model.load_state_dict(glassnet.load(path)) restores it into a model built by "
                        f"your code. In torch, do the same (torch.save(model.state_dict(), path)) "
                        f"rather than torch.save(model, path).")
    if _is_flat_state_dict(obj):
        _save_state_dict(obj, f)
    else:
        _save_checkpoint(obj, f)


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """Load what ``glassnet.save`` wrote (a state dict or a checkpoint dict) or a safetensors file.

    ``map_location`` may name the CPU only (or be a dict or function, as in torch: the tensors stay
    on the CPU); ``weights_only`` and ``mmap`` are accepted (loading never runs code; the file is
    read whole).  A pickle written by ``torch.save`` raises one line saying how to convert it.
    """
    if map_location is not None and not callable(map_location) and not isinstance(map_location, dict):
        _check_device(map_location)
    if pickle_module is not None:
        raise TypeError("glassnet.load reads safetensors and never unpickles: pickle_module does not apply")
    _refuse_torch_pickle(f)
    return _load_any(f)


def _refuse_torch_pickle(f) -> None:
    """A file ``torch.save`` wrote (a zip archive, or a bare pickle) gets one line: how to convert it.
    A safetensors file (8-byte header length, then ``{``) is never mistaken for one."""
    if hasattr(f, "read"):
        if not hasattr(f, "seek"):
            return
        start = f.tell() if hasattr(f, "tell") else 0
        head = f.read(9)
        f.seek(start)
    else:
        try:
            with open(f, "rb") as handle:
                head = handle.read(9)
        except OSError:
            return  # the reader names the missing file
    if head[8:9] == b"{":
        return  # safetensors
    if head.startswith(b"PK\x03\x04") or (head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")):
        name = getattr(f, "name", "the file object") if hasattr(f, "read") else f
        raise ValueError(f"{name!s} was written by torch.save (a pickle), which glassnet does not unpickle "
                         f"(unpickling runs code); convert it once with torch installed: "
                         f"glassnet.save({{k: glassnet.bridge.from_torch(v) for k, v in torch.load(path)"
                         f".items()}}, new_path), or cross a whole model with "
                         f"glassnet.bridge.from_torch(torch_model)")


def set_default_dtype(d) -> None:
    """Only float32 is supported as the default (glassnet's creation functions always use it)."""
    if _as_dtype(d).name != "float32":
        raise NotImplementedError("glassnet's default dtype is float32; pass dtype=glassnet.float64 "
                                  "to each creation call instead")


_DEFAULT_DEVICE = device("cpu")


def set_default_device(device) -> None:  # noqa: F811 - torch's parameter name
    """Accept ``"cpu"``, ``glassnet.device("cpu")`` or ``None`` (glassnet computes on the CPU only);
    any other device raises the error a CPU-only torch build raises (torch itself raises it later,
    at the first tensor created there)."""
    _check_device(device)


def get_default_device():
    """``device(type='cpu')``: where glassnet creates tensors, always."""
    return _DEFAULT_DEVICE


def get_default_dtype():
    return float32


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Accepted: glassnet's NumPy kernels are deterministic already."""


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None) -> None:
    """Not supported: glassnet prints as torch's defaults do."""
    raise NotImplementedError("set_printoptions is not supported by glassnet (it prints with torch's "
                              "default options)")


_SUBMODULES = ("nn", "optim", "data", "utils", "explain", "lessons", "viz", "playground", "cuda",
               "backends", "amp", "onnx", "distributed", "accelerator", "compat", "doctor", "training", "bridge", "observe", "cli")


def __getattr__(name):
    """``glassnet.nn`` etc. load on first use, so ``import glassnet as torch; torch.nn`` works (the
    one place where a lower floor reaches the packages above it: on attribute access, by name)."""
    if name in _SUBMODULES:
        import importlib
        return importlib.import_module(f"glassnet.{name}")
    raise AttributeError(f"module 'glassnet' has no attribute {name!r}")
