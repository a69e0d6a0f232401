"""The ``Embedding`` primitive's backward (``glassnet/ops/shape.py``: a stable sort of the positions
by row, then one ``np.add.reduceat``) agrees with PyTorch: the weight's gradient sums every position
that read a row (repeated rows, rows never read, ``padding_idx``), float32 and float64, over index
shapes drawn by hypothesis; and it passes a float64 gradcheck."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassnet
from glassnet.autograd import gradcheck
from tests.conftest import TOL

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests (pip install torch==2.13.0)")


def weight_grad(lib, weight, idx, up, padding_idx):
    w = lib.tensor(weight.copy(), requires_grad=True)
    out = lib.nn.functional.embedding(lib.tensor(idx), w, padding_idx=padding_idx)
    out.backward(lib.tensor(up))
    return np.asarray(out.detach().numpy()), np.asarray(w.grad.numpy())


@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
@given(rows=st.integers(1, 9), dim=st.integers(1, 4), idx_shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6),
       pad=st.booleans(), seed=st.integers(0, 999))
def test_embedding_gradient_agrees_with_torch(dtype_name, rows, dim, idx_shape, pad, seed):
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype_name)
    weight = rng.normal(size=(rows, dim)).astype(dtype)
    idx = rng.integers(0, rows, size=idx_shape)
    up = rng.uniform(-1, 1, size=idx_shape + (dim,)).astype(dtype)
    padding_idx = int(rng.integers(0, rows)) if pad else None
    ours, theirs = weight_grad(glassnet, weight, idx, up, padding_idx), weight_grad(torch, weight, idx, up, padding_idx)
    rtol, atol = TOL[dtype_name]
    for a, t in zip(ours, theirs):
        assert a.shape == t.shape and a.dtype == t.dtype
        np.testing.assert_allclose(a, t, rtol=rtol, atol=atol * 10)


def test_embedding_passes_gradcheck():
    w = glassnet.tensor(np.random.default_rng(0).normal(size=(5, 3)), requires_grad=True)
    idx = glassnet.tensor([[4, 0, 4], [1, 4, 0]])
    assert gradcheck(lambda w: glassnet.nn.functional.embedding(idx, w), (w,))
