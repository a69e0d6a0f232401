"""Double backward (``create_graph=True``): every op with a ``backward_graph`` agrees with float64
finite differences of its first derivative (``gradgradcheck``) and with PyTorch's second
derivatives; gradient penalties and Hessian-vector products; the errors."""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassnet
import glassnet.nn.functional as F
from glassnet.autograd import gradgradcheck
from glassnet.autograd.engine import Node
from tests.conftest import TOL
from tests.ops.ops_table import BINARY, UNARY, make_inputs

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests (pip install torch==2.13.0)")

#: ops of the table whose backward is not differentiable in glassnet (yet)
WITHOUT = {"interpolate_linear"}
SHAPES = hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=3)


def leaves(lib, arrays):
    return [lib.tensor(a.copy(), dtype=lib.float64, requires_grad=True) for a in arrays]


def second_derivatives(lib, fn, arrays, seed):
    """(∂⟨f, u⟩/∂x, ∂⟨∂⟨f, u⟩/∂x, v⟩/∂x) for random u, v."""
    rng = np.random.default_rng(seed)
    xs = leaves(lib, arrays)
    out = fn(lib, *xs)
    u = lib.tensor(rng.uniform(-1, 1, tuple(out.shape)), dtype=lib.float64)
    first = lib.autograd.grad(out, xs, u, create_graph=True)
    vs = [lib.tensor(rng.uniform(-1, 1, tuple(g.shape)), dtype=lib.float64) for g in first]
    total = sum((g * v).sum() for g, v in zip(first, vs))
    second = lib.autograd.grad(total, xs, allow_unused=True, materialize_grads=True) if total.requires_grad \
        else [lib.zeros_like(x) for x in xs]
    as_array = lambda g: g.detach().numpy(force=True) if lib is torch else g.detach().numpy()  # noqa: E731
    return [as_array(g) for g in first], [as_array(g) for g in second]


def check_against_torch(fn, arrays, seed):
    rtol, atol = TOL["float64"]
    ours, theirs = second_derivatives(glassnet, fn, arrays, seed), second_derivatives(torch, fn, arrays, seed)
    for mine, ref in zip(ours[0] + ours[1], theirs[0] + theirs[1]):
        np.testing.assert_allclose(mine, ref, rtol=rtol * 1e3, atol=atol * 1e3)


@pytest.mark.parametrize("name", sorted(set(UNARY) - WITHOUT))
@settings(max_examples=8)
@given(shape=SHAPES, seed=st.integers(0, 999))
def test_unary_second_derivatives(name, shape, seed):
    fn, domain = UNARY[name]
    assume(name != "var" or np.prod(shape) > 1)  # var of one element divides by 0
    arrays = make_inputs(np.random.default_rng(seed), [shape], domain, np.float64)
    assert gradgradcheck(lambda a: fn(glassnet, a), leaves(glassnet, arrays))
    check_against_torch(fn, arrays, seed)


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=8)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3),
       seed=st.integers(0, 999))
def test_binary_second_derivatives(name, shapes, seed):
    fn, domain = BINARY[name]
    arrays = make_inputs(np.random.default_rng(seed), shapes.input_shapes, domain, np.float64)
    assert gradgradcheck(lambda a, b: fn(glassnet, a, b), leaves(glassnet, arrays))
    check_against_torch(fn, arrays, seed)


