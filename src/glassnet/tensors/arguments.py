"""How tensor methods read their arguments: shapes given as ints or as one tuple, index keys that
hold tensors, 0-d values held as NumPy scalars, and two dtypes promoted to one by torch's rules."""
from __future__ import annotations

import builtins
import warnings

import numpy as np

from ..autograd.engine import TensorBase
from ..ops import elementwise as E

_FLOAT_KIND = {"f", "O"}


def alpha_first(name: str, other, alpha):
    """torch's deprecated overload ``x.add_(Number alpha, Tensor other)`` (old programs, e.g.
    pytorch/examples' ``p.data.add_(-lr, p.grad.data)``): returns ``(other, alpha)`` in the current
    order, warning as torch does when they came swapped."""
    if isinstance(alpha, TensorBase) and isinstance(other, (int, float, np.number)) \
            and not isinstance(other, bool):
        warnings.warn(f"This overload of {name} is deprecated:\n\t{name}(Number alpha, Tensor other)\n"
                      f"Consider using one of the following signatures instead:\n"
                      f"\t{name}(Tensor other, *, Number alpha = 1)", UserWarning, stacklevel=3)
        return alpha, other
    return other, alpha


def _promote(a: TensorBase, b: TensorBase):
    """PyTorch's type promotion for two tensors of different dtypes (differentiable casts)."""
    da, db = a.array.dtype, b.array.dtype
    if da == object or db == object:
        target = np.dtype(object)
    elif da.kind == "f" and db.kind == "f":
        if np.ndim(a.array) == 0 and np.ndim(b.array) > 0:
            target = db
        elif np.ndim(b.array) == 0 and np.ndim(a.array) > 0:
            target = da
        else:
            target = np.promote_types(da, db)
    elif da.kind == "f" or db.kind == "f":
        target = da if da.kind == "f" else db
    else:
        target = np.promote_types(da, db)
    if da != target:
        a = E.Cast.apply(a, dtype=target)
    if db != target:
        b = E.Cast.apply(b, dtype=target)
    return a, b


def _float_for_float_bounds(a: TensorBase, bounds) -> TensorBase:
    """``a`` as float when it is an integer (or bool) tensor and a bound is a float, as torch promotes
    ``int_tensor.clamp(0.5)``: a Python float gives the default float32, a float tensor its dtype."""
    floats = [np.dtype(np.float32) if isinstance(v, builtins.float) else v.array.dtype for v in bounds
              if isinstance(v, builtins.float) or isinstance(v, TensorBase) and v.array.dtype.kind == "f"]
    if a.array.dtype.kind in "biu" and floats:
        return E.Cast.apply(a, dtype=np.result_type(*floats))
    return a


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(builtins.int(s) for s in shape)


def _index_key(key):
    """Tensors inside an index become NumPy arrays (integer or boolean masks)."""
    if isinstance(key, TensorBase):
        return key.array
    if isinstance(key, tuple):
        return tuple(k.array if isinstance(k, TensorBase) else k for k in key)
    return key


def _scalar_if_0d(array):
    """0-d values are held as NumPy scalars: arithmetic on them is ~10x faster than on 0-d arrays."""
    if array.ndim == 0 and array.dtype != object:
        return array[()]
    return array
