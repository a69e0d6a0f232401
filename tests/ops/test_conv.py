"""The convolution primitives (``ops/conv.py``, through ``F.conv1d/conv2d/conv_transpose1d/2d``)
agree with PyTorch: values and the gradients of input, weight and bias, float64 and float32, over
batch sizes, channels, groups, sizes, kernels, strides, paddings (numbers, "valid", "same" with an
odd total) and dilations drawn by hypothesis; float64 gradcheck for each primitive; torch's errors
for impossible shapes."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import glassnet
import glassnet.nn.functional as F
from glassnet.autograd import gradcheck
from tests.conftest import TOL

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests (pip install torch==2.13.0)")
TF = torch.nn.functional

NP = {"float64": np.float64, "float32": np.float32}


def run_both(name, x, w, b, seed, **kw):
    """Apply F.<name> in glassnet and torch to the same arrays and the same upstream gradient;
    return (value, [grad x, grad w, grad b]) for each."""
    results = []
    for lib, fns in ((glassnet, F), (torch, TF)):
        ts = [None if a is None else lib.tensor(a.copy(), requires_grad=True) for a in (x, w, b)]
        out = getattr(fns, name)(*ts, **kw)
        up = np.random.default_rng(seed).uniform(-1, 1, size=tuple(out.shape)).astype(x.dtype)
        out.backward(lib.tensor(up))
        results.append((np.asarray(out.detach().numpy()),
                        [None if t is None else np.asarray(t.grad.numpy()) for t in ts]))
    return results


def assert_agree(results, dtype_name, terms):
    """float32 sums of ``terms`` products differ from torch's (another order) by up to about
    terms·eps·|values|: the absolute tolerance grows with the number of terms summed."""
    rtol, atol = TOL[dtype_name]
    (gv, gg), (tv, tg) = results
    assert gv.shape == tv.shape
    assert gv.dtype == tv.dtype
    np.testing.assert_allclose(gv, tv, rtol=rtol, atol=atol * terms)
    for a, b in zip(gg, tg, strict=True):
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol * 10 * terms)


def arrays(rng, x_shape, w_shape, bias, n_out, dtype_name):
    dt = NP[dtype_name]
    x = rng.uniform(-1, 1, size=x_shape).astype(dt)
    w = rng.uniform(-1, 1, size=w_shape).astype(dt)
    b = rng.uniform(-1, 1, size=n_out).astype(dt) if bias else None
    return x, w, b


@st.composite
def conv_case(draw, nd):
    groups = draw(st.integers(1, 3))
    c_in, c_out = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    padding = draw(st.one_of(st.sampled_from(["valid", "same"]),
                             st.tuples(*[st.integers(0, 2)] * nd)))
    stride = (1,) * nd if padding == "same" else tuple(draw(st.integers(1, 3)) for _ in range(nd))
    pads = (0,) * nd if isinstance(padding, str) else padding
    sizes = tuple(max(1, d * (k - 1) + 1 - 2 * p + draw(st.integers(0, 5)))
                  for k, d, p in zip(kernel, dilation, pads))
    n = draw(st.integers(1, 3))
    return dict(n=n, groups=groups, c_in=c_in, c_out=c_out, kernel=kernel, dilation=dilation,
                padding=padding, stride=stride, sizes=sizes, bias=draw(st.booleans()))


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
@pytest.mark.parametrize("nd", [1, 2])
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_conv_matches_torch(nd, dtype_name, data, seed):
    c = data.draw(conv_case(nd))
    rng = np.random.default_rng(seed)
    x, w, b = arrays(rng, (c["n"], c["c_in"]) + c["sizes"], (c["c_out"], c["c_in"] // c["groups"]) + c["kernel"],
                     c["bias"], c["c_out"], dtype_name)
    pad = c["padding"]
    results = run_both(f"conv{nd}d", x, w, b, seed, stride=c["stride"], padding=pad, dilation=c["dilation"],
                       groups=c["groups"])
    assert_agree(results, dtype_name, terms=w[0].size * c["n"] * int(np.prod(results[1][0].shape[2:])))


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
@pytest.mark.parametrize("nd", [1, 2])
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_conv_transpose_matches_torch(nd, dtype_name, data, seed):
    groups = data.draw(st.integers(1, 3))
    c_in, c_out = groups * data.draw(st.integers(1, 3)), groups * data.draw(st.integers(1, 3))
    kernel = tuple(data.draw(st.integers(1, 4)) for _ in range(nd))
    stride = tuple(data.draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(data.draw(st.integers(1, 3)) for _ in range(nd))
    output_padding = tuple(data.draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    sizes = tuple(data.draw(st.integers(1, 5)) for _ in range(nd))
    # padding small enough that every output size stays positive
    padding = tuple(data.draw(st.integers(0, max(0, ((i - 1) * s + d * (k - 1) + op) // 2)))
                    for i, s, d, k, op in zip(sizes, stride, dilation, kernel, output_padding))
    n, bias = data.draw(st.integers(1, 3)), data.draw(st.booleans())
    rng = np.random.default_rng(seed)
    x, w, b = arrays(rng, (n, c_in) + sizes, (c_in, c_out // groups) + kernel, bias, c_out, dtype_name)
    results = run_both(f"conv_transpose{nd}d", x, w, b, seed, stride=stride, padding=padding,
                       output_padding=output_padding, groups=groups, dilation=dilation)
    assert_agree(results, dtype_name, terms=x.size)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("name", ["conv1d", "conv2d"])
def test_same_padding_with_odd_total_pads_the_extra_zero_after(name):
    nd = 1 if name == "conv1d" else 2
    rng = np.random.default_rng(0)
    x, w, b = arrays(rng, (2, 3) + (7,) * nd, (4, 3) + (4,) * nd, True, 4, "float64")
    for dilation in (1, 2, 3):
        results = run_both(name, x, w, b, 1, padding="same", dilation=dilation)
        assert results[0][0].shape[2:] == x.shape[2:]
        assert_agree(results, "float64", terms=1)


def test_unbatched_input_matches_torch():
    rng = np.random.default_rng(1)
    x, w, b = arrays(rng, (3, 6, 5), (4, 3, 2, 3), True, 4, "float64")
    assert_agree(run_both("conv2d", x, w, b, 2, stride=(2, 1), padding=1), "float64", terms=1)
    x, w, b = arrays(rng, (4, 5, 5), (4, 2, 3, 3), True, 2, "float64")
    assert_agree(run_both("conv_transpose2d", x, w, b, 2, stride=2), "float64", terms=1)


def test_weight_only_gradient_and_no_grad_input():
    """An input that needs no gradient (a network's first layer): no col2im runs, weight grads match."""
    rng = np.random.default_rng(2)
    x, w, b = arrays(rng, (2, 3, 9, 9), (6, 3, 5, 5), True, 6, "float32")
    gw, tw = glassnet.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    F.conv2d(glassnet.tensor(x), gw, glassnet.tensor(b), padding=2).sum().backward()
    TF.conv2d(torch.tensor(x), tw, torch.tensor(b), padding=2).sum().backward()
    np.testing.assert_allclose(gw.grad.numpy(), tw.grad.numpy(), rtol=1e-5, atol=1e-4)


# -- gradcheck (float64 finite differences) -------------------------------------------------------
def _t(rng, shape):
    return glassnet.tensor(rng.standard_normal(shape), dtype=glassnet.float64, requires_grad=True)


def test_gradcheck_conv1d():
    rng = np.random.default_rng(3)
    x, w, b = _t(rng, (2, 4, 9)), _t(rng, (6, 2, 3)), _t(rng, (6,))
    assert gradcheck(lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2, groups=2), (x, w, b))
    assert gradcheck(lambda x, w: F.conv1d(x, w, padding="same"), (x, _t(rng, (3, 4, 4))))


