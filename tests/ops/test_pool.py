"""The pooling, padding and resizing primitives (``glassnet/ops/pool.py``, ``resize.py``) agree with PyTorch:
values, gradients (float64 and float32) and max-pool indices, over shapes, kernels, strides,
paddings, dilations and ceil_mode drawn by hypothesis; float64 gradcheck of each primitive; torch's
errors for impossible shapes.  Inputs are continuous random values, so max ties have probability 0.
"""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import glassnet
import glassnet.nn.functional as F
from glassnet.autograd import gradcheck
from tests.conftest import TOL

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests (pip install torch==2.13.0)")
TF = torch.nn.functional

DTYPES = {"float64": np.float64, "float32": np.float32}


def both(g_fn, t_fn, x, seed=0):
    """Run ``g_fn`` on glassnet and ``t_fn`` on torch with the same input and upstream gradient;
    returns ((value, grad, indices) glassnet, (…) torch)."""
    results = []
    for lib, fn in ((glassnet, g_fn), (torch, t_fn)):
        xt = lib.tensor(x.copy(), requires_grad=True)
        out = fn(xt)
        idx = None
        if isinstance(out, tuple):
            out, idx = out
            idx = np.asarray(idx.numpy())
        up = np.random.default_rng(seed).uniform(-1, 1, size=tuple(out.shape)).astype(x.dtype)
        out.backward(lib.tensor(up))
        results.append((np.asarray(out.detach().numpy()), np.asarray(xt.grad.numpy()), idx))
    return results


def assert_agree(results, dtype_name):
    rtol, atol = TOL[dtype_name]
    (gv, gg, gi), (tv, tg, ti) = results
    assert gv.shape == tv.shape and gv.dtype == tv.dtype
    np.testing.assert_allclose(gv, tv, rtol=rtol, atol=atol)
    np.testing.assert_allclose(gg, tg, rtol=rtol, atol=atol * 10)
    if ti is not None:
        assert gi.dtype == np.int64
        np.testing.assert_array_equal(gi, ti)


