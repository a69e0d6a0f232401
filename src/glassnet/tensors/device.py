"""``glassnet.device`` and the one check every ``device=`` argument goes through.

glassnet computes with NumPy on the CPU.  A ``device`` object can still *name* any device torch
knows (``glassnet.device("cuda")`` is fine, as it is in a CPU build of torch); only putting data
there fails, with the error a CPU-only torch raises:

* ``"cuda"``: ``AssertionError: Torch not compiled with CUDA enabled``
* ``"mps"``:  ``RuntimeError: PyTorch is not linked with support for mps devices``

so the idiom ``device = "cuda" if torch.cuda.is_available() else "cpu"`` picks the CPU.
"""
from __future__ import annotations

__all__ = ["device", "check_device"]

_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
          "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")

_CPU_ONLY = " (glassnet runs on the CPU only: use device='cpu', e.g. picked by torch.cuda.is_available())"


class device:
    """A device name, as ``torch.device``: ``device("cpu")``, ``device("cuda:1")``,
    ``device("cuda", 0)``.  Only ``"cpu"`` can hold glassnet tensors."""

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):  # noqa: A002 - the torch name
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if isinstance(type, int) and not isinstance(type, bool):  # torch.device(0) is cuda:0
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a string such as 'cpu', got {type!r}")
        kind, _, number = type.partition(":")
        if kind not in _TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of device "
                               f"string: {type}")
        if number:
            if index is not None or not number.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(number)
        self.type, self.index = kind, index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except (RuntimeError, TypeError):
                return False
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))


def check_device(value) -> None:
    """Accept ``None``, ``"cpu"`` and ``device("cpu")``; raise torch's error for anything else."""
    if value is None:
        return
    d = value if isinstance(value, device) else device(value)
    if d.type == "cpu":
        return
    if d.type == "cuda":
        raise AssertionError("Torch not compiled with CUDA enabled" + _CPU_ONLY)
    raise RuntimeError(f"PyTorch is not linked with support for {d.type} devices" + _CPU_ONLY)