MORE = {
    "matmul_2d": (lambda lib, a, b: (a @ b).tanh(), [(2, 3), (3, 2)]),
    "matmul_vec_mat": (lambda lib, a, b: (a @ b).sigmoid(), [(3,), (3, 2)]),
    "matmul_batched": (lambda lib, a, b: (a @ b).exp(), [(2, 2, 3), (3, 2)]),
    "matmul_dot": (lambda lib, a, b: (a @ b) ** 2, [(3,), (3,)]),
    "linear": (lambda lib, x, w, b: lib.nn.functional.linear(x, w, b).tanh(), [(4, 3), (2, 3), (2,)]),
    "linear_3d": (lambda lib, x, w: lib.nn.functional.linear(x, w).sigmoid(), [(2, 4, 3), (2, 3)]),
    "mse": (lambda lib, a, b: lib.nn.functional.mse_loss(a.tanh(), b), [(3, 2), (3, 2)]),
    "cat_stack": (lambda lib, a, b: lib.cat([a, b * a], 1).exp() + lib.stack([a, b]).sin().sum(0).repeat(1, 2),
                  [(2, 2), (2, 2)]),
    "permute": (lambda lib, a: a.permute(2, 0, 1).tanh() * a.permute(2, 0, 1), [(2, 3, 2)]),
    "norm": (lambda lib, a: a.norm(2, dim=1) ** 3, [(3, 2)]),
    "log1p_expm1": (lambda lib, a: (a.exp().log1p() + a.expm1()) ** 2, [(4,)]),
    "softmax_dim0": (lambda lib, a: a.softmax(0) * a, [(3, 2)]),
    "masked_fill_tril": (lambda lib, a: a.tril().masked_fill(a > 0.5, 0.0) * a, [(3, 3)]),
    "sort_topk_gather": (lambda lib, a: a.sort(dim=1)[0][:, :2] ** 3 + a.topk(2, dim=0)[0].T.tanh()
                         + a.gather(1, lib.tensor([[0, 0], [1, 2], [2, 2]])) ** 2, [(3, 3)]),
    "max_min_whole": (lambda lib, a: a.max() ** 2 + a.min().exp(), [(2, 3)]),
    "gelu": (lambda lib, a: lib.nn.functional.gelu(a) * a, [(2, 3)]),
    "gelu_tanh": (lambda lib, a: lib.nn.functional.gelu(a, approximate="tanh") ** 2, [(2, 3)]),
    "log2_log10_exp2": (lambda lib, a: (a.abs().log2() + a.abs().log10()) * a.exp2(), [(3,)]),
    "silu_roll_flip": (lambda lib, a: lib.nn.functional.silu(a).roll(1, 0).flip(1) * a.T.contiguous().T, [(3, 2)]),
    "pad_modes": (lambda lib, a: sum(lib.nn.functional.pad(a, (2, 1, 1, 0), mode=m).sin().sum(0)
                                     for m in ("reflect", "replicate", "circular")) * 1.0, [(1, 3, 3)]),
    "embedding": (lambda lib, w: lib.nn.functional.embedding(lib.tensor([[0, 2, 2], [3, 1, 0]]), w, padding_idx=1) ** 3,
                  [(4, 3)]),
}


@pytest.mark.parametrize("name", sorted(MORE))
def test_more_second_derivatives(name):
    fn, shapes = MORE[name]
    arrays = make_inputs(np.random.default_rng(1), shapes, "nonzero", np.float64)
    assert gradgradcheck(lambda *a: fn(glassnet, *a), leaves(glassnet, arrays))
    check_against_torch(fn, arrays, 1)


@pytest.mark.parametrize("kwargs", [{}, {"reduction": "sum"}, {"reduction": "none", "label_smoothing": 0.2},
                                    {"weight": [0.5, 1.0, 2.0]}, {"probabilities": True}], ids=str)
def test_cross_entropy_second_derivatives(kwargs):
    kwargs = dict(kwargs)
    probabilities = kwargs.pop("probabilities", False)
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(4, 3))
    target_np = rng.dirichlet(np.ones(3), size=4) if probabilities else np.array([0, 2, 1, 1])

    def fn(lib, x, *t):
        target = t[0] if t else lib.tensor(target_np)
        extra = {k: (lib.tensor(v, dtype=lib.float64) if k == "weight" else v) for k, v in kwargs.items()}
        return lib.nn.functional.cross_entropy(x, target, **extra)

    arrays = [logits, target_np] if probabilities else [logits]
    assert gradgradcheck(lambda *a: fn(glassnet, *a), leaves(glassnet, arrays))
    check_against_torch(fn, arrays, 3)


