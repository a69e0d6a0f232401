"""Entry points for the distributed tests (module-level, so spawned workers can import them):
each stands in for ``distributed.spawned``, the first thing a launched process runs."""
import os
import signal

from glassnet.training.distributed import spawned


def die_on_rank_1(spec, progress, dtype):
    """Rank 1 is killed (SIGKILL) before it joins; rank 0 runs the real worker."""
    if os.environ["RANK"] == "1":
        os.kill(os.getpid(), signal.SIGKILL)
    return spawned(spec, progress, dtype)


def raise_on_rank_1(spec, progress, dtype):
    if os.environ["RANK"] == "1":
        raise ValueError("rank 1 cannot read its data")
    return spawned(spec, progress, dtype)
