"""Shapes that do not broadcast raise torch's RuntimeError with torch's words (the first clash
from the right, named by tensor and dimension), then the rule and a fix; an in-place op whose
other operand would change its tensor's shape raises torch's "output with shape" error."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests (pip install torch==2.13.0)")

OPS = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
       "div": lambda a, b: a / b, "maximum": lambda a, b: type(a).__module__.split(".")[0] and a.maximum(b),
       "pow": lambda a, b: a.abs() ** b, "lt": lambda a, b: a < b, "eq": lambda a, b: a == b}


def _error(lib, fn, a, b):
    with pytest.raises(Exception) as info:
        fn(lib.ones(*a, requires_grad=True), lib.ones(*b))
    return info


@settings(max_examples=30, deadline=None)
@given(a=st.lists(st.integers(1, 4), min_size=1, max_size=4), b=st.lists(st.integers(1, 4), min_size=1, max_size=4),
       op=st.sampled_from(sorted(OPS)))
def test_shapes_that_do_not_broadcast_raise_torchs_error(a, b, op):
    try:
        np.broadcast_shapes(tuple(a), tuple(b))
        return                                   # they broadcast: nothing to check here
    except ValueError:
        pass
    expected, got = _error(torch, OPS[op], a, b), _error(glassnet, OPS[op], a, b)
    assert got.type is RuntimeError is expected.type
    assert str(got.value).startswith(str(expected.value))
    assert "unsqueeze" in str(got.value) and f"{tuple(a)} and {tuple(b)}" in str(got.value)


@pytest.mark.parametrize("a, b", [((2, 3), (4,)), ((5, 1, 3), (2, 4, 1)), ((3,), (2, 2))])
def test_a_clash_is_named_as_torch_names_it(a, b):
    expected, got = _error(torch, OPS["mul"], a, b), _error(glassnet, OPS["mul"], a, b)
    assert str(got.value).split(":")[0] == str(expected.value)


@pytest.mark.parametrize("a, b", [((2, 3), (4,)), ((3,), (2, 3)), ((2, 1), (2, 3))])
@pytest.mark.parametrize("how", ["add_", "iadd", "mul_"])
def test_an_in_place_op_keeps_its_shape_as_torch(a, b, how):
    messages = []
    for lib in (torch, glassnet):
        x = lib.ones(*a)
        with pytest.raises(RuntimeError) as info:
            if how == "iadd":
                x += lib.ones(*b)
            else:
                getattr(x, how)(lib.ones(*b))
        messages.append(str(info.value))
    torch_message, glassnet_message = messages
    assert glassnet_message.startswith(torch_message.split(":")[0]), messages


BITWISE = {"and": lambda a, b: a & b, "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b,
           "bitwise_and": lambda a, b: a.bitwise_and(b), "bitwise_or": lambda a, b: a.bitwise_or(b),
           "bitwise_xor": lambda a, b: type(a).__module__.startswith("torch") and torch.bitwise_xor(a, b)
           or glassnet.bitwise_xor(a, b)}


@settings(max_examples=30, deadline=None)
@given(a=st.lists(st.integers(1, 4), min_size=1, max_size=3), b=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       op=st.sampled_from(sorted(BITWISE)), dtype=st.sampled_from(["int64", "bool"]))
def test_bitwise_shapes_that_do_not_broadcast_raise_torchs_error(a, b, op, dtype):
    try:
        np.broadcast_shapes(tuple(a), tuple(b))
        return
    except ValueError:
        pass
    messages = []
    for lib in (torch, glassnet):
        with pytest.raises(RuntimeError) as info:
            BITWISE[op](lib.ones(*a, dtype=getattr(lib, dtype)), lib.ones(*b, dtype=getattr(lib, dtype)))
        messages.append(str(info.value))
    assert messages[1].startswith(messages[0]) and "unsqueeze" in messages[1], messages


@pytest.mark.parametrize("a, mask", [((2, 3), (2,)), ((3,), (2, 2)), ((2, 3, 4), (3, 1, 2))])
@pytest.mark.parametrize("how", ["masked_fill", "masked_fill_"])
def test_masked_fill_with_a_mask_that_does_not_broadcast_raises_torchs_error(a, mask, how):
    messages = []
    for lib in (torch, glassnet):
        with pytest.raises(RuntimeError) as info:
            getattr(lib.zeros(*a), how)(lib.ones(*mask, dtype=lib.bool), 1.0)
        messages.append(str(info.value))
    assert messages[1].startswith(messages[0]) and "unsqueeze" in messages[1], messages


def test_masked_fill_with_a_larger_mask_broadcasts_as_torch():
    mask = np.array([[[True, False, False]]] * 4)
    grads = []
    for lib in (torch, glassnet):
        x = lib.ones(2, 3, requires_grad=True)
        y = (x * 2).masked_fill(lib.tensor(mask), 0.5)
        assert tuple(y.shape) == (4, 2, 3)
        y.sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(*grads)