@st.composite
def pool_cases(draw, kind):
    nd = draw(st.sampled_from([1, 2]))
    k = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    s = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    d = tuple(draw(st.integers(1, 2)) for _ in range(nd)) if kind == "max" else (1,) * nd
    eff = [dd * (kk - 1) + 1 for kk, dd in zip(k, d)]
    p = tuple(draw(st.integers(0, kk // 2)) for kk in k)  # torch's limit: half the kernel size
    sizes = tuple(draw(st.integers(max(1, e - 2 * pp), e + 6)) for e, pp in zip(eff, p))
    for n, kk, ss, pp, dd in zip(sizes, k, s, p, d):
        # a dilated window may hold padding only: torch then writes its gradient outside the plane
        # (into the next one); glassnet drops it.  Not compared here (see test_window_of_padding_only).
        for start in range(-pp, n + pp, ss):
            assume(any(0 <= start + m * dd < n for m in range(kk)) or start + (kk - 1) * dd >= n + pp)
    lead = draw(st.sampled_from([(2, 3), (1, 2), (3,)]))
    ceil_mode = draw(st.booleans())
    return nd, lead + sizes, k, s, p, d, ceil_mode


def _arg(v, nd, simple):
    return v[0] if simple and len(set(v)) == 1 else v


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
@given(case=pool_cases("max"), seed=st.integers(0, 2**16), stride_none=st.booleans())
def test_max_pool_matches_torch(dtype_name, case, seed, stride_none):
    nd, shape, k, s, p, d, ceil_mode = case
    x = np.random.default_rng(seed).standard_normal(shape).astype(DTYPES[dtype_name])
    kw = dict(kernel_size=_arg(k, nd, seed % 2), stride=None if stride_none else s, padding=p, dilation=d,
              ceil_mode=ceil_mode, return_indices=True)
    g = getattr(F, f"max_pool{nd}d")
    t = getattr(TF, f"max_pool{nd}d")
    assert_agree(both(lambda a: g(a, **kw), lambda a: t(a, **kw), x, seed), dtype_name)


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
@given(case=pool_cases("avg"), seed=st.integers(0, 2**16), include=st.booleans(),
       override=st.sampled_from([None, None, 1, 3]))
def test_avg_pool_matches_torch(dtype_name, case, seed, include, override):
    nd, shape, k, s, p, _, ceil_mode = case
    x = np.random.default_rng(seed).standard_normal(shape).astype(DTYPES[dtype_name])
    kw = dict(kernel_size=_arg(k, nd, seed % 2), stride=s, padding=p, ceil_mode=ceil_mode, count_include_pad=include)
    if nd == 2:
        kw["divisor_override"] = override
    g = getattr(F, f"avg_pool{nd}d")
    t = getattr(TF, f"avg_pool{nd}d")
    assert_agree(both(lambda a: g(a, **kw), lambda a: t(a, **kw), x, seed), dtype_name)


sizes = st.integers(1, 9)


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
@pytest.mark.parametrize("which", ["avg", "max"])
@given(h=sizes, w=sizes, oh=st.one_of(sizes, st.none()), ow=sizes, seed=st.integers(0, 2**16),
       unbatched=st.booleans())
def test_adaptive_pool_matches_torch(dtype_name, which, h, w, oh, ow, seed, unbatched):
    shape = (3, h, w) if unbatched else (2, 3, h, w)
    x = np.random.default_rng(seed).standard_normal(shape).astype(DTYPES[dtype_name])
    out = (oh, ow) if seed % 3 else (ow if oh is None else oh)
    if which == "avg":
        res = both(lambda a: F.adaptive_avg_pool2d(a, out), lambda a: TF.adaptive_avg_pool2d(a, out), x, seed)
    else:
        res = both(lambda a: F.adaptive_max_pool2d(a, out, True), lambda a: TF.adaptive_max_pool2d(a, out, True),
                   x, seed)
    assert_agree(res, dtype_name)


@st.composite
def pad_cases(draw):
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    if mode == "constant":
        ndim = draw(st.integers(1, 4))
        n = draw(st.integers(1, ndim))
    else:
        n = draw(st.integers(1, 3))
        ndim = draw(st.sampled_from([n + 1, n + 2]))
    shape = tuple(draw(st.integers(1, 5)) for _ in range(ndim))
    pad = []
    for size in shape[::-1][:n]:  # torch's order: last axis first
        lo_min = {"constant": -size + 1, "circular": -size + 1}.get(mode, 0)
        top = size - 1 if mode == "reflect" else (size if mode == "circular" else 3)
        lo = draw(st.integers(lo_min, top))
        hi = draw(st.integers(max(lo_min, -size + 1 - min(lo, 0)), top))
        if mode == "circular":  # torch wraps at most once around the cropped input
            assume(size + min(lo, 0) + min(hi, 0) >= max(lo, hi, 1))
        pad += [lo, hi]
    return mode, shape, tuple(pad)


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
@given(case=pad_cases(), seed=st.integers(0, 2**16), value=st.sampled_from([None, 0.0, -1.5]))
def test_pad_matches_torch(dtype_name, case, seed, value):
    mode, shape, pad = case
    x = np.random.default_rng(seed).standard_normal(shape).astype(DTYPES[dtype_name])
    kw = dict(mode=mode, value=value) if mode == "constant" else dict(mode=mode)
    assert_agree(both(lambda a: F.pad(a, pad, **kw), lambda a: TF.pad(a, pad, **kw), x, seed), dtype_name)


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
@given(nd=st.sampled_from([1, 2]), hw=st.tuples(sizes, sizes), seed=st.integers(0, 2**16),
       mode=st.sampled_from(["nearest", "linear", "linear_corners"]),
       how=st.sampled_from(["size", "scale", "recompute"]), out=st.tuples(sizes, sizes),
       factor=st.tuples(st.sampled_from([0.5, 0.7, 1.0, 1.5, 2.0, 2.5, 3.0, 1 / 3]),
                        st.sampled_from([0.6, 1.0, 1.3, 2.0, 3.0, 4.0])))
def test_interpolate_matches_torch(dtype_name, nd, hw, seed, mode, how, out, factor):
    shape = (2, 3) + hw[:nd]
    x = np.random.default_rng(seed).standard_normal(shape).astype(DTYPES[dtype_name])
    kw = {"mode": "nearest"} if mode == "nearest" else \
        {"mode": "linear" if nd == 1 else "bilinear", "align_corners": mode == "linear_corners"}
    if how == "size":
        kw["size"] = out[:nd] if seed % 2 else out[0]
    else:
        factor = factor[:nd]
        if any(np.floor(n * f) < 1 for n, f in zip(hw, factor)):
            factor = (2.0,) * nd
        kw["scale_factor"] = factor if seed % 2 else factor[0]
        kw["recompute_scale_factor"] = how == "recompute"
        if not seed % 2 and any(np.floor(n * factor[0]) < 1 for n in hw[:nd]):
            kw["scale_factor"] = 2.0
    assert_agree(both(lambda a: F.interpolate(a, **kw), lambda a: TF.interpolate(a, **kw), x, seed), dtype_name)


# -- float64 gradcheck of each primitive --------------------------------------------------------
def _separated(shape, seed):
    """Distinct values at least 0.1 apart: a 1e-6 perturbation never changes a max's winner."""
    rng = np.random.default_rng(seed)
    values = rng.permutation(np.prod(shape)).reshape(shape) * 0.1
    return glassnet.tensor(values, dtype=glassnet.float64, requires_grad=True)


def _smooth(shape, seed):
    return glassnet.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


@pytest.mark.parametrize("name, fn, make, shape", [
    ("max_pool2d", lambda x: F.max_pool2d(x, 3, 2, 1, 2, True), _separated, (2, 2, 7, 6)),
    ("max_pool2d overlapping", lambda x: F.max_pool2d(x, (3, 2), 1, (1, 0)), _separated, (1, 2, 5, 4)),
    ("max_pool1d", lambda x: F.max_pool1d(x, 3, 2, 1, ceil_mode=True), _separated, (2, 3, 8)),
    ("avg_pool2d", lambda x: F.avg_pool2d(x, 3, 2, 1, True, False), _smooth, (2, 2, 6, 7)),
    ("avg_pool2d override", lambda x: F.avg_pool2d(x, 2, 1, 1, divisor_override=3), _smooth, (1, 2, 4, 5)),
    ("avg_pool1d", lambda x: F.avg_pool1d(x, 3, 2, 1, True, True), _smooth, (2, 3, 8)),
    ("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (3, 4)), _smooth, (2, 2, 7, 5)),
    ("adaptive_max_pool2d", lambda x: F.adaptive_max_pool2d(x, (3, 4)), _separated, (2, 2, 7, 5)),
    ("pad constant", lambda x: F.pad(x, (1, -1, 2, 0), value=0.5), _smooth, (2, 3, 4)),
    ("pad reflect", lambda x: F.pad(x, (2, 1, 1, 2), mode="reflect"), _smooth, (1, 3, 4)),
    ("pad replicate", lambda x: F.pad(x, (2, 1), mode="replicate"), _smooth, (2, 3, 4)),
    ("pad circular", lambda x: F.pad(x, (2, -1, 1, 1), mode="circular"), _smooth, (1, 2, 3, 4)),
    ("interpolate nearest", lambda x: F.interpolate(x, scale_factor=1.7), _smooth, (1, 2, 4, 3)),
    ("interpolate bilinear", lambda x: F.interpolate(x, size=(5, 2), mode="bilinear"), _smooth, (1, 2, 4, 3)),
    ("interpolate bilinear corners", lambda x: F.interpolate(x, scale_factor=2, mode="bilinear",
                                                             align_corners=True), _smooth, (1, 2, 3, 3)),
    ("interpolate linear", lambda x: F.interpolate(x, size=7, mode="linear"), _smooth, (2, 2, 4)),
])
def test_gradcheck(name, fn, make, shape):
    assert gradcheck(fn, (make(shape, 0),))


# -- errors as torch --------------------------------------------------------------------------
@pytest.mark.parametrize("call, message", [
    (lambda lib, x: lib.nn.functional.max_pool2d(x, 2, padding=2), "pad should be at most half of effective kernel size"),
    (lambda lib, x: lib.nn.functional.avg_pool2d(x, 2, padding=2), "pad should be at most half"),
    (lambda lib, x: lib.nn.functional.max_pool2d(x, 7), "Output size is too small"),
    (lambda lib, x: lib.nn.functional.avg_pool2d(x, 7), "Output size is too small"),
    (lambda lib, x: lib.nn.functional.max_pool2d(x, 2, stride=0), "stride should not be zero"),
    (lambda lib, x: lib.nn.functional.max_pool2d(x[0, 0, 0], 2), "non-empty 3D or 4D"),
    (lambda lib, x: lib.nn.functional.pad(x, (1, 2, 3)), "Padding length must be divisible by 2"),
    (lambda lib, x: lib.nn.functional.pad(x, (1,) * 10), "Padding length should be less than or equal"),
    (lambda lib, x: lib.nn.functional.pad(x, (-3, -3)), "narrow"),
    (lambda lib, x: lib.nn.functional.interpolate(x, size=0), "Input and output sizes should be greater than 0"),
])
def test_impossible_shapes_raise_runtime_error_as_torch(call, message):
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 5))
    for lib in (torch, glassnet):
        with pytest.raises(RuntimeError, match=message):
            call(lib, lib.tensor(x))


@pytest.mark.parametrize("call, error, message", [
    (lambda lib, x: lib.nn.functional.pad(x, (1, 1), mode="foo"), NotImplementedError, "Unrecognised padding mode foo"),
    (lambda lib, x: lib.nn.functional.pad(x[0, 0, 0], (1, 1), mode="reflect"), NotImplementedError,
     "Padding size 2 is not supported for 1D input"),
    (lambda lib, x: lib.nn.functional.interpolate(x), ValueError, "either size or scale_factor"),
    (lambda lib, x: lib.nn.functional.interpolate(x, size=3, scale_factor=2), ValueError, "only one of size"),
    (lambda lib, x: lib.nn.functional.interpolate(x, size=3, align_corners=True), ValueError, "align_corners option"),
    (lambda lib, x: lib.nn.functional.interpolate(x[0], size=3, mode="bilinear"), NotImplementedError,
     "but bilinear mode needs 4D input"),
    (lambda lib, x: lib.nn.functional.interpolate(x, size=3, recompute_scale_factor=True), ValueError,
     "recompute_scale_factor is not meaningful"),
    (lambda lib, x: lib.nn.functional.interpolate(x, size=(3, 3, 3)), ValueError, "same number of spatial"),
])
def test_bad_arguments_raise_as_torch(call, error, message):
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 5))
    for lib in (torch, glassnet):
        with pytest.raises(error, match=message):
            call(lib, lib.tensor(x))


