"""nn.PixelShuffle/PixelUnshuffle (F.pixel_shuffle/pixel_unshuffle) and nn.Unfold/Fold
(F.unfold/F.fold) against torch: values and gradients over hypothesis shapes, float64
gradcheck and gradgradcheck of the Unfold and Fold primitives, reprs, the bridge and torch's errors."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import glassnet  # noqa: E402
import glassnet.nn as gnn  # noqa: E402
import glassnet.nn.functional as GF  # noqa: E402
from glassnet.autograd import gradcheck, gradgradcheck  # noqa: E402
from glassnet.bridge import from_torch, to_torch  # noqa: E402
from tests.nn.helpers import assert_close  # noqa: E402

DTYPES = ["float32", "float64"]


def both(fn, x, dtype, seed=0, exact=False):
    results = []
    for lib in (glassnet, torch):
        xt = lib.tensor(x.astype(dtype), requires_grad=True)
        out = fn(lib, xt)
        up = np.random.default_rng(seed).uniform(-1, 1, tuple(out.shape)).astype(dtype)
        out.backward(lib.tensor(up))
        results.append([out.detach().numpy(), xt.grad.numpy()])
    for a, b in zip(*results, strict=True):
        if exact:  # values only move: no arithmetic
            np.testing.assert_array_equal(a, b)
        else:
            assert_close(a, b, dtype)


@given(lead=st.sampled_from([(), (2,), (2, 3)]), c=st.integers(1, 3), r=st.integers(1, 3),
       h=st.integers(1, 3), w=st.integers(1, 3), dtype=st.sampled_from(DTYPES), seed=st.integers(0, 99))
def test_pixel_shuffle_and_unshuffle_move_values_as_torch(lead, c, r, h, w, dtype, seed):
    x = np.random.default_rng(seed).normal(size=lead + (c * r * r, h, w))
    both(lambda lib, x: lib.nn.functional.pixel_shuffle(x, r), x, dtype, seed, exact=True)
    y = np.random.default_rng(seed).normal(size=lead + (c, h * r, w * r))
    both(lambda lib, x: lib.nn.functional.pixel_unshuffle(x, r), y, dtype, seed, exact=True)
    back = GF.pixel_unshuffle(GF.pixel_shuffle(glassnet.tensor(x), r), r)
    np.testing.assert_array_equal(back.numpy(), x)


def geometry():
    return st.fixed_dictionaries({
        "kernel_size": st.sampled_from([1, 2, 3, (2, 3)]), "dilation": st.sampled_from([1, 2, (1, 2)]),
        "padding": st.sampled_from([0, 1, (1, 0)]), "stride": st.sampled_from([1, 2, (2, 1)])})


def _fits(size, g):
    pair = lambda v: v if isinstance(v, tuple) else (v, v)  # noqa: E731
    k, d, p, s = (pair(g[n]) for n in ("kernel_size", "dilation", "padding", "stride"))
    blocks = [(n + 2 * pi - di * (ki - 1) - 1) // si + 1 for n, ki, di, pi, si in zip(size, k, d, p, s)]
    return min(blocks) >= 1, blocks


@given(g=geometry(), n=st.integers(1, 2), c=st.integers(1, 3), h=st.integers(2, 6), w=st.integers(2, 6),
       unbatched=st.booleans(), dtype=st.sampled_from(DTYPES), seed=st.integers(0, 99))
def test_unfold_and_fold_match_torch(g, n, c, h, w, unbatched, dtype, seed):
    ok, blocks = _fits((h, w), g)
    if not ok:
        return
    rng = np.random.default_rng(seed)
    shape = (c, h, w) if unbatched else (n, c, h, w)
    both(lambda lib, x: lib.nn.functional.unfold(x, **g), rng.normal(size=shape), dtype, seed)
    k = g["kernel_size"] if isinstance(g["kernel_size"], tuple) else (g["kernel_size"],) * 2
    cols = (c * k[0] * k[1], blocks[0] * blocks[1])
    both(lambda lib, x: lib.nn.functional.fold(x, (h, w), **g), rng.normal(size=cols if unbatched else (n,) + cols),
         dtype, seed)


def test_a_convolution_is_a_matrix_product_of_unfold():
    rng = np.random.default_rng(0)
    x, w = glassnet.tensor(rng.normal(size=(2, 3, 5, 6))), glassnet.tensor(rng.normal(size=(4, 3, 3, 3)))
    cols = GF.unfold(x, 3, padding=1, stride=2)
    out = (w.reshape(4, -1) @ cols).reshape(2, 4, 3, 3)
    np.testing.assert_allclose(out.numpy(), GF.conv2d(x, w, padding=1, stride=2).numpy(), rtol=1e-12)


@pytest.mark.parametrize("g", [dict(kernel_size=2), dict(kernel_size=(2, 3), dilation=2, padding=1, stride=(2, 1))])
def test_unfold_fold_gradcheck_and_gradgradcheck(g):
    rng = np.random.default_rng(1)
    x = glassnet.tensor(rng.normal(size=(2, 2, 5, 4)), dtype=glassnet.float64, requires_grad=True)
    unfold = lambda x: GF.unfold(x, **g)  # noqa: E731
    assert gradcheck(unfold, (x,)) and gradgradcheck(unfold, (x,))
    cols = glassnet.tensor(rng.normal(size=tuple(unfold(x).shape)), dtype=glassnet.float64, requires_grad=True)
    fold = lambda c: GF.fold(c, (5, 4), **g)  # noqa: E731
    assert gradcheck(fold, (cols,)) and gradgradcheck(fold, (cols,))
    # a product of both, so the second derivative is not zero
    assert gradgradcheck(lambda x: GF.fold(GF.unfold(x, **g) ** 2, (5, 4), **g), (x,))


def test_nodes_are_torchs():
    x = glassnet.randn(1, 1, 4, 4, requires_grad=True)
    cols = GF.unfold(x, 2)
    assert cols.grad_fn.name() == "Im2ColBackward0"
    assert GF.fold(cols, (4, 4), 2).grad_fn.name() == "Col2ImBackward0"


@pytest.mark.parametrize("make", [
    lambda nn: nn.PixelShuffle(3), lambda nn: nn.PixelUnshuffle(2), lambda nn: nn.Unfold(3, padding=1),
    lambda nn: nn.Unfold((2, 3), dilation=(1, 2), padding=0, stride=2),
    lambda nn: nn.Fold((4, 5), 2, stride=(1, 2)), lambda nn: nn.Fold(output_size=6, kernel_size=3)])
def test_reprs_and_bridge_match_torch(make):
    g, t = make(gnn), make(torch.nn)
    assert repr(g) == repr(t)
    assert repr(gnn.Sequential(make(gnn), gnn.ReLU())) == repr(torch.nn.Sequential(make(torch.nn), torch.nn.ReLU()))
    assert g.state_dict() == {} and len(t.state_dict()) == 0
    crossed, back = to_torch(g), from_torch(t)
    assert type(crossed) is type(t) and repr(crossed) == repr(t)
    assert type(back) is type(g) and repr(back) == repr(g)


def errors(lib, fn):
    with pytest.raises(Exception) as info:
        fn(lib)
    return info.type, str(info.value).split("\n")[0]


@pytest.mark.parametrize("fn", [
    lambda lib: lib.nn.functional.pixel_shuffle(lib.ones(4, 4), 2),
    lambda lib: lib.nn.functional.pixel_shuffle(lib.ones(1, 5, 2, 2), 2),
    lambda lib: lib.nn.functional.pixel_shuffle(lib.ones(1, 4, 2, 2), 0),
    lambda lib: lib.nn.functional.pixel_shuffle(lib.ones(1, 4, 2, 2), 2.0),
    lambda lib: lib.nn.functional.pixel_unshuffle(lib.ones(4, 4), 2),
    lambda lib: lib.nn.functional.pixel_unshuffle(lib.ones(1, 1, 3, 4), 2),
    lambda lib: lib.nn.functional.pixel_unshuffle(lib.ones(1, 1, 4, 3), 2),
    lambda lib: lib.nn.functional.pixel_unshuffle(lib.ones(1, 1, 4, 4), -1),
    lambda lib: lib.nn.functional.unfold(lib.ones(1, 1, 1, 4, 4), 2),
    lambda lib: lib.nn.functional.unfold(lib.ones(1, 1, 4, 4), 5),
    lambda lib: lib.nn.functional.unfold(lib.ones(1, 1, 4, 4), 0),
    lambda lib: lib.nn.functional.unfold(lib.ones(1, 1, 4, 4), 2, stride=0),
    lambda lib: lib.nn.functional.unfold(lib.ones(1, 1, 4, 4), 2, dilation=0),
    lambda lib: lib.nn.functional.unfold(lib.ones(1, 1, 4, 4), 2, padding=-1),
    lambda lib: lib.nn.functional.unfold(lib.ones(1, 1, 4, 4), (2, 2, 2)),
    lambda lib: lib.nn.functional.unfold(lib.ones(1, 1, 4, 4, dtype=lib.long), 2),
    lambda lib: lib.nn.functional.fold(lib.ones(1, 4, 9, 1), (4, 4), 2),
    lambda lib: lib.nn.functional.fold(lib.ones(1, 5, 9), (4, 4), 2),
    lambda lib: lib.nn.functional.fold(lib.ones(1, 4, 8), (4, 4), 2),
    lambda lib: lib.nn.functional.fold(lib.ones(1, 4, 9), (1, 1), 2),
    lambda lib: lib.nn.functional.fold(lib.ones(1, 4, 9), (4, 4), 2, stride=0),
], ids=["ps-2d", "ps-channels", "ps-zero", "ps-float", "pu-2d", "pu-height", "pu-width", "pu-negative",
        "uf-5d", "uf-big", "uf-k0", "uf-s0", "uf-d0", "uf-pad", "uf-3tuple", "uf-long", "fold-4d",
        "fold-channels", "fold-blocks", "fold-small", "fold-s0"])
def test_errors_match_torch(fn, request):
    mine, theirs = errors(glassnet, fn), errors(torch, fn)
    assert mine[0] is theirs[0]
    if request.node.callspec.id != "uf-long":       # glassnet's says what to convert
        assert mine[1] == theirs[1]
