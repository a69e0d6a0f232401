"""Every loss agrees with torch: values and gradients (input and, where torch gives one, target),
for each reduction, with class weights, ignore_index, label smoothing, probability targets,
pos_weight, and at the edges (logits ±100 and ±1000, probabilities 0 and 1)."""
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


def rng_for(seed):
    return np.random.default_rng(seed)


# -- regression losses ------------------------------------------------------------------------
@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=10)
@given(seed=st.integers(0, 10_000), shape=st.sampled_from([(4,), (3, 2), (2, 3, 2)]))
def test_regression_loss_matches_torch(loss, reduction, dtype, seed, shape):
    r = rng_for(seed)
    x, y = r.normal(size=shape).astype(dtype), r.normal(size=shape).astype(dtype)
    fn = lambda lib, x, y: getattr(lib.nn.functional, loss)(x, y, reduction=reduction)  # noqa: E731
    assert_same_as_torch(fn, [x, y], seed)


@pytest.mark.parametrize("module", ["MSELoss", "L1Loss"])
def test_regression_loss_modules_match_torch(module):
    x, y = rng_for(0).normal(size=(5, 2)).astype(np.float32), rng_for(1).normal(size=(5, 2)).astype(np.float32)
    for reduction in REDUCTIONS:
        assert_same_as_torch(lambda lib, x, y: getattr(lib.nn, module)(reduction=reduction)(x, y), [x, y])


def test_mse_with_a_broadcastable_target_warns_like_torch_and_still_broadcasts():
    x, y = rng_for(0).normal(size=(4, 1)).astype(np.float32), rng_for(1).normal(size=(4,)).astype(np.float32)
    with pytest.warns(UserWarning, match=r"target size \(glassnet.Size\(\[4\]\)\) that is different to the "
                                         r"input size \(glassnet.Size\(\[4, 1\]\)\)"):
        g = F.mse_loss(glassnet.tensor(x), glassnet.tensor(y))
    with pytest.warns(UserWarning):
        t = torch.nn.functional.mse_loss(torch.tensor(x), torch.tensor(y))
    np.testing.assert_allclose(g.item(), t.item(), rtol=1e-6)


def test_regression_loss_with_incompatible_shapes_raises_like_torch():
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match "
                                                                      r"the size of tensor b \(2\)"):
        F.l1_loss(glassnet.zeros(4, 3), glassnet.zeros(4, 2))


# -- binary cross-entropy ---------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
@settings(max_examples=10)
@given(seed=st.integers(0, 10_000))
def test_bce_matches_torch(reduction, dtype, weighted, seed):
    r = rng_for(seed)
    p = r.uniform(0.02, 0.98, size=(5, 3)).astype(dtype)
    y = r.uniform(0, 1, size=(5, 3)).astype(dtype)
    w = Const(r.uniform(0.5, 2, size=(3,)).astype(dtype))
    if weighted:
        fn = lambda lib, p, y, w: lib.nn.functional.binary_cross_entropy(p, y, w, reduction=reduction)  # noqa
        assert_same_as_torch(fn, [p, y, w], seed)
    else:
        fn = lambda lib, p, y: lib.nn.BCELoss(reduction=reduction)(p, y)  # noqa: E731
        assert_same_as_torch(fn, [p, y], seed)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_at_probabilities_zero_and_one_clamps_the_log_like_torch(reduction):
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5], dtype=np.float32)
    y = Const(np.array([1.0, 0.0, 0.0, 1.0, 1.0], dtype=np.float32))
    value, grads = assert_same_as_torch(
        lambda lib, p, y: lib.nn.functional.binary_cross_entropy(p, y, reduction=reduction), [p, y])
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grads[0]))
    if reduction == "none":
        assert value.tolist()[:4] == [100.0, 100.0, 0.0, 0.0]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", ["plain", "weight", "pos_weight", "both"])
@settings(max_examples=8)
@given(seed=st.integers(0, 10_000), scale=st.sampled_from([1.0, 10.0, 100.0, 1000.0]))
def test_bce_with_logits_matches_torch(reduction, dtype, options, seed, scale):
    r = rng_for(seed)
    x = (r.normal(size=(6, 3)) * scale).astype(dtype)
    y = r.uniform(0, 1, size=(6, 3)).astype(dtype)
    w = r.uniform(0.5, 2, size=(6, 1)).astype(dtype) if options in ("weight", "both") else None
    q = r.uniform(0.5, 3, size=(3,)).astype(dtype) if options in ("pos_weight", "both") else None

    def fn(lib, x, y):
        kw = {"reduction": reduction}
        if w is not None:
            kw["weight"] = lib.tensor(w)
        if q is not None:
            kw["pos_weight"] = lib.tensor(q)
        return lib.nn.BCEWithLogitsLoss(**kw)(x, y)
    value, grads = assert_same_as_torch(fn, [x, y], seed)
    assert np.all(np.isfinite(value)) and all(np.all(np.isfinite(g)) for g in grads)


