"""Every engine op agrees with PyTorch 2.13: values and gradients, float64 and float32,
over shapes (and broadcasting pairs) drawn by hypothesis."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassnet
from tests.conftest import TOL

from .ops_table import BINARY, UNARY, make_inputs

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests (pip install torch==2.13.0)")

DTYPES = {"float64": (np.float64, glassnet.float64, torch.float64),
          "float32": (np.float32, glassnet.float32, torch.float32)}


def run_both(fn, arrays, dtype_name, seed):
    """Apply ``fn`` in glassnet and torch to the same inputs with the same upstream gradient;
    return (values, grads) for each library."""
    np_dt, _, _ = DTYPES[dtype_name]
    results = []
    for lib in (glassnet, torch):
        xs = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
        out = fn(lib, *xs)
        up = np.random.default_rng(seed).uniform(-1, 1, size=tuple(out.shape)).astype(np_dt)
        out.backward(lib.tensor(up))
        grads = [np.zeros_like(a) if x.grad is None else np.asarray(x.grad.detach().numpy()) for a, x in
                 zip(arrays, xs)]
        results.append((np.asarray(out.detach().numpy()), grads))
    return results


def assert_agree(results, dtype_name):
    rtol, atol = TOL[dtype_name]
    (gv, gg), (tv, tg) = results
    assert gv.shape == tv.shape
    np.testing.assert_allclose(gv, tv, rtol=rtol, atol=atol)
    for a, b in zip(gg, tg, strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol * 10)


shapes_2d = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=shapes_2d, seed=st.integers(0, 2**16))
def test_unary_op_matches_torch(name, dtype_name, shape, seed):
    fn, domain = UNARY[name]
    if name in ("index_mask",) and len(shape) == 0:
        return
    arrays = make_inputs(np.random.default_rng(seed), [shape], domain, DTYPES[dtype_name][0])
    assert_agree(run_both(fn, arrays, dtype_name, seed), dtype_name)


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(BINARY))
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4),
       seed=st.integers(0, 2**16))
def test_binary_op_with_broadcasting_matches_torch(name, dtype_name, shapes, seed):
    fn, domain = BINARY[name]
    arrays = make_inputs(np.random.default_rng(seed), shapes.input_shapes, domain, DTYPES[dtype_name][0])
    assert_agree(run_both(fn, arrays, dtype_name, seed), dtype_name)


MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                 ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)),
                 ((1, 2, 3), (5, 3, 4)), ((4,), (2, 4, 3)), ((2, 2, 4), (4,))]


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_cases_of_torch_matmul(shapes, dtype_name):
    arrays = make_inputs(np.random.default_rng(0), shapes, "any", DTYPES[dtype_name][0])
    assert_agree(run_both(lambda lib, a, b: a @ b, arrays, dtype_name, 1), dtype_name)


@pytest.mark.parametrize("dim", [0, 1])
def test_cat_and_stack_match_torch(dim):
    arrays = make_inputs(np.random.default_rng(3), [(2, 3), (2, 3)], "any", np.float64)
    assert_agree(run_both(lambda lib, a, b: lib.cat([a, b * 2], dim=dim), arrays, "float64", 2), "float64")
    assert_agree(run_both(lambda lib, a, b: lib.stack([a, b * 2], dim=dim), arrays, "float64", 2), "float64")


def test_permute_matches_torch():
    arrays = make_inputs(np.random.default_rng(4), [(2, 3, 4)], "any", np.float64)
    assert_agree(run_both(lambda lib, a: a.permute(2, 0, 1) * 2, arrays, "float64", 5), "float64")


def test_softmax_is_stable_for_large_logits():
    x = [[1000.0, 0.0, -1000.0], [50.0, 50.0, 50.0]]
    g = glassnet.tensor(x, dtype=glassnet.float64).softmax(-1).numpy()
    t = torch.tensor(x, dtype=torch.float64).softmax(-1).numpy()
    np.testing.assert_allclose(g, t, rtol=1e-12)
    g = glassnet.tensor(x).log_softmax(-1).numpy()
    t = torch.tensor(x).log_softmax(-1).numpy()
    np.testing.assert_allclose(g, t, rtol=1e-6)


def test_sigmoid_saturates_without_overflow():
    x = [-1000.0, -90.0, 0.0, 90.0, 1000.0]
    with np.errstate(all="raise"):
        g = glassnet.tensor(x).sigmoid().numpy()
    np.testing.assert_allclose(g, torch.tensor(x).sigmoid().numpy(), rtol=1e-6, atol=1e-38)
