"""The bitwise family (``bitwise_and/or/xor/not`` and ``& | ^ ~``) on integer and bool tensors,
``torch.cross`` with and without ``dim`` (values, gradients, float64 gradcheck), and the in-place
function forms (``torch.sin_(x)``) against torch, with torch's errors."""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

torch = pytest.importorskip("torch")

import glassnet  # noqa: E402
from glassnet.autograd import gradcheck  # noqa: E402
from tests.nn.helpers import assert_close  # noqa: E402

INTS = hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                  elements=st.integers(-2**40, 2**40))


def same(a, b):
    a, b = a.numpy(), b.numpy()
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)


@given(a=INTS, seed=st.integers(0, 99), dtype=st.sampled_from(["int64", "int32", "bool"]))
def test_bitwise_ops_match_torch(a, seed, dtype):
    a = a.astype(dtype)
    b = np.random.default_rng(seed).integers(-100, 100, a.shape).astype(dtype)
    scalar = True if dtype == "bool" else 13
    for name, op in (("bitwise_and", "__and__"), ("bitwise_or", "__or__"), ("bitwise_xor", "__xor__")):
        for lib_args in ((b,), (scalar,)):
            mine = getattr(glassnet, name)(glassnet.tensor(a), *(glassnet.tensor(v) if isinstance(v, np.ndarray)
                                                                  else v for v in lib_args))
            theirs = getattr(torch, name)(torch.tensor(a), *(torch.tensor(v) if isinstance(v, np.ndarray)
                                                               else v for v in lib_args))
            same(mine, theirs)
        same(getattr(glassnet.tensor(a), op)(glassnet.tensor(b)), getattr(torch.tensor(a), op)(torch.tensor(b)))
    same(glassnet.bitwise_not(glassnet.tensor(a)), torch.bitwise_not(torch.tensor(a)))
    same(~glassnet.tensor(a), ~torch.tensor(a))


def test_mixed_bool_and_int_promote_as_torch():
    for a, b in (([1, 2], [True, False]), ([True, False], 3)):
        ga = glassnet.tensor(a)
        gb = glassnet.tensor(b) if isinstance(b, list) else b
        tb = torch.tensor(b) if isinstance(b, list) else b
        same(ga ^ gb, torch.tensor(a) ^ tb)
        same(glassnet.tensor(a, dtype=glassnet.int32) | 3, torch.tensor(a, dtype=torch.int32) | 3)


@pytest.mark.parametrize("fn", [
    lambda lib: lib.bitwise_xor(lib.randn(3), lib.randn(3)),
    lambda lib: lib.bitwise_and(lib.tensor([1, 2]), 3.0),
    lambda lib: lib.bitwise_not(lib.randn(3)),
    lambda lib: lib.randn(3) & lib.randn(3),
])
def test_bitwise_on_floats_raises_torchs_error(fn):
    for lib in (glassnet, torch):
        with pytest.raises(NotImplementedError, match="not implemented for"):
            fn(lib)
    for lib in (glassnet, torch):
        with pytest.raises(TypeError, match="only implemented on integer and Boolean"):
            ~lib.randn(3)


@given(lead=st.sampled_from([(), (2,), (2, 1)]), dim_at=st.integers(0, 2), dtype=st.sampled_from(["float32", "float64"]),
       seed=st.integers(0, 999))
def test_cross_matches_torch_in_value_and_gradient(lead, dim_at, dtype, seed):
    dim_at = min(dim_at, len(lead))
    shape = lead[:dim_at] + (3,) + lead[dim_at:]
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=shape).astype(dtype), rng.normal(size=shape).astype(dtype)
    if lead:  # other dimensions broadcast
        b = b[(slice(None),) * dim_at + (slice(None),) + (slice(0, 1),) * (len(shape) - dim_at - 1)]
    for dim in (dim_at, dim_at - len(shape)):
        got = []
        for lib in (glassnet, torch):
            x, y = lib.tensor(a.copy(), requires_grad=True), lib.tensor(b.copy(), requires_grad=True)
            out = lib.cross(x, y, dim=dim)
            out.backward(lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)).astype(dtype)))
            got.append([out.detach().numpy(), x.grad.numpy(), y.grad.numpy()])
        for m, t in zip(*got):
            assert_close(m, t, dtype)


