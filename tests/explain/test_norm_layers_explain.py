"""explain and the doctor on small CNNs with the new layers (GroupNorm, InstanceNorm2d,
PixelShuffle): a glassnet step and a real torch step record, render, and derive a norm's γ
gradient as the sum it is, equal to the one backward computed (torch's, for the torch step); the
conv summary finds the activation through a group norm; the doctor's checks run on such a model
and name nothing, since these norms do the same in training and evaluation."""
import numpy as np
import pytest

import glassnet
import glassnet.nn as nn
import glassnet.nn.functional as F
from glassnet import explain
from glassnet.doctor.engine_observe import GlassnetObserver
from glassnet.doctor.observed import Thresholds
from glassnet.doctor.runner import _observed, run_checks


def _net(lib):
    n = lib.nn
    return n.Sequential(n.Conv2d(2, 8, 3, padding=1), n.GroupNorm(2, 8), n.ReLU(),
                        n.Conv2d(8, 4, 3, padding=1), n.InstanceNorm2d(4, affine=True), n.SiLU(),
                        n.PixelShuffle(2), n.Flatten(), n.Linear(1 * 8 * 8, 3))


def _step(lib, net, x, y):
    opt = lib.optim.SGD(net.parameters(), lr=0.1)
    with explain.record(net, opt) as rec:
        loss = lib.nn.functional.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        grads = {k: p.grad.detach().numpy().copy() for k, p in net.named_parameters()}
        opt.step()
    return rec, grads


def test_a_glassnet_step_records_renders_and_derives_the_norm_weights():
    glassnet.manual_seed(0)
    net = _net(glassnet).double()
    x, y = glassnet.randn(3, 2, 4, 4, dtype=glassnet.float64), glassnet.tensor([0, 2, 1])
    rec, grads = _step(glassnet, net, x, y)
    assert "GroupNorm" in {op.op for op in rec.forward_ops}
    assert rec.to_text() and rec.to_html() and rec.to_json()
    for name, entry in (("1.weight", 3), ("1.bias", 5), ("4.weight", 1)):
        d = rec.derivation(f"{name}[{entry}]")   # the path back, the norm's value as recorded
        assert "NativeGroupNormBackward0" in str(d) and d.value == grads[name][entry]
    d = rec.derivation("0.weight[1, 0, 2, 1]")   # a kernel weight, through both norms: the sum
    assert d.agrees and d.count == 3 * 4 * 4
    assert float(d.total) == pytest.approx(float(grads["0.weight"][1, 0, 2, 1]), rel=1e-10, abs=1e-14)
    conv1 = rec.conv_summary()[0]
    assert conv1["activation"] == "relu"          # found through the group norm


def test_a_torch_step_replays_through_glassnets_layers_and_matches_torchs_gradients():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = _net(torch)
    x, y = torch.randn(3, 2, 4, 4), torch.tensor([0, 2, 1])
    rec, grads = _step(torch, net, x, y)
    assert rec.to_text()
    for name, entry in (("1.weight", 6), ("4.bias", 2)):
        assert float(rec.derivation(f"{name}[{entry}]").value) == pytest.approx(float(grads[name][entry]),
                                                                                rel=1e-6, abs=1e-9)
    d = rec.derivation("0.weight[1, 0, 2, 1]")
    assert float(d.total) == pytest.approx(float(grads["0.weight"][1, 0, 2, 1]), rel=1e-4, abs=1e-6)


def test_the_doctor_runs_on_such_a_model_and_names_no_mode_problem():
    glassnet.manual_seed(0)
    net = _net(glassnet)
    opt = glassnet.optim.SGD(net.parameters(), lr=0.05)
    x, y = glassnet.randn(6, 2, 4, 4), glassnet.tensor([0, 1, 2] * 2)
    with GlassnetObserver(max_steps=None) as seen:
        for _ in range(3):
            opt.zero_grad()
            F.cross_entropy(net(x), y).backward()
            opt.step()
            with glassnet.no_grad():   # evaluated in training mode: these norms do not care
                net(x)
    ids = [f.id for f in run_checks(_observed(seen, "glassnet"), Thresholds())]
    assert "eval-mode" not in ids and "train-in-eval-mode" not in ids
