"""Every primitive glassnet.nn adds passes a float64 finite-difference gradcheck, for each input
that takes a gradient (targets included where torch differentiates them)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet
import glassnet.nn.functional as F
from glassnet.autograd import gradcheck


def leaf(a, grad=True):
    return glassnet.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


@settings(max_examples=20)
@given(seed=st.integers(0, 10_000), batch=st.sampled_from([(), (3,), (2, 2)]), bias=st.booleans())
def test_linear_gradcheck(seed, batch, bias):
    r = np.random.default_rng(seed)
    x, w, b = leaf(r.normal(size=batch + (3,))), leaf(r.normal(size=(2, 3))), leaf(r.normal(size=2))
    if bias:
        assert gradcheck(lambda x, w, b: F.linear(x, w, b), (x, w, b))
    else:
        assert gradcheck(lambda x, w: F.linear(x, w), (x, w))


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@settings(max_examples=20)
@given(seed=st.integers(0, 10_000))
def test_gelu_gradcheck(approximate, seed):
    x = leaf(np.random.default_rng(seed).normal(0, 3, size=(2, 3)))
    assert gradcheck(lambda x: F.gelu(x, approximate=approximate), (x,))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@settings(max_examples=10)
@given(seed=st.integers(0, 10_000), weighted=st.booleans())
def test_binary_cross_entropy_gradcheck(reduction, seed, weighted):
    r = np.random.default_rng(seed)
    p, y = leaf(r.uniform(0.05, 0.95, size=(3, 2))), leaf(r.uniform(0, 1, size=(3, 2)))
    w = glassnet.tensor(r.uniform(0.5, 2, size=(2,))) if weighted else None
    assert gradcheck(lambda p, y: F.binary_cross_entropy(p, y, w, reduction=reduction), (p, y))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@settings(max_examples=10)
@given(seed=st.integers(0, 10_000), weighted=st.booleans(), pos=st.booleans())
def test_binary_cross_entropy_with_logits_gradcheck(reduction, seed, weighted, pos):
    r = np.random.default_rng(seed)
    x, y = leaf(r.normal(0, 3, size=(3, 2))), leaf(r.uniform(0, 1, size=(3, 2)))
    w = glassnet.tensor(r.uniform(0.5, 2, size=(3, 1))) if weighted else None
    q = glassnet.tensor(r.uniform(0.5, 3, size=(2,))) if pos else None
    assert gradcheck(lambda x, y: F.binary_cross_entropy_with_logits(x, y, w, reduction=reduction,
                                                                     pos_weight=q), (x, y))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2), (3,)], ids=str)
@settings(max_examples=8)
@given(seed=st.integers(0, 10_000), weighted=st.booleans(), smoothing=st.sampled_from([0.0, 0.3]),
       ignore=st.booleans())
def test_cross_entropy_and_nll_with_class_indices_gradcheck(reduction, shape, seed, weighted, smoothing,
                                                             ignore):
    r = np.random.default_rng(seed)
    n_classes = shape[1] if len(shape) > 1 else shape[0]
    x = leaf(r.normal(0, 2, size=shape))
    y_np = r.integers(0, n_classes, size=shape[:1] + shape[2:] if len(shape) > 1 else ())
    if ignore and y_np.size > 1:
        y_np.reshape(-1)[0] = -100
    y = glassnet.tensor(y_np)
    w = glassnet.tensor(r.uniform(0.5, 2, size=n_classes), dtype=glassnet.float64) if weighted else None
    assert gradcheck(lambda x: F.cross_entropy(x, y, w, reduction=reduction, label_smoothing=smoothing), (x,))
    assert gradcheck(lambda x: F.nll_loss(x, y, w, reduction=reduction), (x,))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@settings(max_examples=8)
@given(seed=st.integers(0, 10_000), weighted=st.booleans(), smoothing=st.sampled_from([0.0, 0.3]))
def test_cross_entropy_with_class_probabilities_gradcheck(reduction, seed, weighted, smoothing):
    r = np.random.default_rng(seed)
    x, p = leaf(r.normal(0, 2, size=(3, 4))), leaf(r.uniform(0, 1, size=(3, 4)))
    w = glassnet.tensor(r.uniform(0.5, 2, size=4), dtype=glassnet.float64) if weighted else None
    assert gradcheck(lambda x, p: F.cross_entropy(x, p, w, reduction=reduction, label_smoothing=smoothing),
                     (x, p))
