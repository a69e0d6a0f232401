"""The samplers of ``torch.utils.data``: which dataset positions a ``DataLoader`` visits, in which
order, and (``BatchSampler``) how they are grouped into batches.

Each sampler is an iterable of indices with a length.  The random ones draw from ``generator=``
when given one, else from glassnet's default generator, and draw lazily: makemore's
``RandomSampler(dataset, replacement=True, num_samples=int(1e10))`` costs one chunk of draws at
a time, never ten billion indices at once.  The same seed gives the same order on every run; it
is not the order torch draws for that seed (the streams differ, see ``glassnet.random``)."""
from __future__ import annotations

import numbers

import numpy as np

from ..random import Generator, default_generator

_CHUNK = 32  # indices drawn at a time with replacement (torch draws 32 at a time as well)


class Sampler:
    """Base class: an iterable of dataset indices (``__iter__``), usually with ``__len__``."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


def _generator(generator):
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"generator should be a glassnet.Generator (glassnet.Generator().manual_seed(0)), "
                        f"got {type(generator).__name__}")
    return generator or default_generator


class SequentialSampler(Sampler):
    """0, 1, …, len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the dataset's positions: a permutation (repeated to reach ``num_samples``)
    without replacement, or ``num_samples`` independent uniform draws with replacement."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        if num_samples is not None and (isinstance(num_samples, bool) or
                                        not isinstance(num_samples, numbers.Integral) or num_samples <= 0):
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else int(self._num_samples)

    def __iter__(self):
        n, rng = len(self.data_source), _generator(self.generator).rng
        if self.replacement:
            left = self.num_samples
            while left > 0:
                for i in rng.integers(0, n, size=min(_CHUNK, left)):
                    yield int(i)
                left -= _CHUNK
        else:
            for _ in range(self.num_samples // n):
                yield from (int(i) for i in rng.permutation(n))
            yield from (int(i) for i in rng.permutation(n)[:self.num_samples % n])

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a random order (without replacement)."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in _generator(self.generator).rng.permutation(len(self.indices)):
            yield self.indices[int(i)]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` positions drawn with probability proportional to ``weights``."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        w = np.asarray(weights.array if hasattr(weights, "array") else weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(w.shape)}")
        if not replacement and num_samples > len(w):
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
        self.weights, self.num_samples = w, int(num_samples)
        self.replacement, self.generator = replacement, generator

    def __iter__(self):
        rng = _generator(self.generator).rng
        if self.replacement:
            drawn = rng.choice(len(self.weights), size=self.num_samples, p=self.weights / self.weights.sum())
        else:  # exponential race: the smallest -log(u)/w first; zero weights come last, as in torch
            with np.errstate(divide="ignore"):
                keys = -np.log(rng.uniform(size=len(self.weights))) / self.weights
            drawn = np.argsort(keys, kind="stable")[:self.num_samples]
        return iter(int(i) for i in drawn)

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of ``batch_size`` (the last one shorter unless
    ``drop_last``)."""

    def __init__(self, sampler, batch_size, drop_last):
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, int(batch_size), drop_last

    def __iter__(self):
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
