"""nn.Dropout2d / F.dropout2d (whole channels zeroed or scaled by 1/(1 − p); which ones is random, so
the structure is tested, with torch's warnings for other ranks), nn.Unflatten and Tensor.unflatten
against torch, and nn.Flatten on CNN shapes (start_dim/end_dim, negative dims) against torch."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import glassnet  # noqa: E402
import glassnet.nn as gnn  # noqa: E402
import glassnet.nn.functional as GF  # noqa: E402


def channels_zero_or_scaled(x, y, p):
    """Every (n, c) slice of y is all 0 or all x/(1 − p); returns the kept fraction."""
    flat_x = x.reshape(x.shape[0], x.shape[1], -1)
    flat_y = y.reshape(flat_x.shape)
    zero = np.all(flat_y == 0, axis=2)
    scaled = np.all(np.isclose(flat_y, flat_x / (1 - p), rtol=1e-6, atol=0), axis=2)
    assert np.all(zero | scaled)
    return scaled.mean()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_whole_channels_are_zeroed_or_scaled_and_the_gradient_follows(dtype, p):
    x = np.random.default_rng(0).uniform(1, 2, size=(40, 50, 3, 4)).astype(dtype)
    xt = glassnet.tensor(x, requires_grad=True)
    y = gnn.Dropout2d(p)(xt)
    assert y.dtype == xt.dtype and y.shape == xt.shape
    kept = channels_zero_or_scaled(x, y.detach().numpy(), p)
    assert abs(kept - (1 - p)) < 0.05          # 2000 channels: the kept fraction is near 1 − p
    y.sum().backward()
    mask = (y.detach().numpy() != 0).astype(dtype)
    np.testing.assert_allclose(xt.grad.numpy(), mask / dtype(1 - p), rtol=1e-6)


def test_draws_differ_between_calls_and_repeat_with_the_seed():
    x = glassnet.ones(4, 8, 2, 2)
    glassnet.manual_seed(1)
    a, b = GF.dropout2d(x).numpy(), GF.dropout2d(x).numpy()
    glassnet.manual_seed(1)
    assert not np.array_equal(a, b) and np.array_equal(a, GF.dropout2d(x).numpy())


def test_eval_mode_and_training_false_and_p0_are_the_identity():
    x = glassnet.randn(3, 4, 5, 5)
    assert gnn.Dropout2d(0.7).eval()(x) is x
    assert GF.dropout2d(x, 0.7, training=False) is x
    assert gnn.Dropout2d(0.0)(x) is x


def test_p1_zeroes_everything_with_a_zero_gradient():
    x = glassnet.randn(3, 4, 5, 5, requires_grad=True)
    y = gnn.Dropout2d(1.0)(x)
    assert not y.detach().numpy().any()
    y.sum().backward()
    assert not x.grad.numpy().any()
    t = torch.nn.functional.dropout2d(torch.randn(3, 4, 5, 5), 1.0)
    assert not t.any()


def test_repr_and_bad_p_match_torch():
    assert repr(gnn.Dropout2d()) == repr(torch.nn.Dropout2d()) == "Dropout2d(p=0.5, inplace=False)"
    assert repr(gnn.Dropout2d(0.1, True)) == repr(torch.nn.Dropout2d(0.1, True))
    for lib in (glassnet, torch):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
            lib.nn.Dropout2d(1.5)
        with pytest.raises(ValueError, match="but got -0.1"):
            lib.nn.functional.dropout2d(lib.ones(2, 2, 2, 2), -0.1)


def warned(lib, shape):
    """The warnings' first words and the (N, C)-shaped pattern of the result, per channel."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y = lib.nn.functional.dropout2d(lib.ones(*shape), 0.5)
    return [str(w.message)[:60] for w in caught], y.numpy()


@pytest.mark.parametrize("shape", [(4, 5), (6, 7, 8), (2, 3, 4, 5), (2, 3, 2, 2, 2)])
def test_other_ranks_warn_as_torch_and_drop_along_dimension_1(shape):
    ours, y = warned(glassnet, shape)
    theirs, _ = warned(torch, shape)
    assert ours == theirs
    channels_zero_or_scaled(np.ones(shape), y, 0.5)   # a 3-D input is (N, C, L): rows of C dropped


