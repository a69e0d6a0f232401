"""What the blind corpus (tests/doctor/blind/RESULTS.md) found wrong, each fixed with a test:
closure-driven optimizers (LBFGS), unscaled attention at default initialisation, label imbalance
on next-token and per-pixel targets, and the class prior of an unshuffled first batch."""
import json
import textwrap

import pytest

pytest.importorskip("torch")

from glassnet.cli import main  # noqa: E402


def _doctor(tmp_path, capsys, source, name="script.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    code = main(["doctor", str(path), "--format", "json", "--threads", "1"])
    report = json.loads(capsys.readouterr().out)
    return code, report, {f["id"]: f for f in report["findings"]}


LBFGS = """
import torch, torch.nn as nn
torch.manual_seed(0)
x = torch.randn(64, 4); y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
body, head = nn.Linear(4, 8), nn.Linear(8, 1)
model = nn.Sequential(body, nn.Tanh(), head)
opt = torch.optim.{opt}(model.parameters(), {kw})
for i in range({steps}):
    def closure():
        opt.zero_grad()
        h = torch.tanh(body(x)){detach}
        loss = nn.functional.mse_loss(head(h), y)
        loss.backward()
        return loss
    opt.step(closure)
"""


@pytest.mark.parametrize("opt, kw, steps", [("LBFGS", "lr=0.5", 4), ("SGD", "lr=0.05", 30)])
def test_closure_optimizers_see_the_gradients_of_the_closure(tmp_path, capsys, opt, kw, steps):
    code, report, ids = _doctor(tmp_path, capsys, LBFGS.format(opt=opt, kw=kw, steps=steps, detach=""))
    assert "frozen" not in ids and "no-training" not in ids and code == 0, ids
    assert report["steps_observed"] == steps


@pytest.mark.parametrize("opt, kw, steps", [("LBFGS", "lr=0.5", 4), ("SGD", "lr=0.05", 30)])
def test_a_frozen_layer_under_a_closure_optimizer_is_still_named(tmp_path, capsys, opt, kw, steps):
    _, _, ids = _doctor(tmp_path, capsys, LBFGS.format(opt=opt, kw=kw, steps=steps, detach=".detach()"))
    assert "frozen" in ids
    assert ids["frozen"]["where"]["parameter"] == "Linear.weight"   # the body, called first
