"""Every op's backward agrees with float64 central finite differences
(``glassnet.autograd.gradcheck``), and gradcheck itself catches a wrong backward."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassnet
from glassnet.autograd import Function, gradcheck
from glassnet.autograd.gradcheck import GradcheckError

from tests.ops.ops_table import BINARY, UNARY, make_inputs


def leaves(arrays):
    return [glassnet.tensor(a, dtype=glassnet.float64, requires_grad=True) for a in arrays]


@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=3), seed=st.integers(0, 999))
def test_unary_op_passes_gradcheck(name, shape, seed):
    fn, domain = UNARY[name]
    xs = leaves(make_inputs(np.random.default_rng(seed), [shape], domain, np.float64))
    assert gradcheck(lambda a: fn(glassnet, a), xs)


@pytest.mark.parametrize("name", sorted(BINARY))
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3),
       seed=st.integers(0, 999))
def test_binary_op_passes_gradcheck(name, shapes, seed):
    fn, domain = BINARY[name]
    xs = leaves(make_inputs(np.random.default_rng(seed), shapes.input_shapes, domain, np.float64))
    assert gradcheck(lambda a, b: fn(glassnet, a, b), xs)


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 2)),
                                    ((2, 2, 3), (3, 2)), ((2, 3), (2, 3, 2))], ids=str)
def test_matmul_passes_gradcheck(shapes):
    xs = leaves(make_inputs(np.random.default_rng(0), shapes, "any", np.float64))
    assert gradcheck(lambda a, b: a @ b, xs)


def test_cat_stack_permute_pass_gradcheck():
    a, b = leaves(make_inputs(np.random.default_rng(1), [(2, 3), (2, 3)], "any", np.float64))
    assert gradcheck(lambda x, y: glassnet.cat([x, y], dim=1), (a, b))
    assert gradcheck(lambda x, y: glassnet.stack([x, y], dim=1), (a, b))
    assert gradcheck(lambda x: x.permute(1, 0) @ x, (a,))


def test_gradcheck_catches_a_wrong_backward():
    class BadSquare(Function):
        def forward(self, a):
            self.a = a
            return a * a

        def backward(self, g):
            return (g * self.a,)  # wrong: should be 2·a·g

    x = glassnet.tensor([0.5, -1.5], dtype=glassnet.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(lambda t: BadSquare.apply(t), (x,))
    assert gradcheck(lambda t: BadSquare.apply(t), (x,), raise_exception=False) is False


def test_gradcheck_requires_float64_inputs():
    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="float64"):
        gradcheck(lambda t: t * t, (x,))
