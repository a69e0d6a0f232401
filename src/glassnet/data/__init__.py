"""Data for training: ``Dataset``, ``TensorDataset``, ``DataLoader``, ``random_split``, ``Subset``
(as ``torch.utils.data``), and the built-in data sets in ``glassnet.data.datasets``
(also reachable as ``glassnet.datasets``)."""
from . import datasets
from .loader import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split

__all__ = ["Dataset", "TensorDataset", "Subset", "DataLoader", "random_split", "default_collate",
           "datasets"]
