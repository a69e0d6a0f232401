"""User autograd Functions, spelled as in torch: ctx API, gradients against torch, gradcheck,
explain, and the errors torch gives."""
import numpy as np
import pytest

import glassnet
from glassnet.autograd.function import once_differentiable

torch = pytest.importorskip("torch")


def make_functions(lib):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale
            return x ** 3 * scale

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2 * ctx.scale, None

    class SplitSign(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            sign = (x > 0).long()
            ctx.mark_non_differentiable(sign)
            return x * y, x + y, sign

        @staticmethod
        @once_differentiable if lib is glassnet else (lambda f: f)
        def backward(ctx, g_prod, g_sum, g_sign):
            x, y = ctx.saved_tensors
            return g_prod * y + g_sum, g_prod * x + g_sum

    class Exp(lib.autograd.Function):  # the newer spelling: forward without ctx + setup_context
        @staticmethod
        def forward(x):
            return x.exp()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, grad):
            (out,) = ctx.saved_tensors
            return grad * out

    return Cube, SplitSign, Exp


def run(lib, x_np, y_np):
    Cube, SplitSign, Exp = make_functions(lib)
    x = lib.tensor(x_np, requires_grad=True)
    y = lib.tensor(y_np, requires_grad=True)
    p, s, sign = SplitSign.apply(x, y)
    out = (Cube.apply(p, 0.5) + Exp.apply(s) * s).sum()
    out.backward()
    return out.item(), x.grad.numpy(), y.grad.numpy(), sign.numpy(), sign.requires_grad


def test_values_and_gradients_match_torch():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    g, t = run(glassnet, x, y), run(torch, x, y)
    np.testing.assert_allclose(g[0], t[0], rtol=1e-12)
    for a, b in zip(g[1:4], t[1:4]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert g[4] is False and t[4] is False


def test_ctx_is_the_graph_node_and_names_match_torch():
    Cube, SplitSign, _ = make_functions(glassnet)
    tCube, tSplit, _ = make_functions(torch)
    x = glassnet.tensor([1.0, -2.0], requires_grad=True)
    tx = torch.tensor([1.0, -2.0], requires_grad=True)
    y = Cube.apply(x, 2.0)
    assert y.grad_fn.name() == tCube.apply(tx, 2.0).grad_fn.name() == "CubeBackward"
    assert isinstance(y.grad_fn, glassnet.autograd.Function)  # one node type for built-ins and users
    assert y.grad_fn.needs_input_grad == (True, False)
    assert y.grad_fn.next_functions == ((None, 0),)
    p, s, _ = SplitSign.apply(x, x * 2)
    assert p.grad_fn.name() == s.grad_fn.name() == "SplitSignBackward"
    assert repr(y) == "tensor([  2., -16.], grad_fn=<CubeBackward>)"


def test_gradcheck_sees_user_functions():
    Cube, SplitSign, Exp = make_functions(glassnet)
    x = glassnet.tensor([0.3, -1.2, 0.8], dtype=glassnet.float64, requires_grad=True)
    y = glassnet.tensor([1.1, 0.4, -0.5], dtype=glassnet.float64, requires_grad=True)
    assert glassnet.autograd.gradcheck(lambda a: Cube.apply(a, 0.7), (x,))
    assert glassnet.autograd.gradcheck(lambda a, b: SplitSign.apply(a, b)[:2], (x, y))
    assert glassnet.autograd.gradcheck(Exp.apply, (x,))

    class Wrong(glassnet.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * a

        @staticmethod
        def backward(ctx, g):
            return g  # should be 2·a·g

    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        glassnet.autograd.gradcheck(Wrong.apply, (x,))


def test_explain_records_a_user_function_as_one_op():
    Cube, _, _ = make_functions(glassnet)
    model = glassnet.nn.Linear(2, 1)
    opt = glassnet.optim.SGD(model.parameters(), lr=0.1)
    x = glassnet.tensor([[1.0, 2.0]])
    with glassnet.explain.record(model, opt) as step:
        loss = Cube.apply(model(x), 1.0).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    ops = [op.op for op in step.ops]
    assert "Cube" in ops and "Pow" not in ops  # the ops inside the user's forward are not recorded
    cube = next(op for op in step.ops if op.op == "Cube")
    assert cube.node == "CubeBackward" and cube.grad_out is not None and cube.grad_inputs[0] is not None


def test_errors_match_torch():
    class TooFew(glassnet.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    a = glassnet.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
        TooFew.apply(a, a).sum().backward()

    class Saves(glassnet.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * 2

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * 2

    leaf = glassnet.tensor([1.0], requires_grad=True)
    b = leaf * 1
    out = Saves.apply(b)
    with glassnet.no_grad():
        b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()
    out = Saves.apply(leaf)
    out.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.grad_fn.saved_tensors
    with pytest.raises(TypeError, match="save_for_backward can only save"):
        class Bad(glassnet.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(3)
                return a

            @staticmethod
            def backward(ctx, g):
                return g
        Bad.apply(leaf)


def test_no_graph_without_grad():
    Cube, _, _ = make_functions(glassnet)
    with glassnet.no_grad():
        y = Cube.apply(glassnet.tensor([1.0], requires_grad=True), 1.0)
    assert y.grad_fn is None and not y.requires_grad
    assert Cube.apply(glassnet.tensor([2.0]), 1.0).grad_fn is None
