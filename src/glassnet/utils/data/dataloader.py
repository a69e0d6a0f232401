"""``glassnet.utils.data.dataloader``: torch's module path of the loader
(``from torch.utils.data.dataloader import DataLoader``, as makemore writes it)."""
from ...data.loader import DataLoader, default_collate

__all__ = ["DataLoader", "default_collate"]
