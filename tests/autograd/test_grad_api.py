"""``glassnet.autograd.grad``, ``glassnet.autograd.backward`` and ``Tensor.backward(inputs=...)``
against PyTorch: values, which ``.grad`` they touch, and torch's errors."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassnet
from tests.conftest import TOL

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests (pip install torch==2.13.0)")

DTYPES = {"float64": (glassnet.float64, torch.float64), "float32": (glassnet.float32, torch.float32)}
SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def graph(lib, dtype, a0, b0):
    a = lib.tensor(a0, dtype=dtype, requires_grad=True)
    b = lib.tensor(b0, dtype=dtype, requires_grad=True)
    h = (a * b).tanh()          # a non-leaf input
    out = (h * a).sum(-1)       # a non-scalar output
    return a, b, h, out


@pytest.mark.parametrize("dtype", sorted(DTYPES))
@given(shape=SHAPES, seed=st.integers(0, 999))
def test_grad_matches_torch_and_leaves_grad_alone(dtype, shape, seed):
    rng = np.random.default_rng(seed)
    a0, b0 = rng.uniform(-1, 1, shape), rng.uniform(-1, 1, shape)
    up = rng.uniform(-1, 1, shape[:-1])
    results = []
    for lib, dt in zip((glassnet, torch), DTYPES[dtype]):
        a, b, h, out = graph(lib, dt, a0, b0)
        grads = lib.autograd.grad([out], (a, h, b), grad_outputs=[lib.tensor(up, dtype=dt)])
        assert a.grad is None and b.grad is None and h.grad is None
        assert all(g.grad_fn is None and not g.requires_grad for g in grads)
        results.append([g.numpy() for g in grads] + [str(grads[0].dtype).split(".")[-1]])
    rtol, atol = TOL[dtype]
    for mine, ref in zip(results[0][:-1], results[1][:-1]):
        np.testing.assert_allclose(mine, ref, rtol=rtol, atol=atol)
    assert results[0][-1] == results[1][-1]


def test_single_tensors_and_a_scalar_output():
    for lib in (glassnet, torch):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        g = lib.autograd.grad((x * x).sum(), x)
        assert isinstance(g, tuple) and len(g) == 1
        np.testing.assert_allclose(g[0].numpy(), [2.0, 4.0, 6.0])
        (gx,) = lib.autograd.grad(x, x, lib.ones(3))  # an input that is the output
        np.testing.assert_allclose(gx.numpy(), [1.0, 1.0, 1.0])


def test_unused_inputs():
    for lib in (glassnet, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        z = lib.tensor([3.0], requires_grad=True)
        y = (x * 2).sum()
        with pytest.raises(RuntimeError, match="appears to not have been used in the graph. Set allow_unused"):
            lib.autograd.grad(y, [x, z], retain_graph=True)
        assert lib.autograd.grad(y, [x, z], allow_unused=True, retain_graph=True)[1] is None
        gz = lib.autograd.grad(y, [x, z], materialize_grads=True, retain_graph=True)[1]
        np.testing.assert_array_equal(gz.numpy(), [0.0])
        with pytest.raises(ValueError, match="Expected allow_unused to be True"):
            lib.autograd.grad(y, [x, z], materialize_grads=True, allow_unused=False)


def test_errors_as_torch():
    for lib in (glassnet, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        c = lib.tensor([1.0, 2.0])
        y = (x * x).sum()
        with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require grad"):
            lib.autograd.grad(y, [x, c])
        with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
            lib.autograd.grad(c.sum(), x)
        with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
            lib.autograd.grad(x * 2, x)
        with pytest.raises(RuntimeError, match="Mismatch in shape"):
            lib.autograd.grad(x * 2, x, lib.ones(3))
        lib.autograd.grad(y, x)  # retain_graph defaults to create_graph=False: the graph is freed
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            lib.autograd.grad(y, x)


def test_retain_graph_allows_a_second_grad():
    for lib in (glassnet, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x.exp() * x).sum()
        first = lib.autograd.grad(y, x, retain_graph=True)[0]
        second = lib.autograd.grad(y, x)[0]
        np.testing.assert_allclose(first.numpy(), second.numpy())


def test_backward_inputs_accumulates_only_into_those():
    results = []
    for lib in (glassnet, torch):
        a, b, h, out = graph(lib, lib.float64, np.array([[0.5, -1.0], [2.0, 0.3]]), np.array([[1.0, 2.0], [0.1, -0.4]]))
        out.sum().backward(inputs=[b, h], retain_graph=True)
        assert a.grad is None
        out.sum().backward(inputs=b)  # accumulates
        results.append((b.grad.numpy(), h.grad.numpy()))
        with pytest.raises(RuntimeError, match=r"`inputs` argument to `backward\(\)` cannot be empty"):
            out.sum().backward(inputs=[])
    for mine, ref in zip(*results):
        np.testing.assert_allclose(mine, ref)


def test_autograd_backward_several_roots():
    results = []
    for lib in (glassnet, torch):
        x = lib.tensor([1.0, -2.0, 0.5], dtype=lib.float64, requires_grad=True)
        y1, y2 = x.sin(), (x * x).sum()
        lib.autograd.backward([y1, y2], [lib.tensor([1.0, 0.5, 2.0], dtype=lib.float64), None])
        results.append(x.grad.numpy())
        lib.autograd.backward(x.exp().sum(), inputs=[x])
        results.append(x.grad.numpy())
    np.testing.assert_allclose(results[0], results[2])
    np.testing.assert_allclose(results[1], results[3])


def test_grad_with_a_leaf_grad_already_set_keeps_it():
    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    before = x.grad.numpy().copy()
    glassnet.autograd.grad((x * 3).sum(), x)
    np.testing.assert_array_equal(x.grad.numpy(), before)


def test_retained_intermediate_gets_its_grad_from_grad_as_in_torch():
    for lib in (glassnet, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x * 2
        h.retain_grad()
        lib.autograd.grad((h * h).sum(), x)
        np.testing.assert_allclose(h.grad.numpy(), [4.0, 8.0])
