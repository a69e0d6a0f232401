"""Dtypes and devices, named as in PyTorch (``glassnet.float32`` is ``torch.float32``).

Each glassnet dtype wraps one NumPy dtype.  ``glassnet.exact`` holds Python
``fractions.Fraction`` objects, so a network of rational operations is computed
with no rounding at all (used to reproduce hand calculations digit for digit).
"""
from __future__ import annotations

import builtins

import numpy as np

__all__ = ["dtype", "float32", "float64", "float", "double", "int64", "long", "int32", "int",
           "bool", "exact", "device", "as_dtype", "from_numpy_dtype"]


class dtype:
    """A tensor element type.  ``np`` is the NumPy dtype that stores it."""

    __slots__ = ("name", "np", "is_floating_point")

    def __init__(self, name: str, np_dtype, is_floating_point: bool):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = is_floating_point

    def __repr__(self) -> str:
        return f"glassnet.{self.name}"

    def __reduce__(self):  # dtypes are singletons
        return (as_dtype, (self.name,))


float32 = dtype("float32", np.float32, True)
float64 = dtype("float64", np.float64, True)
int64 = dtype("int64", np.int64, False)
int32 = dtype("int32", np.int32, False)
bool = dtype("bool", np.bool_, False)  # noqa: A001 - the torch name
exact = dtype("exact", object, True)
float = float32  # noqa: A001 - torch.float is float32
double = float64
long = int64
int = int32  # noqa: A001 - torch.int is int32

_BY_NAME = {d.name: d for d in (float32, float64, int64, int32, bool, exact)}
_BY_NP = {d.np: d for d in (float32, float64, int64, int32, bool, exact)}
_ALIASES = {"float": float32, "double": float64, "long": int64, "int": int32}


def as_dtype(value) -> dtype:
    """Turn a glassnet dtype, a NumPy dtype, a torch-style name or a Python type into a dtype."""
    if isinstance(value, dtype):
        return value
    if isinstance(value, str):
        name = value.removeprefix("torch.").removeprefix("glassnet.")
        found = _BY_NAME.get(name) or _ALIASES.get(name)
        if found is None:
            raise TypeError(f"unsupported dtype {value!r}; use one of {sorted(_BY_NAME)}")
        return found
    if value is builtins.float:
        return float32
    if value is builtins.int:
        return int64
    if value is builtins.bool:
        return bool
    return from_numpy_dtype(value)


def from_numpy_dtype(np_dtype) -> dtype:
    """The glassnet dtype for a NumPy dtype (float16 and the like are rejected with a fix)."""
    d = np.dtype(np_dtype)
    found = _BY_NP.get(d)
    if found is not None:
        return found
    if d.kind == "f":
        return float32 if d.itemsize < 8 else float64
    if d.kind in "iu":
        return int64
    raise TypeError(f"unsupported dtype {d}: glassnet tensors hold float32, float64, int64, int32, "
                    f"bool or exact values; convert the data first, e.g. np.asarray(x, dtype=np.float32)")


from .device import device  # noqa: E402,F401 - re-exported (lives in glassnet.device)
