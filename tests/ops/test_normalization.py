"""The ``LayerNorm`` primitive (``glassnet/ops/normalization.py``, behind ``F.layer_norm`` and
``nn.LayerNorm``) agrees with PyTorch: values and the gradients of the input, γ and β in float32
and float64, over shapes and normalised dimensions drawn by hypothesis, with or without γ and β;
and its backward passes a float64 gradcheck."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassnet
from glassnet.autograd import gradcheck
from tests.conftest import TOL

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests (pip install torch==2.13.0)")

AFFINE = ["none", "weight", "both", "bias"]


def run(lib, x, w, b, dims, affine, up):
    xt = lib.tensor(x.copy(), requires_grad=True)
    wt = lib.tensor(w.copy(), requires_grad=True) if affine in ("weight", "both") else None
    bt = lib.tensor(b.copy(), requires_grad=True) if affine in ("both", "bias") else None
    out = lib.nn.functional.layer_norm(xt, x.shape[x.ndim - dims:], wt, bt, eps=1e-3)
    out.backward(lib.tensor(up))
    return [np.asarray(out.detach().numpy())] + [np.asarray(t.grad.numpy()) for t in (xt, wt, bt) if t is not None]


@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
@pytest.mark.parametrize("affine", AFFINE)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=5), dims=st.integers(1, 2),
       seed=st.integers(0, 999))
def test_layer_norm_agrees_with_torch(dtype_name, affine, shape, dims, seed):
    dtype = np.dtype(dtype_name)
    dims = min(dims, len(shape))
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=shape) * 3 + 1).astype(dtype)
    w, b = (rng.normal(size=shape[len(shape) - dims:]).astype(dtype) for _ in range(2))
    up = rng.uniform(-1, 1, size=shape).astype(dtype)
    ours, theirs = run(glassnet, x, w, b, dims, affine, up), run(torch, x, w, b, dims, affine, up)
    rtol, atol = TOL[dtype_name]
    if dtype_name == "float64":
        for a, t in zip(ours, theirs):
            assert a.shape == t.shape and a.dtype == t.dtype
            np.testing.assert_allclose(a, t, rtol=rtol, atol=atol)
        return
    # float32: a row of nearly equal values normalises through a cancellation, where torch's
    # float32 result is itself off by more than TOL; so both are held to float64 torch, and ours
    # must be as close to it as torch's float32 is (up to a factor of 4 and TOL).
    truth = run(torch, *(a.astype(np.float64) for a in (x, w, b)), dims, affine, up.astype(np.float64))
    for a, t, exact in zip(ours, theirs, truth):
        assert a.shape == t.shape and a.dtype == t.dtype
        torch_error = np.abs(t - exact).max(initial=0)
        np.testing.assert_allclose(a, exact, rtol=rtol, atol=atol + 4 * torch_error)


@pytest.mark.parametrize("affine", AFFINE)
def test_layer_norm_passes_gradcheck(affine):
    rng = np.random.default_rng(0)
    x = glassnet.tensor(rng.normal(size=(2, 3, 4)), requires_grad=True)
    w = glassnet.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    b = glassnet.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    inputs = [x] + [w] * (affine in ("weight", "both")) + [b] * (affine in ("both", "bias"))

    def layer_norm(x, *affine_args):
        wt = affine_args[0] if affine in ("weight", "both") else None
        bt = affine_args[-1] if affine in ("both", "bias") else None
        return glassnet.nn.functional.layer_norm(x, (3, 4), wt, bt)
    assert gradcheck(layer_norm, inputs)


def test_layer_norm_only_the_input_wants_a_gradient():
    x = glassnet.randn(4, 6, requires_grad=True)
    ln = glassnet.nn.LayerNorm(6).requires_grad_(False)
    ln(x).sum().backward()
    assert ln.weight.grad is None and x.grad.shape == (4, 6)
