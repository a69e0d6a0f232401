"""The training package is engine-neutral: the same configuration trained by glassnet and by
torch (one process) starts from the same weights, visits the samples in the same order and ends
at the same parameters (float64 to 1e-10), and writes the same kind of report and checkpoint."""
import numpy as np
import pytest

from glassnet import training
from glassnet.cli import main
from glassnet.training.loop import train_glassnet

CASES = [("circle", "sgd", {}), ("iris", "adam", {}), ("digits", "rmsprop", {"loss": "mse"}),
         ("digits", "adam", {"model": "lenet"}),
         ("xor", "adamw", {}), ("wine", "sgd", {"loss": "cross-entropy", "hidden": "8 4"})]


def test_the_glassnet_runner_is_unchanged_by_the_split():
    """Same numbers as before the pipeline was split (recorded from the old training.fit)."""
    run = training.fit(training.resolve({"data": "circle", "epochs": 5}), progress=False)
    assert run.final["loss"] == pytest.approx(0.6630955934524536, abs=1e-6)
    assert run.final["test_accuracy"] == 0.675


@pytest.mark.parametrize("data,optimizer,extra", CASES,
                         ids=[c[0] + "-" + c[2].get("model", "mlp") for c in CASES])
def test_torch_engine_ends_where_glassnet_does_in_float64(data, optimizer, extra):
    pytest.importorskip("torch")
    from glassnet.training.torch_runner import train_state
    spec = training.resolve({"data": data, "optimizer": optimizer, "epochs": 3, "batch_size": 50,
                             **extra})
    prepared = training.prepare(spec)
    model, history, _ = train_glassnet(spec, prepared, False, "float64")
    state, torch_history = train_state(spec, prepared, False, "float64")
    ours = {k: v.numpy() for k, v in model.state_dict().items()}
    assert ours.keys() == state.keys()
    for key in state:
        assert state[key].dtype == np.float64
        np.testing.assert_allclose(state[key], ours[key], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(torch_history["loss"], history["loss"], rtol=1e-10)
    assert torch_history["accuracy"] == history["accuracy"]


def test_cli_engine_torch_trains_saves_and_predicts(capsys, tmp_path):
    pytest.importorskip("torch")
    model = tmp_path / "m.safetensors"
    code = main(["train", "--data", "moons", "--epochs", "4", "--engine", "torch", "--save", str(model),
                 "-q"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "engine torch" in out and model.exists()
    assert training.read_architecture(model)["hidden"] == [16, 8]
    assert main(["predict", "--model", str(model), "--data", "moons", "--show", "0"]) == 0
    assert "accuracy on 200 samples" in capsys.readouterr().out


@pytest.mark.parametrize("flags,message", [
    (["--nproc", "2"], "--nproc and --nnodes run torch.distributed; add --engine torch"),
    (["--engine", "jax"], "--engine must be one of glassnet, torch"),
    (["--engine", "torch", "--nproc", "0"], "--nproc must be >= 1"),
    (["--engine", "torch", "--nnodes", "2"], "--nnodes > 1 needs --rdzv-endpoint"),
])
def test_bad_engine_options_get_one_line(capsys, flags, message):
    assert main(["train", "--data", "xor", *flags]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("engine", ["glassnet", "torch"])
def test_explain_a_step_of_a_saved_model(capsys, tmp_path, engine):
    if engine == "torch":
        pytest.importorskip("torch")
    model = tmp_path / "xor.safetensors"
    assert main(["train", "--data", "xor", "--epochs", "20", "--save", str(model), "-q"]) == 0
    capsys.readouterr()
    assert main(["explain", "--model", str(model), "--data", "xor", "--rows", "4", "--engine", engine,
                 "--entry", "0.weight[1, 0]", "-f", "markdown"]) == 0
    out = capsys.readouterr().out
    assert f"one SGD step (η = 0.1) of {model} on 4 samples ({engine})" in out
    assert "0.weight[1, 0]" in out


def test_explain_on_a_torch_step_equals_the_glassnet_step(tmp_path):
    pytest.importorskip("torch")
    from glassnet.training.explain_step import record_step
    model = tmp_path / "iris.safetensors"
    training.fit(training.resolve({"data": "iris", "epochs": 3, "save": str(model)}), progress=False)
    g = record_step(model, "iris", rows=5)
    t = record_step(model, "iris", rows=5, engine="torch")
    assert [op.op for op in g.ops] == [op.op for op in t.ops]
    for a, b in zip(g.params, t.params, strict=True):
        np.testing.assert_allclose(b.after, a.after, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("args,message", [
    (["--model", "m.safetensors"], "--model and --data go together"),
    (["--model", "missing.safetensors", "--data", "xor"], "no such file"),
])
def test_explain_model_errors_are_one_line(capsys, args, message):
    assert main(["explain", *args]) == 2
    assert message in capsys.readouterr().err
