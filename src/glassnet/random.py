"""glassnet's random numbers: a seeded NumPy generator behind ``manual_seed``.

glassnet cannot reproduce PyTorch's random stream; to compare with torch, copy the
weights across (``load_state_dict``) rather than relying on the same seed.
"""
from __future__ import annotations

import numpy as np


class Generator:
    """``glassnet.Generator().manual_seed(42)``, as ``torch.Generator`` is used with
    ``DataLoader(shuffle=True, generator=...)`` and ``random_split``."""

    def __init__(self, device="cpu"):
        self._seed = 0
        self.rng = np.random.default_rng(0)

    def manual_seed(self, seed: int) -> "Generator":
        if not isinstance(seed, (int, np.integer)):
            raise TypeError(f"manual_seed expects an integer seed, got {type(seed).__name__}")
        self._seed = int(seed)
        self.rng = np.random.default_rng(int(seed))
        return self

    def initial_seed(self) -> int:
        return self._seed

    def uniform(self, low, high, shape):
        return self.rng.uniform(low, high, shape)

    def normal(self, mean, std, shape):
        return self.rng.normal(mean, std, shape)

    def permutation(self, n: int) -> np.ndarray:
        return self.rng.permutation(n)

    def get_state(self):
        return self.rng.bit_generator.state

    def set_state(self, state) -> None:
        self.rng.bit_generator.state = state


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed glassnet's default generator (weights of new layers, rand, randn, dropout)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    s = int(np.random.SeedSequence().entropy % (2 ** 63))
    default_generator.manual_seed(s)
    return s


def initial_seed() -> int:
    return default_generator.initial_seed()