def critic_step(lib):
    """A WGAN-GP critic step on a small MLP with weights from a formula."""
    lib.manual_seed(0)
    nn = lib.nn
    D = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    with lib.no_grad():
        for i, p in enumerate(D.parameters()):
            p.copy_(lib.tensor(np.sin(np.arange(p.numel()) * 0.7 + i).reshape(tuple(p.shape)), dtype=lib.float64))
    D = D.double()
    real = lib.tensor(np.cos(np.arange(12) * 0.3).reshape(4, 3))
    fake = lib.tensor(np.sin(np.arange(12) * 0.5).reshape(4, 3))
    alpha = lib.tensor([[0.1], [0.4], [0.6], [0.9]], dtype=lib.float64)
    interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    out = D(interp)
    gradients = lib.autograd.grad(out, interp, grad_outputs=lib.ones_like(out), create_graph=True,
                                  retain_graph=True)[0]
    penalty = ((gradients.norm(2, dim=1) - 1) ** 2).mean()
    loss = D(fake).mean() - D(real).mean()
    (loss + 10 * penalty).backward()
    return [penalty.item(), loss.item()] + [p.grad.numpy() for p in D.parameters()]


def test_gradient_penalty_step_matches_torch():
    for mine, ref in zip(critic_step(glassnet), critic_step(torch)):
        np.testing.assert_allclose(mine, ref, rtol=1e-9, atol=1e-12)


def hessian_vector_product(lib, x0, v0):
    x = lib.tensor(x0, requires_grad=True)
    f = (x.sin() * x.exp()).sum() + (x @ x) ** 2 + (x.unsqueeze(0) @ x.unsqueeze(1)).sum().sqrt()
    (g,) = lib.autograd.grad(f, x, create_graph=True)
    (hv,) = lib.autograd.grad((g * lib.tensor(v0)).sum(), x)
    return g.detach().numpy(), hv.numpy()


@given(x=hnp.arrays(np.float64, st.integers(1, 5), elements=st.floats(-2, 2)), seed=st.integers(0, 99))
def test_hessian_vector_product_matches_torch(x, seed):
    x = x + 3.0  # keep x·x away from 0 (the sqrt's pole)
    v = np.random.default_rng(seed).uniform(-1, 1, x.shape)
    for mine, ref in zip(hessian_vector_product(glassnet, x, v), hessian_vector_product(torch, x, v)):
        np.testing.assert_allclose(mine, ref, rtol=1e-9, atol=1e-12)


def test_backward_create_graph_leaves_a_graph_in_grad():
    for lib in (glassnet, torch):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        (x ** 3).sum().backward(create_graph=True)
        assert x.grad.grad_fn is not None
        g = x.grad
        x.grad = None
        g.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])


def test_third_derivative_through_index():
    for lib in (glassnet, torch):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = (x[[0, 0, 2]] ** 4).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), x, create_graph=True)
        (t,) = lib.autograd.grad(h.sum(), x)
        np.testing.assert_allclose(t.numpy(), [2 * 24 * 0.5, 0.0, 24 * 2.0])


