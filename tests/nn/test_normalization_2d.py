"""nn.BatchNorm2d and F.batch_norm on (N, C, *) inputs against torch: values and gradients in
training and eval mode (float32 and float64), the running statistics after several steps (momentum
0.1 and None, the cumulative average), track_running_stats=False, affine=False, the state_dict
(torch's keys and dtypes) crossing into torch's BatchNorm2d and back, reprs and torch's errors."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import glassnet  # noqa: E402
import glassnet.nn as gnn  # noqa: E402
import glassnet.nn.functional as GF  # noqa: E402
from glassnet.autograd import gradcheck  # noqa: E402
from tests.nn.helpers import assert_close  # noqa: E402

DTYPES = ["float32", "float64"]


def pair(dtype, **kwargs):
    """A glassnet and a torch BatchNorm2d(4) with the same (non-trivial) γ and β."""
    g = gnn.BatchNorm2d(4, **kwargs).to(getattr(glassnet, dtype))
    t = torch.nn.BatchNorm2d(4, **kwargs).to(getattr(torch, dtype))
    if g.affine:
        rng = np.random.default_rng(3)
        w, b = rng.uniform(0.5, 1.5, 4).astype(dtype), rng.normal(size=4).astype(dtype)
        with torch.no_grad():
            t.weight.copy_(torch.tensor(w))
            t.bias.copy_(torch.tensor(b))
        g.load_state_dict({**g.state_dict(), "weight": glassnet.tensor(w), "bias": glassnet.tensor(b)})
    return g, t


def batch(dtype, seed=0, shape=(5, 4, 3, 6)):
    return np.random.default_rng(seed).normal(2.0, 3.0, size=shape).astype(dtype)


def step(lib, module, x, seed=0):
    """Output, ∂L/∂x, ∂L/∂γ, ∂L/∂β for a random upstream gradient."""
    xt = lib.tensor(x.copy(), requires_grad=True)
    out = module(xt)
    up = np.random.default_rng(seed + 100).uniform(0.5, 1.5, size=x.shape).astype(x.dtype)
    out.backward(lib.tensor(up))
    params = [p.grad.numpy().copy() for p in (module.weight, module.bias) if p is not None]
    for p in module.parameters():
        p.grad = None
    return [out.detach().numpy(), xt.grad.numpy()] + params


def buffers(module):
    return {k: v.numpy().copy() for k, v in module.state_dict().items() if "running" in k or "tracked" in k}


def same_step(g, t, x, dtype, seed=0):
    for a, b in zip(step(glassnet, g, x, seed), step(torch, t, x, seed), strict=True):
        assert_close(a, b, dtype)
    gb, tb = buffers(g), buffers(t)
    assert gb.keys() == tb.keys()
    for k in gb:
        if k == "num_batches_tracked":
            assert gb[k].dtype == tb[k].dtype == np.int64 and gb[k] == tb[k]
        else:
            assert_close(gb[k], tb[k], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum", [0.1, None])
def test_train_then_eval_matches_torch_step_by_step(dtype, momentum):
    g, t = pair(dtype, momentum=momentum)
    for i in range(4):  # training: batch statistics; the running ones move each step
        same_step(g, t, batch(dtype, seed=i), dtype, seed=i)
    assert int(g.num_batches_tracked.item()) == 4
    g.eval(), t.eval()
    for i in range(2):  # eval: the running statistics, which no longer move
        same_step(g, t, batch(dtype, seed=10 + i), dtype, seed=i)
    assert int(g.num_batches_tracked.item()) == 4


def test_cumulative_average_is_the_mean_of_the_batch_statistics():
    g = gnn.BatchNorm2d(4, momentum=None).double()
    xs = [batch("float64", seed=i) for i in range(5)]
    for x in xs:
        g(glassnet.tensor(x))
    n = xs[0].size // 4
    np.testing.assert_allclose(g.running_mean.numpy(), np.mean([x.mean((0, 2, 3)) for x in xs], 0))
    np.testing.assert_allclose(g.running_var.numpy(),
                               np.mean([x.var((0, 2, 3)) * n / (n - 1) for x in xs], 0))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("affine", [True, False])
def test_without_running_statistics_both_modes_use_the_batch(dtype, affine):
    g, t = pair(dtype, track_running_stats=False, affine=affine)
    assert g.running_mean is None and g.num_batches_tracked is None
    same_step(g, t, batch(dtype), dtype)
    g.eval(), t.eval()
    same_step(g, t, batch(dtype, seed=1), dtype, seed=1)


@pytest.mark.parametrize("dtype", DTYPES)
def test_affine_false_has_no_parameters_and_matches(dtype):
    g, t = pair(dtype, affine=False, momentum=0.3, eps=1e-3)
    assert list(g.parameters()) == [] and g.weight is None and g.bias is None
    for i in range(3):
        same_step(g, t, batch(dtype, seed=i), dtype, seed=i)
    g.eval(), t.eval()
    same_step(g, t, batch(dtype, seed=5), dtype)


def test_state_dict_has_torchs_keys_and_dtypes_and_round_trips_through_torch():
    g = gnn.BatchNorm2d(4)
    for i in range(3):
        g(glassnet.tensor(batch("float32", seed=i)))
    t = torch.nn.BatchNorm2d(4)
    gsd = g.state_dict()
    assert list(gsd) == list(t.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                                 "num_batches_tracked"]
    assert [v.dtype for v in gsd.values()] == [glassnet.float32] * 4 + [glassnet.int64]
    assert gsd["num_batches_tracked"].shape == ()
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in gsd.items()})
    assert t.num_batches_tracked.dtype == torch.int64 and int(t.num_batches_tracked) == 3
    t.eval(), g.eval()
    x = batch("float32", seed=9)
    assert_close(g(glassnet.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy())
    t.train()
    t(torch.tensor(batch("float32", seed=4)))  # torch moves on; glassnet loads torch's state
    back = gnn.BatchNorm2d(4)
    back.load_state_dict({k: glassnet.tensor(v.numpy()) for k, v in t.state_dict().items()})
    assert int(back.num_batches_tracked.item()) == 4
    for k, v in t.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[k].numpy(), v.numpy())


@pytest.mark.parametrize("kwargs", [{}, {"momentum": None}, {"eps": 1e-3, "affine": False},
                                    {"track_running_stats": False}, {"bias": False}])
def test_repr_and_defaults_match_torch(kwargs):
    g, t = gnn.BatchNorm2d(7, **kwargs), torch.nn.BatchNorm2d(7, **kwargs)
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        np.testing.assert_array_equal(g.state_dict()[k].numpy(), v.numpy())
    assert repr(gnn.Sequential(gnn.BatchNorm2d(3))) == repr(torch.nn.Sequential(torch.nn.BatchNorm2d(3)))


def test_reset_running_stats_and_parameters():
    g = gnn.BatchNorm2d(4)
    g(glassnet.tensor(batch("float32")))
    g.weight.data.mul_(3.0)
    g.reset_parameters()
    np.testing.assert_array_equal(g.running_mean.numpy(), 0)
    np.testing.assert_array_equal(g.running_var.numpy(), 1)
    np.testing.assert_array_equal(g.weight.detach().numpy(), 1)
    assert int(g.num_batches_tracked.item()) == 0


def test_batchnorm1d_keeps_its_behaviour_through_the_shared_base():
    for shape in [(6, 4), (6, 4, 5)]:
        g, t = gnn.BatchNorm1d(4, momentum=None), torch.nn.BatchNorm1d(4, momentum=None)
        for i in range(2):
            x = batch("float64", seed=i, shape=shape)
            g, t = g.double(), t.double()
            same_step(g, t, x, "float64", seed=i)
    assert isinstance(gnn.BatchNorm1d(3), gnn.normalization._BatchNorm)


def errors(lib, fn):
    with pytest.raises(Exception) as info:
        fn(lib)
    return info.type, str(info.value).split(":")[0].split("\n")[0].replace("glassnet.Size", "torch.Size")


@pytest.mark.parametrize("fn", [
    lambda lib: lib.nn.BatchNorm2d(3)(lib.ones(2, 3, 4)),
    lambda lib: lib.nn.BatchNorm2d(3)(lib.ones(2, 3, 4, 4, 1)),
    lambda lib: lib.nn.BatchNorm2d(3)(lib.ones(2, 4, 2, 2)),
    lambda lib: lib.nn.BatchNorm2d(3).eval()(lib.ones(2, 4, 2, 2)),
    lambda lib: lib.nn.BatchNorm2d(3, track_running_stats=False)(lib.ones(2, 4, 2, 2)),
    lambda lib: lib.nn.BatchNorm2d(3)(lib.ones(1, 3, 1, 1)),
    lambda lib: lib.nn.BatchNorm1d(3)(lib.ones(5)),
    lambda lib: lib.nn.functional.batch_norm(lib.ones(5), None, None, training=True),
    lambda lib: lib.nn.functional.batch_norm(lib.ones(2, 3, 2, 2), None, None),
    lambda lib: lib.nn.functional.batch_norm(lib.ones(2, 3, 2, 2), None, None, training=True, eps=0.0),
    lambda lib: lib.nn.functional.batch_norm(lib.ones(2, 3, 2), lib.zeros(3), lib.ones(3), eps=-1.0),
], ids=["3d", "5d", "channels", "channels-eval", "weight-channels", "one-value", "1d-module", "1d-F",
        "eval-no-stats", "eps0", "eps-negative"])
def test_errors_match_torch(fn):
    assert errors(glassnet, fn) == errors(torch, fn)


@given(shape=st.sampled_from([(3, 2), (4, 3, 5), (2, 3, 2, 3), (2, 2, 3, 2, 2)]),
       training=st.booleans(), dtype=st.sampled_from(DTYPES), seed=st.integers(0, 1000))
def test_functional_batch_norm_on_n_c_star_matches_torch(shape, training, dtype, seed):
    rng = np.random.default_rng(seed)
    c = shape[1]
    x = rng.normal(1.0, 2.0, size=shape).astype(dtype)
    w, b = rng.normal(size=c).astype(dtype), rng.normal(size=c).astype(dtype)
    stats = rng.normal(size=c).astype(dtype), rng.uniform(0.5, 2.0, c).astype(dtype)
    results = []
    for lib in (glassnet, torch):
        rm, rv = lib.tensor(stats[0].copy()), lib.tensor(stats[1].copy())
        xs = [lib.tensor(a.copy(), requires_grad=True) for a in (x, w, b)]
        out = lib.nn.functional.batch_norm(xs[0], rm, rv, xs[1], xs[2], training, 0.2, 1e-4)
        out.backward(lib.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(shape).astype(dtype)))
        results.append([out.detach().numpy(), rm.numpy(), rv.numpy()] + [v.grad.numpy() for v in xs])
    for a, b_ in zip(*results, strict=True):
        if dtype == "float32":  # γ and β's gradients are sums over N·H·W terms that may cancel: the
            # float32 rounding of such a sum depends on the summation order (BLAS, NumPy, torch)
            np.testing.assert_allclose(a, b_, rtol=1e-4, atol=1e-5)
        else:
            assert_close(a, b_, dtype)


@pytest.mark.parametrize("training", [True, False])
def test_functional_batch_norm_gradcheck(training):
    rng = np.random.default_rng(0)
    x, w, b = (glassnet.tensor(rng.normal(size=s), dtype=glassnet.float64, requires_grad=True)
               for s in [(3, 2, 2, 3), (2,), (2,)])
    rm, rv = glassnet.zeros(2, dtype=glassnet.float64), glassnet.ones(2, dtype=glassnet.float64) * 2
    assert gradcheck(lambda x, w, b: GF.batch_norm(x, None if training else rm, None if training else rv,
                                                   w, b, training), (x, w, b))
