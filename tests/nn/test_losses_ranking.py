"""kl_div, poisson_nll_loss, cosine_embedding_loss, margin_ranking_loss and triplet_margin_loss
agree with torch: values and gradients (every input torch differentiates, targets included), in
float32 and float64, for each reduction, functions and modules; and their errors and warnings."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet
import glassnet.nn as nn
import glassnet.nn.functional as F

from .helpers import Const, assert_same_as_torch

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests")

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [np.float32, np.float64]
SHAPES = st.sampled_from([(5,), (3, 4), (2, 3, 2), (1, 6)])


def rng_for(seed):
    return np.random.default_rng(seed)


def quiet(fn):
    """Run ``fn`` with the kl_div 'mean' warning silenced (both libraries give it)."""
    def inner(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return fn(*args)
    return inner


# -- kl_div -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("log_target", [False, True])
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), shape=SHAPES)
def test_kl_div_matches_torch(reduction, dtype, log_target, seed, shape):
    r = rng_for(seed)
    x = np.log(r.uniform(0.05, 1, size=shape)).astype(dtype)
    y = r.uniform(0.05, 1, size=shape)
    y = (np.log(y) if log_target else y).astype(dtype)
    fn = lambda lib, x, y: lib.nn.functional.kl_div(x, y, reduction=reduction, log_target=log_target)  # noqa
    assert_same_as_torch(quiet(fn), [x, y], seed)


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
def test_kl_div_module_with_zero_targets_matches_torch(reduction):
    x = np.log(rng_for(0).uniform(0.05, 1, size=(3, 4))).astype(np.float32)
    y = Const(np.array([[0.0, 0.5, 0.5, 0.0], [1.0, 0, 0, 0], [0.25] * 4], dtype=np.float32))
    value, _ = assert_same_as_torch(quiet(lambda lib, x, y: lib.nn.KLDivLoss(reduction=reduction)(x, y)), [x, y])
    assert np.all(np.isfinite(value))


def test_kl_div_mean_warns_like_torch_and_batchmean_does_not():
    x, y = glassnet.tensor([[-1.0, -0.5]]), glassnet.tensor([[0.25, 0.75]])
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(x, y)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        nn.KLDivLoss()(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.kl_div(x, y, reduction="batchmean")
        nn.KLDivLoss(reduction="sum")(x, y)


def test_kl_div_legacy_arguments_map_to_a_reduction_like_torch():
    x = np.log(rng_for(1).uniform(0.1, 1, size=(3, 2))).astype(np.float64)
    y = rng_for(2).uniform(0.1, 1, size=(3, 2)).astype(np.float64)
    for kw in [dict(size_average=False), dict(reduce=False), dict(size_average=True)]:
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            g = F.kl_div(glassnet.tensor(x), glassnet.tensor(y), **kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = torch.nn.functional.kl_div(torch.tensor(x), torch.tensor(y), **kw)
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-12)


def test_kl_div_rejects_an_unknown_reduction():
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F.kl_div(glassnet.zeros(2), glassnet.zeros(2), reduction="bad")
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        nn.KLDivLoss(reduction="bad")
    with pytest.raises(ValueError, match="batchmean is not a valid value for reduction"):
        F.mse_loss(glassnet.zeros(2), glassnet.zeros(2), reduction="batchmean")


# -- poisson_nll_loss ---------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000), shape=SHAPES)
def test_poisson_nll_loss_matches_torch(reduction, dtype, log_input, full, seed, shape):
    r = rng_for(seed)
    x = (r.normal(size=shape) if log_input else r.uniform(0.1, 5, size=shape)).astype(dtype)
    y = r.uniform(0.05, 6, size=shape).astype(dtype)   # both sides of the Stirling cut at 1, never 0
    y.flat[0] = 1.0 if y.size > 1 else y.flat[0]        # the cut itself: no Stirling term at y = 1

    def fn(lib, x, y):
        return lib.nn.functional.poisson_nll_loss(x, y, log_input=log_input, full=full, reduction=reduction)
    assert_same_as_torch(fn, [x, y], seed)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_poisson_nll_loss_module_with_integer_counts_and_eps_matches_torch(reduction):
    x = np.array([0.0, 0.5, 2.0, 1e-3], dtype=np.float64)
    y = Const(np.array([0.0, 1.0, 3.0, 7.0]))
    def fn(lib, x, y):
        return lib.nn.PoissonNLLLoss(log_input=False, full=True, eps=1e-3, reduction=reduction)(x, y)
    value, grads = assert_same_as_torch(fn, [x, y])
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grads[0]))


def test_poisson_nll_loss_rejects_an_unknown_reduction():
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        F.poisson_nll_loss(glassnet.zeros(2), glassnet.zeros(2), reduction="avg")


# -- cosine_embedding_loss --------------------------------------------------------------------------------
def _cosine_case(r, n, d, dtype, margin):
    """Pairs of a chosen cosine in [−0.9, 0.9], 0.05 or more from ``margin`` (the hinge's kink):
    near ±1 the gradient is a float32 cancellation, a difference of rounding errors."""
    a, raw = r.normal(size=(n, d)), r.normal(size=(n, d))
    unit = a / np.linalg.norm(a, axis=1, keepdims=True)
    ortho = raw - (raw * unit).sum(1, keepdims=True) * unit
    ortho /= np.linalg.norm(ortho, axis=1, keepdims=True)
    cos = r.uniform(-0.9, 0.9, size=(n, 1))
    cos = np.where(np.abs(cos - margin) < 0.05, margin + 0.1, cos)
    b = r.uniform(0.5, 2, size=(n, 1)) * (cos * unit + np.sqrt(1 - cos ** 2) * ortho)
    return a.astype(dtype), b.astype(dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 6), d=st.integers(2, 5),
       margin=st.sampled_from([0.0, 0.3, -0.5]))
def test_cosine_embedding_loss_matches_torch(reduction, dtype, seed, n, d, margin):
    r = rng_for(seed)
    a, b = _cosine_case(r, n, d, dtype, margin)
    y = Const(r.choice([1, -1], size=n).astype(np.int64))
    fn = lambda lib, a, b, y: lib.nn.functional.cosine_embedding_loss(a, b, y, margin, reduction=reduction)  # noqa
    assert_same_as_torch(fn, [a, b, y], seed)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_embedding_loss_module_on_one_pair_and_float_labels_matches_torch(reduction):
    a, b = rng_for(3).normal(size=(2, 4))
    for label in (1.0, -1.0, 0.0):
        y = Const(np.array(label, dtype=np.float32))
        fn = lambda lib, a, b, y: lib.nn.CosineEmbeddingLoss(margin=-0.9, reduction=reduction)(a, b, y)  # noqa
        assert_same_as_torch(fn, [a.astype(np.float32), b.astype(np.float32), y])


def test_cosine_embedding_loss_shape_errors_match_torch():
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected, multi-target not supported"):
        F.cosine_embedding_loss(glassnet.zeros(2, 3), glassnet.zeros(2, 3), glassnet.ones(2, 1))
    with pytest.raises(RuntimeError, match=r"1D target tensor expects 2D input tensors, but found inputs "
                                           r"with sizes \[3\] and \[3\]"):
        F.cosine_embedding_loss(glassnet.zeros(3), glassnet.zeros(3), glassnet.ones(1))
    with pytest.raises(RuntimeError, match="0D target tensor expects 1D input tensors"):
        F.cosine_embedding_loss(glassnet.zeros(2, 3), glassnet.zeros(2, 3), glassnet.tensor(1.0))
    with pytest.raises(TypeError, match="argument 'target' must be a glassnet.Tensor"):
        F.cosine_embedding_loss(glassnet.zeros(3), glassnet.zeros(3), 1)


# -- margin_ranking_loss --------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), shape=SHAPES, margin=st.sampled_from([0.0, 0.5, 1.0]))
def test_margin_ranking_loss_matches_torch(reduction, dtype, seed, shape, margin):
    r = rng_for(seed)
    x1, x2 = r.normal(size=shape), r.normal(size=shape)
    y = r.choice([1.0, -1.0], size=shape)
    hinge = -y * (x1 - x2) + margin
    x1 = np.where(np.abs(hinge) < 0.05, x1 - y * 0.2, x1)   # away from the kink at 0
    args = [x1.astype(dtype), x2.astype(dtype), y.astype(dtype)]
    fn = lambda lib, a, b, y: lib.nn.functional.margin_ranking_loss(a, b, y, margin, reduction=reduction)  # noqa
    assert_same_as_torch(fn, args, seed)   # the target's gradient too


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking_loss_module_matches_torch(reduction):
    x1, x2 = np.array([0.3, 2.0, -1.0]), np.array([1.0, 0.1, -0.2])
    y = Const(np.array([1.0, -1.0, 1.0]))
    assert_same_as_torch(lambda lib, a, b, y: lib.nn.MarginRankingLoss(0.25, reduction=reduction)(a, b, y),
                         [x1, x2, y])


def test_margin_ranking_loss_needs_equal_dimensions_like_torch():
    with pytest.raises(RuntimeError, match="margin_ranking_loss : All input tensors should have same "
                                           "dimension but got sizes"):
        F.margin_ranking_loss(glassnet.zeros(3), glassnet.zeros(3), glassnet.ones(3, 1))


# -- triplet_margin_loss ----------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("swap", [False, True])
@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 5), d=st.integers(1, 4),
       margin=st.sampled_from([0.5, 1.0, 2.0]), batched=st.booleans())
def test_triplet_margin_loss_matches_torch(reduction, dtype, p, swap, seed, n, d, margin, batched):
    r = rng_for(seed)
    a, pos, neg = (r.normal(size=(n, d)) for _ in range(3))

    def dist(u, v):
        return (np.abs(u - v + 1e-6) ** p).sum(-1) ** (1 / p)
    d_neg = np.minimum(dist(a, neg), dist(pos, neg)) if swap else dist(a, neg)
    # keep away from the hinge's kink and, with swap, from a tie between the two negative distances
    ok = (np.abs(margin + dist(a, pos) - d_neg) > 0.05) & (np.abs(dist(a, neg) - dist(pos, neg)) > 0.05)
    if not ok.all():
        a, pos, neg = a[ok], pos[ok], neg[ok]
        if len(a) == 0:
            return
    if not batched:
        a, pos, neg = a[0], pos[0], neg[0]
    args = [x.astype(dtype) for x in (a, pos, neg)]

    def fn(lib, a, pos, neg):
        return lib.nn.functional.triplet_margin_loss(a, pos, neg, margin=margin, p=p, swap=swap,
                                                     reduction=reduction)
    assert_same_as_torch(fn, args, seed)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_margin_loss_module_matches_torch(reduction):
    a, pos, neg = (rng_for(i).normal(size=(4, 3)) for i in range(3))
    def fn(lib, a, p, n):
        return lib.nn.TripletMarginLoss(margin=3.0, p=2.0, eps=1e-3, reduction=reduction)(a, p, n)
    assert_same_as_torch(fn, [a, pos, neg])


def test_triplet_margin_loss_errors_match_torch():
    x = glassnet.zeros(2, 3)
    with pytest.raises(ValueError, match="expected margin to be greater than 0, got 0.0 instead"):
        F.triplet_margin_loss(x, x, x, margin=0.0)
    with pytest.raises(ValueError, match="expected margin to be greater than 0, got -1 instead"):
        nn.TripletMarginLoss(margin=-1)
    with pytest.raises(RuntimeError, match="anchor 2D, positive 2D, and negative 1D inputs"):
        F.triplet_margin_loss(x, x, glassnet.zeros(3))


# -- all five: the deprecated arguments ---------------------------------------------------------------
@pytest.mark.parametrize("name", ["poisson_nll_loss", "cosine_embedding_loss", "margin_ranking_loss",
                                  "triplet_margin_loss"])
@pytest.mark.parametrize("legacy", [dict(size_average=False), dict(reduce=False)])
def test_legacy_reduction_arguments_match_torch(name, legacy):
    r = rng_for(4)
    arrays = {"poisson_nll_loss": [r.normal(size=(3, 2)), r.uniform(0.1, 3, size=(3, 2))],
              "cosine_embedding_loss": [r.normal(size=(3, 2)), r.normal(size=(3, 2)), np.array([1, -1, 1])],
              "margin_ranking_loss": [r.normal(size=3), r.normal(size=3), np.array([1.0, -1.0, 1.0])],
              "triplet_margin_loss": [r.normal(size=(3, 2)) for _ in range(3)]}[name]
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        g = getattr(F, name)(*[glassnet.tensor(a) for a in arrays], **legacy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = getattr(torch.nn.functional, name)(*[torch.tensor(a) for a in arrays], **legacy)
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-12)
