"""The einsum primitive against torch: values and gradients (float32 and float64, sizes drawn by
hypothesis, tolerances: einsum sums), float64 gradcheck, torch's errors, and the cached path."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import glassnet
from glassnet.autograd import gradcheck
from glassnet.ops import einsum as E

from ..conftest import TOL

torch = pytest.importorskip("torch")

# equation, shapes written with the letters b, i, j, k, h standing for drawn sizes
EQUATIONS = [
    ("bij,bjk->bik", "bij,bjk"),
    ("bhqd,bhkd->bhqk", "bhij,bhkj"),         # attention scores
    ("bhqk,bhkd->bhqd", "bhij,bhjk"),         # attention-weighted values
    ("ij,jk", "ij,jk"),                       # implicit output
    ("i,i", "i,i"),
    ("i,j->ij", "i,j"),
    ("ij->", "ij"),
    ("ij->ji", "ij"),
    ("ii->i", "ii"),                          # a diagonal
    ("ii", "ii"),                             # a trace
    ("bii->b", "bii"),
    ("...ij,...jk->...ik", "bij,jk"),         # ellipsis, broadcast over the batch
    ("...i,...i", "bhi,hi"),
    ("ij,jk,kh->ih", "ij,jk,kh"),             # three operands: a contraction path
    ("bi,bj,bk->ijk", "bi,bj,bk"),
    ("ij,ij,ij->i", "ij,ij,ij"),
    ("b i j , b j k -> b i k", "bij,bjk"),    # spaces
    ("bij,bjk->bik", "bij,1jk"),              # a size-1 label broadcast
]


def _shapes(spec, sizes):
    return [tuple(1 if c == "1" else sizes[c] for c in term) for term in spec.split(",")]


@pytest.mark.parametrize("equation,spec", EQUATIONS, ids=[e for e, _ in EQUATIONS])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@given(sizes=st.fixed_dictionaries({c: st.integers(1, 4) for c in "bhijk"}))
def test_einsum_matches_torch(equation, spec, dtype, sizes):
    shapes = _shapes(spec, sizes)
    rng = np.random.default_rng(len(equation) + sum(sizes.values()))
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    xs = [glassnet.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, ty = glassnet.einsum(equation, *xs), torch.einsum(equation, *ts)
    rtol, atol = TOL[dtype]
    assert tuple(y.shape) == tuple(ty.shape) and y.dtype.name == str(ty.dtype).split(".")[1]
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=rtol * 10, atol=atol * 10)
    w = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    (y * glassnet.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    for x, t in zip(xs, ts):
        assert x.grad.shape == t.grad.shape
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol * 10, atol=atol * 10)


@pytest.mark.parametrize("equation,spec", EQUATIONS, ids=[e for e, _ in EQUATIONS])
def test_einsum_gradcheck(equation, spec):
    shapes = _shapes(spec, {"b": 2, "h": 2, "i": 3, "j": 3, "k": 2})
    xs = [glassnet.randn(*s, dtype=glassnet.float64, requires_grad=True) for s in shapes]
    assert gradcheck(lambda *t: glassnet.einsum(equation, *t), xs)


def test_einsum_spellings_and_integers():
    a, b = glassnet.randn(2, 3, 4), glassnet.randn(2, 4, 5)
    assert glassnet.equal(glassnet.einsum("bij,bjk->bik", [a, b]), glassnet.einsum("bij,bjk->bik", a, b))
    assert glassnet.allclose(glassnet.einsum("bij,bjk->bik", a, b), glassnet.bmm(a, b), atol=1e-6)
    n = glassnet.einsum("i,i", glassnet.arange(3), glassnet.arange(3))
    assert n.dtype == glassnet.int64 and n.item() == 5


@pytest.mark.parametrize("call", [
    lambda lib: lib.einsum("bij,bjk->bik", lib.ones(2, 3, 4), lib.ones(2, 5, 5)),   # j: 4 vs 5
    lambda lib: lib.einsum("bij,bjk->bik", lib.ones(2, 3, 4)),                      # too few operands
    lambda lib: lib.einsum("ij", lib.ones(2, 3), lib.ones(3)),                      # too many
    lambda lib: lib.einsum("ij,jk->ik", lib.ones(2, 3), lib.ones(3, 2, dtype=lib.float64)),
    lambda lib: lib.einsum("ijk", lib.ones(2, 3)),                                  # rank
    lambda lib: lib.einsum("ij->iz", lib.ones(2, 3)),                               # unknown output
    lambda lib: lib.einsum("ij->ii", lib.ones(2, 3)),                               # repeated output
])
def test_einsum_errors_are_torchs(call):
    with pytest.raises(RuntimeError) as expected:
        call(torch)
    with pytest.raises(RuntimeError) as got:
        call(glassnet)
    if "size" in str(expected.value) or "operands" in str(expected.value) or "scalar type" in str(expected.value):
        assert str(got.value) == str(expected.value)


def test_the_contraction_path_is_computed_once_per_equation_and_shapes():
    E._PATHS.clear()
    a, b, c = glassnet.randn(2, 3), glassnet.randn(3, 4), glassnet.randn(4, 5)
    for _ in range(3):
        glassnet.einsum("ij,jk,kl->il", a, b, c)
    assert len(E._PATHS) == 1
    glassnet.einsum("ij,jk,kl->il", a, b, glassnet.randn(4, 6))
    assert len(E._PATHS) == 2
