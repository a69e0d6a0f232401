"""The keyword spellings torch's argument parser accepts besides the documented names.

torch's builtins take NumPy's names too: ``axis=`` for ``dim=``, ``keepdims=`` for ``keepdim=``,
``x=``/``a=``/``x1=`` for ``input=`` and ``x2=`` for ``other=`` (``t.sum(axis=0, keepdims=True)``).
``accept_aliases`` gives a glassnet function the same leniency without changing its signature.
"""
from __future__ import annotations

import functools
import inspect

#: alias → the parameter it stands for (torch's ``numpy_compatibility_arg_names``).
ALIASES = {"axis": "dim", "keepdims": "keepdim", "x": "input", "a": "input", "x1": "input", "x2": "other"}


def accept_aliases(fn):
    """Wrap ``fn`` so each alias keyword is passed on under the name ``fn`` declares."""
    params = inspect.signature(fn).parameters
    mapping = {alias: name for alias, name in ALIASES.items() if name in params and alias not in params}
    if "axis" in params and "dim" not in params:  # torch.concatenate(tensors, axis): dim= works too
        mapping["dim"] = "axis"
    if not mapping:
        return fn

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs:
            for alias in [k for k in kwargs if k in mapping]:
                name = mapping[alias]
                if name in kwargs:
                    raise TypeError(f"{fn.__name__}() got both {name!r} and its alias {alias!r}")
                kwargs[name] = kwargs.pop(alias)
        return fn(*args, **kwargs)

    wrapper.__aliases__ = mapping
    return wrapper


def alias_methods(cls, names) -> None:
    """Give ``cls``'s methods ``names`` (those taking ``dim``, ``keepdim`` or ``other``) the aliases."""
    for name in names:
        method = inspect.getattr_static(cls, name, None)
        if inspect.isfunction(method):
            setattr(cls, name, accept_aliases(method))
