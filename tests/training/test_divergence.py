"""Divergence stops at the first non-finite loss, names the op that began it, and writes nothing."""
import re

import numpy as np
import pytest

import glassnet
import glassnet.nn as nn
from glassnet import cli
from glassnet.autograd.engine import STATE
from glassnet.training import resolve, fit
from glassnet.training.divergence import Diverged, Watch, check_epoch_loss


@pytest.fixture(autouse=True)
def _overflows_are_expected_here():
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        yield


def _model():
    glassnet.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))


def _step(model, watch, optimizer, x, loss_fn, epoch=0, step=0):
    """One step of the training loop, with the watch's checks where ``loop`` makes them."""
    compute = lambda: loss_fn(model(x))  # noqa: E731
    watch.begin(epoch, step)
    optimizer.zero_grad()
    loss = compute()
    watch.check_loss(loss.item(), compute, lr=0.1)
    loss.backward()
    watch.check_gradients(compute)
    optimizer.step()


def test_an_inf_weight_is_found_in_the_layer_whose_forward_produced_it():
    model = _model()
    with glassnet.no_grad():
        model[2].weight[0, 1] = float("inf")
    opt = glassnet.optim.SGD(model.parameters(), lr=0.1)
    watch = Watch(model)
    with pytest.raises(Diverged) as error:
        _step(model, watch, opt, glassnet.ones(4, 2), lambda out: out.sum())
    message = str(error.value)
    assert "epoch 1, step 1" in message
    assert "Linear in layer '2' (Linear) produced" in message and "(forward)" in message
    assert "before any update" in message  # nothing had been updated: the data/model overflowed


def test_an_inf_gradient_is_named_even_when_the_loss_turns_nan_one_step_later():
    model = _model()
    with glassnet.no_grad():
        for p in model.parameters():
            p.zero_()
    opt = glassnet.optim.SGD(model.parameters(), lr=0.1)
    x = glassnet.zeros(4, 2)
    loss_fn = lambda out: out.abs().sqrt().sum()  # noqa: E731 - sqrt(0) = 0, its slope 1/(2·0) = inf
    watch = Watch(model)
    _step(model, watch, opt, x, loss_fn, step=0)      # loss 0: fine, but the weights break
    with pytest.raises(Diverged) as error:
        _step(model, watch, opt, x, loss_fn, step=1)
    message = str(error.value)
    assert "the loss is nan at epoch 1, step 2" in message
    assert "SqrtBackward0 in the loss produced inf in its gradient at epoch 1, step 1 (backward)" \
        in message
    assert "Lower --lr (now 0.1)" in message


def test_the_replay_finds_the_layer_of_a_backward_op():
    model = _model()
    watch = Watch(model)
    x = glassnet.ones(4, 2)
    with glassnet.no_grad():
        model[0].weight.fill_(float("nan"))
    watch.begin(0, 0)
    event = watch._replay(lambda: model(x).sum(), backward=True)
    assert (event.phase, event.op, event.module) == ("forward", "Linear", "layer '0' (Linear)")


def test_an_update_that_overflows_finite_gradients_is_named_by_parameter():
    model = _model()
    opt = glassnet.optim.SGD(model.parameters(), lr=3e38)
    x = glassnet.ones(4, 2) * 10
    watch = Watch(model)
    _step(model, watch, opt, x, lambda out: out.sum())
    with pytest.raises(Diverged) as error:
        _step(model, watch, opt, x, lambda out: out.sum(), step=1)
    assert "the optimizer's update made parameter" in str(error.value)
    assert "at epoch 1, step 1" in str(error.value)


def test_a_non_finite_gradient_is_forgotten_after_a_finite_step():
    model = _model()
    opt = glassnet.optim.SGD(model.parameters(), lr=0.01)
    watch = Watch(model)
    watch.begin(0, 0)
    compute = lambda: (model(glassnet.ones(2, 2)) * float("inf")).sum()  # noqa: E731
    opt.zero_grad()
    compute().backward()
    watch.check_gradients(compute)
    assert watch.first is not None and watch.first.op == "Mul"
    opt.zero_grad()                                  # skip that update; the next step is clean
    _step(model, watch, opt, glassnet.ones(2, 2), lambda out: out.sum(), step=1)
    assert watch.first is None


def test_no_observer_or_hook_is_left_behind_and_none_runs_on_finite_steps():
    model = _model()
    watch = Watch(model)
    calls = []
    original = Watch._replay
    Watch._replay = lambda self, *a, **k: calls.append(a) or original(self, *a, **k)
    try:
        opt = glassnet.optim.SGD(model.parameters(), lr=0.01)
        for step in range(3):
            _step(model, watch, opt, glassnet.ones(2, 2), lambda out: out.sum(), step=step)
        with pytest.raises(Diverged, match="Linear in layer '0'"):
            _step(model, watch, opt, glassnet.full((2, 2), float("inf")), lambda out: out.sum(),
                  step=3)
    finally:
        Watch._replay = original
    assert len(calls) == 1  # the observer only ran to explain the failure
    assert STATE.observers == ()
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_engine_neutral_epoch_check():
    check_epoch_loss(0.5, 0, 0.1)
    with pytest.raises(Diverged, match="after epoch 3"):
        check_epoch_loss(float("inf"), 2, 0.1)


def test_fit_stops_and_writes_neither_checkpoint_nor_figures(tmp_path):
    data = tmp_path / "line.csv"
    data.write_text("x,y\n" + "".join(f"{i},{3 * i + 1}\n" for i in range(40)))
    spec = resolve({"data": str(data), "optimizer": "sgd", "lr": 1e3, "epochs": 5,
                    "task": "regression", "save": str(tmp_path / "m.safetensors"),
                    "plot": str(tmp_path / "figs")})
    with pytest.raises(Diverged, match=r"training diverged: the loss .* epoch \d"):
        fit(spec, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["line.csv"]


def test_cli_reproduction_digits_sgd_lr_1e6(capsys, tmp_path):
    """The issue's command: it used to exit 0 and save an all-NaN model."""
    save = tmp_path / "d.safetensors"
    code = cli.main(["train", "--data", "digits", "--optimizer", "sgd", "--lr", "1e6", "--epochs",
                     "5", "--save", str(save), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and not save.exists()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("glassnet: error: training diverged"), err
    assert "epoch 1, step" in lines[0] and "Nothing was saved" in lines[0]
    # which op overflows first depends on the numbers, not on a summation order; any is named
    assert re.search(r"first non-finite value: (\w+ in (layer '\d' \(Linear\)|the loss) produced"
                     r"|the optimizer's update made parameter)", lines[0]), lines[0]
    assert "RuntimeWarning" not in err


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "+inf"])
def test_lr_must_be_a_finite_positive_number(capsys, value):
    code = cli.main(["train", "--data", "xor", "--lr", value, "-q"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("glassnet: error: --lr must be") and len(err.splitlines()) == 1


def test_the_torch_engine_stops_too_and_counts_epochs_and_steps_from_1(capsys, tmp_path):
    pytest.importorskip("torch")
    save = tmp_path / "d.safetensors"
    code = cli.main(["train", "--data", "digits", "--engine", "torch", "--optimizer", "sgd", "--lr",
                     "1e6", "--epochs", "5", "--save", str(save), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and not save.exists(), err
    line = err.strip().splitlines()[-1]
    assert line.startswith("glassnet: error: training diverged"), err
    m = re.search(r"epoch (\d+), step (\d+)", line)
    assert m and int(m.group(1)) >= 1 and int(m.group(2)) >= 1, line   # 1-based, as the glassnet engine
