"""``glassnet.utils.data`` is ``glassnet.data``'s loader (with torch's submodules ``dataloader`` and ``dataset``), so that
``from torch.utils.data import DataLoader, TensorDataset`` runs with only ``torch`` → ``glassnet``."""
from ...data.loader import DataLoader, Dataset, IterableDataset, Subset, TensorDataset, default_collate, random_split
from ...data.samplers import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                              WeightedRandomSampler)

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "DataLoader", "random_split", "default_collate",
           "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler"]
