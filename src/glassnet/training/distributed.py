"""``--engine torch --nproc N``: DistributedDataParallel over torch.distributed, launched as torchrun does.

Three ways in, one worker (``worker``), the same result:

* ``glassnet train … --engine torch --nproc N`` starts N processes on this machine through
  ``torch.distributed.launcher`` — the elastic agent ``torchrun`` itself runs — with a c10d
  rendezvous on the loopback address (``launch``);
* ``glassnet train … --engine torch --nproc N --nnodes M --rdzv-endpoint HOST:PORT``, run on each
  of M machines, meets at HOST:PORT (c10d) and trains on M × N processes;
* ``torchrun --nproc-per-node N [--nnodes M --rdzv-backend c10d --rdzv-endpoint HOST:PORT]
  -m glassnet train … --engine torch``: every process torchrun starts runs the CLI, which reads
  torchrun's environment (``config.torchrun_rank``) into ``spec.rank`` and becomes a worker.

The environment is read at these edges only: by the CLI under torchrun, and by ``spawned``, the
first thing each process ``launch`` starts runs; ``worker`` is handed its ``Rank`` in the spec.

Backend: nccl when every local rank has its own CUDA device, gloo on the CPU otherwise.  Only
rank 0 evaluates, shows progress, writes the checkpoint and prints the report.  If a worker
dies, the agent stops the others and ``launch`` raises ``TrainingError`` naming the rank and
how it ended; nothing is saved.
"""
from __future__ import annotations

import contextlib
import logging
import os
import uuid
from dataclasses import replace

from .config import Spec, torchrun_rank
from .loop import TrainingError
from .prepared import prepare
from .torch_runner import train_state


def _device_and_backend(local_rank: int, local_world: int):
    import torch
    if torch.cuda.is_available() and torch.cuda.device_count() >= local_world:
        torch.cuda.set_device(local_rank)
        return f"cuda:{local_rank}", "nccl"
    return "cpu", "gloo"


def worker(spec: Spec, progress: bool = True, dtype: str = "float32"):
    """One rank of the run, ``spec.rank``: join the group (env://, as the agent set it), train, leave.

    Returns ``(state, history)`` on rank 0, ``None`` on the others.
    """
    import torch
    import torch.distributed as dist
    place = spec.rank
    if "OMP_NUM_THREADS" not in os.environ:  # share the cores, as torchrun does
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // place.local_world_size))
    device, backend = _device_and_backend(place.local_rank, place.local_world_size)
    prepared = prepare(spec)
    dist.init_process_group(backend)
    try:
        state, history = train_state(spec, prepared, progress, dtype, place.rank, place.world_size,
                                     device)
    finally:
        dist.destroy_process_group()
    return (state, history) if place.rank == 0 else None


def spawned(spec: Spec, progress: bool = True, dtype: str = "float32"):
    """What each process ``launch`` starts runs: its rank, read from the environment the agent
    set (the launcher's edge), then ``worker``."""
    return worker(replace(spec, rank=torchrun_rank(os.environ)), progress, dtype)


def _describe(error) -> str:
    """One line for a ChildFailedError: which rank, how it ended, what it said."""
    rank, failure = error.get_first_failure()
    if failure.exitcode < 0:
        how = f"was killed by {failure.signal_name()}"
    else:
        how = f"exited with status {failure.exitcode}"
        said = " ".join(str(failure.message or "").split())
        if said and not said.startswith("To enable traceback"):
            how += f" ({said[:300]})"
    return (f"--nproc: worker rank {rank} (pid {failure.pid}) {how}; the other workers were "
            f"stopped and nothing was saved")


@contextlib.contextmanager
def _launch_environment(single_machine: bool, nproc: int):
    """Loopback for gloo on one machine, one thread per worker (as torchrun), a quiet agent."""
    saved = dict(os.environ)
    loggers = [logging.getLogger(n) for n in ("torch.distributed.elastic",
                                              "torch.distributed.launcher", "torch.multiprocessing")]
    levels = [lg.level for lg in loggers]
    if single_machine and os.path.exists("/sys/class/net/lo"):
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    if nproc > 1:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)   # the one-line TrainingError says what failed
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def launch(spec: Spec, progress: bool = True, dtype: str = "float32", entrypoint=spawned):
    """Run ``entrypoint(spec, progress, dtype)`` on ``spec.nproc`` processes per machine.

    Returns rank 0's result when rank 0 runs on this machine, otherwise None.
    """
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch
    single = spec.nnodes == 1
    run_id = f"glassnet-{uuid.uuid4().hex[:12]}" if single else \
        "glassnet-" + "".join(c if c.isalnum() else "-" for c in str(spec.rdzv_endpoint))
    config = LaunchConfig(min_nodes=spec.nnodes, max_nodes=spec.nnodes, nproc_per_node=spec.nproc,
                          run_id=run_id, rdzv_backend="c10d",
                          rdzv_endpoint=spec.rdzv_endpoint or "127.0.0.1:0",
                          max_restarts=0, monitor_interval=0.1, start_method="spawn",
                          local_addr="127.0.0.1" if single else None)
    with _launch_environment(single, spec.nproc):
        try:
            results = elastic_launch(config, entrypoint)(spec, progress, dtype)
        except ChildFailedError as error:
            raise TrainingError(_describe(error)) from None
    return (results or {}).get(0)
