"""``torch.distributed``: importable; glassnet runs in one process and has no process groups.

``is_available()`` and ``is_initialized()`` are False, so a script's ``if dist.is_initialized():``
branches are skipped; setting up a group raises one line that says what to do instead.
"""
from __future__ import annotations

__all__ = ["is_available", "is_initialized", "init_process_group", "destroy_process_group", "get_rank",
           "get_world_size", "barrier", "all_reduce", "broadcast", "all_gather", "ReduceOp"]

_HOW = ("glassnet has no torch.distributed (it trains in one process): drop init_process_group, or "
        "train several processes with `glassnet train --engine torch --nproc N` (torch's "
        "DistributedDataParallel) or under torch itself")
_NOT_INITIALIZED = "Default process group has not been initialized, please make sure to call init_process_group."


def is_available() -> bool:
    return False


def is_initialized() -> bool:
    return False


def is_torchelastic_launched() -> bool:
    return False


def init_process_group(*args, **kwargs):
    raise RuntimeError(_HOW)


def _needs_group(*args, **kwargs):
    raise ValueError(_NOT_INITIALIZED)


destroy_process_group = get_rank = get_world_size = barrier = all_reduce = broadcast = all_gather = _needs_group


class ReduceOp:
    SUM, PRODUCT, MIN, MAX, AVG = "sum", "product", "min", "max", "avg"
