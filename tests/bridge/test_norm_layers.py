"""BatchNorm2d, Dropout2d and Unflatten cross to torch and back with their options and buffers
(running statistics and num_batches_tracked after training steps, on either side)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import glassnet  # noqa: E402
import glassnet.nn as gnn  # noqa: E402
from glassnet.bridge import from_torch, to_torch  # noqa: E402


def batches(n, shape=(6, 3, 4, 4)):
    rng = np.random.default_rng(7)
    return [rng.normal(1.0, 2.0, size=shape).astype(np.float32) for _ in range(n)]


@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm2d_buffers_cross_both_ways_after_training(momentum):
    g = gnn.BatchNorm2d(3, momentum=momentum)
    for x in batches(3):
        g(glassnet.tensor(x))
    t = to_torch(g)
    assert type(t) is torch.nn.BatchNorm2d and t.momentum == momentum and t.training
    for name in ("running_mean", "running_var"):
        np.testing.assert_array_equal(getattr(t, name).numpy(), getattr(g, name).numpy())
        assert getattr(t, name).dtype == torch.float32
    assert t.num_batches_tracked.dtype == torch.int64 and int(t.num_batches_tracked) == 3
    for x in batches(2):  # train on in torch, then back: both continue from the same statistics
        t(torch.tensor(x))
        g(glassnet.tensor(x))
    back = from_torch(t)
    assert type(back) is gnn.BatchNorm2d and int(back.num_batches_tracked.item()) == 5
    assert back.num_batches_tracked.dtype == glassnet.int64
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(back, name).numpy(), getattr(g, name).numpy(), rtol=1e-5)
    back.eval(), t.eval()
    x = batches(1)[0]
    np.testing.assert_allclose(back(glassnet.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


def test_batchnorm2d_options_and_missing_buffers_cross():
    t = torch.nn.BatchNorm2d(5, eps=1e-3, affine=False, track_running_stats=False)
    g = from_torch(t)
    assert repr(g) == repr(t)
    assert g.running_mean is None and g.num_batches_tracked is None and g.weight is None
    assert list(g.state_dict()) == list(t.state_dict()) == []
    assert repr(to_torch(g)) == repr(t)


def test_dropout2d_and_unflatten_cross_with_their_options():
    g = gnn.Sequential(gnn.Unflatten(1, (2, 3, 3)), gnn.Dropout2d(0.25), gnn.Flatten())
    t = to_torch(g)
    assert [type(m) for m in t] == [torch.nn.Unflatten, torch.nn.Dropout2d, torch.nn.Flatten]
    assert repr(t) == repr(g)
    back = from_torch(t)
    assert [type(m) for m in back] == [gnn.Unflatten, gnn.Dropout2d, gnn.Flatten]
    assert back[0].unflattened_size == (2, 3, 3) and back[1].p == 0.25
    x = np.arange(36, dtype=np.float32).reshape(2, 18)
    back.eval(), t.eval()
    np.testing.assert_array_equal(back(glassnet.tensor(x)).numpy(), t(torch.tensor(x)).numpy())
