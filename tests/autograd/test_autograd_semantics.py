"""Each autograd rule of PyTorch that glassnet promises, with a test that fails if it breaks."""
import numpy as np
import pytest

import glassnet
from glassnet.autograd import observe


def test_gradients_accumulate_across_backward_calls():
    w = glassnet.tensor(2.0, requires_grad=True)
    for x in (1.0, 2.0, 3.0):
        (w * x).backward()
    assert w.grad.item() == 6.0


def test_zero_grad_and_grad_assignment():
    w = glassnet.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    w.grad.zero_()
    assert w.grad.tolist() == [0.0, 0.0]
    w.grad = None
    (w * 3).sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]


def test_non_scalar_backward_needs_a_gradient_argument():
    y = glassnet.tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="scalar outputs"):
        y.backward()
    y.backward(glassnet.tensor([1.0, 0.5]))


def test_gradient_argument_shape_must_match():
    y = glassnet.tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="shape"):
        y.backward(glassnet.tensor([1.0, 0.5, 2.0]))


def test_backward_through_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (glassnet.tensor([1.0]) * 2).sum().backward()


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        glassnet.tensor([1, 2], requires_grad=True)


def test_second_backward_without_retain_graph_raises():
    x = glassnet.tensor(3.0, requires_grad=True)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = glassnet.tensor(3.0, requires_grad=True)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 12.0


def test_is_leaf_grad_fn_and_node_names():
    x = glassnet.tensor(1.0, requires_grad=True)
    y = (x * 2).relu()
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf and y.grad_fn.name() == "ReluBackward0"
    assert y.grad_fn.next_functions[0][0].name() == "MulBackward0"
    assert "grad_fn=<ReluBackward0>" in repr(y)


def test_non_leaf_grad_is_kept_only_with_retain_grad():
    x = glassnet.tensor(2.0, requires_grad=True)
    h = x * 3
    h.retain_grad()
    k = x * 4
    (h * k).backward()
    assert h.grad.item() == 8.0
    assert k.grad is None


def test_detach_cuts_the_graph_and_shares_memory():
    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None
    with glassnet.no_grad():
        x.add_(1.0)
    assert d.tolist() == [2.0, 3.0]


def test_requires_grad_can_be_set_on_leaves_only():
    x = glassnet.tensor([1.0])
    x.requires_grad = True
    assert x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    y = glassnet.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False


def test_no_grad_context_and_decorator_and_enable_grad():
    x = glassnet.tensor(1.0, requires_grad=True)
    with glassnet.no_grad():
        assert not (x * 2).requires_grad
        with glassnet.enable_grad():
            assert (x * 2).requires_grad
    assert (x * 2).requires_grad

    @glassnet.no_grad()
    def f(t):
        return t * 2

    @glassnet.no_grad
    def g(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    assert glassnet.is_grad_enabled()


def test_in_place_ops_bump_the_version_counter():
    x = glassnet.tensor([1.0, 2.0])
    versions = [x._version]
    for op in (lambda: x.add_(1), lambda: x.sub_(1), lambda: x.mul_(2), lambda: x.div_(2),
               lambda: x.zero_(), lambda: x.fill_(3.0), lambda: x.copy_(glassnet.tensor([5.0, 6.0]))):
        op()
        versions.append(x._version)
    x -= 1
    versions.append(x._version)
    assert all(b > a for a, b in zip(versions, versions[1:]))
    assert x.tolist() == [4.0, 5.0]


def test_modifying_a_saved_tensor_before_backward_raises():
    w = glassnet.tensor([1.0, 2.0], requires_grad=True)
    x = glassnet.tensor([3.0, 4.0])
    y = (w * x).sum()          # Mul saves x
    x.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_modifying_a_tensor_that_was_not_saved_is_fine():
    w = glassnet.tensor([1.0, 2.0], requires_grad=True)
    x = glassnet.tensor([3.0, 4.0])
    y = (w + x).sum()          # Add saves nothing
    x.mul_(2)
    y.backward()
    assert w.grad.tolist() == [1.0, 1.0]


def test_in_place_on_a_leaf_that_requires_grad_raises_outside_no_grad():
    w = glassnet.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w -= 1
    with glassnet.no_grad():
        w -= 1
    assert w.tolist() == [0.0]


def test_augmented_assignment_on_a_graph_tensor_rebinds():
    x = glassnet.tensor(2.0, requires_grad=True)
    h = x * 3
    h += 1
    h.backward()
    assert x.grad.item() == 3.0


def test_deep_chain_of_ten_thousand_ops_backpropagates_without_recursion():
    x = glassnet.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 10_000, rel=1e-3)


def test_diamond_graph_adds_both_paths():
    x = glassnet.tensor(3.0, requires_grad=True)
    a = x * 2
    (a * a + a).backward()  # d/dx (4x² + 2x) = 8x + 2
    assert x.grad.item() == 26.0


def test_repeated_indices_accumulate_gradients():
    x = glassnet.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[glassnet.tensor([0, 0, 2])].sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 1.0]


def test_boolean_mask_gradient_scatters_back():
    x = glassnet.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    (x[x > 0] * 2).sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 2.0]


