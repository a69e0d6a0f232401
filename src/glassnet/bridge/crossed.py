"""What has crossed: each object ``to_torch``/``from_torch`` made, paired with its source.

``convert`` (modules, tensors) and ``optimizers`` (optimizers, schedulers) remember every pair
here, both ways and weakly; ``counterpart`` answers from it, so an optimizer crossing after its
model finds the crossed parameters, and a scheduler the crossed optimizer.
"""
from __future__ import annotations

import weakref

_CROSSED: dict = {}          # id(source object) → (weakref to it, weakref to its counterpart)


def counterpart(obj):
    """The object ``to_torch``/``from_torch`` made from ``obj`` (or ``obj`` came from), or None."""
    entry = _CROSSED.get(id(obj))
    if entry is not None and entry[0]() is obj:
        return entry[1]()
    return None


def remember(src, dst) -> None:
    """Pair ``src`` and ``dst`` both ways (nothing for objects that cannot be weakly referenced)."""
    for a, b in ((src, dst), (dst, src)):
        try:
            _CROSSED[id(a)] = (weakref.ref(a, _forget(id(a))), weakref.ref(b))
        except TypeError:  # not weak-referenceable: nothing to remember
            pass


def _forget(key):
    def callback(ref):
        if _CROSSED.get(key, (None,))[0] is ref:
            del _CROSSED[key]
    return callback
