"""``torch.autograd.grad_mode``: the grad-mode switches.  ``no_grad``, ``enable_grad`` and
``set_grad_enabled`` live with the engine's state (``engine.py``); ``inference_mode`` is built on
them here."""
from __future__ import annotations

import functools

from .engine import STATE, _GradMode, enable_grad, no_grad, set_grad_enabled

__all__ = ["enable_grad", "inference_mode", "no_grad", "set_grad_enabled"]


class inference_mode(_GradMode):
    """``torch.inference_mode(mode=True)``: as ``no_grad`` here (no graph is built; glassnet keeps no
    separate "inference tensors"); ``inference_mode(False)`` leaves grad mode as it is.  A context
    manager and a decorator, with or without parentheses (``@torch.inference_mode()``)."""

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):  # @inference_mode without parentheses
            self._mode = True
            return self(mode)
        self._mode = bool(mode)
        return self

    def __init__(self, mode=True):
        pass

    def __enter__(self):
        self.enabled = STATE.grad_enabled and not self._mode
        return super().__enter__()

    def __call__(self, func=None):
        if func is None:
            return self
        mode = self._mode
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return func(*args, **kwargs)
        return wrapper
