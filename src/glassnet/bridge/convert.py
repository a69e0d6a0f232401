"""``to_torch`` and ``from_torch``: models, tensors, optimizers and schedulers cross both ways.

A built-in module (``Linear``, ``Sequential``, every activation, ``Dropout``, the losses) becomes
the other engine's class of the same name with the same parameters, buffers and options.  A
user subclass (``DiagonalFlipNet``, the spiral lesson's ``NeuralNetwork``) becomes a class of the
same name on the other side whose methods are the user's own code, with the module-level names
it uses (``torch``, ``nn``, ``F`` …) pointing at the other engine — so ``forward`` runs unchanged,
and nothing in the user's model is edited.  Values are copied (float32 stays float32, float64
stays float64), and so are ``requires_grad``, ``.grad``, ``training`` and plain attributes.

Optimizers and schedulers cross after their model (see ``optimizers``): the parameters are
matched to the ones this module made.  Anything that cannot cross raises ``CrossingError``
naming it (a class with no counterpart, ``glassnet.exact`` or ``torch.float16`` values, hooks).
"""
from __future__ import annotations

import dis
import functools
import types

from .crossed import remember
from .engines import CrossingError, glassnet_engine, torch_engine
from .optimizers import cross_optimizer, cross_scheduler

_CLASSES: dict = {}          # (source engine, source class) → crossed class
_SKIP = {"__dict__", "__weakref__", "__module__", "__qualname__"}
# built-in classes an engine keeps outside its ``nn`` namespace: name → {engine: where in its nn}
_UNLISTED = {"NonDynamicallyQuantizableLinear": {"torch": "modules.linear", "glassnet": "transformer"}}


def to_torch(obj):
    """The PyTorch counterpart of a glassnet module, tensor, optimizer or scheduler.

    Examples
    --------
    >>> model = to_torch(glassnet_model)              # a torch.nn.Module, same weights
    >>> optimizer = to_torch(glassnet_optimizer)      # after the model: same state (Adam's moments)
    """
    return _cross(obj, glassnet_engine(), torch_engine())


def from_torch(obj):
    """The glassnet counterpart of a torch module, tensor, optimizer or scheduler (see ``to_torch``).

    A ``DistributedDataParallel`` wrapper crosses as the module it wraps.
    """
    return _cross(obj, torch_engine(), glassnet_engine())


def _cross(obj, src, dst):
    if src.name == "torch" and type(obj).__name__ == "DistributedDataParallel":
        obj = obj.module
    if isinstance(obj, src.Module):
        return _Crossing(src, dst).module(obj, type(obj).__name__)
    if isinstance(obj, src.Tensor):
        return _Crossing(src, dst).tensor(obj, "the tensor")
    if isinstance(obj, src.Optimizer):
        return cross_optimizer(obj, src, dst)
    if isinstance(obj, src.LRScheduler) or type(obj).__name__ == "ReduceLROnPlateau":
        return cross_scheduler(obj, src, dst)
    raise CrossingError(f"{type(obj).__module__}.{type(obj).__name__} cannot cross to {dst.name}: "
                        f"pass a {src.name} module, tensor, optimizer or learning-rate scheduler")


