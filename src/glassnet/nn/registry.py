"""A module's ``_parameters`` and ``_modules``: dicts that count every change of any module tree.

``STRUCTURE[0]`` goes up after every write to any module's registries (through ``Module``'s
methods or directly, as ``model._modules[name] = layer``), so that a walk of a module tree
(``glassnet.explain.record``'s names of modules and parameters) can be reused while it has not
moved.  A registry made as a copy (``copy.deepcopy``, pickle) is filled without counting: a new
registry belongs to no tree yet.
"""
from __future__ import annotations

import weakref

#: Goes up whenever any module's ``_parameters`` or ``_modules`` changes, so that a walk of a
#: module tree (``glassnet.explain.record``'s names) can be reused while it is unchanged.
STRUCTURE = [0]


class _Registry(dict):
    """A module's ``_parameters`` or ``_modules``: a dict that bumps ``STRUCTURE`` after every
    write, by ``Module``'s methods or directly (``model._modules[name] = layer``), and mirrors
    direct writes into its module's ``__dict__`` (where ``self.fc`` is read from), so that the
    module's attributes and its registries never disagree.  A copy (``copy.deepcopy``, pickle)
    is filled without bumping and belongs to no module until one takes it (``Module.__setstate__``).
    """

    __slots__ = ("owner",)                  # a weak reference to the module, or None

    def __init__(self, *args, **kwargs):
        dict.__init__(self, *args, **kwargs)
        self.owner = None

    def __reduce__(self):
        return _registry, (dict(self),)

    def _attrs(self):
        """The owning module's ``__dict__`` (None when it has none, or is gone)."""
        module = self.owner() if self.owner is not None else None
        return None if module is None else module.__dict__

    def __setitem__(self, key, value):
        dict.__setitem__(self, key, value)
        attrs = self._attrs()
        if attrs is not None:
            attrs[key] = value
        STRUCTURE[0] += 1

    def __delitem__(self, key):
        dict.__delitem__(self, key)
        attrs = self._attrs()
        if attrs is not None:
            attrs.pop(key, None)
        STRUCTURE[0] += 1

    def pop(self, key, *default):
        held = key in self
        out = dict.pop(self, key, *default)
        attrs = self._attrs()
        if held and attrs is not None:
            attrs.pop(key, None)
        STRUCTURE[0] += 1
        return out

    def popitem(self):
        key, value = dict.popitem(self)
        attrs = self._attrs()
        if attrs is not None:
            attrs.pop(key, None)
        STRUCTURE[0] += 1
        return key, value

    def clear(self):
        for key in list(self):
            del self[key]
        STRUCTURE[0] += 1

    def update(self, *args, **kwargs):
        for key, value in dict(*args, **kwargs).items():
            self[key] = value
        STRUCTURE[0] += 1

    def __ior__(self, other):
        self.update(other)
        return self

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return dict.__getitem__(self, key)


def _registry(items, owner=None) -> _Registry:
    """A ``_Registry`` holding ``items`` (made without bumping ``STRUCTURE``), for ``owner``."""
    out = _Registry()
    dict.update(out, items)
    if owner is not None:
        out.owner = weakref.ref(owner)
    return out


_REGISTRIES = ("_parameters", "_modules")
