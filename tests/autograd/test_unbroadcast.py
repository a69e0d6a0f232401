"""The one shared helper that undoes broadcasting."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from glassnet.autograd.engine import unbroadcast


def test_leading_axes_are_summed_away():
    np.testing.assert_array_equal(unbroadcast(np.ones((2, 3)), (3,)), [2.0, 2.0, 2.0])


def test_stretched_axes_are_summed_keeping_the_axis():
    g = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(unbroadcast(g, (2, 1)), [[3.0], [12.0]])
    np.testing.assert_array_equal(unbroadcast(g, (1, 3)), [[3.0, 5.0, 7.0]])


def test_to_a_scalar_shape():
    assert unbroadcast(np.ones((4, 5)), ()) == 20.0


def test_same_shape_is_returned_unchanged():
    g = np.ones((2, 2))
    assert unbroadcast(g, (2, 2)) is g


@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=1, min_dims=0, max_dims=4, max_side=4),
       seed=st.integers(0, 99))
def test_equals_the_adjoint_of_broadcasting(shapes, seed):
    """<broadcast(x), g> == <x, unbroadcast(g)> for all x, g: unbroadcast is broadcast's transpose."""
    rng = np.random.default_rng(seed)
    shape, out_shape = shapes.input_shapes[0], shapes.result_shape
    x, g = rng.normal(size=shape), rng.normal(size=out_shape)
    lhs = np.sum(np.broadcast_to(x, out_shape) * g)
    rhs = np.sum(x * unbroadcast(g, shape))
    assert unbroadcast(g, shape).shape == shape
    assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-9)