def test_cross_gradcheck_ints_and_the_default_dim():
    rng = np.random.default_rng(0)
    a, b = (glassnet.tensor(rng.normal(size=(2, 3, 4)), dtype=glassnet.float64, requires_grad=True)
            for _ in range(2))
    assert gradcheck(lambda a, b: glassnet.cross(a, b, dim=1), (a, b))
    same(glassnet.tensor([1, 2, 3]).cross(glassnet.tensor([4, 5, 6]), dim=0),
         torch.tensor([1, 2, 3]).cross(torch.tensor([4, 5, 6]), dim=0))
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        mine = glassnet.cross(glassnet.tensor(x), glassnet.tensor(y))
    assert any("without specifying the dim arg is deprecated" in str(w.message) for w in seen)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_close(mine.numpy(), torch.cross(torch.tensor(x), torch.tensor(y)).numpy())


@pytest.mark.parametrize("fn", [
    lambda lib: lib.cross(lib.randn(4, 3), lib.randn(4, 3), dim=0),
    lambda lib: lib.cross(lib.randn(4, 3), lib.randn(5, 3), dim=1),
    lambda lib: lib.cross(lib.randn(4, 3), lib.randn(4, 3), dim=2),
    lambda lib: lib.cross(lib.tensor([1, 2, 3]), lib.tensor([4.0, 5, 6]), dim=0),
    lambda lib: lib.cross(lib.randn(2, 4, 3), lib.randn(4, 3), dim=-1),
], ids=["length", "broadcast", "dim-range", "dtypes", "ndim"])
def test_cross_errors_match_torch(fn):
    got = []
    for lib in (glassnet, torch):
        with pytest.raises(Exception) as info:
            fn(lib)
        got.append((info.type, str(info.value).split("\n")[0]))
    assert got[0] == got[1]


INPLACE = ["abs_", "asin_", "arcsin_", "ceil_", "cos_", "cosh_", "exp_", "exp2_", "expm1_", "floor_",
           "log_", "log10_", "log1p_", "log2_", "neg_", "reciprocal_", "relu_", "round_", "rsqrt_",
           "sigmoid_", "sin_", "sinh_", "sqrt_", "square_", "tanh_", "trunc_", "zero_"]


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_function_forms_write_into_the_tensor_as_torch(name):
    x = np.random.default_rng(0).uniform(0.1, 0.9, (2, 3))
    g, t = glassnet.tensor(x.copy()), torch.tensor(x.copy())
    assert getattr(glassnet, name)(g) is g and getattr(torch, name)(t) is t
    assert_close(g.numpy(), t.numpy(), "float64")
    assert_close(getattr(glassnet.tensor(x), name)().numpy(), t.numpy(), "float64")


def test_inplace_forms_in_the_graph_record_as_torch_and_refuse_leaves_and_ints():
    x = glassnet.tensor([0.2, 0.7], dtype=glassnet.float64, requires_grad=True)
    y = x * 2
    glassnet.sin_(y)
    assert y.grad_fn.name() == "SinBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos(2 * x.detach().numpy()))
    for fn in (lambda lib: lib.sin_(lib.randn(3, requires_grad=True)),
               lambda lib: lib.sin_(lib.tensor([1, 2])), lambda lib: lib.tensor([1, 2]).exp_()):
        types = []
        for lib in (glassnet, torch):
            with pytest.raises(RuntimeError) as info:
                fn(lib)
            types.append(str(info.value))
        assert "leaf Variable" in types[1] or "can't be cast" in types[0]
    ints = glassnet.tensor([3, -4])
    glassnet.abs_(ints), glassnet.clamp_(ints, 0, 3)
    same(ints, torch.tensor([3, 3]))


def _raised(fn):
    try:
        fn()
    except Exception as err:  # noqa: BLE001 - the test compares whatever each library raises
        return type(err), str(err)
    return None


@pytest.mark.parametrize("call", [
    lambda lib, x: x.clamp_(0.5, 1.5), lambda lib, x: x.clamp_(min=0.5), lambda lib, x: x.clamp_(max=1.5),
    lambda lib, x: x.clip_(0.5, 2), lambda lib, x: lib.clamp_(x, 0.5), lambda lib, x: x.clamp_min_(0.5),
    lambda lib, x: x.clamp_max_(2.5), lambda lib, x: x.clamp_(lib.tensor(0.5)),
    lambda lib, x: x.bool().clamp_(0, 1), lambda lib, x: x.int().clamp_(0.5),
])
def test_clamp_in_place_with_float_bounds_on_an_int_tensor_raises_torchs_error_and_keeps_it(call):
    results = []
    for lib in (torch, glassnet):
        x = lib.tensor([1, 2, 3])
        got = _raised(lambda: call(lib, x))
        assert got is not None and got[0] is RuntimeError
        results.append((got[1], x.tolist()))
    (theirs, t_values), (mine, g_values) = results
    assert mine.startswith(theirs) and g_values == t_values == [1, 2, 3], results


