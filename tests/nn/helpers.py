"""Shared helpers for the glassnet.nn tests: run one function in glassnet and in torch on the
same inputs and upstream gradient, and compare values and gradients (tolerances from
``tests.conftest.TOL``, stated once per dtype)."""
import numpy as np

import glassnet
from tests.conftest import TOL


class Const:
    """An input that is not differentiated (integer targets, class weights, ...)."""

    def __init__(self, array):
        self.array = np.asarray(array)


def _leaf(lib, a):
    if isinstance(a, Const):
        return lib.tensor(a.array.copy())
    return lib.tensor(np.array(a, copy=True), requires_grad=True)


def run(lib, fn, inputs, seed=0):
    """``fn(lib, *tensors)`` with a fixed random upstream gradient; returns (value, grads)."""
    xs = [_leaf(lib, a) for a in inputs]
    out = fn(lib, *xs)
    value = np.asarray(out.detach().numpy())
    up = np.random.default_rng(seed).uniform(0.5, 1.5, size=value.shape).astype(value.dtype)
    out.backward(lib.tensor(up))
    grads = [None if isinstance(a, Const) or x.grad is None else np.asarray(x.grad.detach().numpy())
             for a, x in zip(inputs, xs)]
    return value, grads


def assert_close(actual, expected, dtype=None):
    actual, expected = np.asarray(actual), np.asarray(expected)
    rtol, atol = TOL[str(dtype or expected.dtype)]
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def assert_same_as_torch(fn, inputs, seed=0):
    """Values and every gradient of ``fn`` agree with torch's."""
    import torch
    gv, gg = run(glassnet, fn, inputs, seed)
    tv, tg = run(torch, fn, inputs, seed)
    assert_close(gv, tv)
    for a, b in zip(gg, tg, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            assert_close(a, b)
    return gv, gg


def copy_from_torch(gmodule, tmodule):
    """Load the torch module's weights into the glassnet one (torch tensors load as they are)."""
    gmodule.load_state_dict(tmodule.state_dict())
    return gmodule