def test_op_without_double_backward_raises_naming_it():
    x = glassnet.tensor([1.0, 3.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"not implemented for MishBackward0; glassnet has "
                                           r"it for: .*ConvNd.*LayerNorm.*MaxPool.*Mul"):
        glassnet.autograd.grad((F.mish(x) * 2).sum(), x, create_graph=True)


def test_ops_a_branch_does_not_need_are_not_asked_for_double_backward():
    x = glassnet.tensor([1.0, 3.0, 2.0], requires_grad=True)
    w = glassnet.tensor([0.5, 0.1, 0.2], requires_grad=True)
    h = F.max_pool1d(x.reshape(1, 1, -1), 2).sum() * w  # the pooling lies below h: grad to w never meets it
    (g,) = glassnet.autograd.grad((h * h).sum(), w, create_graph=True)
    assert g.grad_fn is not None


def test_second_backward_through_a_freed_graph_raises():
    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    (g,) = glassnet.autograd.grad(y, x, create_graph=True, retain_graph=False)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        glassnet.autograd.grad(g.sum(), x)


def test_every_double_backward_op_is_listed():
    names = set()
    stack = [Node]
    while stack:
        klass = stack.pop()
        stack.extend(klass.__subclasses__())
        if "backward_graph" in klass.__dict__:
            names.add(klass.__name__)
    assert {"Add", "Sub", "Mul", "Div", "Neg", "Pow", "Exp", "Log", "Sqrt", "Tanh", "Sigmoid", "Relu",
            "LeakyRelu", "Abs", "Sum", "Mean", "MatMul", "Linear", "Reshape", "Permute", "Expand", "Index",
            "IndexAdd", "Softmax", "LogSoftmax", "CrossEntropy", "Where", "Cat", "Stack", "Max", "Gather",
            "Embedding", "Gelu", "ConvNd", "ConvTransposeNd", "ConvWeightGrad", "MaxPool", "AvgPool",
            "AvgPoolGrad", "AdaptiveAvgPool", "AdaptiveMaxPool", "LayerNorm", "BinaryCrossEntropy",
            "BinaryCrossEntropyWithLogits", "Einsum", "Silu", "Roll", "Flip", "Contiguous", "Pad"} <= names


def test_first_order_observers_still_see_arrays_and_double_backward_pauses_them():
    seen = []

    class Recorder:
        def on_forward(self, fn, out):
            seen.append(("f", type(fn).__name__))

        def on_backward(self, fn, g, grads):
            seen.append(("b", type(g).__name__))

    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    with glassnet.autograd.observe(Recorder()):
        y = (x * x).sum()
        y.backward(retain_graph=True)
        before = len(seen)
        glassnet.autograd.grad(y, x, create_graph=True)
    assert ("b", "ndarray") in seen[:before] or ("b", "float32") in seen[:before]
    assert seen[before:] == [] and F is not None


def test_each_leaf_gets_a_gradient_tensor_of_its_own():
    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    y = glassnet.tensor([3.0, 4.0], requires_grad=True)
    (x + y).sum().backward(create_graph=True)
    assert x.grad is not y.grad
    glassnet.nn.utils.clip_grad_norm_([x, y], 1.0)
    np.testing.assert_allclose(x.grad.detach().numpy(), [0.5, 0.5], rtol=1e-6)
    gx, gy = glassnet.autograd.grad((x + y).sum(), [x, y], create_graph=True)
    assert gx is not gy


def _cube(lib):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    return Cube


def test_user_function_double_backward_matches_torch():
    out = []
    for lib in (glassnet, torch):
        Cube = _cube(lib)
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(Cube.apply(x.sin()).sum(), x, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), x)
        out.append((g.detach().numpy(), h.numpy()))
        assert lib.autograd.gradgradcheck(Cube.apply, (x,))
    for mine, ref in zip(*out):
        np.testing.assert_allclose(mine, ref, rtol=1e-12)


def test_once_differentiable_raises_only_when_differentiated_twice():
    for lib in (glassnet, torch):
        class Twice(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            @lib.autograd.function.once_differentiable
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * 2 * x

        x = lib.tensor([1.0, 2.0], requires_grad=True)
        (g,) = lib.autograd.grad(Twice.apply(x).sum(), x, create_graph=True)
        assert not g.requires_grad  # the incoming gradient (ones) needs none: nothing to raise
        (g,) = lib.autograd.grad((Twice.apply(x) * x).sum(), x, create_graph=True)
        np.testing.assert_allclose(g.detach().numpy(), [3.0, 12.0])
        with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was marked"):
            g.sum().backward()
