"""glassnet.nn.utils.rnn.pad_sequence agrees with torch's: values, dtype, gradients, errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet
from glassnet.nn.utils.rnn import pad_sequence

from .helpers import assert_same_as_torch

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), lengths=st.lists(st.integers(0, 5), min_size=1, max_size=4),
       trailing=st.sampled_from([(), (2,), (2, 3)]), padding_value=st.sampled_from([0.0, -1.5]))
def test_pad_sequence_matches_torch(dtype, batch_first, padding_side, seed, lengths, trailing, padding_value):
    r = np.random.default_rng(seed)
    seqs = [r.normal(size=(n,) + trailing).astype(dtype) for n in lengths]

    def fn(lib, *xs):
        return lib.nn.utils.rnn.pad_sequence(list(xs), batch_first=batch_first, padding_value=padding_value,
                                             padding_side=padding_side)
    if max(lengths) == 0:    # nothing to differentiate: the result is empty
        g = fn(glassnet, *[glassnet.tensor(s) for s in seqs])
        assert tuple(g.shape) == tuple(fn(torch, *[torch.tensor(s) for s in seqs]).shape)
        return
    assert_same_as_torch(fn, seqs, seed)


def test_pad_sequence_defaults_and_integer_sequences_match_torch():
    seqs = [np.array([1, 2, 3]), np.array([4]), np.array([5, 6])]
    g = pad_sequence([glassnet.tensor(s) for s in seqs])
    t = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs])
    assert g.dtype == glassnet.int64 and g.numpy().tolist() == t.numpy().tolist()
    g = pad_sequence(glassnet.tensor(s) for s in seqs)   # any iterable, as in torch
    assert tuple(g.shape) == (3, 3)


def test_pad_sequence_errors():
    with pytest.raises(RuntimeError, match="received an empty list of sequences"):
        pad_sequence([])
    with pytest.raises(RuntimeError, match="Expected padding_side to be one of left or right, but got mid."):
        pad_sequence([glassnet.zeros(2)], padding_side="mid")
    with pytest.raises(RuntimeError, match="Expected iterable for input sequences"):
        pad_sequence(3)
    with pytest.raises(RuntimeError, match=r"sequences\[1\] has trailing shape \[4\]"):
        pad_sequence([glassnet.zeros(2, 3), glassnet.zeros(1, 4)])
    with pytest.raises(RuntimeError, match="0-d"):
        pad_sequence([glassnet.tensor(1.0)])
    with pytest.raises(TypeError, match=r"sequences\[0\] must be a glassnet.Tensor"):
        pad_sequence([[1.0, 2.0]])


def test_nn_utils_is_reachable_as_an_attribute_like_torch():
    import glassnet.nn as nn
    assert nn.utils.rnn.pad_sequence is pad_sequence
