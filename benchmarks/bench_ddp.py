"""Data-parallel scale-out: the wide MLP (784-1024-1024-10 ReLU, CrossEntropyLoss, SGD) trained by
glassnet's torch runner on 1 process and on 2 processes (DistributedDataParallel, gloo, loopback),
launched by the elastic agent ``torchrun`` uses.  Global batch 512 (256 per rank with 2), one
thread per process, best of 3 timed blocks of 10 steps after 3 warm-up steps.  Prints samples/s
for each and the ratio 2 processes / 1 process (2.0 would be perfect scaling; on a machine with
2 cores shared with other work, expect much less).

    python benchmarks/bench_ddp.py [--steps 10] [--batch 512]
"""
import argparse
import os
import time

import numpy as np


def measure(steps: int, batch: int, repeats: int = 3):
    """One rank: train the wide MLP; rank 0 returns the best samples/s over ``repeats`` blocks."""
    import torch
    import torch.distributed as dist

    import glassnet
    import glassnet.nn as nn
    from glassnet.bridge import to_torch
    torch.set_num_threads(1)
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    if world > 1:
        dist.init_process_group("gloo")
    glassnet.manual_seed(0)  # the same initial weights on every rank, from glassnet
    model = to_torch(nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
                                   nn.Linear(1024, 10)))
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(model)
    rng = np.random.default_rng(0)
    X = torch.tensor(rng.normal(size=(batch, 784)).astype(np.float32))[rank::world]
    y = torch.tensor(rng.integers(0, 10, size=batch))[rank::world]
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

    def train(n):
        for _ in range(n):
            optimizer.zero_grad()
            criterion(model(X), y).backward()
            optimizer.step()

    train(3)
    best = float("inf")
    for _ in range(repeats):
        if world > 1:
            dist.barrier()
        start = time.perf_counter()
        train(steps)
        if world > 1:
            dist.barrier()
        best = min(best, time.perf_counter() - start)
    if world > 1:
        dist.destroy_process_group()
    return steps * batch / best if rank == 0 else None


def run(nproc: int, steps: int, batch: int) -> float:
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    from glassnet.training.distributed import _launch_environment
    config = LaunchConfig(min_nodes=1, max_nodes=1, nproc_per_node=nproc, run_id=f"bench-ddp-{nproc}",
                          rdzv_backend="c10d", rdzv_endpoint="127.0.0.1:0", max_restarts=0,
                          local_addr="127.0.0.1")
    with _launch_environment(True, nproc):
        return elastic_launch(config, measure)(steps, batch)[0]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=512)
    args = parser.parse_args()
    one = run(1, args.steps, args.batch)
    two = run(2, args.steps, args.batch)
    print(f"wide MLP 784-1024-1024-10, SGD, global batch {args.batch}, gloo on {os.cpu_count()} CPUs: "
          f"1 process {one:,.0f} samples/s, 2 processes {two:,.0f} samples/s, "
          f"ratio 2/1 = {two / one:.2f}")
