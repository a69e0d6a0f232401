"""Saving and loading, never with pickle (``torch.serialization``'s place).

``safetensors_io``: a flat state dict (name → Tensor) as a safetensors file, written atomically.
``checkpoint``: any dict of state dicts, tensors, numbers and strings, as one safetensors file
whose tensors have flattened names and whose structure is JSON metadata.
"""
from . import checkpoint
from .safetensors_io import load, save

__all__ = ["save", "load", "checkpoint"]
