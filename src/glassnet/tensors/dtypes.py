"""Dtypes and devices, named as in PyTorch (``glassnet.float32`` is ``torch.float32``).

Each glassnet dtype wraps one NumPy dtype.  ``glassnet.exact`` holds Python
``fractions.Fraction`` objects, so a network of rational operations is computed
with no rounding at all (used to reproduce hand calculations digit for digit).
"""
from __future__ import annotations

import builtins

import numpy as np

__all__ = ["dtype", "float32", "float64", "float", "double", "int64", "long", "int32", "int",
           "bool", "exact", "float16", "half", "bfloat16", "uint8", "int8", "int16", "short",
           "device", "as_dtype", "from_numpy_dtype", "legacy_name"]


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



class _Refused(dtype):
    """A dtype torch has and glassnet names but does not compute in: using it raises ``why``."""

    __slots__ = ("why",)

    def __init__(self, name: str, np_dtype, is_floating_point: bool, why: str):
        super().__init__(name, np_dtype, is_floating_point)
        self.why = why


_LOW = ("glassnet computes in float32 and float64 only ({} would change every number it computes: "
        "NumPy sums {} in {} where torch accumulates in float32); keep float32 and drop the cast "
        "(.half(), dtype={}, autocast)")
float16 = _Refused("float16", np.float16, True, _LOW.format("float16", "float16", "float16",
                                                           "torch.float16"))
bfloat16 = _Refused("bfloat16", np.float32, True,
                    "glassnet has no bfloat16: NumPy has no such type and the ml_dtypes package that "
                    "adds it is not installed; keep float32 and drop the cast (.bfloat16(), "
                    "dtype=torch.bfloat16, autocast)")
_NARROW = "glassnet has no {}: its integer tensors are int64 (LongTensor) and int32, masks are bool; use {}"
uint8 = _Refused("uint8", np.uint8, False, _NARROW.format("uint8 (ByteTensor)",
                                                          "torch.bool for masks, torch.int64 for counts"))
int8 = _Refused("int8", np.int8, False, _NARROW.format("int8 (CharTensor)", "torch.int64"))
int16 = _Refused("int16", np.int16, False, _NARROW.format("int16 (ShortTensor)", "torch.int64"))
half, short = float16, int16

_BY_NAME = {d.name: d for d in (float32, float64, int64, int32, bool, exact)}
_REFUSED = {d.name: d for d in (float16, bfloat16, uint8, int8, int16)}
_REFUSED.update(half=float16, short=int16)

#: torch's legacy tensor types (``torch.FloatTensor``) and the dtype each one holds
LEGACY = {"FloatTensor": float32, "DoubleTensor": float64, "LongTensor": int64, "IntTensor": int32,
          "BoolTensor": bool, "HalfTensor": float16, "BFloat16Tensor": bfloat16, "ByteTensor": uint8,
          "CharTensor": int8, "ShortTensor": int16}


def legacy_name(d: dtype) -> str:
    """``"FloatTensor"`` for float32: the name ``x.type()`` reports."""
    return next((name for name, each in LEGACY.items() if each is d), d.name)
_BY_NP = {d.np: d for d in (float32, float64, int64, int32, bool, exact)}
_ALIASES = {"float": float32, "double": float64, "long": int64, "int": int32}


def as_dtype(value) -> dtype:
    """Turn a glassnet dtype, a NumPy dtype, a torch-style name (``"float32"``, ``"torch.long"``,
    ``"torch.FloatTensor"``), a legacy type (``torch.FloatTensor``) or a Python type into a dtype;
    a dtype glassnet does not compute in (float16, bfloat16, uint8, ...) raises its one line."""
    value = getattr(value, "legacy_dtype", value)
    if isinstance(value, _Refused):
        raise TypeError(value.why)
    if isinstance(value, dtype):
        return value
    if isinstance(value, str):
        name = value.removeprefix("torch.").removeprefix("glassnet.")
        if name in LEGACY:
            return as_dtype(LEGACY[name])
        if name in _REFUSED:
            raise TypeError(_REFUSED[name].why)
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
    if d == np.float16:
        raise TypeError(float16.why)
    if d.kind == "f":
        return float32 if d.itemsize < 8 else float64
    if d.kind in "iu":
        return int64
    raise TypeError(f"unsupported dtype {d}: glassnet tensors hold float32, float64, int64, int32, "
                    f"bool or exact values; convert the data first, e.g. np.asarray(x, dtype=np.float32)")


from .device import device  # noqa: E402,F401 - re-exported (lives in glassnet.device)