def test_gradcheck_conv2d():
    rng = np.random.default_rng(4)
    x, w, b = _t(rng, (2, 4, 6, 5)), _t(rng, (4, 2, 3, 2)), _t(rng, (4,))
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2),
                                              groups=2), (x, w, b))
    assert gradcheck(lambda x, w: F.conv2d(x, w, padding="same"), (x, _t(rng, (2, 4, 2, 3))))


def test_gradcheck_conv_transpose2d():
    rng = np.random.default_rng(5)
    x, w, b = _t(rng, (2, 4, 3, 4)), _t(rng, (4, 3, 3, 2)), _t(rng, (6,))
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1,
                                                        groups=2, dilation=(1, 2)), (x, w, b))


def test_gradcheck_conv_transpose1d():
    rng = np.random.default_rng(6)
    x, w, b = _t(rng, (2, 2, 5)), _t(rng, (2, 3, 3)), _t(rng, (3,))
    assert gradcheck(lambda x, w, b: F.conv_transpose1d(x, w, b, stride=3, padding=2, output_padding=2),
                     (x, w, b))


# -- errors, as torch raises them -----------------------------------------------------------------
def _both(fn, *shapes, **kw):
    """The exception types glassnet and torch raise for F.<fn> on zeros of these shapes."""
    types = []
    for lib, fns in ((glassnet, F), (torch, TF)):
        try:
            getattr(fns, fn)(*[lib.zeros(*s) for s in shapes], **kw)
            types.append(None)
        except Exception as err:  # noqa: BLE001 - the type is what is compared
            types.append((type(err), str(err)))
    return types


