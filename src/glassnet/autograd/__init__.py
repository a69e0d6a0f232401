"""Reverse-mode automatic differentiation: nodes, the backward walk, gradcheck."""
from .engine import backward, enable_grad, is_grad_enabled, no_grad, observe, set_grad_enabled
from .function import Function, FunctionCtx, once_differentiable
from .gradcheck import gradcheck

__all__ = ["Function", "FunctionCtx", "once_differentiable", "backward", "enable_grad", "gradcheck", "is_grad_enabled", "no_grad",
           "observe", "set_grad_enabled"]
