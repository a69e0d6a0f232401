"""The pooling and resizing modules (``nn.MaxPool1d`` … ``nn.Upsample``): torch's arguments,
defaults, reprs, (empty) state_dicts, outputs and gradients, ``return_indices`` equal to torch's;
``explain.record`` of a small network using them, and ``glassnet.bridge`` crossing them both ways."""
import numpy as np
import pytest

import glassnet
import glassnet.nn as nn
from tests.conftest import TOL

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests (pip install torch==2.13.0)")

MODULES = [
    ("MaxPool1d", (3,), {}),
    ("MaxPool1d", (3, 2, 1), {"dilation": 2, "ceil_mode": True}),
    ("MaxPool2d", (2,), {}),
    ("MaxPool2d", ((3, 2),), {"stride": 1, "padding": (1, 0)}),
    ("MaxPool2d", (3, 2, 1, 1, False, True), {}),
    ("AvgPool1d", (3,), {}),
    ("AvgPool1d", (3, 2, 1, True, False), {}),
    ("AvgPool2d", (2,), {}),
    ("AvgPool2d", ((2, 3), 1, 1, True, False, 2), {}),
    ("AdaptiveAvgPool2d", ((5, None),), {}),
    ("AdaptiveAvgPool2d", (3,), {}),
    ("AdaptiveMaxPool2d", (3,), {}),
    ("AdaptiveMaxPool2d", ((2, 4),), {}),
    ("Upsample", (), {"scale_factor": 2}),
    ("Upsample", (), {"size": (3, 4), "mode": "bilinear", "align_corners": True}),
    ("Upsample", (), {"scale_factor": (2, 1.5), "mode": "bilinear"}),
    ("Upsample", (), {"scale_factor": 1.7, "recompute_scale_factor": True}),
]
IDS = [f"{name}{args}{kwargs}" for name, args, kwargs in MODULES]


def _input(name, dtype, seed=0):
    shape = (2, 3, 11) if name.endswith("1d") else (2, 3, 9, 7)
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("name, args, kwargs", MODULES, ids=IDS)
def test_repr_and_state_dict_as_torch(name, args, kwargs):
    g, t = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict()) == []
    assert list(g.parameters()) == []


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, args, kwargs", MODULES, ids=IDS)
def test_module_output_and_gradient_match_torch(name, args, kwargs, dtype):
    x = _input(name, dtype)
    results = []
    for lib in (glassnet, torch):
        m = getattr(lib.nn, name)(*args, **kwargs)
        xt = lib.tensor(x.copy(), requires_grad=True)
        out = m(xt)
        idx = None
        if isinstance(out, tuple):
            out, idx = out[0], out[1].numpy()
        up = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(dtype)
        out.backward(lib.tensor(up))
        results.append((out.detach().numpy(), xt.grad.numpy(), idx))
    (gv, gg, gi), (tv, tg, ti) = results
    rtol, atol = TOL[np.dtype(dtype).name]
    assert gv.shape == tv.shape and gv.dtype == tv.dtype
    np.testing.assert_allclose(gv, tv, rtol=rtol, atol=atol)
    np.testing.assert_allclose(gg, tg, rtol=rtol, atol=atol * 10)
    if ti is not None:
        np.testing.assert_array_equal(gi, ti)


@pytest.mark.parametrize("name, args", [("MaxPool1d", (3, 2, 1)), ("MaxPool2d", ((3, 2), 2, (1, 0))),
                                        ("AdaptiveMaxPool2d", ((4, 3),))])
def test_return_indices_equal_torch(name, args):
    x = _input(name, np.float32, seed=3)
    g = getattr(nn, name)(*args, return_indices=True)(glassnet.tensor(x))
    t = getattr(torch.nn, name)(*args, return_indices=True)(torch.tensor(x))
    assert isinstance(g, tuple) and len(g) == 2
    assert g[1].dtype == glassnet.int64
    np.testing.assert_array_equal(g[1].numpy(), t[1].numpy())
    np.testing.assert_array_equal(g[0].numpy(), t[0].numpy())


def test_unbatched_input_as_torch():
    x = np.random.default_rng(0).standard_normal((3, 8, 6))
    for m in ("MaxPool2d", "AvgPool2d"):
        g = getattr(nn, m)(2)(glassnet.tensor(x))
        t = getattr(torch.nn, m)(2)(torch.tensor(x))
        np.testing.assert_allclose(g.numpy(), t.numpy())
    g = nn.AdaptiveAvgPool2d(3)(glassnet.tensor(x))
    np.testing.assert_allclose(g.numpy(), torch.nn.AdaptiveAvgPool2d(3)(torch.tensor(x)).numpy())


def test_module_defaults_as_torch():
    for name in ("MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d"):
        g, t = getattr(nn, name)(3), getattr(torch.nn, name)(3)
        for attr in ("kernel_size", "stride", "padding", "ceil_mode", "dilation", "return_indices",
                     "count_include_pad", "divisor_override"):
            assert getattr(g, attr, "absent") == getattr(t, attr, "absent"), (name, attr)
    g, t = nn.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2)
    for attr in ("name", "size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"):
        assert getattr(g, attr) == getattr(t, attr), attr


def _cnn(lib):
    m = lib.nn
    return m.Sequential(m.MaxPool2d(2), m.AvgPool2d(2, 1), m.Upsample(scale_factor=2, mode="bilinear"),
                        m.AdaptiveAvgPool2d((2, 3)), m.AdaptiveMaxPool2d(2), m.Flatten(), m.Linear(12, 2))


def test_explain_records_and_renders_a_network_with_pooling():
    glassnet.manual_seed(0)
    model = _cnn(glassnet)
    opt = glassnet.optim.SGD(model.parameters(), lr=0.1)
    x, y = glassnet.randn(4, 3, 8, 8), glassnet.randn(4, 2)
    with glassnet.explain.record(model, opt) as step:
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert step.to_text()
    assert "<" in step.to_html()
    assert step.to_dict()["layers"]


def test_bridge_crosses_pooling_layers_both_ways():
    glassnet.manual_seed(0)
    g_model = _cnn(glassnet)
    t_model = glassnet.bridge.to_torch(g_model)
    assert [type(m).__name__ for m in t_model] == [type(m).__name__ for m in g_model]
    assert repr(t_model) == repr(g_model)
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(t_model(torch.tensor(x)).detach().numpy(),
                               g_model(glassnet.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    back = glassnet.bridge.from_torch(t_model)
    assert isinstance(back[0], nn.MaxPool2d) and isinstance(back[2], nn.Upsample)
    assert repr(back) == repr(g_model)
    np.testing.assert_allclose(back(glassnet.tensor(x)).detach().numpy(),
                               g_model(glassnet.tensor(x)).detach().numpy(), rtol=1e-6)
    t_only = torch.nn.Sequential(torch.nn.MaxPool1d(2, return_indices=False), torch.nn.AvgPool1d(2))
    assert repr(glassnet.bridge.from_torch(t_only)) == repr(t_only)
