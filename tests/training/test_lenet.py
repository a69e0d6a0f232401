"""``glassnet train --model lenet``: the LeNet on image data, its checkpoint and its errors."""
import numpy as np
import pytest

import glassnet
from glassnet import training
from glassnet.cli import main
from glassnet.training.guards import check_architecture, expected_shapes
from glassnet.training.model import build_model


def test_resolve_gives_the_lenet_defaults_and_flags_win():
    spec = training.resolve({"data": "digits", "model": "lenet"})
    assert (spec.model, spec.hidden, spec.epochs, spec.lr) == ("lenet", [32], 20, 0.005)
    spec = training.resolve({"data": "digits", "model": "lenet", "hidden": "16 8", "epochs": 2})
    assert (spec.hidden, spec.epochs) == ([16, 8], 2)
    assert training.resolve({"data": "digits"}).model == "mlp"


@pytest.mark.parametrize("flags,message", [
    ({"data": "iris", "model": "lenet"}, "--model lenet takes images; the image data sets are digits"),
    ({"data": "digits", "model": "resnet"}, "--model must be one of mlp, lenet; got 'resnet'"),
])
def test_bad_model_choices(flags, message):
    with pytest.raises(ValueError, match=message):
        training.resolve(flags)


def test_the_lenet_shapes_and_its_checkpoint_description_agree():
    model = build_model(64, [32], "relu", 10, (1, 8, 8), (6, 16))
    shapes = {k: list(v.shape) for k, v in model.state_dict().items()}
    arch = {"model": "lenet", "image_shape": [1, 8, 8], "channels": [6, 16], "in_features": 64,
            "hidden": [32], "out_features": 10}
    assert expected_shapes(arch) == shapes
    assert model(glassnet.zeros(5, 64)).shape == (5, 10)


def test_prepare_scales_every_pixel_alike_for_a_lenet():
    prepared = training.prepare(training.resolve({"data": "digits", "model": "lenet"}))
    assert np.ptp(prepared.mean) == 0 and np.ptp(prepared.std) == 0
    assert abs(prepared.X_train.mean()) < 1e-5 and prepared.X_train.std() == pytest.approx(1, rel=1e-4)


def test_a_damaged_lenet_architecture_is_one_line(tmp_path):
    arch = {"model": "lenet", "image_shape": [1, 8, 9], "channels": [6, 16], "in_features": 64,
            "hidden": [32], "out_features": 10, "activation": "relu", "loss": "cross-entropy",
            "task": "multiclass", "mean": [0.0] * 64, "std": [1.0] * 64,
            "classes": [str(i) for i in range(10)]}
    with pytest.raises(ValueError, match=r"image_shape \[1, 8, 9\] does not hold 64 features"):
        check_architecture(arch, {}, "m.safetensors")
    arch["image_shape"], arch["channels"] = [1, 8, 8], [6, 16, 16, 16]
    with pytest.raises(ValueError, match="4 pooling layers shrink a 8×8 image to nothing"):
        check_architecture(arch, {}, "m.safetensors")


@pytest.mark.parametrize("engine", ["glassnet", "torch"])
def test_a_short_lenet_run_saves_a_model_that_loads_and_predicts(capsys, tmp_path, engine):
    if engine == "torch":
        pytest.importorskip("torch")
    path = tmp_path / "lenet.safetensors"
    assert main(["train", "--data", "digits", "--model", "lenet", "--epochs", "3", "--engine", engine,
                 "--save", str(path), "-q"]) == 0
    out = capsys.readouterr().out
    assert "1×8×8-conv6-conv16-32-10 LeNet (3350 parameters)" in out
    arch, model = training.outputs.load_model(path)
    assert arch["model"] == "lenet" and arch["image_shape"] == [1, 8, 8]
    assert type(model[1]).__name__ == "Conv2d"
    result = training.predict(path, "digits")
    assert result["n"] == 1797 and result["score"] > 0.8
    assert main(["predict", "--model", str(path), "--data", "digits", "--show", "0"]) == 0
    assert "accuracy on 1797 samples" in capsys.readouterr().out


def test_explain_a_step_of_a_saved_lenet(capsys, tmp_path):
    path = tmp_path / "lenet.safetensors"
    assert main(["train", "--data", "digits", "--model", "lenet", "--epochs", "1", "--save", str(path),
                 "-q"]) == 0
    capsys.readouterr()
    assert main(["explain", "--model", str(path), "--data", "digits", "--rows", "2", "-f", "json"]) == 0
    text = capsys.readouterr().out
    assert '"1.weight[0, 0, 0, 0]"' in text and "on 2 samples (glassnet)" in text
