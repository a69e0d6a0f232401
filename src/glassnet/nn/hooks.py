"""Forward hooks: handles that remove them, and the global hooks that see every module's call.

``glassnet.explain`` can learn module paths this way: map ``id(module)`` to its name from
``model.named_modules()`` and install ``register_module_forward_hook`` for the duration of a run.
"""
from __future__ import annotations

import itertools

__all__ = ["RemovableHandle", "register_module_forward_hook", "register_module_forward_pre_hook"]


class RemovableHandle:
    """Returned by ``register_*_hook``; ``handle.remove()`` uninstalls the hook (also usable as
    a context manager: the hook is removed when the ``with`` block ends)."""

    _next_id = itertools.count()

    def __init__(self, *registries):
        self.id = next(RemovableHandle._next_id)
        self._registries = registries

    def remove(self) -> None:
        for registry in self._registries:
            if isinstance(registry, dict):
                registry.pop(self.id, None)
            else:  # the set of ids whose hooks take keyword arguments
                registry.discard(self.id)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


_global_forward_pre_hooks: dict = {}
_global_forward_hooks: dict = {}


def add_hook(registry: dict, hook) -> RemovableHandle:
    """Put ``hook`` in ``registry`` under a new handle's id; ``handle.remove()`` takes it out."""
    handle = RemovableHandle(registry)
    registry[handle.id] = hook
    return handle


def register_module_forward_pre_hook(hook) -> RemovableHandle:
    """Install ``hook(module, args)`` before the forward of *every* module (as in torch)."""
    return add_hook(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook) -> RemovableHandle:
    """Install ``hook(module, args, output)`` after the forward of *every* module."""
    return add_hook(_global_forward_hooks, hook)
