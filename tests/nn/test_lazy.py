"""``nn.LazyLinear`` and ``UninitializedParameter`` against torch: before the first call (repr,
state_dict, in_features 0, the errors of using a parameter without a shape), the first call
(in_features read from the input, the module becomes a ``Linear``, the parameter objects kept,
``Linear``'s init bounds), an optimizer built before the first call training the materialized
parameters step for step as torch's does, values and gradients (float32 and float64, hypothesis
shapes), ``load_state_dict`` materializing, ``.double()``, deepcopy and pickling."""
import copy
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import glassnet
import glassnet.nn as gnn
from tests.conftest import TOL

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests (pip install torch==2.13.0)")
LIBS = ((glassnet, gnn), (torch, torch.nn))


def test_before_the_first_call_as_torch():
    for bias in (True, False):
        g, t = gnn.LazyLinear(3, bias=bias), torch.nn.LazyLinear(3, bias=bias)
        assert repr(g) == repr(t) and g.in_features == t.in_features == 0
        assert list(g.state_dict()) == list(t.state_dict())
        assert [repr(v) for v in g.state_dict().values()] == [repr(v) for v in t.state_dict().values()]
        assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
        assert g.has_uninitialized_params() and t.has_uninitialized_params()
        assert isinstance(g.weight, gnn.Parameter) and g.weight.requires_grad and g.weight.grad is None


def test_using_a_parameter_without_a_shape_raises_as_torch():
    for lib, nn in LIBS:
        w = nn.LazyLinear(3).weight
        with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
            w.shape
        with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
            w.numel()
        with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
            w + 1
        with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
            w.sum()
        with pytest.raises(RuntimeError):   # an uninitialized state dict into a Linear
            nn.Linear(4, 3).load_state_dict(nn.LazyLinear(3).state_dict())


@pytest.mark.parametrize("shape", [(2, 5), (7,), (2, 3, 4)])
def test_the_first_call_makes_a_linear_with_the_same_parameter_objects(shape):
    for lib, nn in LIBS:
        m = nn.LazyLinear(3)
        before = list(m.parameters())
        y = m(lib.randn(*shape))
        assert type(m) is nn.Linear and m.in_features == shape[-1]
        assert repr(m) == f"Linear(in_features={shape[-1]}, out_features=3, bias=True)"
        assert all(a is b for a, b in zip(before, m.parameters(), strict=True))
        assert type(m.weight) is nn.Parameter and tuple(m.weight.shape) == (3, shape[-1])
        assert tuple(y.shape) == tuple(shape[:-1]) + (3,)


