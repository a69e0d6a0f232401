"""``glassnet.nn.utils.convert_parameters``: all parameters as one flat vector and back (torch's
``parameters_to_vector`` / ``vector_to_parameters``)."""
from __future__ import annotations

import numpy as np

from ...autograd.engine import TensorBase, no_grad
from ...tensors.creation import cat

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """The parameters flattened and concatenated in order (differentiable, as torch's)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters) -> None:
    """Copy consecutive slices of ``vec`` into the parameters (in place; their shapes kept)."""
    if not isinstance(vec, TensorBase):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    start = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p._inplace("copy_", np.asarray(vec.array[start:start + n]).reshape(np.shape(p.array)).astype(p.array.dtype))
            start += n
