"""A module's ``_parameters`` and ``_modules``: dicts that count every change of any module tree.

``STRUCTURE[0]`` goes up after every write to any module's registries (through ``Module``'s
methods or directly, as ``model._modules[name] = layer``), so that a walk of a module tree
(``glassnet.explain.record``'s names of modules and parameters) can be reused while it has not
moved.  A registry made as a copy (``copy.deepcopy``, pickle) is filled without counting: a new
registry belongs to no tree yet.
"""
from __future__ import annotations

#: Goes up whenever any module's ``_parameters`` or ``_modules`` changes, so that a walk of a
#: module tree (``glassnet.explain.record``'s names) can be reused while it is unchanged.
STRUCTURE = [0]


class _Registry(dict):
    """A module's ``_parameters`` or ``_modules``: a dict that bumps ``STRUCTURE`` after every
    write, by ``Module``'s methods or directly (``model._modules[name] = layer``).  A copy
    (``copy.deepcopy``, pickle) is filled without bumping: a new registry belongs to no tree yet."""

    __slots__ = ()

    def __reduce__(self):
        return _registry, (dict(self),)

    def __setitem__(self, key, value):
        dict.__setitem__(self, key, value)
        STRUCTURE[0] += 1

    def __delitem__(self, key):
        dict.__delitem__(self, key)
        STRUCTURE[0] += 1

    def __ior__(self, other):
        dict.update(self, other)
        STRUCTURE[0] += 1
        return self

    def pop(self, *args):
        out = dict.pop(self, *args)
        STRUCTURE[0] += 1
        return out

    def popitem(self):
        out = dict.popitem(self)
        STRUCTURE[0] += 1
        return out

    def clear(self):
        dict.clear(self)
        STRUCTURE[0] += 1

    def update(self, *args, **kwargs):
        dict.update(self, *args, **kwargs)
        STRUCTURE[0] += 1

    def setdefault(self, key, default=None):
        out = dict.setdefault(self, key, default)
        STRUCTURE[0] += 1
        return out


def _registry(items) -> _Registry:
    """A ``_Registry`` holding ``items``, made without bumping ``STRUCTURE``."""
    out = _Registry()
    dict.update(out, items)
    return out


_REGISTRIES = ("_parameters", "_modules")