@pytest.mark.parametrize("logit", [-1000.0, -100.0, 100.0, 1000.0])
@pytest.mark.parametrize("label", [0.0, 1.0])
def test_bce_with_logits_is_exact_at_huge_logits(logit, label):
    x = glassnet.tensor([logit], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, glassnet.tensor([label]))
    loss.backward()
    wrong = (logit > 0) != (label > 0)
    assert loss.item() == pytest.approx(abs(logit) if wrong else 0.0, abs=1e-30)  # log(1 + e^-100) ≈ 4e-44
    assert x.grad.item() == pytest.approx(0.0 if not wrong else (1.0 if label == 0 else -1.0), abs=1e-30)


def test_bce_shape_mismatch_is_a_value_error_naming_both_shapes():
    with pytest.raises(ValueError, match=r"Using a target size \(glassnet.Size\(\[4\]\)\) that is different "
                                         r"to the input size \(glassnet.Size\(\[4, 1\]\)\)"):
        F.binary_cross_entropy(glassnet.full((4, 1), 0.5), glassnet.zeros(4))
    with pytest.raises(ValueError, match=r"Target size \(glassnet.Size\(\[4\]\)\) must be the same as input "
                                         r"size \(glassnet.Size\(\[4, 1\]\)\)"):
        nn.BCEWithLogitsLoss()(glassnet.zeros(4, 1), glassnet.zeros(4))


def test_bce_rejects_values_outside_zero_one():
    with pytest.raises(RuntimeError, match="input should be between 0 and 1"):
        F.binary_cross_entropy(glassnet.tensor([1.5]), glassnet.tensor([1.0]))
    with pytest.raises(RuntimeError, match="target should be between 0 and 1"):
        F.binary_cross_entropy(glassnet.tensor([0.5]), glassnet.tensor([2.0]))


def test_bce_accepts_integer_labels_as_floats():
    loss = F.binary_cross_entropy_with_logits(glassnet.zeros(3), glassnet.tensor([0, 1, 1]))
    assert loss.dtype == glassnet.float32
    np.testing.assert_allclose(loss.item(), np.log(2), rtol=1e-6)


# -- cross-entropy and NLL ------------------------------------------------------------------------
def class_case(r, shape, n_classes, ignore=False):
    """Logits of ``shape`` (class axis 1, or 0 if 1-D) and matching class indices."""
    x = r.normal(size=shape) * 3
    target_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    y = r.integers(0, n_classes, size=target_shape)
    if ignore and y.size > 1:
        y.reshape(-1)[0] = -100 if ignore == "default" else 1
    return x, y


SHAPES = [(5, 4), (3, 4, 2), (2, 3, 2, 2), (4,)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", ["plain", "weight", "ignore", "smoothing", "all"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_with_class_indices_matches_torch(shape, reduction, options, dtype):
    r = rng_for(hash((shape, reduction, options)) % 1000)
    n_classes = shape[1] if len(shape) > 1 else shape[0]
    ignore = options in ("ignore", "all")
    x, y = class_case(r, shape, n_classes, ignore="custom" if options == "all" else ignore and "default")
    w = r.uniform(0.2, 2, size=n_classes).astype(dtype)
    kw = {"reduction": reduction}
    if options in ("weight", "all"):
        kw["weight"] = w
    if options == "all":
        kw["ignore_index"] = 1
    if options in ("smoothing", "all"):
        kw["label_smoothing"] = 0.2

    def fn(lib, x, y):
        extra = {k: lib.tensor(v) if k == "weight" else v for k, v in kw.items()}
        return lib.nn.functional.cross_entropy(x, y, **extra)
    assert_same_as_torch(fn, [x.astype(dtype), Const(y)])

    def nll(lib, x, y):  # the same cases through log_softmax + nll_loss (no smoothing there)
        extra = {k: lib.tensor(v) if k == "weight" else v for k, v in kw.items() if k != "label_smoothing"}
        return lib.nn.functional.nll_loss(lib.nn.functional.log_softmax(x, dim=1 if x.dim() > 1 else 0),
                                          y, **extra)
    assert_same_as_torch(nll, [x.astype(dtype), Const(y)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", ["plain", "weight", "smoothing", "all"])
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2), (4,)], ids=str)
def test_cross_entropy_with_class_probabilities_matches_torch(reduction, options, shape):
    r = rng_for(7)
    axis = 1 if len(shape) > 1 else 0
    x = (r.normal(size=shape) * 3).astype(np.float32)
    p = r.uniform(0, 1, size=shape)
    p = (p / p.sum(axis=axis, keepdims=True)).astype(np.float32)
    n_classes = shape[axis]
    kw = {"reduction": reduction}
    if options in ("weight", "all"):
        kw["weight"] = r.uniform(0.2, 2, size=n_classes).astype(np.float32)
    if options in ("smoothing", "all"):
        kw["label_smoothing"] = 0.1

    def fn(lib, x, p):
        extra = {k: lib.tensor(v) if k == "weight" else v for k, v in kw.items()}
        return lib.nn.CrossEntropyLoss(**extra)(x, p)
    assert_same_as_torch(fn, [x, p])  # gradients for the logits and the target probabilities


