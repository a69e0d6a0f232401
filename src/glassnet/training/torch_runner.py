"""``glassnet train --engine torch``: the same run, trained by PyTorch, in one process or many.

The torch runner starts from the glassnet model ``model.initial_model`` builds (copied across
with ``glassnet.bridge.to_torch``, so the initial weights are the same), trains on the same
prepared arrays in the same sample order, and hands back a ``state_dict`` that the glassnet
model loads, so the report and the checkpoint are those of ``--engine glassnet``.

With several processes (``distributed`` starts them and calls ``train_state`` in each), each rank trains a ``DistributedDataParallel`` copy on
its share of every global mini-batch (``ShardedBatches``, a ``DistributedSampler``).  The loss on
a rank is its samples' *sum* scaled by ``world_size / global batch size``: DDP averages the
gradients over the ranks, so the step is the one a single process takes on the whole global
batch, even when the batch does not split evenly (the last one of an epoch).
"""
from __future__ import annotations

import math
import os

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

from glassnet.bridge import to_torch

from .config import Spec
from .divergence import Diverged
from .loop import run_epochs
from .model import criterion, initial_model, optimizer_class
from .prepared import Prepared


SMALL_MODEL = 1_000_000   # parameters below which one process trains on one thread


class ShardedBatches(DistributedSampler):
    """A ``DistributedSampler`` over the run's global mini-batches (a batch sampler).

    ``set_steps`` gives the epoch's global batches (positions in the training set, in the
    order every rank computes alike from the seed); rank ``r`` of ``N`` then yields positions
    ``r, r + N, r + 2N, …`` of each.  With ``N = 1`` it yields the global batches themselves.
    """

    def __init__(self, dataset, num_replicas: int, rank: int):
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=False)
        self.steps: list = []

    def set_steps(self, steps: list) -> None:
        self.steps = steps

    def __iter__(self):
        for idx in self.steps:
            yield [int(i) for i in idx[self.rank::self.num_replicas]]

    def __len__(self) -> int:
        return len(self.steps)


class _Rows(TensorDataset):
    """A TensorDataset that hands the DataLoader a whole batch at once (one indexing per tensor)."""

    def __getitems__(self, indices):
        index = torch.as_tensor(indices, dtype=torch.long)
        return tuple(t[index] for t in self.tensors)


def _whole_batch(batch):
    return batch


def _sum_loss(task: str, loss: str):
    """The loss summed over the samples (and outputs): the runner divides by the global count."""
    if loss == "bce-logits":
        return torch.nn.BCEWithLogitsLoss(reduction="sum")
    if loss == "cross-entropy":
        return torch.nn.CrossEntropyLoss(reduction="sum")
    mse = torch.nn.MSELoss(reduction="sum")
    if task == "binary":
        return lambda out, t: mse(out.sigmoid(), t)
    if task == "multiclass":
        return lambda out, t: mse(out.softmax(dim=1), t)
    return mse


class TorchRunner:
    """Trains the torch copy of a glassnet model; DDP across ranks when ``world_size > 1``."""

    def __init__(self, spec: Spec, prepared: Prepared, model, rank: int = 0, world_size: int = 1,
                 device: str = "cpu"):
        self.rank, self.world_size, self.device = rank, world_size, torch.device(device)
        self.module = to_torch(model).to(self.device)
        self.model = self.module
        if world_size > 1:
            from torch.nn.parallel import DistributedDataParallel
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.model = DistributedDataParallel(self.module, device_ids=ids)
        self.optimizer = optimizer_class(spec.optimizer, torch.optim)(self.model.parameters(), lr=spec.lr)
        self.lr = spec.lr
        self.mean_loss = criterion(prepared.task, prepared.loss, torch.nn)
        self.sum_loss = _sum_loss(prepared.task, prepared.loss)
        dtype = next(self.module.parameters()).dtype
        X = {s: torch.tensor(getattr(prepared, f"X_{s}"), dtype=dtype, device=self.device)
             for s in ("train", "test")}
        t = {s: torch.as_tensor(getattr(prepared, f"t_{s}"), device=self.device) for s in ("train", "test")}
        t = {s: v.to(dtype) if v.is_floating_point() else v for s, v in t.items()}
        self.splits = {s: (X[s], t[s]) for s in X}
        self.per_sample = 1 if prepared.loss == "cross-entropy" else int(np.prod(t["train"].shape[1:]))
        self.sampler = ShardedBatches(_Rows(*self.splits["train"]), world_size, rank)
        self.loader = DataLoader(self.sampler.dataset, batch_sampler=self.sampler,
                                 collate_fn=_whole_batch)

    def train_epoch(self, epoch: int, steps: list) -> None:
        self.sampler.set_epoch(epoch)
        self.sampler.set_steps(steps)
        self.model.train()
        for step, ((xb, tb), idx) in enumerate(zip(self.loader, steps)):
            self.optimizer.zero_grad()
            scale = self.world_size / (len(idx) * self.per_sample)
            loss = self.sum_loss(self.model(xb), tb) * scale
            if not math.isfinite(loss.item()):
                raise Diverged(f"training diverged: the loss is {loss.item()} at epoch {epoch + 1}, step "
                               f"{step + 1} (torch engine, rank {self.rank}). Lower --lr (now "
                               f"{self.lr:g}), or try --optimizer adam. Nothing was saved.")
            loss.backward()
            self.optimizer.step()

    def evaluate(self, split: str):
        X, t = self.splits[split]
        self.module.eval()
        with torch.no_grad():
            out = self.module(X)
            return self.mean_loss(out, t).item(), out.cpu().numpy()

    def state_dict(self) -> dict:
        return {k: v.detach().cpu().numpy().copy() for k, v in self.module.state_dict().items()}


def train_state(spec: Spec, prepared: Prepared, progress: bool = True, dtype: str = "float32",
                rank: int = 0, world_size: int = 1, device: str = "cpu"):
    """Train with torch in this process (one rank of ``world_size``); returns (state, history).

    ``state`` is the trained ``state_dict`` as NumPy arrays; the history is only filled on rank 0.
    """
    model = initial_model(spec, prepared)
    if dtype == "float64":
        model = model.double()
    runner = TorchRunner(spec, prepared, model, rank, world_size, device)
    threads = torch.get_num_threads()
    if world_size == 1 and "OMP_NUM_THREADS" not in os.environ and \
            sum(p.numel() for p in runner.module.parameters()) < SMALL_MODEL:
        torch.set_num_threads(1)   # small layers: threads cost more than they give
    try:
        history = run_epochs(spec, prepared, runner, progress, main=rank == 0)
    finally:
        torch.set_num_threads(threads)
    return runner.state_dict(), history
