"""glassnet's random numbers: its own stream, a seeded NumPy generator (PCG64) behind
``manual_seed`` and ``Generator``.

Every random function (``rand``, ``randn``, ``randint``, ``randperm``, ``normal``, ``bernoulli``,
``multinomial``, the ``*_like`` family, ``Tensor.uniform_``/``normal_``, layer initialisation,
dropout, ``DataLoader(shuffle=True)``) draws from ``generator=`` when given one, else from
``default_generator``.  The same seed gives the same numbers on every run; it does *not* give the
numbers torch draws for that seed (torch uses its own Mersenne-Twister-based stream).  To compare
with torch, copy tensors across (``load_state_dict``) rather than relying on the same seed.
``get_state``/``set_state`` return and take NumPy's generator state (a dict), not a ByteTensor.
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
