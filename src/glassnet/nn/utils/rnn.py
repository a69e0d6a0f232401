"""``glassnet.nn.utils.rnn``: batching sequences of different lengths, at torch's path:
``pad_sequence``, and packed sequences — ``PackedSequence``, ``pack_padded_sequence``,
``pad_packed_sequence``, ``pack_sequence`` — which ``nn.RNN``/``LSTM``/``GRU`` take as input.

A packed sequence holds the steps of B sequences sorted by decreasing length, time-major:
``data`` has the rows of step 0 of every sequence, then step 1 of those that have one, …;
``batch_sizes[t]`` says how many sequences have a step t.  Packing and unpacking are one
indexing op each (a flat index over the padded (T·B, *) rows), so gradients flow through them.
"""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable

import numpy as np

from ...tensors.creation import cat, full, stack, tensor
from ...tensors.tensor import Tensor

__all__ = ["pad_sequence", "PackedSequence", "pack_padded_sequence", "pad_packed_sequence",
           "pack_sequence"]


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack tensors of shapes (Lᵢ, *) into one of shape (T, B, *), T = max Lᵢ, filling the rest.

        out[t, b] = sequences[b][t]        for t < L_b            (``padding_side='right'``)
        out[t, b] = sequences[b][t − (T − L_b)]  for t ≥ T − L_b  (``padding_side='left'``)
        out[t, b] = padding_value          elsewhere

    Composed of ``cat`` and ``stack``, so gradients flow back to every sequence (0 from the padding).

    Parameters
    ----------
    sequences : iterable of Tensor
        B tensors of shape (Lᵢ, *), the trailing dimensions * equal.
    batch_first : bool, default False
        Return (B, T, *) instead of (T, B, *).
    padding_value : float, default 0.0
    padding_side : {'right', 'left'}, default 'right'

    Examples
    --------
    >>> pad_sequence([glassnet.tensor([1.0, 2.0]), glassnet.tensor([3.0])], batch_first=True)
    tensor([[1., 2.],
            [3., 0.]])
    """
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    sequences = tuple(sequences)
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    for i, seq in enumerate(sequences):
        if not isinstance(seq, Tensor):
            raise TypeError(f"pad_sequence(): sequences[{i}] must be a glassnet.Tensor, not "
                            f"{type(seq).__name__}; wrap it with glassnet.tensor(...)")
        if seq.dim() == 0:
            raise RuntimeError(f"pad_sequence(): sequences[{i}] is 0-d; each sequence needs a length "
                               f"dimension, shape (L, *)")
    trailing = tuple(sequences[0].shape[1:])
    for i, seq in enumerate(sequences):
        if tuple(seq.shape[1:]) != trailing:
            raise RuntimeError(f"pad_sequence(): sequences[{i}] has trailing shape {list(seq.shape[1:])}, "
                               f"sequences[0] has {list(trailing)}: all but the length dimension must match")
    dtype = sequences[0].dtype
    longest = max(seq.shape[0] for seq in sequences)
    padded = []
    for seq in sequences:
        seq = seq if seq.dtype == dtype else seq.to(dtype)
        missing = longest - seq.shape[0]
        if missing:
            fill = full((missing,) + trailing, padding_value, dtype=dtype)
            seq = cat([seq, fill] if padding_side == "right" else [fill, seq], 0)
        padded.append(seq)
    return stack(padded, 0 if batch_first else 1)


def _ints(values) -> np.ndarray:
    return np.asarray(values.tolist() if isinstance(values, Tensor) else values, dtype=np.int64).reshape(-1)


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """torch's ``PackedSequence``: ``data`` (N, *), ``batch_sizes`` (T,) int64, and the order the
    batch was sorted in (``sorted_indices``) and its inverse (``unsorted_indices``), or None."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            order = _ints(sorted_indices)
            inverse = np.empty_like(order)
            inverse[order] = np.arange(len(order))
            unsorted_indices = tensor(inverse)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


def _rows(batch_sizes: np.ndarray, T: int) -> np.ndarray:
    """The flat positions t·B + b (in a padded (T, B) grid) of the packed rows, in packed order."""
    B = int(batch_sizes[0])
    steps = np.zeros(T, dtype=np.int64)
    steps[:len(batch_sizes)] = batch_sizes
    return np.flatnonzero(np.arange(B)[None, :] < steps[:, None])


def packed_rows(padded: Tensor, batch_sizes) -> Tensor:
    """The rows of ``padded`` (T, B, *) (sorted batch) that a packed sequence holds: (N, *)."""
    T, B = padded.shape[0], padded.shape[1]
    return padded.reshape((T * B,) + tuple(padded.shape[2:]))[_rows(_ints(batch_sizes), T)]


def padded_rows(data: Tensor, batch_sizes, total_length: int | None = None,
                padding_value: float = 0.0) -> Tensor:
    """``data`` (N, *) of a packed sequence laid out as (T, B, *) (the batch still sorted)."""
    bs = _ints(batch_sizes)
    T, B = total_length or len(bs), int(bs[0])
    trailing = tuple(data.shape[1:])
    n = int(bs.sum())
    index = np.full(T * B, n, dtype=np.int64)           # row n: the padding row appended below
    index[_rows(bs, T)] = np.arange(n)
    fill = full((1,) + trailing, padding_value, dtype=data.dtype)
    return cat([data, fill], 0)[index].reshape((T, B) + trailing)


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,  # noqa: A002
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) (``batch_first``: (B, T, *)) of sequences of ``lengths``."""
    lengths = _ints(lengths)
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` "
                               "is True. You can pass `enforce_sorted=False` to pack_padded_sequence "
                               "and/or pack_sequence to sidestep this requirement if you do not need "
                               "ONNX exportability.")
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = tensor(order)
        input = input[order] if batch_first else input[:, order]
    if len(lengths) and lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in "
                           "'lengths' that is <= 0")
    if batch_first:
        input = input.transpose(0, 1)
    if len(lengths) != input.shape[1]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} "
                           f"(batch_size={input.shape[1]})")
    T = int(lengths[0])
    if T > input.shape[0]:
        raise RuntimeError(f"Expected sequence length to be larger than or equal to {T}, got "
                           f"{input.shape[0]}: a length is longer than the padded input")
    batch_sizes = (lengths[None, :] > np.arange(T)[:, None]).sum(1)
    return PackedSequence(packed_rows(input[:T], batch_sizes), tensor(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None):
    """The padded batch (T, B, *) (``batch_first``: (B, T, *)) of a packed sequence, and the
    lengths (int64, in the original order)."""
    data, batch_sizes, _, unsorted = sequence
    bs = _ints(batch_sizes)
    if total_length is not None and total_length < len(bs):
        raise ValueError(f"Expected total_length to be at least the length of the longest sequence in "
                         f"input, but got total_length={total_length} and max sequence length being "
                         f"{len(bs)}")
    padded = padded_rows(data, bs, total_length, padding_value)
    lengths = (bs[None, :] > np.arange(int(bs[0]))[:, None]).sum(1)
    if unsorted is not None:
        order = _ints(unsorted)
        padded, lengths = padded[:, order], lengths[order]
    return (padded.transpose(0, 1) if batch_first else padded), tensor(lengths)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of tensors (Lᵢ, *): ``pack_padded_sequence(pad_sequence(sequences), lengths)``."""
    lengths = [seq.shape[0] for seq in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)
