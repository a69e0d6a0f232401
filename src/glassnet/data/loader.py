"""Datasets and the ``DataLoader`` that cuts them into mini-batches, as in ``torch.utils.data``.

A *dataset* is anything with ``__len__`` and ``__getitem__(i)`` returning one sample.  A
``DataLoader`` draws the sample indices (in order, or shuffled by a seeded generator), groups
them into batches of ``batch_size`` and *collates* each batch: the samples' tensors are stacked
along a new first dimension.  For a ``TensorDataset`` (and subsets of one) the loader skips the
per-sample work and indexes the stored arrays with the whole batch of indices at once.

The order of the samples is also available without a dataset: ``epoch_orders`` is the stream of
index arrays a shuffled, seeded ``DataLoader`` draws epoch after epoch, and ``batches`` cuts one
into mini-batches, as the loader does (``glassnet train`` uses both, so every engine visits the
samples in the loader's order).
"""
from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from ..tensors.creation import from_numpy, stack
from .samplers import BatchSampler
from ..random import Generator, default_generator
from ..tensors.tensor import Tensor, tensor

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "DataLoader", "random_split", "default_collate",
           "epoch_orders", "batches"]


def _from_array(array: np.ndarray) -> Tensor:
    """A tensor owning ``array`` (0-d arrays become the NumPy scalar the engine expects)."""
    return tensor(array) if np.ndim(array) == 0 else from_numpy(array)


class Dataset:
    """A collection of samples: subclasses define ``__getitem__(index)`` and ``__len__()``.

    Examples
    --------
    >>> class Squares(Dataset):
    ...     def __len__(self):
    ...         return 5
    ...     def __getitem__(self, i):
    ...         return glassnet.tensor([float(i)]), glassnet.tensor([float(i * i)])
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index) returning one "
                                  f"sample")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__() returning the number "
                                  f"of samples")


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__()`` yielding one sample at a time (a file
    read line by line, a generator), and may define ``__len__``.  A ``DataLoader`` groups the
    samples it yields into batches in the order they come; it takes no ``shuffle``, ``sampler``
    or ``batch_sampler`` (as in torch: a stream has no indices to draw).

    Examples
    --------
    >>> class Counting(IterableDataset):
    ...     def __iter__(self):
    ...         return iter(glassnet.tensor([float(i)]) for i in range(5))
    """

    __len__ = None   # no length unless a subclass gives one: len() raises TypeError, as in torch

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__() yielding the samples")


class TensorDataset(Dataset):
    """Samples made of rows of tensors: sample ``i`` is ``(t[i] for t in tensors)``.

    Parameters
    ----------
    *tensors : Tensor
        Tensors with the same size in the first dimension (one row per sample),
        e.g. features ``X`` of shape (N, F) and targets ``y`` of shape (N, 1).

    Examples
    --------
    >>> X, y = glassnet.datasets.spiral()
    >>> ds = TensorDataset(X, y)
    >>> len(ds), ds[0][0].shape
    (400, glassnet.Size([2]))
    """

    def __init__(self, *tensors: Tensor):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor, e.g. TensorDataset(X, y)")
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset expects glassnet tensors; argument {i} is a "
                                f"{type(t).__name__}. Convert it with glassnet.tensor(...) first.")
            if t.dim() == 0:
                raise ValueError(f"TensorDataset: argument {i} is a 0-d tensor; each tensor needs a "
                                 f"first dimension with one row per sample")
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) > 1:
            listed = ", ".join(f"argument {i}: {s}" for i, s in enumerate(sizes))
            raise ValueError(f"TensorDataset: all tensors must have the same size in the first "
                             f"dimension (one row per sample); got {listed}")
        self.tensors = tuple(tensors)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (what ``random_split`` returns).

    Parameters
    ----------
    dataset : Dataset
        The whole dataset.
    indices : sequence of int
        Positions in ``dataset``; sample ``i`` of the subset is ``dataset[indices[i]]``.
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __getitem__(self, index):
        if isinstance(index, (list, tuple)):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset, lengths, generator=None) -> list:
    """Split ``dataset`` into non-overlapping random subsets of the given lengths.

    Parameters
    ----------
    dataset : Dataset
        The dataset to split.
    lengths : sequence of int or float
        Integer sizes summing to ``len(dataset)``, or fractions summing to 1. With fractions,
        each size is ``floor(len(dataset) * fraction)`` and the remaining samples are handed out
        one at a time to the splits in order (PyTorch's rule).
    generator : glassnet.Generator, optional
        Source of the random permutation; defaults to glassnet's default generator.

    Returns
    -------
    list of Subset

    Examples
    --------
    >>> train, val = random_split(ds, [0.8, 0.2], generator=glassnet.Generator().manual_seed(0))
    """
    n = len(dataset)
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths is empty; pass e.g. [0.8, 0.2] or [320, 80]")
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(f"random_split: fraction at index {i} is {frac}, not between 0 and 1")
        sizes = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(sizes)):  # hand out the remainder round-robin, as torch does
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"random_split: length of split at index {i} is 0; this split will be "
                              f"empty", stacklevel=2)
        lengths = sizes
    for i, size in enumerate(lengths):
        if isinstance(size, float) and not size.is_integer() or size < 0:
            raise ValueError(f"random_split: lengths must be non-negative integers or fractions summing "
                             f"to 1; got {lengths[i]!r} at index {i}")
    lengths = [int(size) for size in lengths]
    if sum(lengths) != n:
        raise ValueError(f"random_split: the lengths sum to {sum(lengths)} but the dataset has {n} "
                         f"samples; make them add up to {n} or pass fractions summing to 1")
    order = (generator or default_generator).permutation(n).tolist()
    offsets = np.cumsum([0] + lengths)
    return [Subset(dataset, order[start:stop]) for start, stop in zip(offsets[:-1], offsets[1:])]


