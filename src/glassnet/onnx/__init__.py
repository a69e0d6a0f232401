"""``torch.onnx``: importable; glassnet writes no ONNX, torch does (cross the model first)."""
from __future__ import annotations

__all__ = ["export", "is_in_onnx_export"]

_HOW = ("glassnet cannot write ONNX: export with glassnet.bridge.to_torch(model) and torch.onnx.export "
        "(the weights cross exactly)")


def export(model=None, args=(), f=None, *more, **kwargs):
    raise NotImplementedError(_HOW)


def is_in_onnx_export() -> bool:
    return False