@pytest.mark.parametrize("values, bounds", [
    ([1, 2, 3], (0.5, 1.5)), ([1, 2, 3], (None, 1.5)), ([1, 2, 3], (0.5, None)), ([1, 2, 3], (0, 2)),
    ([1, 2, 3], ("t0.5", None)), ([1, 2, 3], ("d0.5", None)), ([True, False], (0, 1)),
    ([1.0, 2.0, 3.0], (0.5, 1.5)), ([1.0, 2.0, 3.0], (1, 2)), ("d", (0.5, 1.5)),
])
def test_clamp_promotes_as_torch(values, bounds):
    outs = []
    for lib in (torch, glassnet):
        x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64) if values == "d" else lib.tensor(values)
        b = [lib.tensor(float(v[1:]), dtype=lib.float64 if v[0] == "d" else lib.float32)
             if isinstance(v, str) else v for v in bounds]
        outs.append(x.clamp(*b))
        if x.dtype != lib.bool and (x.is_floating_point() or not any(isinstance(v, (float, str)) for v in bounds)):
            y = x.clone()
            y.clamp_(*b)
            same(y, x.clamp(*b))
    same(outs[1], outs[0])


def test_bitwise_error_names_the_dtype_as_torch():
    for make in (lambda lib: lib.tensor([1.0, 2.0]) & lib.tensor([1, 2]),
                 lambda lib: lib.tensor([1.0], dtype=lib.float64).bitwise_not()):
        theirs, mine = _raised(lambda: make(torch)), _raised(lambda: make(glassnet))
        assert mine[0] is theirs[0] and mine[1].startswith(theirs[1]), (mine, theirs)


@pytest.mark.parametrize("op", ["__ior__", "__iand__", "__ixor__", "bitwise_or_", "bitwise_and_", "bitwise_xor_"])
@pytest.mark.parametrize("dtype", ["bool", "int64", "int32"])
def test_in_place_bitwise_writes_into_the_tensor_every_name_sees(op, dtype):
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 8, (2, 3)).astype(dtype), rng.integers(0, 8, (3,)).astype(dtype)
    results = []
    for lib in (torch, glassnet):
        c = lib.tensor(a)
        d = c  # a second name for the same tensor (a shared mask)
        before = c._version
        out = getattr(c, op)(lib.tensor(b))
        assert out is c and c._version > before
        results.append(d)
    same(results[1], results[0])


def test_augmented_bitwise_on_a_shared_mask_as_torch():
    for lib in (torch, glassnet):
        c = lib.tensor([True, False, False])
        d = c
        c |= lib.tensor([False, True, False])
        c ^= lib.tensor([False, False, True])
        c &= lib.tensor([True, True, False])
        assert d.tolist() == [True, True, False]


@pytest.mark.parametrize("make, op, other", [
    (lambda lib: lib.tensor([True, False]), "__ior__", lambda lib: lib.tensor([1, 2])),
    (lambda lib: lib.tensor([True, False]), "__iand__", lambda lib: 2),
    (lambda lib: lib.tensor([1, 2]), "__ixor__", lambda lib: 1.5),
    (lambda lib: lib.tensor([1, 2]), "__ixor__", lambda lib: lib.tensor([1.0, 2.0])),
    (lambda lib: lib.tensor([1, 2]), "__ior__", lambda lib: lib.tensor([[1], [2]])),
    (lambda lib: lib.tensor([1, 2, 3]), "__iand__", lambda lib: lib.tensor([1, 2])),
    (lambda lib: lib.tensor([1.0, 2.0]), "__ixor__", lambda lib: lib.tensor([1, 2])),
    (lambda lib: lib.tensor([1.0, 2.0], requires_grad=True), "__ior__", lambda lib: lib.tensor([1, 2])),
])
def test_in_place_bitwise_errors_match_torch(make, op, other):
    results = []
    for lib in (torch, glassnet):
        x = make(lib)
        kept = x.tolist()
        results.append(_raised(lambda: getattr(x, op)(other(lib))))
        assert x.tolist() == kept
    theirs, mine = results
    assert mine is not None and mine[0] is theirs[0], results
    assert mine[1].startswith(theirs[1].rstrip(".")), results


def test_in_place_bitwise_with_scalars_as_torch():
    for make, op, other in ((lambda lib: lib.tensor([1, 2]), "__ixor__", True),
                            (lambda lib: lib.tensor([1, 2], dtype=lib.int32), "__iand__", 2**40 + 3),
                            (lambda lib: lib.tensor([1, 2]), "bitwise_not_", None)):
        got = [getattr(make(lib), op)(*(() if other is None else (other,))) for lib in (torch, glassnet)]
        same(got[1], got[0])