def test_a_1d_input_is_refused_as_torch_does():
    for lib in (glassnet, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions"):
                lib.nn.functional.dropout2d(lib.ones(5), 0.5)


# -- Unflatten ----------------------------------------------------------------------------------

@pytest.mark.parametrize("shape, dim, sizes", [
    ((2, 400), 1, (16, 5, 5)), ((2, 400), -1, [16, 25]), ((2, 6, 3), 1, (-1, 3)), ((12,), 0, (3, 4)),
    ((2, 6, 3), -3, (1, 2)), ((2, 6, 3), 2, (3,)), ((5, 0), 1, (0, 7)),
])
def test_unflatten_matches_torch_with_gradients(shape, dim, sizes):
    x = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    results = []
    for lib, size in ((glassnet, sizes), (torch, sizes)):
        xt = lib.tensor(x, requires_grad=True)
        m = lib.nn.Unflatten(dim, size)
        y = m(xt)
        y.backward(lib.tensor(np.arange(y.numel(), dtype=np.float64).reshape(tuple(y.shape))))
        results.append((repr(m), tuple(y.shape), y.detach().numpy(), xt.grad.numpy()))
        assert tuple(xt.unflatten(dim, sizes).shape) == tuple(y.shape)
    (gr, gs, gy, gg), (tr, ts, ty, tg) = results
    assert gr == tr and gs == ts
    np.testing.assert_array_equal(gy, ty)
    np.testing.assert_array_equal(gg, tg)
    assert tuple(glassnet.unflatten(glassnet.tensor(x), dim, sizes).shape) == ts


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.Unflatten(1, 2), lambda lib: lib.nn.Unflatten(1, (2.0, 3)),
    lambda lib: lib.nn.Unflatten(1, (2, 3))(lib.ones(2, 5)),
    lambda lib: lib.nn.Unflatten(3, (2, 3))(lib.ones(2, 6)),
    lambda lib: lib.nn.Unflatten(1, ())(lib.ones(2, 6)),
    lambda lib: lib.nn.Unflatten(1, (-1, -1))(lib.ones(2, 6)),
    lambda lib: lib.nn.Unflatten(1, (-1, 4))(lib.ones(2, 6)),
], ids=["int", "float", "product", "dim", "empty", "two-inferred", "no-fit"])
def test_unflatten_errors_match_torch(make):
    kinds = []
    for lib in (glassnet, torch):
        with pytest.raises(Exception) as info:
            make(lib)
        kinds.append(info.type)
    assert kinds[0] is kinds[1]


def test_unflatten_messages_name_what_is_wrong():
    with pytest.raises(RuntimeError, match=r"Provided sizes \[2, 3\] don't multiply up to the size of "
                                           r"dim 1 \(5\) in the input tensor"):
        gnn.Unflatten(1, (2, 3))(glassnet.ones(2, 5))
    with pytest.raises(TypeError, match="found element of type float at pos 0"):
        gnn.Unflatten(1, (2.0, 3))


# -- Flatten on CNN shapes ------------------------------------------------------------------

@pytest.mark.parametrize("start, end", [(1, -1), (0, -1), (1, 2), (-3, -2), (2, 3), (-1, -1), (0, 0),
                                        (3, -1), (2, 1), (-1, 1), (1, 4), (-5, 1)])
def test_flatten_matches_torch_on_a_batch_of_feature_maps(start, end):
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    outcomes = []
    for lib in (glassnet, torch):
        m = lib.nn.Flatten(start, end)
        try:
            outcomes.append((repr(m), tuple(m(lib.tensor(x)).shape)))
        except (RuntimeError, IndexError) as e:
            outcomes.append((repr(m), type(e)))
    assert outcomes[0] == outcomes[1]


def test_flatten_then_unflatten_is_the_identity_in_a_sequential():
    net = gnn.Sequential(gnn.Flatten(), gnn.Unflatten(1, (3, 4, 5)))
    x = glassnet.randn(2, 3, 4, 5)
    np.testing.assert_array_equal(net(x).numpy(), x.numpy())
    t = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Unflatten(1, (3, 4, 5)))
    assert repr(net) == repr(t)
