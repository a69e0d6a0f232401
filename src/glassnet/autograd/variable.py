"""``torch.autograd.Variable``: the pre-0.4 wrapper, kept by torch as a name that returns a tensor."""
from __future__ import annotations

from .engine import TensorBase


def Variable(data, requires_grad: bool = False, volatile: bool = False):  # noqa: N802 - torch's name
    """A tensor with ``data``'s values (shared memory): a new leaf that requires a gradient if
    ``requires_grad``, as ``torch.autograd.Variable(t, requires_grad=True)`` gives since torch 0.4
    (``volatile`` is accepted and ignored, as torch ignores it with a warning)."""
    if not isinstance(data, TensorBase):
        raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
    out = data.detach()
    if requires_grad:
        out.requires_grad_(True)
    return out
