"""Layers and containers: ``Linear``, ``Sequential``, ``ModuleList``, ``Identity``, ``Flatten``,
``Unflatten``, ``Dropout``, ``Dropout2d`` (torch's names, arguments, parameter shapes and reprs)."""
from __future__ import annotations

import math
from collections import OrderedDict

from ..tensors.creation import empty
from . import functional as F
from . import init
from .module import Module, Parameter, _addindent

__all__ = ["Linear", "Sequential", "ModuleList", "Identity", "Flatten", "Unflatten", "Dropout",
           "Dropout2d"]


def _feature_count(value, name: str, cls: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{cls}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < 0:
        raise ValueError(f"{cls}: {name} must be non-negative, got {value}")
    return value


class Linear(Module):
    """y = x·Wᵀ + b.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of each input and output sample.
    bias : bool, default True
        Whether to learn the additive bias b.

    Attributes
    ----------
    weight : Parameter, shape (out_features, in_features)
        Initialised as torch does: ``kaiming_uniform_(a=√5)``, i.e. U(−1/√in, 1/√in).
    bias : Parameter, shape (out_features,)
        U(−1/√in, 1/√in).

    Shapes: input (..., in_features) → output (..., out_features).

    Examples
    --------
    >>> layer = nn.Linear(4, 3)
    >>> layer.weight.shape
    glassnet.Size([3, 4])
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.in_features = _feature_count(in_features, "in_features", "Linear")
        self.out_features = _feature_count(out_features, "out_features", "Linear")
        self.weight = Parameter(empty((out_features, in_features), dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty((out_features,), dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights from glassnet's default generator (torch's formulas)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """y = x.  Accepts and ignores any constructor arguments, as torch does."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Flatten(Module):
    """Flatten dims ``start_dim`` … ``end_dim`` into one: (N, 2, 3) → (N, 6) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        n = max(input.dim(), 1)
        for d in (self.start_dim, self.end_dim):
            if not -n <= d < n:
                raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                                 f"but got {d}): Flatten(start_dim={self.start_dim}) needs an input "
                                 f"with more dimensions, e.g. a batch of samples")
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``: ``Unflatten(1, (16, 5, 5))`` turns
    (N, 400) into (N, 16, 5, 5), the inverse of ``Flatten``.  One size may be −1 (inferred)."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"unflattened_size must be a tuple of ints, but found type "
                            f"{type(unflattened_size).__name__}")
        for idx, elem in enumerate(unflattened_size):
            if not isinstance(elem, int):
                raise TypeError(f"unflattened_size must be tuple of ints, but found element of type "
                                f"{type(elem).__name__} at pos {idx}")
        self.dim, self.unflattened_size = dim, unflattened_size

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class _DropoutNd(Module):
    """What ``Dropout`` and ``Dropout2d`` share (torch's ``_DropoutNd``): ``p`` and ``inplace``."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """In training mode, zero each element with probability ``p`` and scale the rest by 1/(1 − p);
    in eval mode (``model.eval()``), the identity.  See ``F.dropout``."""

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """In training mode, zero each whole channel (feature map ``x[n, c]``) with probability ``p``
    and scale the kept ones by 1/(1 − p); in eval mode, the identity.  Input (N, C, H, W); a 3-D
    input is read as (N, C, L) with torch's warning.  See ``F.dropout2d``."""

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)


class _IndexedContainer(Module):
    """Shared by ``Sequential`` and ``ModuleList``: children named by position."""

    def _abs_index(self, idx: int) -> int:
        idx = int(idx)
        n = len(self._modules)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range")
        return idx % n

    def _key(self, idx: int) -> str:
        return list(self._modules)[self._abs_index(idx)]

    def _renumber(self, modules) -> None:
        """Make ``modules`` the children, named "0", "1", ... (torch renumbers after a delete)."""
        for key in list(self._modules):
            self._forget(key)
        for i, module in enumerate(modules):
            self.add_module(str(i), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __setitem__(self, idx: int, module: Module) -> None:
        setattr(self, self._key(idx), module)

    def __delitem__(self, idx) -> None:
        keys = list(self._modules)[idx] if isinstance(idx, slice) else [self._key(idx)]
        for key in keys:
            self._forget(key)
        self._renumber(list(self._modules.values()))

    def append(self, module: Module):
        """Add ``module`` at the end; returns the container."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)

    def pop(self, idx: int = -1) -> Module:
        module = self[idx]
        del self[idx]
        return module


class Sequential(_IndexedContainer):
    """Modules applied in order: ``Sequential(a, b, c)(x) = c(b(a(x)))``.

    Children are named "0", "1", ... (so parameters are ``0.weight``, ``2.bias``), or by the
    keys of an ``OrderedDict`` passed as the only argument.  Supports indexing (a slice gives a
    ``Sequential`` keeping the names), ``len``, iteration, ``append``, ``insert``, ``extend``.

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
    >>> [name for name, _ in net.named_parameters()][:2]
    ['0.weight', '0.bias']
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], (OrderedDict, dict)):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for idx, module in enumerate(args):
                self.add_module(str(idx), module)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return self._modules[self._key(idx)]

    def __add__(self, other: "Sequential") -> "Sequential":
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but "
                             f"{type(other)} is given.")
        return Sequential(*self, *other)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input


class ModuleList(_IndexedContainer):
    """A list of modules whose parameters are registered (a plain Python list would hide them).

    It has no ``forward``: loop over it in your own ``forward``.
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[self._key(idx)]

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other) -> "ModuleList":
        return ModuleList(list(self) + list(other))

    def __repr__(self) -> str:
        """Runs of identical children are compressed, as torch prints them: ``(0-2): 3 x Linear(...)``."""
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        blocks = []  # [start, end, repr]
        for i, r in enumerate(reprs):
            if blocks and blocks[-1][2] == r:
                blocks[-1][1] = i
            else:
                blocks.append([i, i, r])
        lines = [_addindent(f"({s}): {r}" if s == e else f"({s}-{e}): {e - s + 1} x {r}", 2)
                 for s, e, r in blocks]
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"
