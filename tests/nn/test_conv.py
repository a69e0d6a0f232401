"""nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d: torch's state_dict keys and shapes,
reprs, init statistics, outputs and gradients equal to torch's after copying the weights, and torch's
errors for bad arguments."""
import math

import numpy as np
import pytest

import glassnet
import glassnet.nn as nn

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests")
pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same.")

CASES = [
    ("Conv2d", (3, 6, 5), {}),
    ("Conv2d", (6, 16, (3, 5)), {"stride": 2, "padding": (1, 2), "dilation": (2, 1), "groups": 2, "bias": False}),
    ("Conv2d", (4, 8, 4), {"padding": "same", "dilation": 3}),
    ("Conv2d", (4, 8, 3), {"padding": "valid"}),
    ("Conv1d", (2, 4, 3), {"padding": "same", "dilation": 2}),
    ("Conv1d", (4, 4, 2), {"stride": 3, "groups": 4, "padding": 1}),
    ("ConvTranspose2d", (6, 4, 3), {"stride": 2, "output_padding": 1, "groups": 2, "bias": False}),
    ("ConvTranspose2d", (3, 5, (2, 3)), {"stride": (2, 1), "padding": 1, "dilation": 2}),
    ("ConvTranspose1d", (2, 4, 5), {"stride": 3, "padding": 2, "output_padding": 2}),
]


def pair(name, args, kw):
    return getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)


def input_for(name, module, n=2):
    nd = 1 if name.endswith("1d") else 2
    return np.random.default_rng(0).uniform(-1, 1, size=(n, module.in_channels) + (9,) * nd)


@pytest.mark.parametrize("name, args, kw", CASES)
def test_state_dict_keys_shapes_and_repr_match_torch(name, args, kw):
    g, t = pair(name, args, kw)
    assert list(g.state_dict()) == list(t.state_dict())
    for key, value in t.state_dict().items():
        assert tuple(g.state_dict()[key].shape) == tuple(value.shape)
    assert repr(g) == repr(t)
    for attr in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "transposed",
                 "output_padding", "groups", "padding_mode"):
        assert getattr(g, attr) == getattr(t, attr), attr


@pytest.mark.parametrize("name, args, kw", CASES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_outputs_and_gradients_match_torch_after_load_state_dict(name, args, kw, dtype):
    g, t = pair(name, args, kw)
    if dtype == "float64":
        g, t = g.double(), t.double()
    g.load_state_dict({k: glassnet.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    x = input_for(name, g).astype(dtype)
    gx, tx = glassnet.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gy, ty = g(gx), t(tx)
    rtol, atol = (1e-9, 1e-12) if dtype == "float64" else (1e-5, 1e-5)
    np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), rtol=rtol, atol=atol)
    (gy * gy).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=rtol, atol=atol * 10)
    for (k, p), (_, q) in zip(g.named_parameters(), t.named_parameters(), strict=True):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=rtol, atol=atol * 100, err_msg=k)


@pytest.mark.parametrize("name, args, fan_in", [("Conv2d", (16, 64, 5), 16 * 25),
                                                 ("Conv1d", (8, 32, 7, 1, 0, 1, 2), 4 * 7),
                                                 ("ConvTranspose2d", (64, 16, 5), 16 * 25)])
def test_init_is_torchs_uniform_with_fan_in_bound(name, args, fan_in):
    layer = getattr(nn, name)(*args)
    bound = 1 / math.sqrt(fan_in)   # kaiming_uniform_(a=√5): gain √(1/3), bound gain·√(3/fan_in)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert abs(w.mean()) < 0.05 * bound
    assert w.dtype == np.float32 and layer.weight.requires_grad


def test_conv_transpose_output_size_picks_output_padding_as_torch():
    g, t = pair("ConvTranspose2d", (3, 2, 3), {"stride": 2, "padding": 1})
    g.load_state_dict({k: glassnet.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((1, 3, 4, 4)).astype(np.float32)
    for size in ([7, 7], [8, 8], [1, 2, 8, 7]):
        gy, ty = g(glassnet.tensor(x), output_size=size), t(torch.tensor(x), output_size=size)
        assert tuple(gy.shape) == tuple(ty.shape)
        np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="valid sizes range from"):
        g(glassnet.tensor(x), output_size=[9, 9])


@pytest.mark.parametrize("name, args, kw, error, words", [
    ("Conv2d", (3, 6, 3), {"groups": 2}, ValueError, "in_channels must be divisible by groups"),
    ("Conv2d", (4, 6, 3), {"groups": 4}, ValueError, "out_channels must be divisible by groups"),
    ("Conv2d", (4, 4, 3), {"groups": 0}, ValueError, "groups must be a positive integer"),
    ("Conv2d", (4, 4, 3), {"padding": "same", "stride": 2}, ValueError, "not supported for strided"),
    ("Conv1d", (4, 4, 3), {"padding": "full"}, ValueError, "Invalid padding string 'full'"),
    ("Conv2d", (4, 4, 3), {"padding_mode": "mirror"}, ValueError, "padding_mode must be one of"),
    ("ConvTranspose2d", (4, 4, 3), {"padding_mode": "reflect"}, ValueError, 'Only "zeros" padding mode'),
    ("ConvTranspose2d", (3, 4, 3), {"groups": 2}, ValueError, "in_channels must be divisible by groups"),
])
def test_bad_arguments_raise_torchs_errors(name, args, kw, error, words):
    with pytest.raises(error, match=words):
        getattr(nn, name)(*args, **kw)
    with pytest.raises(error):
        getattr(torch.nn, name)(*args, **kw)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_other_padding_modes_say_what_to_do(mode):
    with pytest.raises(NotImplementedError, match="padding_mode='zeros'"):
        nn.Conv2d(3, 3, 3, padding=1, padding_mode=mode)


def test_wrong_input_channels_and_rank_raise_runtime_errors():
    layer = nn.Conv2d(3, 6, 5)
    with pytest.raises(RuntimeError, match="expected input\\[1, 4, 8, 8\\] to have 3 channels"):
        layer(glassnet.zeros(1, 4, 8, 8))
    with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D \\(batched\\) input"):
        layer(glassnet.zeros(8, 8))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        layer(glassnet.zeros(1, 3, 4, 4))


def test_cifar_tutorial_net_trains_one_step_like_torch():
    """The PyTorch CIFAR tutorial's net (conv-pool by reshape-max here, as pooling is another
    part of the issue): one SGD step, weights copied from torch, same loss and same new weights."""
    def build(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1, self.conv2 = lib.nn.Conv2d(3, 6, 5), lib.nn.Conv2d(6, 16, 5)
                self.fc = lib.nn.Linear(16 * 5 * 5, 10)

            def forward(self, x):
                pool = lambda a: a.reshape(a.shape[0], a.shape[1], a.shape[2] // 2, 2, a.shape[3] // 2, 2).sum(5).sum(3)  # noqa: E731
                x = pool(self.conv1(x).relu())
                x = pool(self.conv2(x).relu())
                return self.fc(x.flatten(1))
        return Net()
    g, t = build(glassnet).double(), build(torch).double()
    g.load_state_dict({k: glassnet.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((4, 3, 32, 32)), rng.integers(0, 10, 4)
    losses = []
    for lib, net in ((glassnet, g), (torch, t)):
        opt = lib.optim.SGD(net.parameters(), lr=0.1)
        loss = lib.nn.functional.cross_entropy(net(lib.tensor(x)), lib.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-10)
    for (k, p), (_, q) in zip(g.state_dict().items(), t.state_dict().items(), strict=True):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-9, atol=1e-12, err_msg=k)