class _Crossing:
    """One conversion: a memo so shared parameters and modules stay shared on the other side."""

    def __init__(self, src, dst):
        self.src, self.dst, self.memo = src, dst, {}

    # -- tensors ---------------------------------------------------------------------------
    def tensor(self, t, what: str):
        if id(t) in self.memo:
            return self.memo[id(t)]
        array = self.src.to_array(t, what)
        if isinstance(t, self.src.Parameter):
            out = self.dst.parameter(array, t.requires_grad)
        else:
            out = self.dst.from_array(array, t.requires_grad and t.is_leaf)
        if t.grad is not None:
            out.grad = self.dst.from_array(self.src.to_array(t.grad, what + ".grad"))
        self.memo[id(t)] = out
        remember(t, out)
        return out

    def value(self, value, what: str):
        """A plain attribute: tensors (also inside lists, tuples, dicts) and modules cross."""
        if isinstance(value, self.src.Tensor):
            return self.tensor(value, what)
        if isinstance(value, self.src.Module):
            return self.module(value, what)
        if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
            return type(value)(self.value(v, f"{what}[{i}]") for i, v in enumerate(value))
        if isinstance(value, dict):
            return {k: self.value(v, f"{what}[{k!r}]") for k, v in value.items()}
        if isinstance(value, type) and issubclass(value, self.src.Module):
            return cross_class(value, self.src, self.dst)
        if isinstance(value, (types.FunctionType, types.BuiltinFunctionType)) and self.src.where(value):
            crossed = self.dst.counterpart(self.src.where(value))   # e.g. an activation, F.relu
            if crossed is None:
                raise CrossingError(f"{what} is {value.__module__}.{value.__name__}, which {self.dst.name} "
                                    f"does not have")
            return crossed
        return value

    # -- modules ---------------------------------------------------------------------------
    def module(self, m, path: str):
        if id(m) in self.memo:
            return self.memo[id(m)]
        cls = cross_class(type(m), self.src, self.dst, path)
        if type(m).__name__ in _LAZY:        # a lazy module before its first call (hooks of its own)
            return self._lazy(m, cls, path)
        hooks = [k for k in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks",
                             "_backward_pre_hooks") if getattr(m, k, None)]
        if hooks:
            raise CrossingError(f"{path} ({type(m).__name__}) has {hooks[0][1:].replace('_', ' ')}; "
                                f"hooks hold {self.src.name} functions and cannot cross: remove them "
                                f"(handle.remove()) and register {self.dst.name} ones after crossing")
        out = cls.__new__(cls)
        self.dst.Module.__init__(out)
        self.memo[id(m)] = out
        out.training = m.training
        d = m.__dict__
        for name, p in d["_parameters"].items():
            out.register_parameter(name, None if p is None else self.tensor(p, f"{path}.{name}"))
        for name, b in d["_buffers"].items():
            out.register_buffer(name, None if b is None else self.tensor(b, f"{path}.{name}"),
                                persistent=name not in d["_non_persistent_buffers_set"])
        for name, child in d["_modules"].items():
            setattr(out, name, None if child is None else self.module(child, f"{path}.{name}"))
        registered = set(d["_parameters"]) | set(d["_buffers"]) | set(d["_modules"])
        for name, value in d.items():
            if name not in self.src.internal and name not in registered:
                setattr(out, name, self.value(value, f"{path}.{name}"))
        if hasattr(out, "_init_flat_weights"):   # RNN/LSTM/GRU: their list of parameters, anew
            out._init_flat_weights()
        remember(m, out)
        return out


    def _lazy(self, m, cls, path: str):
        """A lazy module not yet called: the other engine's built from its arguments, its dtype
        and any parameters or buffers already materialized (by ``load_state_dict``) copied over."""
        args, kwargs = _LAZY[type(m).__name__](m)
        tensors = {**m._parameters, **m._buffers}
        first = next((t for t in tensors.values() if t is not None and t.dtype.is_floating_point), None)
        dtype = "float32" if first is None else str(first.dtype).split(".")[-1]
        out = cls(*args, **kwargs, dtype=getattr(self.dst.namespaces[0], dtype))
        loaded = {name: self.tensor(t, f"{path}.{name}").detach() for name, t in tensors.items()
                  if t is not None and not type(t).__name__.startswith("Uninitialized")}
        if loaded:
            out.load_state_dict(loaded, strict=False)
        for name, p in m._parameters.items():     # an optimizer crossing next finds these
            if p is not None:
                self.memo[id(p)] = out._parameters[name]
                remember(p, out._parameters[name])
        out.train(m.training)
        self.memo[id(m)] = out
        remember(m, out)
        return out


def _lazy_conv(m):
    """A lazy convolution's constructor arguments (the transposed ones add output_padding)."""
    kwargs = {"stride": m.stride, "padding": m.padding, "dilation": m.dilation, "groups": m.groups,
              "bias": m.bias is not None, "padding_mode": m.padding_mode}
    if m.transposed:
        kwargs["output_padding"] = m.output_padding
    return (m.out_channels, m.kernel_size), kwargs


def _lazy_batch_norm(m):
    return (), {"eps": m.eps, "momentum": m.momentum, "affine": m.affine,
                "track_running_stats": m.track_running_stats, "bias": m.bias is not None or not m.affine}


#: lazy modules: name → their constructor's arguments read from an instance
_LAZY = {"LazyLinear": lambda m: ((m.out_features,), {"bias": m.bias is not None}),
         **dict.fromkeys(["LazyConv1d", "LazyConv2d", "LazyConvTranspose1d", "LazyConvTranspose2d"], _lazy_conv),
         **dict.fromkeys(["LazyBatchNorm1d", "LazyBatchNorm2d"], _lazy_batch_norm)}


# -- classes -----------------------------------------------------------------------------------

