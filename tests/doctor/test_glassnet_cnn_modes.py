"""The doctor watches glassnet's BatchNorm2d and Dropout2d as it watches torch's: a model evaluated
under no_grad() while still in training mode is named (eval-mode); after model.eval() it is not."""
import pytest

import glassnet
from glassnet import nn
from glassnet.doctor.engine_observe import GlassnetObserver
from glassnet.doctor.observed import Thresholds
from glassnet.doctor.runner import _observed, run_checks


def _findings(evaluate_in_eval_mode: bool, layer):
    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 12), nn.Unflatten(1, (3, 2, 2)), layer, nn.ReLU(), nn.Flatten(),
                          nn.Linear(12, 2))
    opt = glassnet.optim.SGD(model.parameters(), lr=0.1)
    x, y = glassnet.randn(8, 4), glassnet.tensor([0, 1] * 4)
    with GlassnetObserver(max_steps=None) as seen:
        for _ in range(3):
            model.train()
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            if evaluate_in_eval_mode:
                model.eval()
            with glassnet.no_grad():
                model(x)
    return [f.id for f in run_checks(_observed(seen, "glassnet"), Thresholds())]


@pytest.mark.parametrize("layer", [nn.BatchNorm2d(3), nn.Dropout2d(0.2)], ids=["BatchNorm2d", "Dropout2d"])
def test_evaluating_in_training_mode_is_named_and_eval_mode_is_not(layer):
    assert "eval-mode" in _findings(False, layer)
    assert "eval-mode" not in _findings(True, layer)


def test_every_layer_left_in_training_mode_is_named_with_its_own_count():
    """Two batch-norm layers evaluated in training mode: each is named with the number of times it
    ran (not one layer with both layers' calls)."""
    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 12), nn.Unflatten(1, (3, 2, 2)), nn.BatchNorm2d(3), nn.ReLU(),
                          nn.BatchNorm2d(3), nn.Flatten(), nn.Linear(12, 2))
    opt = glassnet.optim.SGD(model.parameters(), lr=0.1)
    x, y = glassnet.randn(8, 4), glassnet.tensor([0, 1] * 4)
    with GlassnetObserver(max_steps=None) as seen:
        for _ in range(3):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            with glassnet.no_grad():
                model(x)
                model(x)
    (finding,) = [f for f in run_checks(_observed(seen, "glassnet"), Thresholds()) if f.id == "eval-mode"]
    assert "layer 2 (BatchNorm2d) 6 times" in finding.message
    assert "layer 4 (BatchNorm2d) 6 times" in finding.message
    assert finding.evidence["measured"] == 12
