"""The tensor ops sequence programs use, against torch: bmm/baddbmm, repeat_interleave,
index_select, scatter/scatter_add, roll, flip, contiguous and view's stride rule, histc/histogram,
and in-place writes on tensors inside the graph (makemore part 4).  Pure data movement is compared
exactly; products with a tolerance."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import glassnet

from ..conftest import TOL

torch = pytest.importorskip("torch")

DTYPES = ["float32", "float64"]


def _pair(a, grad=True):
    return glassnet.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad)


def _backward(y, ty, seed=0):
    w = np.random.default_rng(seed).standard_normal(tuple(ty.shape)).astype(str(ty.dtype).split(".")[1])
    (y * glassnet.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()


def _same(x, t, exact=True, dtype="float32"):
    if exact:
        np.testing.assert_array_equal(x.detach().numpy(), t.detach().numpy())
    else:
        rtol, atol = TOL[dtype]
        np.testing.assert_allclose(x.detach().numpy(), t.detach().numpy(), rtol=rtol * 10, atol=atol * 10)


# -- bmm, baddbmm ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@given(b=st.integers(1, 3), n=st.integers(1, 4), m=st.integers(1, 4), p=st.integers(1, 4),
       beta=st.sampled_from([0.0, 1.0, 0.5]), alpha=st.sampled_from([1.0, -2.0]))
def test_bmm_and_baddbmm_match_torch(dtype, b, n, m, p, beta, alpha):
    rng = np.random.default_rng(b * 100 + n * 10 + m)
    (x, tx), (y, ty) = (_pair(rng.standard_normal(s).astype(dtype)) for s in ((b, n, m), (b, m, p)))
    c, tc = _pair(rng.standard_normal((n, p)).astype(dtype))
    out, tout = glassnet.bmm(x, y), torch.bmm(tx, ty)
    _same(out, tout, False, dtype)
    _same(x.bmm(y), tx.bmm(ty), False, dtype)
    out2, tout2 = glassnet.baddbmm(c, x, y, beta=beta, alpha=alpha), torch.baddbmm(tc, tx, ty, beta=beta, alpha=alpha)
    _same(out2, tout2, False, dtype)
    _backward(out + out2, tout + tout2)
    for g, t in ((x, tx), (y, ty), (c, tc)):
        if g.grad is None:  # beta = 0: torch ignores input and gives it a zero gradient
            assert not t.grad.numpy().any()
        else:
            _same(g.grad, t.grad, False, dtype)


# -- repeat_interleave, index_select ---------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), r=st.integers(0, 3),
       use_dim=st.booleans(), data=st.data())
def test_repeat_interleave_matches_torch(dtype, shape, r, use_dim, data):
    a = np.random.default_rng(sum(shape)).standard_normal(shape).astype(dtype)
    (x, tx) = _pair(a)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1)) if use_dim else None
    if data.draw(st.booleans()) and dim is not None:
        counts = data.draw(st.lists(st.integers(0, 3), min_size=shape[dim], max_size=shape[dim]))
        reps, treps = glassnet.tensor(counts), torch.tensor(counts)
    else:
        reps = treps = r
    y, ty = x.repeat_interleave(reps, dim=dim), tx.repeat_interleave(treps, dim=dim)
    _same(y, ty)
    _backward(y, ty)
    _same(x.grad, tx.grad, False, dtype)


def test_repeat_interleave_forms():
    counts = glassnet.tensor([1, 0, 3])
    assert glassnet.repeat_interleave(counts).tolist() == torch.repeat_interleave(torch.tensor([1, 0, 3])).tolist()
    k = glassnet.arange(2 * 2 * 3 * 4.0).view(2, 2, 3, 4)           # (B, n_kv_heads, T, hs)
    tk = torch.arange(2 * 2 * 3 * 4.0).view(2, 2, 3, 4)
    _same(glassnet.repeat_interleave(k, 3, dim=1, output_size=6), torch.repeat_interleave(tk, 3, dim=1, output_size=6))


@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data())
def test_index_select_matches_torch(dtype, shape, data):
    a = np.random.default_rng(sum(shape)).standard_normal(shape).astype(dtype)
    x, tx = _pair(a)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    idx = data.draw(st.lists(st.integers(0, shape[dim] - 1), min_size=0, max_size=5))
    y, ty = x.index_select(dim, glassnet.tensor(idx, dtype=glassnet.int64)), \
        tx.index_select(dim, torch.tensor(idx, dtype=torch.int64))
    _same(y, ty)
    _same(glassnet.index_select(x, dim, glassnet.tensor(idx, dtype=glassnet.int64)), ty)
    _backward(y, ty)
    _same(x.grad, tx.grad, False, dtype)


# -- scatter, scatter_add ---------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@given(rows=st.integers(1, 4), cols=st.integers(1, 4), dim=st.sampled_from([0, 1, -1]), data=st.data())
def test_scatter_add_matches_torch(dtype, rows, cols, dim, data):
    rng = np.random.default_rng(rows * 10 + cols)
    x, tx = _pair(rng.standard_normal((rows, cols)).astype(dtype))
    src_shape = (rows + 1, cols + 1)
    s, ts = _pair(rng.standard_normal(src_shape).astype(dtype))
    ishape = (data.draw(st.integers(0, rows if dim == 0 else rows)), data.draw(st.integers(0, cols)))
    size = x.shape[dim]
    if dim == 0:
        ishape = (data.draw(st.integers(0, rows + 1)), ishape[1])
    else:
        ishape = (ishape[0], data.draw(st.integers(0, cols + 1)))
    idx = rng.integers(0, size, ishape)
    # src sliced to the index's shape: torch's backward fails for a larger src (its gradient is
    # gathered to the index's shape); glassnet gives the rest of a larger src a zero gradient
    part = (slice(0, ishape[0]), slice(0, ishape[1]))
    y, ty = x.scatter_add(dim, glassnet.tensor(idx), s[part]), tx.scatter_add(dim, torch.tensor(idx), ts[part])
    _same(y, ty, False, dtype)
    _backward(y, ty)
    _same(x.grad, tx.grad)
    _same(s.grad, ts.grad)


@pytest.mark.parametrize("dtype", DTYPES)
@given(rows=st.integers(1, 4), cols=st.integers(1, 4), value=st.booleans())
def test_scatter_matches_torch(dtype, rows, cols, value):
    rng = np.random.default_rng(rows * 10 + cols)
    x, tx = _pair(rng.standard_normal((rows, cols)).astype(dtype))
    s, ts = _pair(rng.standard_normal((rows, cols)).astype(dtype))
    # a permutation per row: no index repeats, so which write survives is defined
    idx = np.argsort(rng.standard_normal((rows, cols)), axis=1)[:, : max(cols - 1, 1)]
    if value:
        y, ty = x.scatter(1, glassnet.tensor(idx), 2.5), tx.scatter(1, torch.tensor(idx), 2.5)
    else:
        part = (slice(None), slice(0, idx.shape[1]))
        y, ty = x.scatter(1, glassnet.tensor(idx), s[part]), tx.scatter(1, torch.tensor(idx), ts[part])
    _same(y, ty)
    _backward(y, ty)
    _same(x.grad, tx.grad)
    if not value:
        _same(s.grad, ts.grad)


def test_scatter_in_place_and_a_token_histogram():
    ids = [3, 1, 3, 0, 3, 1]
    counts = glassnet.zeros(5).scatter_add_(0, glassnet.tensor(ids), glassnet.ones(6))
    assert counts.tolist() == torch.zeros(5).scatter_add_(0, torch.tensor(ids), torch.ones(6)).tolist()
    z = glassnet.zeros(2, 3).scatter_(1, glassnet.tensor([[2], [0]]), 7.0)
    assert z.tolist() == torch.zeros(2, 3).scatter_(1, torch.tensor([[2], [0]]), 7.0).tolist()
    # in place on a tensor in the graph: the gradient flows as torch's does
    a, ta = _pair(np.arange(6.0).reshape(2, 3))
    b, tb = a * 2, ta * 2
    b.scatter_add_(1, glassnet.tensor([[0, 0]]), a[:1, :2] * 3)
    tb.scatter_add_(1, torch.tensor([[0, 0]]), ta[:1, :2] * 3)
    _same(b, tb)
    _backward(b, tb)
    _same(a.grad, ta.grad)


# -- roll, flip ------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data())
def test_roll_and_flip_match_torch(dtype, shape, data):
    a = np.random.default_rng(sum(shape)).standard_normal(shape).astype(dtype)
    x, tx = _pair(a)
    n = len(shape)
    dims = data.draw(st.lists(st.integers(-n, n - 1), max_size=n, unique_by=lambda d: d % n))
    shifts = data.draw(st.lists(st.integers(-5, 5), min_size=len(dims), max_size=len(dims)))
    if dims:
        y, ty = x.roll(tuple(shifts), tuple(dims)), tx.roll(tuple(shifts), tuple(dims))
    else:
        y, ty = glassnet.roll(x, 2), torch.roll(tx, 2)
    _same(y, ty)
    f, tf = x.flip(dims), tx.flip(dims)
    _same(f, tf)
    assert f.is_contiguous() and tf.is_contiguous()
    _backward(y * 2 + f, ty * 2 + tf)
    _same(x.grad, tx.grad)


def test_fliplr_flipud():
    a = np.arange(12.0).reshape(3, 4)
    for name in ("fliplr", "flipud"):
        _same(getattr(glassnet, name)(glassnet.tensor(a)), getattr(torch, name)(torch.tensor(a)))
        _same(getattr(glassnet.tensor(a), name)(), getattr(torch.tensor(a), name)())


# -- histc, histogram ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@given(values=st.lists(st.integers(-20, 20), min_size=0, max_size=12), bins=st.integers(1, 7),
       bounds=st.sampled_from([(0, 0), (-5, 5), (0, 3), (2, 2)]))
def test_histc_matches_torch(dtype, values, bins, bounds):
    a = (np.array(values, dtype=dtype) / 4)
    h = glassnet.histc(glassnet.tensor(a), bins=bins, min=bounds[0], max=bounds[1])
    th = torch.histc(torch.tensor(a), bins=bins, min=bounds[0], max=bounds[1])
    _same(h, th)
    assert h.dtype.name == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@given(values=st.lists(st.integers(-20, 20), min_size=1, max_size=12), bins=st.integers(1, 7),
       weighted=st.booleans(), density=st.booleans(), ranged=st.booleans())
def test_histogram_matches_torch(dtype, values, bins, weighted, density, ranged):
    a = np.array(values, dtype=dtype) / 4
    w = np.linspace(0.5, 2, len(values)).astype(dtype)
    kw = dict(range=(-3.0, 4.0) if ranged else None, density=density)
    h, e = glassnet.histogram(glassnet.tensor(a), bins, weight=glassnet.tensor(w) if weighted else None, **kw)
    th, te = torch.histogram(torch.tensor(a), bins, weight=torch.tensor(w) if weighted else None, **kw)
    np.testing.assert_allclose(e.numpy(), te.numpy(), rtol=1e-6, atol=1e-6)  # torch's linspace: ±1 ulp
    if np.isclose(a[:, None], te.numpy()[None, 1:-1], rtol=0, atol=1e-4).any():
        # a value on an inner edge computed in float32 (±1 ulp) may land in either bin: only the
        # totals are then fixed
        np.testing.assert_allclose(np.sum(h.numpy() * np.diff(e.numpy()) if density else h.numpy()),
                                   np.sum(th.numpy() * np.diff(te.numpy()) if density else th.numpy()),
                                   rtol=1e-5)
    else:
        np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-5)
    edges = [-1.0, 0.0, 0.5, 3.0]
    h2, _ = glassnet.tensor(a).histogram(glassnet.tensor(edges, dtype=getattr(glassnet, dtype)))
    th2, _ = torch.tensor(a).histogram(torch.tensor(edges, dtype=getattr(torch, dtype)))
    _same(h2, th2)


def test_histograms_have_no_gradient():
    x = glassnet.tensor([1.0, 2.0, 1.0], requires_grad=True)
    assert not glassnet.histc(x, bins=3).requires_grad
    assert not glassnet.histogram(x, 3).hist.requires_grad


# -- contiguous and view's stride rule -----------------------------------------------------------
def _layouts(lib):
    """Tensors reached by transpose, permute, slicing, expand and elementwise ops, each with a
    list of shapes to view it as."""
    a = lib.arange(24.0).reshape(2, 3, 4)
    return [
        (a, [(24,), (6, 4), (2, 12), (4, 3, 2)]),
        (a.transpose(0, 1), [(24,), (6, 4), (3, 8), (3, 2, 4), (3, 2, 2, 2)]),
        (a.transpose(1, 2), [(24,), (2, 12), (8, 3), (2, 4, 3), (1, 2, 4, 3, 1)]),
        (a.permute(2, 0, 1), [(24,), (4, 6), (8, 3), (4, 2, 3)]),
        (a.permute(1, 2, 0), [(12, 2), (3, 8), (24,)]),
        (a[:, 1:, :], [(16,), (2, 8), (4, 4), (2, 2, 4)]),
        (a[:, :, ::2], [(12,), (6, 2), (2, 6)]),
        (a[:, :2, :2], [(8,), (2, 4), (4, 2)]),
        (a[:, 0], [(8,), (2, 4), (4, 2)]),
        (a.unsqueeze(1).transpose(1, 2), [(2, 3, 4), (24,), (6, 4), (2, 1, 12)]),
        (a[0].t(), [(12,), (4, 3), (2, 2, 3)]),
        (a[0].t() * 2, [(12,), (4, 3)]),
        (a.transpose(1, 2) + 1, [(24,), (2, 12), (8, 3)]),
        (a[:1].transpose(0, 1), [(3, 4), (12,)]),
        (lib.ones(3, 1).expand(3, 4), [(12,), (3, 4), (3, 2, 2)]),
        (lib.ones(1, 4).expand(3, 4), [(12,), (3, 2, 2), (3, 4)]),
        (a.transpose(0, 1).contiguous(), [(24,), (6, 4)]),
        (a.transpose(1, 2).reshape(2, 12), [(24,), (6, 4)]),
    ]


def test_view_raises_exactly_where_torch_does():
    checked = 0
    for (g, shapes), (t, _) in zip(_layouts(glassnet), _layouts(torch)):
        assert g.is_contiguous() == t.is_contiguous(), tuple(t.shape)
        for shape in shapes + [(-1,), (g.shape[0], -1)]:
            try:
                expected = t.view(shape)
            except RuntimeError as err:
                assert "view size is not compatible" in str(err)
                with pytest.raises(RuntimeError) as got:
                    g.view(shape)
                assert str(got.value) == str(err)
            else:
                np.testing.assert_array_equal(g.view(shape).numpy(), expected.numpy())
            checked += 1
    assert checked > 60


def test_contiguous_makes_view_work_and_passes_the_gradient():
    x, tx = _pair(np.arange(12.0).reshape(3, 4))
    with pytest.raises(RuntimeError, match="Use .reshape"):
        x.t().view(12)
    y, ty = x.t().contiguous().view(12), tx.t().contiguous().view(12)
    _same(y, ty)
    _backward(y, ty)
    _same(x.grad, tx.grad)
    c = glassnet.ones(2, 2)
    assert c.contiguous() is c


# -- in-place writes on tensors in the graph (makemore part 4) --------------------------------------
def test_in_place_write_on_a_graph_tensor_matches_torch():
    a = np.linspace(-1, 1, 12).reshape(3, 4)
    x, tx = _pair(a)
    outs = []
    for lib, t in ((glassnet, x), (torch, tx)):
        p = t * 2.0 + 1.0                 # (softmax here: torch would refuse, it saved its output)
        before = p.sum(0)                 # used before the write: its gradient ignores the write
        p[range(3), lib.tensor([0, 3, 1])] -= 1
        p /= 3
        p[0, 0] = t[1, 1] * 2
        outs.append((before * lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=t.dtype)).sum() + (p * p).sum())
    _same(outs[0], outs[1], False, "float64")
    outs[0].backward()
    outs[1].backward()
    _same(x.grad, tx.grad, False, "float64")


def test_in_place_write_keeps_retained_grad_and_refuses_leaves():
    x = glassnet.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x[0, 0] = 3.0
    y = x * 3
    y.retain_grad()
    y[0] = 0.0
    (y * 2).sum().backward()
    assert y.grad.tolist() == [[2.0, 2.0], [2.0, 2.0]]
    assert x.grad.tolist() == [[0.0, 0.0], [6.0, 6.0]]


# -- torch's exception types for impossible arguments ------------------------------------------------
ERRORS = [
    lambda lib: lib.bmm(lib.ones(2, 3), lib.ones(2, 3, 4)),
    lambda lib: lib.bmm(lib.ones(2, 3, 4), lib.ones(1, 4, 5)),
    lambda lib: lib.bmm(lib.ones(2, 3, 4), lib.ones(2, 4, 5, dtype=lib.float64)),
    lambda lib: lib.baddbmm(lib.ones(3, 6), lib.ones(2, 3, 4), lib.ones(2, 4, 5)),
    lambda lib: lib.ones(2, 3).repeat_interleave(-1),
    lambda lib: lib.ones(2, 3).repeat_interleave(lib.tensor([1, 2, 3]), dim=0),
    lambda lib: lib.ones(2, 3).repeat_interleave(lib.tensor([1, -2]), dim=0),
    lambda lib: lib.ones(2, 3).repeat_interleave(lib.tensor([[1, 2]]), dim=0),
    lambda lib: lib.ones(2, 3).repeat_interleave(lib.tensor([1.0, 2.0]), dim=0),
    lambda lib: lib.ones(2, 3).repeat_interleave(2, dim=5),
    lambda lib: lib.ones(2, 3).index_select(1, lib.tensor([0.0])),
    lambda lib: lib.ones(2, 3).index_select(1, lib.tensor([[0]])),
    lambda lib: lib.ones(2, 3).index_select(1, lib.tensor([3])),
    lambda lib: lib.ones(2, 3).index_select(2, lib.tensor([0])),
    lambda lib: lib.zeros(3, 3).scatter(0, lib.tensor([[0]]), lib.ones(1, 1, dtype=lib.float64)),
    lambda lib: lib.zeros(3, 3).scatter(0, lib.tensor([[0.0]]), lib.ones(1, 1)),
    lambda lib: lib.zeros(3, 3).scatter(0, lib.tensor([[3]]), lib.ones(1, 1)),
    lambda lib: lib.zeros(3, 3).scatter(0, lib.tensor([[0, 0, 0, 0]]), lib.ones(2, 3)),
    lambda lib: lib.zeros(3, 3).scatter(0, lib.tensor([0]), lib.ones(2, 3)),
    lambda lib: lib.zeros(3, 3).scatter_add(0, lib.tensor([[0]]), 1.0),
    lambda lib: lib.zeros(3, 3).scatter_add(1, lib.tensor([[0, -1]]), lib.ones(1, 3)),
    lambda lib: lib.ones(2, 3).roll((1, 2), (0,)),
    lambda lib: lib.ones(2, 3).roll(1, 3),
    lambda lib: lib.ones(2, 3).flip((0, 0)),
    lambda lib: lib.ones(2, 3).flip(2),
    lambda lib: lib.ones(3).fliplr(),
    lambda lib: lib.histc(lib.tensor([1.0, 2.0]), bins=4, min=3, max=0),
    lambda lib: lib.histc(lib.tensor([1, 2]), bins=4),
    lambda lib: lib.histc(lib.tensor([1.0, 2.0]), bins=0),
    lambda lib: lib.histc(lib.tensor([1.0, float("inf")]), bins=4),
    lambda lib: lib.histogram(lib.tensor([1, 2]), bins=4),
    lambda lib: lib.ones(2, 3).t().view(6),
    lambda lib: lib.ones(2, 3).view(7),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors_have_torchs_types(k):
    with pytest.raises(Exception) as expected:
        ERRORS[k](torch)
    with pytest.raises(Exception) as got:
        ERRORS[k](glassnet)
    assert type(got.value) is type(expected.value), (got.value, expected.value)