def test_observer_sees_forward_nodes_and_backward_gradients_only_while_installed():
    seen = []

    class Spy:
        def on_forward(self, fn, out):
            seen.append(("f", type(fn).__name__))

        def on_backward(self, fn, g, grads):
            seen.append(("b", type(fn).__name__))

    x = glassnet.tensor(2.0, requires_grad=True)
    with observe(Spy()):
        (x * 3).relu().backward()
    (x * 3).relu().backward()
    assert seen == [("f", "Mul"), ("f", "Relu"), ("b", "Relu"), ("b", "Mul")]


def test_grad_mode_is_per_thread():
    import threading
    result = {}

    def worker():
        result["enabled"] = glassnet.is_grad_enabled()

    with glassnet.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert result["enabled"] is True


def test_exact_dtype_is_rational_and_refuses_transcendental_ops():
    from fractions import Fraction
    x = glassnet.tensor([0.1, 0.2], dtype=glassnet.exact, requires_grad=True)
    y = (x * x).sum()
    assert y.item() == Fraction(1, 20)
    y.backward()
    assert x.grad.tolist() == [Fraction(1, 5), Fraction(2, 5)]
    with pytest.raises(TypeError, match="exp.*float64"):
        x.exp()
    assert np.isclose(float(x.to(glassnet.float64).sum().item()), 0.3)


def test_exact_backward_from_a_0d_loss_and_exact_from_float32():
    from fractions import Fraction
    w = glassnet.tensor([0.5, 0.25], dtype=glassnet.exact, requires_grad=True)
    ((w * w).mean()).backward()
    assert w.grad.tolist() == [Fraction(1, 2), Fraction(1, 4)]
    assert glassnet.tensor([0.1, 0.7]).to(glassnet.exact).tolist() == [Fraction(1, 10), Fraction(7, 10)]


def test_flatten_checks_its_dimensions():
    with pytest.raises(IndexError, match="Dimension out of range"):
        glassnet.ones(2, 3).flatten(start_dim=2)


def test_an_observer_hears_each_backward_begin_with_its_root():
    import glassnet
    from glassnet.autograd import observe

    class Listener:
        def __init__(self):
            self.roots = []

        def on_forward(self, fn, out):
            pass

        def on_backward(self, fn, grad_out, grad_inputs):
            pass

        def on_backward_begin(self, root):
            self.roots.append(root)

    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    with observe(Listener()) as listener:
        loss = (x * x).sum()
        loss.backward()
        x.sum().backward()
    (x * 3).sum().backward()  # outside the block: not heard
    assert [r is loss for r in listener.roots] == [True, False] and len(listener.roots) == 2


def test_inference_mode_builds_no_graph_like_torch():
    torch = pytest.importorskip("torch")
    for lib in (glassnet, torch):
        w = lib.ones(2, requires_grad=True)
        with lib.inference_mode():
            assert not lib.is_grad_enabled()
            assert not (w * 2).requires_grad
        assert lib.is_grad_enabled()
        with lib.inference_mode(False):
            assert (w * 2).requires_grad

        @lib.inference_mode()
        def called(x):
            return x * 3, lib.is_grad_enabled()

        @lib.inference_mode
        def bare(x):
            return x * 3

        out, enabled = called(w)
        assert not out.requires_grad and not enabled and not bare(w).requires_grad
        assert lib.is_grad_enabled()


@pytest.mark.parametrize("make", [
    lambda w: w.reshape(-1), lambda w: w.view(3, 2), lambda w: w.flatten(),
    lambda w: w.t().reshape(-1), lambda w: w.t().flatten(), lambda w: w.t().contiguous().view(-1),
    lambda w: (w * 1).unflatten(1, (3, 1)), lambda w: w.sum().reshape(1), lambda w: w[:, :2].reshape(-1),
    lambda w: w.unsqueeze(0).transpose(0, 2).reshape(3, 2), lambda w: w.unsqueeze(0).transpose(0, 2).view(3, 2),
    lambda w: w.t(), lambda w: w.transpose(0, 1), lambda w: w.permute(1, 0), lambda w: w.mT, lambda w: w.T,
], ids=["reshape", "view", "flatten", "t-reshape", "t-flatten", "contiguous-view", "unflatten",
        "0d-reshape", "slice-reshape", "alias-reshape", "alias-view", "t", "transpose", "permute", "mT", "T"])
def test_shape_nodes_are_named_as_torch_names_them(make):
    """A reshape that shares the input's memory is torch's ViewBackward0 (ReshapeAliasBackward0 when the
    input is not contiguous), one whose strides force a copy is UnsafeViewBackward0; t, transpose
    and permute are three names (as printed in a repr: d2l prints `gamma.reshape((-1,))`)."""
    torch = pytest.importorskip("torch")
    theirs = make(torch.ones(2, 3, requires_grad=True)).grad_fn
    ours = make(glassnet.ones(2, 3, requires_grad=True)).grad_fn
    assert ours.name() == type(theirs).__name__


def test_t_of_a_3d_tensor_raises_as_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as theirs:
        torch.ones(2, 3, 4).t()
    with pytest.raises(RuntimeError) as ours:
        glassnet.ones(2, 3, 4).t()
    assert str(ours.value) == str(theirs.value)
