"""``Module``: the container every network is built from, as in PyTorch.

Assigning a ``Parameter`` or a ``Module`` to an attribute registers it (in ``_parameters`` or
``_modules``), which is how ``parameters()``, ``state_dict()`` and the dotted names
(``network.0.weight``) find it.  Registered objects are *also* kept in the instance
``__dict__``, so reading ``self.weight`` in ``forward`` is an ordinary attribute lookup;
assignment, ``del`` and the ``register_*`` methods keep both places in step.  (Change the
registries through those, not by writing into ``_parameters`` directly.)

Calling a module runs its forward pre-hooks, ``forward`` and forward hooks; when no hook is
installed, ``model(x)`` is just ``model.forward(x)``.
"""
from __future__ import annotations

import itertools
import weakref
from collections import OrderedDict, namedtuple

import numpy as np

from ..tensors import dtypes
from ..autograd.engine import no_grad
from ..tensors.device import check_device
from ..tensors.tensor import Size, Tensor
from .hooks import (RemovableHandle, _global_forward_hooks, _global_forward_pre_hooks,
                    register_module_forward_hook, register_module_forward_pre_hook)
from .parameter import Parameter
from .registry import _REGISTRIES, STRUCTURE, _registry, _Registry

# Parameter (parameter.py) and the hook functions (hooks.py) are importable from here too.
__all__ = ["Module", "Parameter", "RemovableHandle", "register_module_forward_hook",
           "register_module_forward_pre_hook"]


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _typename(value) -> str:
    if isinstance(value, Tensor):
        return f"glassnet.{type(value).__name__}"
    return type(value).__name__


def _addindent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def _as_array(value, key):
    """The NumPy value of a state-dict entry: a glassnet tensor, a NumPy array or a torch tensor."""
    if isinstance(value, Tensor):
        return value.array
    if isinstance(value, (np.ndarray, np.generic)):
        return value
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        return value.detach().cpu().numpy()
    raise TypeError(f'While copying the parameter named "{key}", expected glassnet.Tensor or '
                    f"Tensor-like object from checkpoint but received {type(value)}")


