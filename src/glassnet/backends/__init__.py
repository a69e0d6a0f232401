"""``glassnet.backends``: ``mps`` and ``cudnn`` answer as in a CPU-only torch build."""
from . import cudnn, mps

__all__ = ["cudnn", "mps"]
