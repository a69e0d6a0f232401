"""``glassnet.utils``: mirrors ``torch.utils`` so that ``torch.utils.data.DataLoader`` resolves."""
from . import data

__all__ = ["data"]
