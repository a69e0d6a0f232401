"""The two sides of the bridge, described alike: glassnet and PyTorch.

An ``Engine`` names an engine's namespaces (top level, ``nn``, ``nn.functional``, ``nn.init``,
``optim``, ``optim.lr_scheduler``, ``autograd``), its base classes, and how to read a tensor
into NumPy and make one from NumPy.  ``convert`` and ``optimizers`` move objects from one
``Engine`` to the other without caring which is which.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import glassnet
import glassnet.autograd
import glassnet.nn
import glassnet.nn.functional
import glassnet.nn.init
import glassnet.optim
import glassnet.optim.lr_scheduler

# dtypes that exist on both sides, by name (glassnet.exact and torch.float16 do not cross)
CROSSING_DTYPES = ("float32", "float64", "int64", "int32", "bool")


_PLAIN = (int, float, complex, str, bytes, tuple, list, dict, set, frozenset, type(None))


class CrossingError(TypeError):
    """An object that cannot cross between glassnet and PyTorch; the message names it."""


@dataclass
class Engine:
    name: str                     # "glassnet" or "torch"
    namespaces: list              # [top, nn, functional, init, optim, lr_scheduler, autograd]
    Module: type
    Parameter: type
    Tensor: type
    Optimizer: type
    LRScheduler: type
    internal: frozenset           # keys of a bare Module's __dict__
    library: tuple                # module-name prefixes of the engine's own classes
    _index: dict = field(default_factory=dict, repr=False)

    @property
    def nn(self):
        return self.namespaces[1]

    @property
    def optim(self):
        return self.namespaces[4]

    @property
    def lr_scheduler(self):
        return self.namespaces[5]

    def is_library_class(self, cls) -> bool:
        return any(cls.__module__ == p or cls.__module__.startswith(p + ".") for p in self.library)

    def where(self, value):
        """Where a public object of this engine lives: [(namespace position, name), …] or []."""
        if not self._index:
            for position, space in enumerate(self.namespaces):
                self._index.setdefault(id(space), []).append((position, None))
                for name in dir(space):
                    item = getattr(space, name)
                    if not name.startswith("_") and not isinstance(item, _PLAIN):
                        self._index.setdefault(id(item), []).append((position, name))
        return self._index.get(id(value), [])

    def counterpart(self, places: list):
        """The object at the first of ``places`` (another engine's ``where``) this engine has."""
        for position, name in places:
            space = self.namespaces[position]
            found = space if name is None else getattr(space, name, None)
            if found is not None:
                return found
        return None

    # -- tensors -------------------------------------------------------------------------------
    def to_array(self, tensor, what: str) -> np.ndarray:
        """A NumPy copy of ``tensor``'s values (a CrossingError names ``what`` if it cannot)."""
        if self.name == "glassnet":
            array = np.asarray(tensor.array)
            if array.dtype == object:
                raise CrossingError(f"{what} is glassnet.exact (fractions), which PyTorch does not "
                                    f"have; convert it first with .double()")
        else:
            if tensor.device.type != "cpu":
                tensor = tensor.cpu()
            name = str(tensor.dtype).removeprefix("torch.")
            if name not in CROSSING_DTYPES:
                raise CrossingError(f"{what} is torch.{name}, which glassnet does not have; "
                                    f"convert it first with .float() or .double()")
            array = tensor.detach().numpy()
        return np.array(array, copy=True)

    def from_array(self, array: np.ndarray, requires_grad: bool = False):
        if self.name == "glassnet":
            out = glassnet.from_numpy(array)
        else:
            import torch
            out = torch.from_numpy(array)
        return out.requires_grad_(True) if requires_grad else out

    def parameter(self, array: np.ndarray, requires_grad: bool):
        return self.Parameter(self.from_array(array), requires_grad=requires_grad)

    def is_tensor(self, value) -> bool:
        return isinstance(value, self.Tensor)


_ENGINES: dict = {}


def glassnet_engine() -> Engine:
    if "glassnet" not in _ENGINES:
        _ENGINES["glassnet"] = Engine(
            "glassnet", [glassnet, glassnet.nn, glassnet.nn.functional, glassnet.nn.init,
                         glassnet.optim, glassnet.optim.lr_scheduler, glassnet.autograd],
            glassnet.nn.Module, glassnet.nn.Parameter, glassnet.Tensor, glassnet.optim.Optimizer,
            glassnet.optim.lr_scheduler.LRScheduler, frozenset(glassnet.nn.Module().__dict__),
            ("glassnet.nn", "glassnet.optim", "glassnet.tensor", "glassnet.autograd"))
    return _ENGINES["glassnet"]


def torch_engine() -> Engine:
    if "torch" not in _ENGINES:
        try:
            import torch
        except ImportError:  # pragma: no cover - depends on the installation
            raise ImportError("glassnet.bridge needs PyTorch: pip install torch") from None
        import torch.nn.functional
        import torch.optim.lr_scheduler
        _ENGINES["torch"] = Engine(
            "torch", [torch, torch.nn, torch.nn.functional, torch.nn.init, torch.optim,
                      torch.optim.lr_scheduler, torch.autograd],
            torch.nn.Module, torch.nn.Parameter, torch.Tensor, torch.optim.Optimizer,
            torch.optim.lr_scheduler.LRScheduler, frozenset(torch.nn.Module().__dict__),
            ("torch",))
    return _ENGINES["torch"]
