"""Reverse-mode automatic differentiation (``torch.autograd``).

``engine.py``    the engine proper: ``TensorBase``, grad mode, observers, ``Node`` and its
                 ``apply``, ``unbroadcast``, and the backward walk
``function.py``  ``Function``, the base of every op, and user Functions in torch's spelling
``gradcheck.py`` the float64 finite-difference check
"""
from .engine import backward, enable_grad, is_grad_enabled, no_grad, observe, set_grad_enabled
from .function import Function, FunctionCtx, once_differentiable
from .gradcheck import gradcheck

__all__ = ["Function", "FunctionCtx", "once_differentiable", "backward", "enable_grad", "gradcheck",
           "is_grad_enabled", "no_grad", "observe", "set_grad_enabled"]