@pytest.mark.parametrize("fn, shapes, kw, words", [
    ("conv2d", [(1, 3, 4, 4), (2, 3, 5, 5)], {}, "Kernel size can't be greater than actual input size"),
    ("conv2d", [(1, 3, 4, 4), (2, 3, 3, 3)], {"dilation": 2}, "Kernel size can't be greater"),
    ("conv1d", [(1, 3, 2), (2, 3, 3)], {}, "Kernel size can't be greater"),
    ("conv2d", [(1, 4, 8, 8), (6, 3, 5, 5)], {}, "to have 3 channels, but got 4 channels instead"),
    ("conv2d", [(1, 4, 8, 8), (6, 1, 5, 5)], {"groups": 2}, "to have 2 channels, but got 4 channels"),
    ("conv2d", [(3, 8), (6, 3, 5, 5)], {}, "Expected 3D (unbatched) or 4D (batched) input to conv2d"),
    ("conv1d", [(1, 1, 3, 8), (6, 1, 2)], {}, "Expected 2D (unbatched) or 3D (batched) input to conv1d"),
    ("conv2d", [(1, 3, 8, 8), (6, 3, 3, 3)], {"padding": "same", "stride": 2}, "not supported for strided"),
    ("conv2d", [(1, 3, 8, 8), (6, 3, 3, 3)], {"stride": 0}, "non-positive stride"),
    ("conv2d", [(1, 3, 8, 8), (6, 3, 3, 3)], {"padding": -1}, "negative padding"),
    ("conv_transpose2d", [(1, 3, 4, 4), (4, 2, 3, 3)], {}, "to have 4 channels, but got 3 channels"),
    ("conv_transpose2d", [(1, 4, 4, 4), (4, 2, 3, 3)], {"stride": 2, "output_padding": 2},
     "output padding must be smaller than either stride or dilation"),
])
def test_impossible_shapes_raise_torchs_errors(fn, shapes, kw, words):
    (gtype, gmsg), (ttype, _) = _both(fn, *shapes, **kw)
    assert gtype is ttype
    assert words in gmsg


def test_mixed_dtypes_raise():
    with pytest.raises(RuntimeError, match="should be the same"):
        F.conv2d(glassnet.zeros(1, 1, 3, 3, dtype=glassnet.float64), glassnet.zeros(1, 1, 2, 2))


def test_node_name_is_torchs():
    x = glassnet.zeros(1, 1, 3, 3, requires_grad=True)
    names = [F.conv2d(x, glassnet.ones(1, 1, 2, 2)).grad_fn.name(),
             F.conv_transpose2d(x, glassnet.ones(1, 1, 2, 2)).grad_fn.name()]
    t = torch.zeros(1, 1, 3, 3, requires_grad=True)
    assert names == [type(TF.conv2d(t, torch.ones(1, 1, 2, 2)).grad_fn).__name__,
                     type(TF.conv_transpose2d(t, torch.ones(1, 1, 2, 2)).grad_fn).__name__]
