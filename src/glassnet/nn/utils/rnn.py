"""``glassnet.nn.utils.rnn``: batching sequences of different lengths (torch's ``pad_sequence``).

glassnet has no recurrent layers and no packed sequences; ``pad_sequence`` is here because it is
a plain tensor composition that data pipelines (``collate_fn``) use on their own.
"""
from __future__ import annotations

from collections.abc import Iterable

from ...tensors.creation import cat, full, stack
from ...tensors.tensor import Tensor

__all__ = ["pad_sequence"]


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
