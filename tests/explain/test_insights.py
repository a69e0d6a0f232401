"""Insights computed from the numbers: saturation, dead units in a batch, float resolution."""
import glassnet
from glassnet import nn, optim
from glassnet.explain import record
from glassnet.nn import functional as F


def _step(model, x, t, lr=0.1):
    opt = optim.SGD(model.parameters(), lr=lr)
    with record(model, opt) as step:
        loss = F.mse_loss(model(x), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def test_saturated_sigmoid_is_named_with_its_slope():
    model = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
    model.load_state_dict({"0.weight": glassnet.tensor([[8.0, 8.0]]), "0.bias": glassnet.tensor([0.0])})
    step = _step(model, glassnet.tensor([1.0, 1.0]), glassnet.tensor([0.0]))
    sat = [i for i in step.insights() if i.kind == "saturated"]
    assert len(sat) == 1 and "vanishing gradient" in sat[0].message
    assert "Saturated σ in 1 (σ′ = 1.19e−07 at z_out = 16)" in sat[0].message
    assert step.forward_table().rows[0][-1].startswith("saturated")


def test_dead_unit_must_be_dead_for_every_sample():
    model = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1))
    model.load_state_dict({"0.weight": glassnet.tensor([[1.0], [-1.0]]), "0.bias": glassnet.tensor([0.0, -5.0]),
                           "2.weight": glassnet.tensor([[1.0, 1.0]]), "2.bias": glassnet.tensor([0.0])})
    step = _step(model, glassnet.tensor([[1.0], [-2.0]]), glassnet.tensor([[0.0], [1.0]]))
    dead = [i for i in step.insights() if i.kind == "dead_relu"]
    assert [d.data["units"] for d in dead] == [[1]]     # unit 0 is alive for the first sample
    assert "unit 1 of 0 is dead" in step.update_summary()


def test_updates_below_float_resolution_are_counted():
    w = glassnet.tensor([1000.0], requires_grad=True)
    opt = optim.SGD([w], lr=1e-8)
    with record(optimizer=opt, names={"w": w}) as step:
        (w * 1.0).sum().backward()
        opt.step()
    assert "1 got a nonzero gradient but did not change" in step.update_summary()
