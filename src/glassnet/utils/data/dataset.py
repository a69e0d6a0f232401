"""``glassnet.utils.data.dataset``: torch's module path of the data sets
(``from torch.utils.data.dataset import Dataset``)."""
from ...data.loader import Dataset, IterableDataset, Subset, TensorDataset, random_split

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "random_split"]
