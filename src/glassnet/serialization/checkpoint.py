"""Checkpoint dicts in the safetensors format, without pickle.

``glassnet.save({"epoch": 5, "model_state": model.state_dict(), "optim_state": opt.state_dict(),
"loss": 0.31}, "ckpt.safetensors")`` writes

* every tensor under a flattened name: its path of keys joined by ``/``
  (``model_state/fc1.weight``, ``optim_state/state/0/exp_avg``), and
* the rest of the structure as JSON in the header's metadata, under ``glassnet.checkpoint``:
  each value is tagged, ``{"tensor": name}``, ``{"dict": [[key, value], ...]}`` (keys keep their
  type: an optimizer's integer parameter ids stay integers), ``{"list": [...]}``,
  ``{"tuple": [...]}``, or a plain JSON number, string, bool or null.  Floats that JSON cannot
  hold (inf, nan) are written as ``{"float": "inf"}``.

``glassnet.load`` rebuilds the same structure.  The file is an ordinary safetensors file, so
PyTorch reads the tensors with ``safetensors.torch.load_file``; ``rebuild`` below, copied into a
PyTorch program (it needs only ``json`` and ``safetensors``), rebuilds the whole dict there.
"""
from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping

from ..tensors.tensor import Tensor
from .safetensors_io import load, save

__all__ = ["save_checkpoint", "load_any", "encode", "decode", "is_flat_state_dict", "rebuild"]

KEY = "glassnet.checkpoint"


def is_flat_state_dict(obj) -> bool:
    """A dict of str → Tensor (and not empty-of-tensors structure): the plain safetensors layout."""
    return isinstance(obj, Mapping) and all(isinstance(k, str) and isinstance(v, Tensor)
                                            for k, v in obj.items())


def encode(obj, path: tuple, tensors: dict):
    """The JSON form of ``obj``; tensors are moved into ``tensors`` under their flattened names."""
    if isinstance(obj, Tensor):
        name = "/".join(str(p) for p in path) or "tensor"
        while name in tensors:
            name += "_"
        tensors[name] = obj
        return {"tensor": name}
    if isinstance(obj, Mapping):
        items = []
        for key, value in obj.items():
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise TypeError(f"glassnet.save: dict key {key!r} at {_where(path)} is a "
                                f"{type(key).__name__}; checkpoint keys must be strings or numbers")
            items.append([key, encode(value, path + (key,), tensors)])
        return {"dict": items}
    if isinstance(obj, (list, tuple)):
        kind = "list" if isinstance(obj, list) else "tuple"
        return {kind: [encode(v, path + (i,), tensors) for i, v in enumerate(obj)]}
    if isinstance(obj, float) and not math.isfinite(obj):
        return {"float": repr(obj)}
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if hasattr(obj, "item") and hasattr(obj, "dtype"):  # a NumPy scalar
        return encode(obj.item(), path, tensors)
    hint = " Save its state_dict() instead." if hasattr(obj, "state_dict") else ""
    raise TypeError(f"glassnet.save: the value at {_where(path)} is a {type(obj).__name__}, which a "
                    f"checkpoint cannot hold without pickle; use tensors, numbers, strings, lists and "
                    f"dicts.{hint}")


def _where(path) -> str:
    return "the top level" if not path else "".join(f"[{p!r}]" for p in path)


def decode(node, tensors: dict):
    """Inverse of ``encode``: ``tensors`` maps flattened names to the loaded tensors."""
    if isinstance(node, dict):
        (kind, value), = node.items()
        if kind == "tensor":
            return tensors[value]
        if kind == "dict":
            return {k: decode(v, tensors) for k, v in value}
        if kind == "list":
            return [decode(v, tensors) for v in value]
        if kind == "tuple":
            return tuple(decode(v, tensors) for v in value)
        if kind == "float":
            return float(value)
        raise ValueError(f"glassnet.load: unknown checkpoint entry {kind!r}")
    return node


def save_checkpoint(obj, f) -> None:
    """Write a checkpoint dict (see the module docstring)."""
    if not isinstance(obj, Mapping):
        hint = (" Save model.state_dict() instead of the model itself." if hasattr(obj, "state_dict")
                else "")
        raise TypeError(f"glassnet.save writes a dict (a state dict, or a checkpoint dict of state "
                        f"dicts, tensors, numbers, strings and lists); got a {type(obj).__name__}.{hint}")
    tensors: dict = {}
    structure = encode(obj, (), tensors)
    save(tensors, f, metadata={KEY: json.dumps(structure)})


def load_any(f):
    """A state dict (dict of name → Tensor), or the checkpoint dict ``save_checkpoint`` wrote."""
    import io

    if hasattr(f, "read"):
        data = f.read()
        buffer = io.BytesIO(data)
        buffer.name = getattr(f, "name", "the file object")  # errors name the caller's file
        tensors = load(buffer)
    else:
        tensors = load(f)  # checks the file and names it in any error
        with open(f, "rb") as handle:
            data = handle.read(8)
            data += handle.read(struct.unpack("<Q", data)[0])
    meta = _metadata(data)
    if KEY not in meta:
        return tensors
    return decode(json.loads(meta[KEY]), tensors)


def _metadata(data: bytes) -> dict:
    (size,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + size]).get("__metadata__") or {}


# -- for PyTorch users: copy this function into a torch program -----------------------------------
def rebuild(path):
    """Load a glassnet checkpoint in PyTorch: ``checkpoint = rebuild("ckpt.safetensors")``.

    Needs only ``json`` and ``safetensors`` (with torch installed it returns torch tensors).
    """
    import json as _json

    from safetensors import safe_open
    from safetensors.torch import load_file

    tensors = load_file(path)
    with safe_open(path, "pt") as f:
        meta = f.metadata() or {}
    if "glassnet.checkpoint" not in meta:
        return tensors

    def build(node):
        if not isinstance(node, dict):
            return node
        (kind, value), = node.items()
        if kind == "tensor":
            return tensors[value]
        if kind == "dict":
            return {k: build(v) for k, v in value}
        if kind in ("list", "tuple"):
            items = [build(v) for v in value]
            return items if kind == "list" else tuple(items)
        return float(value)

    return build(_json.loads(meta["glassnet.checkpoint"]))
