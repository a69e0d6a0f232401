"""compare_with_torch: the same step in PyTorch, the largest difference of every value."""
import numpy as np
import pytest

import glassnet
from glassnet import nn
from glassnet.nn import functional as F
from glassnet.explain import compare_with_torch
from glassnet.lessons.examples import DIAGONAL_FLIP, XOR, DiagonalFlipNet, XORNet, load

torch = pytest.importorskip("torch", reason="compare_with_torch runs the step in PyTorch")


def _flip(dtype, rows):
    model = load(DiagonalFlipNet(), DIAGONAL_FLIP, dtype)
    x, t = np.array([1.0, 0, 1, 1]), np.array([1.0, 1, 0, 1])
    if rows > 1:
        x, t = np.tile(x, (rows, 1)), np.tile(t, (rows, 1))
    return model, glassnet.tensor(x.tolist(), dtype=dtype), glassnet.tensor(t.tolist(), dtype=dtype)


@pytest.mark.parametrize("rows", [1, 2])
def test_seed_002_float32_equals_torch(rows):
    model, x, t = _flip(glassnet.float32, rows)
    cmp = compare_with_torch(model, x, t, loss="mse", lr=0.1)
    kink = any("different sides of the ReLU kink" in n for n in cmp.notes)
    if not kink:   # the same side of the kink: equal up to float32 rounding of the update
        assert cmp.max_abs_diff < 1e-6, str(cmp)
        assert cmp.row("loss after the step").max_abs_diff < 1e-6
    else:          # different sides: one unit is dead in one engine only, and the gradients show it
        assert cmp.max_abs_diff > 1e-3, str(cmp)
    z0 = float(np.asarray(cmp.recording.forward_ops[0].output).reshape(-1, 3)[0, 0])
    if z0 > 0 and not kink:
        assert abs(float(cmp.recording.effect.loss_after) - 0.72184) < 1e-5
    assert float(model.layer1.bias.array[2]) == 0.0     # the caller's model is untouched


def test_exact_against_a_float64_twin_names_the_kink():
    model, x, t = _flip(glassnet.exact, 1)
    cmp = compare_with_torch(model, x, t, loss="mse", lr=0.1)
    assert "float64" in cmp.notes[-1]
    if cmp.max_abs_diff > 1e-12:    # torch's float64 sum landed off the exact 0
        assert any("layer1 entry 0" in n for n in cmp.notes)
    assert cmp.row("∂L/∂layer2.bias").max_abs_diff < 1e-15


def test_seed_003_equals_torch():
    model = load(XORNet(), XOR, glassnet.float32)
    cmp = compare_with_torch(model, glassnet.tensor([1.0, 0.0]), glassnet.tensor([1.0]), loss="bce",
                             lr=1.0)
    assert cmp.max_abs_diff < 1e-6, str(cmp)
    assert cmp.recording.comparison is cmp
    doc = cmp.recording.to_dict()
    assert doc["comparison"]["torch_version"] == torch.__version__


def test_sequential_twin_with_adam():
    glassnet.manual_seed(3)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2), nn.Sigmoid())
    x = glassnet.randn(5, 3)
    t = glassnet.rand(5, 2)
    cmp = compare_with_torch(model, x, t, loss="mse", optimizer="Adam", lr=0.01)
    assert cmp.max_abs_diff < 1e-5, str(cmp)
    assert {r.quantity for r in cmp.rows} >= {"output of 0", "output of 3", "loss", "∂L/∂0.weight"}


def test_a_user_subclass_crosses_by_itself_and_one_that_cannot_cross_needs_a_twin():
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 1)

        def forward(self, x):
            return F.tanh(self.lin(x)) * 2.0

    glassnet.manual_seed(0)
    cmp = compare_with_torch(Custom(), glassnet.ones(2), glassnet.ones(1))     # via bridge.to_torch
    assert cmp.max_abs_diff < 1e-6, str(cmp)
    assert {"loss", "∂L/∂lin.weight", "lin.weight after the step"} <= {r.quantity for r in cmp.rows}

    hooked = Custom()
    hooked.lin.register_forward_hook(lambda module, args, output: None)   # hooks do not cross
    with pytest.raises(TypeError, match="pass twin="):
        compare_with_torch(hooked, glassnet.ones(2), glassnet.ones(1))
    twin = torch.nn.Module()
    twin.lin = torch.nn.Linear(2, 1)
    twin.forward = lambda x: torch.tanh(twin.lin(x)) * 2.0
    cmp = compare_with_torch(hooked, glassnet.ones(2), glassnet.ones(1), twin=twin)
    assert cmp.max_abs_diff < 1e-6