@pytest.mark.parametrize("scale", [100.0, 1000.0])
def test_cross_entropy_is_stable_for_huge_logits(scale):
    x = np.array([[1.0, -1.0, 0.5], [-1.0, 1.0, 0.0]], dtype=np.float32) * scale
    y = Const(np.array([1, 1]))
    value, grads = assert_same_as_torch(lambda lib, x, y: lib.nn.functional.cross_entropy(x, y), [x, y])
    assert np.isfinite(value) and np.all(np.isfinite(grads[0]))


def test_cross_entropy_when_every_target_is_ignored_is_nan_like_torch():
    x = glassnet.zeros(2, 3, requires_grad=True)
    loss = F.cross_entropy(x, glassnet.tensor([-100, -100]))
    assert np.isnan(loss.item())
    loss.backward()
    assert x.grad.tolist() == [[0.0] * 3] * 2  # torch's gradient here is zero, not nan
    none = F.cross_entropy(glassnet.zeros(2, 3), glassnet.tensor([-100, 1]), reduction="none")
    np.testing.assert_allclose(none.numpy(), [0.0, np.log(3)], rtol=1e-6)


def test_cross_entropy_loss_module_matches_functional_and_repr():
    crit = nn.CrossEntropyLoss(weight=glassnet.tensor([1.0, 2.0, 3.0]), ignore_index=2, label_smoothing=0.1)
    assert repr(crit) == "CrossEntropyLoss()"
    assert list(crit.state_dict()) == list(torch.nn.CrossEntropyLoss(weight=torch.ones(3)).state_dict())
    x, y = glassnet.randn(4, 3), glassnet.tensor([0, 1, 2, 1])
    expected = F.cross_entropy(x, y, weight=crit.weight, ignore_index=2, label_smoothing=0.1)
    assert crit(x, y).item() == expected.item()


def test_nll_loss_module_matches_torch():
    x = rng_for(3).normal(size=(6, 4)).astype(np.float32)
    y = Const(rng_for(4).integers(0, 4, size=6))
    fn = lambda lib, x, y: lib.nn.NLLLoss()(lib.nn.LogSoftmax(dim=1)(x), y)  # noqa: E731
    assert_same_as_torch(fn, [x, y])


def test_float_class_labels_are_a_runtime_error_naming_the_dtype_and_the_fix():
    with pytest.raises(RuntimeError, match=r"Long or Byte, but got glassnet.float32.*target.long\(\)"):
        F.cross_entropy(glassnet.zeros(4, 3), glassnet.tensor([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(RuntimeError, match=r"but got glassnet.int32.*\.long\(\)"):
        nn.NLLLoss()(glassnet.zeros(4, 3), glassnet.tensor([0, 1, 2, 1]).int())
    with pytest.raises(RuntimeError, match="Expected floating point type for target with class probabilities"):
        F.cross_entropy(glassnet.zeros(4, 3), glassnet.zeros(4, 3, dtype=glassnet.int64))


def test_cross_entropy_shape_and_range_errors_are_torchs():
    with pytest.raises(ValueError, match=r"Expected input batch_size \(4\) to match target batch_size \(3\)"):
        F.cross_entropy(glassnet.zeros(4, 3), glassnet.tensor([0, 1, 1]))
    with pytest.raises(IndexError, match="Target 5 is out of bounds"):
        F.cross_entropy(glassnet.zeros(4, 3), glassnet.tensor([0, 1, 5, 1]))
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
        F.cross_entropy(glassnet.zeros(2, 3), glassnet.full((2, 3), 1 / 3), ignore_index=1)
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(glassnet.zeros(2, 3), glassnet.tensor([0, 1]), label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 3 classes"):
        F.cross_entropy(glassnet.zeros(2, 3), glassnet.tensor([0, 1]), weight=glassnet.ones(2))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.MSELoss(reduction="avg")


def test_legacy_size_average_and_reduce_map_to_reduction_with_a_warning():
    with pytest.warns(UserWarning, match="reduction='sum'"):
        crit = nn.MSELoss(size_average=False)
    assert crit.reduction == "sum"
