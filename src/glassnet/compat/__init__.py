"""Run an unmodified PyTorch program on glassnet: ``python -m glassnet.compat program.py``.

``pose_as_torch()`` makes ``import torch`` (and ``import torch.nn.functional as F``,
``from torch.utils.data import DataLoader``, ...) give glassnet's modules: ``torch.X`` is
``glassnet.X``.  It changes nothing else; the program's output shows glassnet's names where it
prints a dtype or a Size (``glassnet.float32``, ``glassnet.Size([2, 3])``).

Use it in a fresh process: once glassnet poses as torch, the real torch cannot be imported there.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys


class _TorchAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``torch`` and ``torch.*`` and loads the glassnet module of the same path."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "torch" or fullname.startswith("torch."):
            real = "glassnet" + fullname[len("torch"):]
            if importlib.util.find_spec(real) is None and not _lazy(real):
                return None
            return importlib.util.spec_from_loader(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        return importlib.import_module("glassnet" + spec.name[len("torch"):])

    def exec_module(self, module):
        pass


def _lazy(name: str) -> bool:
    parent, _, child = name.rpartition(".")
    try:
        return hasattr(importlib.import_module(parent), child)
    except ImportError:
        return False


def pose_as_torch() -> None:
    """After this, ``import torch`` in this process imports glassnet."""
    if "torch" in sys.modules and not sys.modules["torch"].__name__.startswith("glassnet"):
        raise RuntimeError("the real torch is already imported in this process; run the program in a "
                           "fresh one (python -m glassnet.compat program.py)")
    if not any(isinstance(f, _TorchAlias) for f in sys.meta_path):
        sys.meta_path.insert(0, _TorchAlias())


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    usage = "usage: python -m glassnet.compat program.py [args...]"
    if not argv or argv[0] in ("-h", "--help"):
        print(usage, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    if not os.path.isfile(argv[0]):
        print(f"glassnet.compat: error: no such program file: {argv[0]!r} ({usage})", file=sys.stderr)
        return 2
    pose_as_torch()
    sys.argv = list(argv)
    runpy.run_path(argv[0], run_name="__main__")
    return 0
