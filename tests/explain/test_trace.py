"""explain.trace: a whole run's per-step summaries, checked against numbers worked out by hand."""
import json

import pytest

import glassnet
from glassnet import explain, nn, optim
from glassnet.autograd.engine import STATE
from glassnet.nn import functional as F


def _model(w=2.0, b=1.0):
    model = nn.Sequential(nn.Linear(1, 1), nn.ReLU())
    with glassnet.no_grad():
        model[0].weight.copy_(glassnet.tensor([[w]]))
        model[0].bias.copy_(glassnet.tensor([b]))
    return model


X = glassnet.tensor([[1.0], [3.0]])
T = glassnet.tensor([[0.0], [0.0]])


def _run(model, steps, every, lr=0.01, seen=None):
    opt = optim.SGD(model.parameters(), lr=lr)
    with explain.trace(model, opt, every=every) as run:
        for i in range(steps):
            if seen is not None:
                seen.append(bool(STATE.observers))
            loss = F.mse_loss(model(X), T)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return run, opt


def test_first_sampled_step_matches_the_hand_computed_norms():
    # y = relu(w·x + b) = [3, 7]; L = (3² + 7²)/2 = 29; ∂L/∂y = y = [3, 7]
    # ∂L/∂w = 3·1 + 7·3 = 24, ∂L/∂b = 3 + 7 = 10; SGD lr 0.01: Δw = −0.24, Δb = −0.1
    run, _ = _run(_model(), steps=5, every=2)
    assert run.steps == [0, 2, 4] and run.count == 5
    assert run.loss[0] == pytest.approx(29.0)
    w, b = run.params["0.weight"], run.params["0.bias"]
    assert w["grad_norm"][0] == pytest.approx(24.0, rel=1e-6)
    assert b["grad_norm"][0] == pytest.approx(10.0, rel=1e-6)
    assert w["weight_norm"][0] == pytest.approx(2.0)
    assert w["update_norm"][0] == pytest.approx(0.24, rel=1e-5)
    assert w["update_to_weight"][0] == pytest.approx(0.12, rel=1e-5)
    assert b["update_to_weight"][0] == pytest.approx(0.1, rel=1e-5)
    assert run.activations["1 (relu)"]["dead_fraction"] == [0.0, 0.0, 0.0]


def test_a_dead_relu_is_counted_and_gets_no_gradient():
    run, _ = _run(_model(w=-1.0, b=-1.0), steps=1, every=1)
    assert run.activations["1 (relu)"]["dead_fraction"] == [1.0]
    assert run.params["0.weight"]["grad_norm"] == [0.0]
    assert run.params["0.weight"]["update_norm"] == [0.0]


def test_nothing_is_attached_between_sampled_steps_and_all_is_removed_after():
    seen = []
    model = _model()
    run, opt = _run(model, steps=6, every=3, seen=seen)
    assert seen == [True, False, False, True, False, False]
    assert STATE.observers == ()
    assert sum(len(m._forward_pre_hooks) + len(m._forward_hooks) for m in model.modules()) == 0
    assert "step" not in vars(opt)


def test_json_figure_and_files(tmp_path):
    run, _ = _run(_model(), steps=4, every=1)
    doc = json.loads(run.to_json())
    assert doc["schema"] == "glassnet.explain.trace/1" and doc["steps"] == [0, 1, 2, 3]
    assert len(doc["params"]["0.bias"]["grad_norm"]) == 4
    fig = run.figure(title="test")
    assert len(fig.axes) == 4
    paths = run.save(tmp_path / "out")
    assert {p.name for p in paths} == {"trace.json", "trace.png", "trace.svg"}
    assert json.loads((tmp_path / "out" / "trace.json").read_text()) == doc


def test_bad_arguments_are_named():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="every must be a positive integer, got 0"):
        explain.trace(model, opt, every=0)
    with pytest.raises(TypeError, match="optimizer must be a glassnet.optim.Optimizer"):
        explain.trace(model, "sgd")
    with pytest.raises(ValueError, match="no sampled steps"):
        glassnet.viz.trace_figure({"steps": []})


def test_sigmoid_saturation_fraction():
    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid())
    with glassnet.no_grad():
        model[0].weight.copy_(glassnet.tensor([[100.0, 0.0], [0.0, 0.0], [-100.0, 0.0]]))
        model[0].bias.zero_()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with explain.trace(model, opt, every=1) as run:
        loss = model(glassnet.tensor([[1.0, 0.0]])).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    # σ(100) and σ(−100) are saturated (slope ≈ 0), σ(0) has slope 0.25: 2 of 3 entries
    assert run.activations["1 (sigmoid)"]["saturated_fraction"] == [pytest.approx(2 / 3)]
    assert run.loss[0] == pytest.approx(float(loss.item()))


def test_glassnet_train_trace_writes_the_plots_and_the_json(tmp_path, capsys):
    from glassnet import cli
    out_dir = tmp_path / "trace"
    code = cli.main(["train", "--data", "xor", "--epochs", "2", "--batch-size", "8", "--quiet",
                     "--trace", str(out_dir)])
    out, _ = capsys.readouterr()
    assert code == 0 and "wrote" in out
    doc = json.loads((out_dir / "trace.json").read_text())
    assert doc["every"] == 10 and doc["steps"] == list(range(0, 10 * len(doc["steps"]), 10))
    assert len(doc["loss"]) == len(doc["steps"]) >= 1
    assert (out_dir / "trace.png").stat().st_size > 1000 and (out_dir / "trace.svg").exists()


def test_an_evaluation_forward_before_the_step_does_not_count():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.01)
    with explain.trace(model, opt, every=1) as run:
        with glassnet.no_grad():
            model(glassnet.tensor([[-5.0]]))             # an evaluation: the unit is dead here
        loss = F.mse_loss(model(X), T)                  # the training forward: alive
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert run.activations == {"1 (relu)": {"dead_fraction": [0.0], "saturated_fraction": [None]}}
    assert run.loss == [pytest.approx(29.0)]