def default_collate(batch):
    """Merge a list of samples into one batch, stacking along a new first dimension.

    Tensors and NumPy arrays are stacked; Python ints become an int64 tensor, floats a float64
    tensor and bools a bool tensor (as torch's ``default_collate``); tuples and lists are
    collated position by position (a list of ``(x, y)`` pairs becomes the list ``[stacked_x,
    stacked_y]``, as in torch; a namedtuple keeps its type),
    dicts key by key; strings are returned as they come (as torch's).
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        if any(t.requires_grad for t in batch):
            return stack(batch)
        shapes = {tuple(t.shape) for t in batch}
        if len(shapes) > 1:
            raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, but got "
                               f"shapes {sorted(shapes)}; pad the samples or pass your own collate_fn")
        return _from_array(np.stack([np.asarray(t.array) for t in batch]))
    if isinstance(elem, np.ndarray):
        return _from_array(np.stack(batch))
    if isinstance(elem, np.generic):
        return tensor(np.array(batch))
    if isinstance(elem, bool):
        return tensor(np.array(batch, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        return tensor(np.array(batch, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return tensor(np.array(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return batch  # as it came: a list at the top, a tuple inside a collated sequence (as torch)
    if isinstance(elem, Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in elem}
    if isinstance(elem, Sequence):
        if len({len(sample) for sample in batch}) > 1:
            raise RuntimeError("default_collate: each sample in the batch should have the same number "
                               "of elements")
        columns = [default_collate(column) for column in zip(*batch)]
        if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple keeps its type
            return type(elem)(*columns)
        return columns  # a tuple too becomes a list, as torch's default_collate returns
    raise TypeError(f"default_collate: a batch must contain tensors, NumPy arrays, numbers, strings, "
                    f"dicts or lists; found {type(elem).__name__}. Pass collate_fn=... to batch it "
                    f"yourself.")


def _tensor_source(dataset):
    """``(tensors, indices)`` when ``dataset`` is a TensorDataset or a chain of Subsets of one
    whose tensors need no gradient (the fast path); ``None`` otherwise."""
    positions = None
    while isinstance(dataset, Subset):
        inner = np.asarray(dataset.indices, dtype=np.int64)
        positions = inner if positions is None else inner[positions]
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset or any(t.requires_grad for t in dataset.tensors):
        return None
    return dataset.tensors, positions


class DataLoader:
    """Iterate over a dataset in mini-batches.

    Parameters
    ----------
    dataset : Dataset
        Anything with ``__len__`` and ``__getitem__``.
    batch_size : int, default 1
        Samples per batch.
    shuffle : bool, default False
        Draw a new random order at the start of every pass (epoch).
    drop_last : bool, default False
        Drop the last batch when it has fewer than ``batch_size`` samples.
    generator : glassnet.Generator, optional
        Source of the shuffled order; defaults to glassnet's default generator, so after
        ``glassnet.manual_seed(s)`` (or with ``generator=glassnet.Generator().manual_seed(s)``)
        the order is the same on every run.
    collate_fn : callable, optional
        Turns a list of samples into a batch; defaults to ``default_collate`` (stacking).
    sampler, batch_sampler : optional
        Which positions to visit and in which order (``RandomSampler``, ``SubsetRandomSampler``,
        ``WeightedRandomSampler``, any iterable of indices), or the batches themselves
        (``BatchSampler``); as in torch, ``sampler`` excludes ``shuffle``, and ``batch_sampler``
        excludes ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``.
    num_workers, pin_memory
        Accepted so that PyTorch code runs unchanged; glassnet always loads in the main process
        on the CPU.

    Notes
    -----
    ``len(loader)`` is the number of batches: ``ceil(N / batch_size)``, or ``floor(N / batch_size)``
    with ``drop_last=True``.  For a ``TensorDataset`` (or a ``Subset`` of one) with the default
    collation, each batch is made by indexing the tensors' arrays with the batch's index array
    at once, which gives the same batches as stacking the samples one by one.

    Examples
    --------
    >>> loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True,
    ...                     generator=glassnet.Generator().manual_seed(0))
    >>> for xb, yb in loader:
    ...     ...
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *, prefetch_factor=None,
                 persistent_workers=False, pin_memory_device="", in_order=True):
        # torch's parameter order; the worker options are accepted, loading stays in this process
        for name, value in (("worker_init_fn", worker_init_fn), ("multiprocessing_context", multiprocessing_context)):
            if value is not None:
                raise NotImplementedError(f"DataLoader({name}=...) is not supported by glassnet: it loads "
                                          f"in the main process; leave {name} out")
        if isinstance(dataset, IterableDataset):
            for name, value in (("shuffle", shuffle), ("sampler", sampler), ("batch_sampler", batch_sampler)):
                if value not in (None, False):
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} option, "
                                     f"but got {name}={value!r}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last")
            batch_size = None
        if batch_size is None and batch_sampler is None:
            raise NotImplementedError("DataLoader(batch_size=None) (no batching) is not supported by glassnet")
        if batch_size is not None and (isinstance(batch_size, bool) or
                                       not isinstance(batch_size, numbers.Integral) or batch_size < 1):
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size!r}")
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(f"generator should be a glassnet.Generator (glassnet.Generator()"
                            f".manual_seed(0)), got {type(generator).__name__}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"collate_fn should be callable, got {type(collate_fn).__name__}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral) or num_workers < 0:
            raise ValueError(f"num_workers option should be non-negative; got num_workers={num_workers!r}")
        self.dataset = dataset
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.generator = generator
        self.collate_fn = collate_fn or default_collate
        self.num_workers = int(num_workers)
        self.pin_memory = pin_memory

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if self.shuffle:
            return (self.generator or default_generator).permutation(n)
        return np.arange(n)

    def __iter__(self):
        if isinstance(self.dataset, IterableDataset):
            yield from self._iter_stream()
            return
        if self.sampler is not None or self.batch_sampler is not None:
            yield from self._iter_sampled()
            return
        order = self._order()[:len(self) * self.batch_size]   # drop_last: without the short batch
        fast = self.collate_fn is default_collate and _tensor_source(self.dataset)
        for batch in batches(order, self.batch_size):
            if fast:
                tensors, positions = fast
                rows = batch if positions is None else positions[batch]
                yield [_from_array(np.asarray(t.array)[rows]) for t in tensors]  # a list, as torch
            else:
                yield self.collate_fn([self.dataset[int(i)] for i in batch])


    def _iter_stream(self):
        """Batches of an IterableDataset: its samples in the order it yields them."""
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def _iter_sampled(self):
        """Batches from a sampler or a batch sampler, drawn lazily (a sampler may be endless)."""
        fast = self.collate_fn is default_collate and _tensor_source(self.dataset)
        groups = self.batch_sampler if self.batch_sampler is not None else \
            BatchSampler(self.sampler, self.batch_size, self.drop_last)
        for batch in groups:
            if fast:
                tensors, positions = fast
                rows = np.asarray(batch, dtype=np.int64)
                rows = rows if positions is None else positions[rows]
                yield [_from_array(np.asarray(t.array)[rows]) for t in tensors]
            else:
                yield self.collate_fn([self.dataset[int(i)] for i in batch])


# -- the order of the samples, without a dataset ------------------------------------------------

def epoch_orders(n: int, seed: int):
    """The shuffled order of ``n`` samples for epoch 0, 1, 2, … (NumPy index arrays, endless).

    The same stream as ``DataLoader(shuffle=True, generator=Generator().manual_seed(seed))``.
    """
    generator = Generator().manual_seed(seed)
    while True:
        yield generator.permutation(n)


def batches(order, batch_size: int) -> list:
    """Consecutive slices of ``order``: the mini-batches of one epoch (the last may be short)."""
    return [order[start:start + batch_size] for start in range(0, len(order), batch_size)]
