"""``glassnet.cuda``: answers as ``torch.cuda`` does in a build without CUDA.

``is_available()`` is False and ``device_count()`` 0, so ``"cuda" if torch.cuda.is_available()
else "cpu"`` picks the CPU.  Seeding is accepted and ignored (as torch does lazily when no GPU
is present); anything that needs a GPU raises torch's ``AssertionError``.
"""
from __future__ import annotations

from ..tensors.device import check_device

__all__ = ["is_available", "device_count", "is_initialized", "manual_seed", "manual_seed_all",
           "empty_cache", "synchronize", "current_device", "get_device_name", "set_device"]


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def manual_seed(seed: int) -> None:
    """Ignored: there is no GPU generator to seed (``glassnet.manual_seed`` seeds the CPU one)."""


manual_seed_all = manual_seed


def empty_cache() -> None:
    """Nothing to free."""


def _no_cuda(*args, **kwargs):
    check_device("cuda")


synchronize = current_device = get_device_name = set_device = _no_cuda


from . import amp  # noqa: E402 - torch.cuda.amp (autocast, GradScaler), reachable after `import torch`
