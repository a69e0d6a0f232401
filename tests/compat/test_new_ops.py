"""Every op added for torch compatibility: values and gradients against torch (float64 and
float32, tolerances from tests.conftest.TOL), and a float64 finite-difference gradcheck."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import glassnet
from tests.nn.helpers import Const, assert_same_as_torch

torch = pytest.importorskip("torch")


def F(lib):
    return lib.nn.functional


IDX = np.array([[0, 2, 4], [1, 1, 3]])

# name: (fn(lib, *tensors), input factory(rng, dtype))
OPS = {
    "embedding": (lambda lib, w: F(lib).embedding(lib.tensor(IDX), w), lambda r, d: [r.normal(size=(5, 3)).astype(d)]),
    "embedding_padding": (lambda lib, w: F(lib).embedding(lib.tensor(IDX), w, padding_idx=1),
                          lambda r, d: [r.normal(size=(5, 3)).astype(d)]),
    "index_batch_C[X]": (lambda lib, c: c[lib.tensor(IDX)].reshape(2, -1), lambda r, d: [r.normal(size=(5, 2)).astype(d)]),
    "layer_norm": (lambda lib, x, w, b: F(lib).layer_norm(x, (4,), w, b),
                   lambda r, d: [r.normal(size=(3, 4)).astype(d), r.normal(size=4).astype(d), r.normal(size=4).astype(d)]),
    "layer_norm_2d": (lambda lib, x: F(lib).layer_norm(x, (2, 3)), lambda r, d: [r.normal(size=(2, 2, 3)).astype(d)]),
    "batch_norm_train": (lambda lib, x, w, b: F(lib).batch_norm(x, None, None, w, b, training=True),
                         lambda r, d: [r.normal(size=(5, 3)).astype(d), r.normal(size=3).astype(d), r.normal(size=3).astype(d)]),
    "batch_norm_3d": (lambda lib, x: F(lib).batch_norm(x, None, None, training=True), lambda r, d: [r.normal(size=(4, 2, 3)).astype(d)]),
    "batch_norm_eval": (lambda lib, x: F(lib).batch_norm(x, lib.tensor([0.5, -1.0]).to(x.dtype), lib.tensor([2.0, 0.5]).to(x.dtype)),
                        lambda r, d: [r.normal(size=(3, 2)).astype(d)]),
    "smooth_l1": (lambda lib, x, y: F(lib).smooth_l1_loss(x, y), lambda r, d: [r.normal(size=(4, 3)).astype(d) * 2, r.normal(size=(4, 3)).astype(d)]),
    "smooth_l1_beta": (lambda lib, x, y: F(lib).smooth_l1_loss(x, y, reduction="none", beta=0.3),
                       lambda r, d: [r.normal(size=7).astype(d), r.normal(size=7).astype(d)]),
    "smooth_l1_beta0": (lambda lib, x, y: F(lib).smooth_l1_loss(x, y, reduction="sum", beta=0.0),
                        lambda r, d: [r.normal(size=7).astype(d), r.normal(size=7).astype(d)]),
    "huber": (lambda lib, x, y: F(lib).huber_loss(x, y, delta=0.7), lambda r, d: [r.normal(size=(4, 3)).astype(d) * 2, r.normal(size=(4, 3)).astype(d)]),
    "huber_sum": (lambda lib, x, y: F(lib).huber_loss(x, y, reduction="sum", delta=1.5),
                  lambda r, d: [r.normal(size=6).astype(d) * 3, r.normal(size=6).astype(d)]),
    "softmax_dim0": (lambda lib, x: F(lib).softmax(x, dim=0), lambda r, d: [r.normal(size=(3, 4, 2)).astype(d)]),
    "softmax_dim1": (lambda lib, x: F(lib).softmax(x, dim=1), lambda r, d: [r.normal(size=(3, 4, 2)).astype(d)]),
    "log_softmax_dim0": (lambda lib, x: F(lib).log_softmax(x, dim=0), lambda r, d: [r.normal(size=(3, 4, 2)).astype(d)]),
    "log_softmax_dim-2": (lambda lib, x: x.log_softmax(-2), lambda r, d: [r.normal(size=(3, 4, 2)).astype(d)]),
    "hstack": (lambda lib, a, b: lib.hstack([a, b]), lambda r, d: [r.normal(size=(2, 3)).astype(d), r.normal(size=(2, 1)).astype(d)]),
    "vstack": (lambda lib, a, b: lib.vstack([a, b]), lambda r, d: [r.normal(size=3).astype(d), r.normal(size=(2, 3)).astype(d)]),
    "column_stack": (lambda lib, a, b: lib.column_stack([a, b]), lambda r, d: [r.normal(size=3).astype(d), r.normal(size=(3, 2)).astype(d)]),
    "dstack": (lambda lib, a, b: lib.dstack([a, b]), lambda r, d: [r.normal(size=(2, 3)).astype(d), r.normal(size=(2, 3)).astype(d)]),
    "cat_neg_dim": (lambda lib, a, b: lib.cat([a, b], dim=-1), lambda r, d: [r.normal(size=(2, 3)).astype(d), r.normal(size=(2, 1)).astype(d)]),
    "stack_neg_dim": (lambda lib, a, b: lib.stack([a, b], dim=-1), lambda r, d: [r.normal(size=(2, 3)).astype(d), r.normal(size=(2, 3)).astype(d)]),
    "maximum_ab": (lambda lib, a, b: lib.max(a, b), lambda r, d: [r.normal(size=(3, 2)).astype(d), r.normal(size=(3, 2)).astype(d)]),
    "minimum_ab": (lambda lib, a, b: lib.minimum(a, b), lambda r, d: [r.normal(size=(3, 2)).astype(d), r.normal(size=(3, 2)).astype(d)]),
    "gather": (lambda lib, a: a.gather(1, lib.tensor([[0, 0, 2], [1, 2, 1]])), lambda r, d: [r.normal(size=(2, 3)).astype(d)]),
    "sort": (lambda lib, a: a.sort(dim=1, descending=True).values, lambda r, d: [r.normal(size=(3, 4)).astype(d)]),
    "topk": (lambda lib, a: a.topk(2, dim=0).values, lambda r, d: [r.normal(size=(4, 3)).astype(d)]),
    "cumsum": (lambda lib, a: a.cumsum(dim=1), lambda r, d: [r.normal(size=(3, 4)).astype(d)]),
    "cumsum_1d": (lambda lib, a: a.cumsum(0), lambda r, d: [r.normal(size=5).astype(d)]),
    "prod": (lambda lib, a: a.prod(1), lambda r, d: [r.normal(size=(3, 4)).astype(d)]),
    "prod_all": (lambda lib, a: a.prod(), lambda r, d: [r.normal(size=(2, 3)).astype(d)]),
    "logsumexp": (lambda lib, a: a.logsumexp(dim=1), lambda r, d: [r.normal(size=(3, 4)).astype(d) * 3]),
    "norm": (lambda lib, a: a.norm(), lambda r, d: [r.normal(size=(3, 4)).astype(d)]),
    "norm_dim": (lambda lib, a: a.norm(dim=1), lambda r, d: [r.normal(size=(3, 4)).astype(d)]),
    "masked_fill": (lambda lib, a: a.masked_fill(a > 0.2, -1.0) * 2, lambda r, d: [r.normal(size=(3, 4)).astype(d)]),
    "remainder": (lambda lib, a: a % 0.7, lambda r, d: [r.normal(size=(3, 4)).astype(d) * 3]),
    "floor_sum": (lambda lib, a: a.floor() + a * 2, lambda r, d: [r.normal(size=5).astype(d) * 3]),
    "round": (lambda lib, a: a.round() + a.ceil() + a.trunc() + a, lambda r, d: [r.normal(size=5).astype(d) * 3]),
    "var_correction": (lambda lib, a: a.var(dim=1, correction=0), lambda r, d: [r.normal(size=(3, 4)).astype(d)]),
    "std_unbiased": (lambda lib, a: a.std(0, True, True), lambda r, d: [r.normal(size=(3, 4)).astype(d)]),
    "split": (lambda lib, a: lib.cat([p * (i + 1) for i, p in enumerate(lib.split(a, [1, 3], dim=1))], 1),
              lambda r, d: [r.normal(size=(2, 4)).astype(d)]),
    "chunk": (lambda lib, a: lib.stack([p.sum() for p in a.chunk(3, 0)]), lambda r, d: [r.normal(size=(7, 2)).astype(d)]),
    "unbind": (lambda lib, a: lib.stack([p * (i + 1) for i, p in enumerate(a.unbind(1))], 0), lambda r, d: [r.normal(size=(2, 3)).astype(d)]),
    "square_rsqrt": (lambda lib, a: a.square() + a.abs().rsqrt() + a.reciprocal(), lambda r, d: [r.normal(size=5).astype(d) + 3]),
    "log1p": (lambda lib, a: a.log1p(), lambda r, d: [r.uniform(0.1, 2, size=5).astype(d)]),
    "mm_out_dtype": (lambda lib, a, b: lib.mm(a, b), lambda r, d: [r.normal(size=(2, 3)).astype(d), r.normal(size=(3, 2)).astype(d)]),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_value_and_gradient_match_torch(name, dtype):
    fn, make = OPS[name]
    assert_same_as_torch(fn, make(np.random.default_rng(len(name)), dtype))


@pytest.mark.parametrize("name", sorted(set(OPS) - {"embedding_padding"}))  # (its padding row gets no
def test_float64_gradcheck(name):                                            # gradient, by design)
    fn, make = OPS[name]
    if name in ("remainder",):  # discontinuous: check away from the jumps only
        make = lambda r, d: [np.array([0.3, 1.1, -0.2, 2.45])]  # noqa: E731
    inputs = [glassnet.tensor(a, dtype=glassnet.float64, requires_grad=True) for a in make(np.random.default_rng(1), "float64")]
    assert glassnet.autograd.gradcheck(lambda *xs: fn(glassnet, *xs), inputs)


@given(rows=st.integers(1, 5), cols=st.integers(2, 5), dim=st.integers(-2, 1))
def test_softmax_on_any_dim_and_shape_matches_torch(rows, cols, dim):
    x = np.random.default_rng(rows * 7 + cols).normal(size=(rows, cols))
    assert_same_as_torch(lambda lib, t: F(lib).softmax(t, dim=dim) * lib.arange(cols, dtype=t.dtype), [x])


@given(n=st.integers(1, 6), k=st.integers(1, 4))
def test_integer_tensor_indexing_matches_torch(n, k):
    idx = np.random.default_rng(n * k).integers(0, n, size=(k, 2))
    table = np.random.default_rng(n).normal(size=(n, 3))
    assert_same_as_torch(lambda lib, c: c[lib.tensor(idx)] * 2, [table])


def test_one_hot_matches_torch_and_checks_its_input():
    x = np.array([[0, 3], [2, 1]])
    assert glassnet.nn.functional.one_hot(glassnet.tensor(x), 5).tolist() == \
        torch.nn.functional.one_hot(torch.tensor(x), 5).tolist()
    assert glassnet.nn.functional.one_hot(glassnet.tensor([2, 0])).dtype == glassnet.int64
    with pytest.raises(RuntimeError, match="LongTensor"):
        glassnet.nn.functional.one_hot(glassnet.tensor([0.0]))
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        glassnet.nn.functional.one_hot(glassnet.tensor([3]), 3)


def _copy_module(gmod, tmod):
    gmod.load_state_dict({k: glassnet.tensor(v.detach().numpy()) for k, v in tmod.state_dict().items()})


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.Embedding(7, 4, padding_idx=2), lambda lib: lib.nn.LayerNorm(4),
    lambda lib: lib.nn.LayerNorm([3, 4], bias=False), lambda lib: lib.nn.BatchNorm1d(3),
    lambda lib: lib.nn.BatchNorm1d(4, momentum=None, affine=False),
    lambda lib: lib.nn.SmoothL1Loss(beta=0.5), lambda lib: lib.nn.HuberLoss(delta=0.3),
], ids=["Embedding", "LayerNorm", "LayerNorm2d", "BatchNorm1d", "BatchNorm1d_cma", "SmoothL1", "Huber"])
def test_modules_match_torch_in_state_dict_repr_and_output(make):
    torch.manual_seed(0)
    tmod, gmod = make(torch).double(), make(glassnet).double()
    assert list(tmod.state_dict()) == list(gmod.state_dict())
    assert repr(tmod) == repr(gmod)
    _copy_module(gmod, tmod)
    rng = np.random.default_rng(0)
    name = type(tmod).__name__
    if name == "Embedding":
        args = [np.array([[0, 2, 6], [2, 3, 1]])]
    elif "Loss" in name:
        args = [rng.normal(size=(3, 4)) * 2, rng.normal(size=(3, 4))]
    elif name == "LayerNorm":
        args = [rng.normal(size=(2, 3, 4))]
    else:
        args = [rng.normal(size=(5, tmod.num_features))]
    for step in range(3):  # BatchNorm: running statistics move, then eval uses them
        outs = []
        for lib, mod in ((torch, tmod), (glassnet, gmod)):
            xs = [lib.tensor(a) for a in args]
            if xs[0].dtype != lib.int64:
                xs[0].requires_grad_(True)
            out = mod(*xs)
            out.sum().backward()
            grads = [p.grad.numpy().copy() for p in mod.parameters() if p.grad is not None]
            outs.append((out.detach().numpy(), grads, [b.numpy().copy() for b in mod.buffers()]))
        (to, tg, tb), (go, gg, gb) = outs
        np.testing.assert_allclose(go, to, rtol=1e-9, atol=1e-12)
        for a, b in zip(gg, tg, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
        for a, b in zip(gb, tb, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
        if step == 1:
            tmod.eval(), gmod.eval()


def test_embedding_never_updates_its_padding_row():
    emb = glassnet.nn.Embedding(4, 2, padding_idx=0)
    assert emb.weight[0].tolist() == [0.0, 0.0]
    emb(glassnet.tensor([0, 1, 0])).sum().backward()
    assert emb.weight.grad[0].tolist() == [0.0, 0.0] and emb.weight.grad[1].tolist() == [1.0, 1.0]
    with pytest.raises(IndexError, match="index out of range"):
        emb(glassnet.tensor([4]))


def test_batch_norm_needs_more_than_one_value_per_channel_when_training():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        glassnet.nn.BatchNorm1d(3)(glassnet.ones(1, 3))
