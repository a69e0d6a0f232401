"""Containers keyed by name or position, as torch has them: ``ModuleDict``, ``ParameterList`` and
``ParameterDict``.  Each holds its entries in the module's registries, so ``parameters()``,
``state_dict()`` (keys ``"0"``, ``"name"``, ``"blocks.attn.weight"`` …), ``.to()`` and the
optimizer see them; a plain Python list or dict of layers would hide them.  (``Sequential`` and
``ModuleList`` are in ``layers.py``.)"""
from __future__ import annotations

from collections import OrderedDict

from ..tensors.tensor import Tensor
from .module import Module, Parameter

__all__ = ["ModuleDict", "ParameterList", "ParameterDict"]


def _describe(p) -> str:
    """One line of torch's ParameterList/ParameterDict repr."""
    if isinstance(p, Tensor):
        size = "x".join(str(s) for s in p.shape)
        return f"{'Parameter' if isinstance(p, Parameter) else 'Tensor'} containing: [{{}} of size {size}]"
    return f"Object of type: {type(p).__name__}"


_LEGACY = {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor", "int32": "IntTensor",
           "bool": "BoolTensor"}


class ModuleDict(Module):
    """Modules by name: ``d["encoder"]``, ``d.items()``, ``d.update(...)``; registered as children, so
    parameters are ``encoder.weight``.  Keeps insertion order.

    Examples
    --------
    >>> d = nn.ModuleDict({"lin": nn.Linear(2, 3), "act": nn.ReLU()})
    >>> list(d.keys()), [n for n, _ in d.named_parameters()]
    (['lin', 'act'], ['lin.weight', 'lin.bias'])
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Module:
        value = self[key]
        del self[key]
        return value

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules) -> None:
        """Add or replace modules from a mapping or an iterable of (name, module) pairs."""
        if isinstance(modules, (OrderedDict, ModuleDict, dict)) or hasattr(modules, "keys"):
            for key, module in modules.items():
                self[key] = module
            return
        for j, pair in enumerate(modules):
            if not isinstance(pair, (list, tuple)):
                raise TypeError(f"ModuleDict update sequence element #{j} should be Iterable; is "
                                f"{type(pair).__name__}")
            if len(pair) != 2:
                raise ValueError(f"ModuleDict update sequence element #{j} has length {len(pair)}; 2 is "
                                 f"required")
            self[pair[0]] = pair[1]


class ParameterList(Module):
    """Parameters by position (``"0"``, ``"1"`` … in ``state_dict``).  A plain tensor put in becomes
    a ``Parameter``, as in torch; other objects are kept as they are.

    Examples
    --------
    >>> ps = nn.ParameterList([nn.Parameter(glassnet.ones(3)) for _ in range(2)])
    >>> list(ps.state_dict())
    ['0', '1']
    """

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def _index(self, idx: int) -> str:
        idx = int(idx)
        if not -len(self) <= idx < len(self):
            raise IndexError(f"index {idx} is out of range")
        return str(idx % len(self))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            out = ParameterList()
            for i in range(*idx.indices(len(self))):
                out.append(self[i])
            return out
        return getattr(self, self._index(idx))

    def __setitem__(self, idx: int, param) -> None:
        key = self._index(idx)
        if isinstance(param, Tensor) and not isinstance(param, Parameter):
            param = Parameter(param)
        setattr(self, key, param)

    def __len__(self) -> int:
        return self._size

    def __iter__(self):
        return iter(self[i] for i in range(len(self)))

    def __iadd__(self, parameters):
        return self.extend(parameters)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")

    def append(self, value) -> "ParameterList":
        """Add ``value`` at the end (a tensor becomes a Parameter); returns the list."""
        new = len(self)
        self._size += 1
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, str(new), value)
        return self

    def extend(self, values) -> "ParameterList":
        if isinstance(values, (str, Tensor)) or not hasattr(values, "__iter__"):
            raise TypeError("ParameterList.extend should be called with an iterable, but got "
                            + type(values).__name__)
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(f"  ({k}): " + _describe(p).format(getattr(p, "dtype", ""))
                         for k, p in enumerate(self))


class ParameterDict(Module):
    """Parameters by name (the names are the ``state_dict`` keys), with a dict's methods.  A plain
    tensor put in becomes a ``Parameter``, as in torch.

    Examples
    --------
    >>> pd = nn.ParameterDict({"scale": nn.Parameter(glassnet.ones(1))})
    >>> "scale" in pd, list(pd.state_dict())
    (True, ['scale'])
    """

    def __init__(self, parameters=None):
        super().__init__()
        self._keys: dict = {}
        if parameters is not None:
            self.update(parameters)

    def _key_to_attr(self, key):
        if not isinstance(key, str):
            raise TypeError(f"Index given to ParameterDict cannot be used as a key as it is not a string "
                            f"(type is '{type(key).__name__}'). Open an issue on github if you need "
                            f"non-string keys.")
        return key

    def __getitem__(self, key: str):
        return getattr(self, self._key_to_attr(key))

    def __setitem__(self, key: str, value) -> None:
        self._keys[key] = None
        attr = self._key_to_attr(key)
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, attr, value)

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, self._key_to_attr(key))

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(list(self._keys))

    def __contains__(self, key) -> bool:
        return key in self._keys

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterDict should not be called.")

    def copy(self) -> "ParameterDict":
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key: str, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        for k in list(self._keys):
            del self[k]

    def pop(self, key: str):
        value = self[key]
        del self[key]
        return value

    def popitem(self):
        k, _ = self._keys.popitem()
        self._keys[k] = None
        value = self[k]
        del self[k]
        return k, value

    def get(self, key: str, default=None):
        return self[key] if key in self else default

    def fromkeys(self, keys, default=None) -> "ParameterDict":
        return ParameterDict((k, default) for k in keys)

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def update(self, parameters) -> None:
        """Add or replace entries from a mapping or an iterable of (name, value) pairs."""
        if hasattr(parameters, "keys"):
            items = parameters.items()
            if isinstance(parameters, dict) and not isinstance(parameters, OrderedDict):
                items = sorted(items)   # torch sorts a plain dict's keys
            for key, value in items:
                self[key] = value
            return
        for j, pair in enumerate(parameters):
            if not hasattr(pair, "__iter__") or isinstance(pair, str):
                raise TypeError(f"ParameterDict update sequence element #{j} should be Iterable; is "
                                f"{type(pair).__name__}")
            pair = tuple(pair)
            if len(pair) != 2:
                raise ValueError(f"ParameterDict update sequence element #{j} has length {len(pair)}; 2 is "
                                 f"required")
            self[pair[0]] = pair[1]

    def extra_repr(self) -> str:
        lines = []
        for k, p in self.items():
            name = f"glassnet.{_LEGACY.get(p.array.dtype.name, 'Tensor')}" if isinstance(p, Tensor) else ""
            lines.append(f"  ({k}): " + _describe(p).format(name))
        return "\n".join(lines)