def test_the_first_call_draws_as_linear_does():
    """The same draws as ``Linear(400, 300)`` from the same seed: U(−1/√in, 1/√in)."""
    glassnet.manual_seed(0)
    m = gnn.LazyLinear(300)
    m(glassnet.zeros(1, 400))
    glassnet.manual_seed(0)
    ref = gnn.Linear(400, 300)
    np.testing.assert_array_equal(m.weight.detach().numpy(), ref.weight.detach().numpy())
    np.testing.assert_array_equal(m.bias.detach().numpy(), ref.bias.detach().numpy())
    a = m.weight.detach().numpy()
    assert np.abs(a).max() <= 1 / np.sqrt(400) and np.abs(a).max() > 0.99 / np.sqrt(400)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_an_optimizer_built_before_the_first_call_trains_it_as_torchs(name):
    """torch allows the optimizer before the first forward; the materialized parameters are the
    ones it holds."""
    rng = np.random.default_rng(0)
    x, target = rng.normal(size=(6, 4)), rng.normal(size=(6, 2))
    runs = []
    for lib, nn in LIBS:
        m = nn.LazyLinear(2).double()
        opt = (lib.optim.SGD(m.parameters(), lr=0.1, momentum=0.9) if name == "SGD"
               else lib.optim.Adam(m.parameters(), lr=0.05))
        opt.step()                                    # no gradients yet: nothing happens
        m(lib.zeros(1, 4, dtype=lib.float64))         # the first call materializes
        with lib.no_grad():                           # the same start on both sides
            m.weight.copy_(lib.tensor(np.linspace(-1, 1, 8).reshape(2, 4)))
            m.bias.copy_(lib.tensor(np.array([0.1, -0.2])))
        losses = []
        for _ in range(4):
            loss = ((m(lib.tensor(x)) - lib.tensor(target)) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        runs.append((losses, m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy()))
    for a, b in zip(*runs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@given(lead=st.lists(st.integers(1, 3), min_size=0, max_size=2), I=st.integers(1, 5), O=st.integers(1, 5),
       bias=st.booleans(), seed=st.integers(0, 2**16))
def test_values_and_gradients_match_torch(dtype, lead, I, O, bias, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=tuple(lead) + (I,)).astype(dtype)
    up = rng.uniform(-1, 1, size=tuple(lead) + (O,)).astype(dtype)
    t = torch.nn.LazyLinear(O, bias=bias, dtype=getattr(torch, dtype))
    g = gnn.LazyLinear(O, bias=bias, dtype=getattr(glassnet, dtype))
    results = []
    for lib, m in ((torch, t), (glassnet, g)):
        xs = lib.tensor(x, requires_grad=True)
        if m is g:
            m(xs.detach())                             # materialize, then torch's values
            g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
        y = m(xs)
        y.backward(lib.tensor(up))
        results.append([y.detach().numpy(), xs.grad.numpy()] + [p.grad.numpy() for p in m.parameters()])
    rtol, atol = TOL[dtype]
    for a, b in zip(*results, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def test_load_state_dict_materializes_and_the_module_stays_lazy_until_called():
    for lib, nn in LIBS:
        m = nn.LazyLinear(3)
        src = nn.Linear(4, 3)
        m.load_state_dict(src.state_dict())
        assert type(m) is nn.LazyLinear and tuple(m.weight.shape) == (3, 4)
        np.testing.assert_array_equal(m.weight.detach().numpy(), src.weight.detach().numpy())
        m(lib.zeros(2, 4))
        assert type(m) is nn.Linear and m.in_features == 4
        np.testing.assert_array_equal(m.weight.detach().numpy(), src.weight.detach().numpy())
        with pytest.raises(AssertionError, match="in_features inferred from input: 5"):
            late = nn.LazyLinear(3)
            late.load_state_dict(src.state_dict())
            late(lib.zeros(2, 5))


def test_dtype_deepcopy_and_pickle_before_the_first_call():
    m = gnn.LazyLinear(3).double()
    assert m.weight.dtype == glassnet.float64 and m(glassnet.zeros(2, 4, dtype=glassnet.float64)).dtype == glassnet.float64
    c = copy.deepcopy(gnn.LazyLinear(3, dtype=glassnet.float64))
    assert type(c) is gnn.LazyLinear and repr(c.weight) == "<UninitializedParameter>"
    assert c.weight.dtype == glassnet.float64
    p = pickle.loads(pickle.dumps(gnn.LazyLinear(2)))
    assert repr(p.bias) == "<UninitializedParameter>" and type(p(glassnet.zeros(1, 3))) is glassnet.Tensor


# -- the lazy convolutions and batch norms (d2l's CNNs are written with them) --------------------
NEW_LAZY = [  # (name, arguments, keyword arguments, first input's shape)
    ("LazyConv1d", (4, 3), {"groups": 2, "padding": 1}, (2, 4, 7)),
    ("LazyConv2d", (6, 3), {"stride": 2, "padding": 1}, (2, 3, 7, 7)),
    ("LazyConv2d", (6, 3), {"bias": False, "dilation": 2}, (3, 6, 6)),        # unbatched
    ("LazyConvTranspose1d", (3, 3), {"stride": 2}, (2, 4, 5)),
    ("LazyConvTranspose2d", (4, 2), {"stride": 2, "output_padding": 1, "groups": 2}, (2, 4, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (5, 3)),
    ("LazyBatchNorm1d", (), {"affine": False}, (5, 3, 4)),
    ("LazyBatchNorm2d", (), {"momentum": None}, (4, 3, 2, 2)),
    ("LazyBatchNorm2d", (), {"track_running_stats": False, "eps": 1e-3}, (4, 3, 2, 2)),
]
NEW_IDS = [f"{n}-{'-'.join(map(str, kw))}" for n, _, kw, _ in NEW_LAZY]


@pytest.mark.parametrize("name, args, kwargs, shape", NEW_LAZY, ids=NEW_IDS)
def test_a_lazy_conv_or_batch_norm_before_and_after_its_first_call_as_torch(name, args, kwargs, shape):
    g, t = getattr(gnn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict())
    assert [repr(v) for v in g.state_dict().values()] == [repr(v) for v in t.state_dict().values()]
    assert g.has_uninitialized_params() and t.has_uninitialized_params()
    before = list(g.parameters())
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    yg, yt = g(glassnet.tensor(x)), t(torch.tensor(x))
    assert type(g).__name__ == type(t).__name__ == name.replace("Lazy", "")
    assert repr(g) == repr(t) and tuple(yg.shape) == tuple(yt.shape)
    assert all(a is b for a, b in zip(before, g.parameters(), strict=True))
    assert {k: tuple(v.shape) for k, v in g.state_dict().items()} == {k: tuple(v.shape) for k, v in t.state_dict().items()}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, args, kwargs, shape", NEW_LAZY, ids=NEW_IDS)
def test_a_lazy_conv_or_batch_norm_computes_as_torch(dtype, name, args, kwargs, shape):
    """Materialized by a first call, given torch's values: outputs, gradients and the running
    statistics of a second (training) call match torch's."""
    rng = np.random.default_rng(1)
    x0, x1 = (rng.normal(size=shape).astype(dtype) for _ in range(2))
    t = getattr(torch.nn, name)(*args, **kwargs, dtype=getattr(torch, dtype))
    g = getattr(gnn, name)(*args, **kwargs, dtype=getattr(glassnet, dtype))
    t(torch.tensor(x0))
    g(glassnet.tensor(x0))
    g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    results = []
    for lib, m in ((torch, t), (glassnet, g)):
        xs = lib.tensor(x1, requires_grad=True)
        y = m(xs)
        (y * lib.tensor(np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)).astype(dtype))).sum().backward()
        results.append([y.detach().numpy(), xs.grad.numpy()] + [p.grad.numpy() for p in m.parameters()]
                       + [b.numpy() for b in m.buffers()])
    rtol, atol = TOL[dtype]
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def test_a_lazy_conv_refuses_inputs_as_torch():
    for lib, nn in LIBS:
        with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to LazyConv2d"):
            nn.LazyConv2d(4, 3)(lib.zeros(5, 5))
        with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
            nn.LazyConv2d(4, 3, groups=2)(lib.zeros(1, 3, 5, 5))


def test_load_state_dict_materializes_a_lazy_batch_norms_buffers():
    for lib, nn in LIBS:
        src = nn.BatchNorm2d(5)
        with lib.no_grad():
            src.running_mean.copy_(lib.arange(5.0))
        m = nn.LazyBatchNorm2d()
        m.load_state_dict(src.state_dict())
        assert type(m) is nn.LazyBatchNorm2d and tuple(m.running_mean.shape) == (5,)
        np.testing.assert_array_equal(m.running_mean.numpy(), np.arange(5.0, dtype=np.float32))
        m.eval()
        y = m(lib.ones(2, 5, 1, 1))
        assert type(m) is nn.BatchNorm2d
        np.testing.assert_allclose(y.detach().numpy().reshape(2, 5), np.tile(1 - np.arange(5.0), (2, 1)) / np.sqrt(1 + 1e-5),
                                   rtol=1e-6)


def test_a_lazy_batch_norm_deepcopies_pickles_and_changes_dtype_before_its_first_call():
    m = gnn.LazyBatchNorm2d().double()
    assert repr(m.running_mean) == "<UninitializedBuffer>" and m.running_mean.dtype == glassnet.float64
    c = copy.deepcopy(m)
    assert type(c) is gnn.LazyBatchNorm2d and c.weight.dtype == glassnet.float64
    p = pickle.loads(pickle.dumps(gnn.LazyBatchNorm2d()))
    assert repr(p.running_var) == "<UninitializedBuffer>"
    assert type(p(glassnet.ones(2, 3, 2, 2))) is glassnet.Tensor and type(p.running_var) is glassnet.Tensor
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
        gnn.LazyBatchNorm1d().running_mean + 1


def test_an_optimizer_built_before_the_first_call_trains_a_lazy_cnn_as_torchs():
    rng = np.random.default_rng(2)
    x, target = rng.normal(size=(4, 2, 6, 6)), np.array([0, 2, 1, 2])
    runs = []
    for lib, nn in LIBS:
        # (no conv bias before the batch norm: its gradient is 0 up to rounding, which Adam would
        # scale up to a step of the rounding's sign, different for another summation order)
        model = nn.Sequential(nn.LazyConv2d(3, 3, padding=1, bias=False), nn.LazyBatchNorm2d(), nn.Tanh(),
                              nn.Flatten(), nn.LazyLinear(3)).double()
        opt = lib.optim.Adam(model.parameters(), lr=0.05)
        model(lib.zeros(1, 2, 6, 6, dtype=lib.float64))
        with lib.no_grad():
            for i, p in enumerate(model.parameters()):
                p.copy_(lib.tensor(np.sin(np.arange(p.numel()) * 0.3 + i).reshape(tuple(p.shape))))
        model[1].reset_running_stats()
        losses = []
        for _ in range(3):
            loss = lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(target))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        runs.append(losses + [p.detach().numpy().copy() for p in model.parameters()])
    for a, b in zip(*runs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
