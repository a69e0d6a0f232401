"""``glassnet.utils.data.dataset``: torch's module path of the data sets
(``from torch.utils.data.dataset import Dataset``)."""
from ...data.loader import Dataset, Subset, TensorDataset, random_split

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split"]