def test_modes_glassnet_lacks_say_so():
    x = glassnet.zeros(1, 2, 4, 4)
    with pytest.raises(NotImplementedError, match="bicubic"):
        F.interpolate(x, scale_factor=2, mode="bicubic")


def test_max_pool_propagates_nan_like_torch():
    x = np.random.default_rng(0).standard_normal((1, 1, 4, 4))
    x[0, 0, 1, 1] = np.nan
    g = F.max_pool2d(glassnet.tensor(x), 2).numpy()
    t = TF.max_pool2d(torch.tensor(x), 2).numpy()
    np.testing.assert_array_equal(np.isnan(g), np.isnan(t))
    np.testing.assert_allclose(g[~np.isnan(g)], t[~np.isnan(t)])


def test_window_of_padding_only_gives_minus_inf_and_no_gradient():
    x = glassnet.tensor([[[0.5]], [[0.25]]], requires_grad=True)
    y, idx = F.max_pool1d(x, 2, 1, 1, 2, return_indices=True)  # one window: positions -1 and 1
    yt, idxt = TF.max_pool1d(torch.tensor([[[0.5]], [[0.25]]]), 2, 1, 1, 2, return_indices=True)
    np.testing.assert_array_equal(y.detach().numpy(), yt.numpy())  # -inf
    np.testing.assert_array_equal(idx.numpy(), idxt.numpy())  # 1, past the plane
    y.sum().backward()
    assert x.grad.tolist() == [[[0.0]], [[0.0]]]


@pytest.mark.parametrize("mode", ["linear", "bilinear"])
def test_an_axis_whose_size_does_not_change_is_copied_whatever_the_scale_factor(mode):
    shape, factor = ((2, 3, 2), 1.3) if mode == "linear" else ((2, 3, 2, 2), (0.5, 1.3))
    x = np.random.default_rng(0).standard_normal(shape)
    res = both(lambda a: F.interpolate(a, scale_factor=factor, mode=mode),
               lambda a: TF.interpolate(a, scale_factor=factor, mode=mode), x)
    assert_agree(res, "float64")
