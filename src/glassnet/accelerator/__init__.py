"""``torch.accelerator``: answers as torch does on a machine with no accelerator (glassnet computes
on the CPU), so ``torch.accelerator.current_accelerator().type if torch.accelerator.is_available()
else "cpu"`` picks the CPU."""
from __future__ import annotations

__all__ = ["is_available", "current_accelerator", "device_count"]


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False):
    """None: there is no accelerator."""
    return None


def device_count() -> int:
    return 0
