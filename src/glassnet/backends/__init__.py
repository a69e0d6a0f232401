"""``glassnet.backends``: ``cuda``, ``mps`` and ``cudnn`` answer as in a CPU-only torch build."""
from . import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