class Module:
    """Base class for all neural-network modules: subclass it, assign layers and parameters in
    ``__init__``, and write ``forward``.

    Examples
    --------
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.layer1 = nn.Linear(4, 3)
    ...     def forward(self, x):
    ...         return self.layer1(x).relu()
    >>> [name for name, _ in Net().named_parameters()]
    ['layer1.weight', 'layer1.bias']
    """

    training: bool

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments; "
                            f"Module.__init__ takes none (call super().__init__())")
        d = self.__dict__
        if "_parameters" in d:              # __init__ again: the registries start over
            STRUCTURE[0] += 1
        d["training"] = True
        d["_parameters"] = _registry((), owner=self)
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = _registry((), owner=self)
        d["_forward_pre_hooks"] = {}
        d["_forward_hooks"] = {}
        d["_hooks_with_kwargs"] = set()

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" '
                                  f"function")

    # -- calling -----------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks or self._forward_hooks or _global_forward_pre_hooks \
                or _global_forward_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args, kwargs):
        with_kwargs = self._hooks_with_kwargs
        # a snapshot, as torch takes: a hook may add or remove hooks, and another thread may
        # (``glassnet.explain.record`` installs global hooks while other threads train)
        for key, hook in (*_global_forward_pre_hooks.items(), *self._forward_pre_hooks.items()):
            if key in with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for key, hook in (*_global_forward_hooks.items(), *self._forward_hooks.items()):
            result = hook(self, args, kwargs, output) if key in with_kwargs else hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_pre_hook(self, hook, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before ``forward``; a non-None result replaces ``args``."""
        return self._add_hook("_forward_pre_hooks", hook, prepend, with_kwargs)

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after ``forward``; a non-None result replaces the
        output.  (``always_call`` is accepted for compatibility and ignored.)"""
        return self._add_hook("_forward_hooks", hook, prepend, with_kwargs)

    def _add_hook(self, registry_name, hook, prepend, with_kwargs):
        registry = self.__dict__[registry_name]
        handle = RemovableHandle(registry, self._hooks_with_kwargs)
        if prepend:
            items = list(registry.items())
            registry.clear()
            registry[handle.id] = hook
            registry.update(items)
        else:
            registry[handle.id] = hook
        if with_kwargs:
            self._hooks_with_kwargs.add(handle.id)
        return handle

    # -- registration --------------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, keep="_parameters")  # a replaced parameter keeps its place
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                f"(glassnet.nn.Parameter or None expected)")
            params[name] = d[name] = None
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, keep="_modules")
            d["_modules"][name] = d[name] = value
        elif params is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                f"(glassnet.nn.Module or None expected)")
            d["_modules"][name] = d[name] = None
        elif params is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                f"(glassnet.Tensor or None expected)")
            d["_buffers"][name] = d[name] = value
        else:
            if name in _REGISTRIES and isinstance(value, dict):   # a registry replaced whole
                old = d.get(name)
                for key in old if old is not None else ():        # its entries, as attributes
                    d.pop(key, None)
                value = _registry(value, owner=self)
                d.update(value)
                STRUCTURE[0] += 1
            object.__setattr__(self, name, value)

    def __setstate__(self, state: dict) -> None:
        """``copy``/pickle: the copied registries belong to this module (a shared one, as a
        shallow copy has, stays with the module it came from)."""
        self.__dict__.update(state)
        for name in _REGISTRIES:
            registry = state.get(name)
            if isinstance(registry, _Registry) and (registry.owner is None or registry.owner() is None):
                registry.owner = weakref.ref(self)

    def __getattr__(self, name: str):
        # Only reached when normal lookup fails (registered objects live in __dict__ too).
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            found = d.get(registry)
            if found is not None and name in found:
                return found[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        if any(name in d.get(r, ()) for r in ("_parameters", "_buffers", "_modules")):
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def _forget(self, name: str, keep: str = "") -> None:
        """Remove ``name`` from ``__dict__`` and from every registry except ``keep``."""
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry != keep:
                d[registry].pop(name, None)
        d["_non_persistent_buffers_set"].discard(name)
        d.pop(name, None)

    def _check_name(self, name, kind: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain "."')

    def _taken(self, name: str) -> bool:
        """Is ``name`` already an attribute (of the instance, or of the class, like a method)?"""
        return name in self.__dict__ or hasattr(type(self), name)

    def register_parameter(self, name: str, param) -> None:
        """Register ``param`` (a ``Parameter`` or None) under ``name``."""
        self._check_name(name, "parameter")
        if name not in self._parameters and self._taken(name):
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            f"(glassnet.nn.Parameter or None required)")
        self._parameters[name] = self.__dict__[name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Register a tensor that is state but not a parameter (saved in ``state_dict`` unless
        ``persistent=False``; never handed to the optimizer)."""
        self._check_name(name, "buffer")
        if name not in self._buffers and self._taken(name):
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            f"(glassnet.Tensor or None required)")
        self._buffers[name] = self.__dict__[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module) -> None:
        """Register ``module`` as a child under ``name`` (what ``self.name = module`` does)."""
        self._check_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        if name not in self._modules and self._taken(name):
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = self.__dict__[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> "Module":
        """The submodule at a dotted path, e.g. ``model.get_submodule("network.0")``."""
        module = self
        for part in target.split(".") if target else ():
            if part not in module._modules:
                raise AttributeError(f"{module._get_name()} has no attribute `{part}`")
            module = module._modules[part]
        return module

    # -- traversal -----------------------------------------------------------------------
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """Yield (dotted name, module) for this module and every descendant, parents first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, prefix + ("." if prefix else "") + name,
                                               remove_duplicate)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, child in self._modules.items():
            if child is not None and child not in seen:
                seen.add(child)
                yield name, child

    def children(self):
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in module.__dict__[registry].items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """Yield (name, parameter) with torch's dotted names: ``layer1.weight``, ``0.bias``."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def apply(self, fn) -> "Module":
        """Call ``fn`` on every submodule (children first) and then on this module."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -- modes and gradients ---------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Set training mode (``Dropout`` active) on this module and every descendant."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.__dict__["training"] = mode
        for child in self._modules.values():
            if child is not None:
                child.train(mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad`` (to None, or to zeros with ``set_to_none=False``)."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad.zero_()

    # -- state -----------------------------------------------------------------------------
    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """An ordered dict name → tensor of every parameter and persistent buffer, keyed as torch
        keys it (so a checkpoint loads into the same architecture in torch).  The tensors are
        detached but share memory with the module's values."""
        if destination is None:
            destination = OrderedDict()
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(destination=destination, prefix=prefix + name + ".",
                                 keep_vars=keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy values from ``state_dict`` into this module's parameters and buffers.

        With ``strict=True`` missing and unexpected keys are errors; a shape mismatch always is.
        All problems are collected and raised together as one ``RuntimeError``, worded as torch
        words it.  Values may be glassnet tensors, NumPy arrays or torch tensors.
        """
        if not hasattr(state_dict, "items"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors = [], [], []
        for prefix, module in self.named_modules(remove_duplicate=False):
            prefix = prefix + "." if prefix else ""
            module._load_local(state_dict, prefix, assign, missing, unexpected, errors)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(errors)))
        return _IncompatibleKeys(missing, unexpected)

    def _load_local(self, state_dict, prefix, assign, missing, unexpected, errors):
        local = {name: value for name, value in itertools.chain(
            self._parameters.items(),
            ((n, b) for n, b in self._buffers.items() if n not in self._non_persistent_buffers_set))
            if value is not None}
        for name, target in local.items():
            key = prefix + name
            if key not in state_dict:
                missing.append(key)
                continue
            try:
                array = np.asarray(_as_array(state_dict[key], key))
            except TypeError as err:
                errors.append(str(err))
                continue
            if target.ndim == 0 and array.shape == (1,):  # torch's 1-element backward compatibility
                array = array.reshape(())
            if array.shape != np.shape(target.array):
                errors.append(f"size mismatch for {key}: copying a param with shape {Size(array.shape)} "
                              f"from checkpoint, the shape in current model is {target.shape}.")
                continue
            with no_grad():
                if assign and isinstance(target, Parameter):
                    setattr(self, name, Parameter(Tensor._from_array(array), target.requires_grad))
                else:
                    target.copy_(array)
        for key in state_dict.keys():
            if key.startswith(prefix):
                head = key[len(prefix):].split(".", 1)[0]
                if head not in self._modules and head not in local:
                    unexpected.append(key)

    # -- dtype and device --------------------------------------------------------------------
    def _cast(self, dtype) -> "Module":
        with no_grad():
            for tensor in itertools.chain(self.parameters(), self.buffers()):
                if tensor.array.dtype.kind in "fO" and tensor.array.dtype != dtype.np:
                    tensor.array = tensor.detach().to(dtype).array
                    if tensor.grad is not None:
                        tensor.grad = tensor.grad.detach().to(dtype)
        return self

    def to(self, *args, **kwargs) -> "Module":
        """``.to(dtype)``, ``.to("cpu")``, ``.to(device, dtype)``, ``.to(tensor)``: converts the
        floating-point parameters and buffers in place and returns the module itself."""
        target = kwargs.get("dtype")
        for arg in list(args) + [kwargs.get("device")]:
            if arg is None:
                continue
            if isinstance(arg, (str, dtypes.device)):
                check_device(arg)  # torch's error for a device glassnet has not (cuda, mps)
            elif isinstance(arg, Tensor):
                target = arg.dtype
            else:
                target = arg
        return self if target is None else self._cast(dtypes.as_dtype(target))

    def double(self) -> "Module":
        return self._cast(dtypes.float64)

    def float(self) -> "Module":
        return self._cast(dtypes.float32)

    def half(self) -> "Module":
        return self._cast(dtypes.as_dtype(dtypes.float16))  # raises the one line

    def bfloat16(self) -> "Module":
        return self._cast(dtypes.as_dtype(dtypes.bfloat16))  # raises the one line

    def cpu(self) -> "Module":
        return self

    def cuda(self, device=None) -> "Module":
        check_device("cuda")  # raises torch's "not compiled with CUDA" error
        return self

    # -- printing --------------------------------------------------------------------------
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr`` (override it, as in torch)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(child), 2)
                       for name, child in self._modules.items()]
        lines = extra_lines + child_lines
        text = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                text += extra_lines[0]
            else:
                text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"
