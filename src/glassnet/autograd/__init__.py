"""Reverse-mode automatic differentiation (``torch.autograd``).

``engine.py``    the engine proper: ``TensorBase``, grad mode, observers, ``Node`` and its
                 ``apply``, ``unbroadcast``, and the backward walk
``function.py``  ``Function``, the base of every op, and user Functions in torch's spelling
``gradients.py`` ``grad`` and ``backward`` (torch.autograd's functions)
``grad_mode.py`` ``inference_mode`` (beside the engine's ``no_grad`` and ``set_grad_enabled``)
``gradcheck.py`` the float64 finite-difference checks (``gradcheck``, ``gradgradcheck``)
``variable.py``  ``Variable``, the legacy name that returns a tensor
"""
from .engine import enable_grad, is_grad_enabled, no_grad, observe, set_grad_enabled
from .grad_mode import inference_mode
from .function import Function, FunctionCtx, once_differentiable
from .gradcheck import gradcheck, gradgradcheck
from .gradients import backward, grad
from .variable import Variable

__all__ = ["Function", "FunctionCtx", "once_differentiable", "backward", "enable_grad", "grad", "gradcheck",
           "gradgradcheck", "inference_mode", "is_grad_enabled", "no_grad", "observe", "set_grad_enabled",
           "Variable"]
