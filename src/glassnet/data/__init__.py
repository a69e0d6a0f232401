"""Data for training, its one home: ``Dataset``, ``TensorDataset``, ``DataLoader``, ``random_split``,
``Subset`` and the samplers (as ``torch.utils.data``); the built-in data sets in ``glassnet.data.datasets`` (also
reachable as ``glassnet.datasets``); users' CSV files in ``glassnet.data.csv_file``.

Data sets and CSV files come as tensors, or as NumPy arrays (``datasets.load_arrays``,
``csv_file.load_csv_arrays``) for code that stays in NumPy until it cuts mini-batches in the
loader's order (``loader.epoch_orders``, ``loader.batches``), as ``glassnet train`` and the
playground do."""
from . import datasets
from .loader import DataLoader, Dataset, IterableDataset, Subset, TensorDataset, default_collate, random_split
from .samplers import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                       WeightedRandomSampler)

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "DataLoader", "random_split", "default_collate",
           "datasets", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]