def cross_class(cls, src, dst, path: str | None = None):
    """The other engine's class for ``cls``: the class of the same name for a built-in one, a
    class built from the user's own methods for a subclass."""
    key = (src.name, cls)
    if key in _CLASSES:
        return _CLASSES[key]
    origin = cls.__dict__.get("__bridge_origin__")
    if origin is not None and issubclass(origin, dst.Module):
        return origin
    where = f"{path} ({cls.__name__})" if path and path != cls.__name__ else cls.__name__
    if cls is src.Module:
        return dst.Module
    if src.is_library_class(cls):
        found = getattr(dst.nn, cls.__name__, None)
        if found is None and cls.__name__ in _UNLISTED:
            where_in_nn = _UNLISTED[cls.__name__][dst.name].split(".") + [cls.__name__]
            found = functools.reduce(getattr, where_in_nn, dst.nn)
        if not (isinstance(found, type) and issubclass(found, dst.Module)):
            raise CrossingError(f"{where}: {cls.__module__}.{cls.__name__} has no counterpart in "
                                f"{dst.name}.nn, so it cannot cross to {dst.name}")
        _CLASSES[key] = found
        return found
    bases = tuple(cross_class(b, src, dst, path) for b in cls.__bases__ if b is not object)
    new = type(cls.__name__, bases or (dst.Module,), {"__doc__": cls.__doc__})
    new.__module__, new.__qualname__ = cls.__module__, cls.__qualname__
    new.__bridge_origin__ = cls
    _CLASSES[key] = new
    try:
        for name, value in cls.__dict__.items():
            if name not in _SKIP and name != "__bridge_origin__" and name != "__doc__":
                setattr(new, name, _rebind(value, new, src, dst, where))
    except CrossingError:
        del _CLASSES[key]
        raise
    return new


def _rebind(value, new_cls, src, dst, where):
    """A class attribute of the user's class, with its functions reading the other engine."""
    if isinstance(value, types.FunctionType):
        return _function(value, new_cls, src, dst, where)
    if isinstance(value, staticmethod):
        return staticmethod(_rebind(value.__func__, new_cls, src, dst, where))
    if isinstance(value, classmethod):
        return classmethod(_rebind(value.__func__, new_cls, src, dst, where))
    if isinstance(value, property):
        return property(*(None if f is None else _rebind(f, new_cls, src, dst, where)
                          for f in (value.fget, value.fset, value.fdel)), value.__doc__)
    return value


def _names(code) -> set:
    """Every global name ``code`` (and the functions and lambdas inside it) may read."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _chains(code):
    """``(global name, [attribute, …])`` for every ``name.attr.attr`` read in ``code``."""
    for inner in code.co_consts:
        if isinstance(inner, types.CodeType):
            yield from _chains(inner)
    chain = None
    for ins in dis.get_instructions(code):
        if ins.opname == "LOAD_GLOBAL":
            if chain:
                yield chain
            chain = (ins.argval, [])
        elif ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and chain is not None:
            chain[1].append(ins.argval)
        elif chain is not None:
            yield chain
            chain = None
    if chain:
        yield chain


def _check_attributes(f, scope, src, dst, where) -> None:
    """Refuse ``glassnet.exact`` and the like: engine attributes the other engine lacks."""
    for name, attrs in _chains(f.__code__):
        value, crossed = f.__globals__.get(name), scope.get(name)
        for attr in attrs:
            if not src.where(value) or not hasattr(value, attr):
                break
            value = getattr(value, attr)
            if not hasattr(crossed, attr):
                module = getattr(crossed, "__name__", name)
                raise CrossingError(f"{where}.{f.__name__} uses {name}.{attr}, which "
                                    f"{module} does not have, so {where} cannot cross")
            crossed = getattr(crossed, attr)


def _function(f, new_cls, src, dst, where):
    """``f`` with its globals' engine names (``torch``, ``nn``, ``F``, ``glassnet.sigmoid`` …)
    pointing at ``dst``, and ``__class__`` (for ``super()``) at the new class."""
    def engine_value(value):
        places = src.where(value)
        if places:
            crossed = dst.counterpart(places)
            if crossed is None:
                position, name = places[0]
                module = src.namespaces[position].__name__
                raise CrossingError(f"{where}.{f.__name__} uses {module}.{name}, which "
                                    f"{dst.name} does not have, so {where} cannot cross")
            return crossed
        if isinstance(value, type) and issubclass(value, src.Module):
            return cross_class(value, src, dst)
        return value

    scope = dict(f.__globals__)
    for name in _names(f.__code__) & scope.keys():
        scope[name] = engine_value(scope[name])
    _check_attributes(f, scope, src, dst, where)
    defaults = f.__defaults__ and tuple(engine_value(v) for v in f.__defaults__)
    cells = None
    if f.__closure__:
        cells = tuple(types.CellType(new_cls) if name == "__class__" else cell
                      for name, cell in zip(f.__code__.co_freevars, f.__closure__))
    out = types.FunctionType(f.__code__, scope, f.__name__, defaults, cells)
    out.__kwdefaults__ = f.__kwdefaults__ and {k: engine_value(v) for k, v in f.__kwdefaults__.items()}
    out.__qualname__, out.__doc__, out.__module__ = f.__qualname__, f.__doc__, f.__module__
    out.__dict__.update(f.__dict__)
    return out
