"""``nn.utils.clip_grad_norm_``, ``clip_grad_value_``, ``get_total_norm``, ``clip_grads_with_norm_``,
``parameters_to_vector`` and ``vector_to_parameters`` against PyTorch."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassnet
from tests.conftest import TOL

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests (pip install torch==2.13.0)")

DTYPES = {"float64": (glassnet.float64, torch.float64), "float32": (glassnet.float32, torch.float32)}
SHAPES = st.lists(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4), min_size=1, max_size=3)


def params_with_grads(lib, dtype, grads):
    params = []
    for g in grads:
        p = lib.zeros(g.shape, dtype=dtype, requires_grad=True)
        p.grad = lib.tensor(g, dtype=dtype)
        params.append(p)
    return params


@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf"])
@given(shapes=SHAPES, seed=st.integers(0, 999), max_norm=st.floats(0.01, 10))
def test_clip_grad_norm_matches_torch(dtype, norm_type, shapes, seed, max_norm):
    rng = np.random.default_rng(seed)
    grads = [rng.normal(size=s) * 3 for s in shapes]
    out = []
    for lib, dt in zip((glassnet, torch), DTYPES[dtype]):
        params = params_with_grads(lib, dt, grads)
        total = lib.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        assert total.dim() == 0 and str(total.dtype).split(".")[-1] == dtype
        out.append([total.numpy()] + [p.grad.numpy() for p in params])
    rtol, atol = TOL[dtype]
    for mine, ref in zip(*out):
        np.testing.assert_allclose(mine, ref, rtol=rtol * 10, atol=atol)


@given(shapes=SHAPES, seed=st.integers(0, 999), clip=st.floats(0.01, 3))
def test_clip_grad_value_matches_torch(shapes, seed, clip):
    grads = [np.random.default_rng(seed).normal(size=s) for s in shapes]
    out = []
    for lib in (glassnet, torch):
        params = params_with_grads(lib, lib.float64, grads)
        assert lib.nn.utils.clip_grad_value_(params, clip) is None
        out.append([p.grad.numpy() for p in params])
    for mine, ref in zip(*out):
        np.testing.assert_array_equal(mine, ref)


def test_total_norm_then_clip_and_the_edge_cases():
    for lib in (glassnet, torch):
        params = params_with_grads(lib, lib.float32, [np.array([3.0, 4.0]), np.array([[12.0]])])
        total = lib.nn.utils.get_total_norm([p.grad for p in params])
        np.testing.assert_allclose(total.item(), 13.0)
        lib.nn.utils.clip_grads_with_norm_(params, 1.3, total)
        np.testing.assert_allclose(params[0].grad.numpy(), [0.3, 0.4], rtol=1e-5)
        single = lib.zeros(2, requires_grad=True)
        assert lib.nn.utils.clip_grad_norm_(single, 1.0).item() == 0.0  # no grad: a norm of 0
        assert lib.nn.utils.get_total_norm([]).item() == 0.0
        bad = params_with_grads(lib, lib.float32, [np.array([np.inf, 1.0])])
        with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
            lib.nn.utils.clip_grad_norm_(bad, 1.0, error_if_nonfinite=True)
        assert math.isinf(lib.nn.utils.clip_grad_norm_(bad, 1.0).item())


def test_clip_grad_norm_on_a_graph_carrying_gradient():
    for lib in (glassnet, torch):
        x = lib.tensor([3.0, 4.0], requires_grad=True)
        (x ** 3).sum().backward(create_graph=True)
        lib.nn.utils.clip_grad_norm_([x], 1.0)
        np.testing.assert_allclose(x.grad.detach().numpy(), np.array([27.0, 48.0]) / math.hypot(27, 48), rtol=1e-5)


def test_parameters_to_vector_and_back():
    out = []
    for lib in (glassnet, torch):
        lib.manual_seed(0)
        layer = lib.nn.Linear(3, 2)
        with lib.no_grad():
            for i, p in enumerate(layer.parameters()):
                p.copy_(lib.tensor(np.arange(p.numel(), dtype=np.float32).reshape(tuple(p.shape)) + i))
        vec = lib.nn.utils.parameters_to_vector(layer.parameters())
        assert vec.requires_grad and vec.shape == (8,)
        (vec * vec).sum().backward()
        lib.nn.utils.vector_to_parameters(vec.detach() * -1, layer.parameters())
        with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
            lib.nn.utils.vector_to_parameters([1.0], layer.parameters())
        out.append([vec.detach().numpy(), layer.weight.grad.numpy(), layer.weight.detach().numpy(),
                    layer.bias.detach().numpy()])
    for mine, ref in zip(*out):
        np.testing.assert_array_equal(mine, ref)
