"""Issue 9's reproductions: each bad input is one line on stderr, exit 2, nothing half-written."""
import json

import pytest

import glassnet
from glassnet import cli
from glassnet.serialization import save
from glassnet.training.outputs import METADATA_KEY


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, " ".join(out.split()), err  # rich wraps lines at the terminal's width


def assert_one_line_error(code, err, *fragments):
    assert code == 2, err
    lines = [line for line in err.strip().splitlines() if not line.startswith("glassnet: warning:")]
    assert len(lines) == 1 and lines[0].startswith("glassnet: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture
def xor_csv(tmp_path):
    path = tmp_path / "xor.csv"
    path.write_text("a,b,label\n" + "0,0,no\n0,1,yes\n1,0,yes\n1,1,no\n" * 3)
    return path


@pytest.fixture
def model(tmp_path, xor_csv, capsys):
    path = tmp_path / "m.safetensors"
    code, _, err = run(capsys, "train", "--data", xor_csv, "--epochs", "2", "--test-size", "0",
                       "--save", path, "-q")
    assert code == 0, err
    return path


def _tampered(model, tmp_path, name, change=None, tensors=None):
    """A copy of ``model`` with its architecture changed by ``change`` and/or other tensors."""
    from safetensors import safe_open
    with safe_open(str(model), framework="numpy") as f:
        arch = json.loads(f.metadata()[METADATA_KEY])
    state = glassnet.load(model)
    if change:
        change(arch)
    if tensors:
        tensors(state)
    path = tmp_path / name
    save(state, path, metadata={METADATA_KEY: json.dumps(arch)})
    return path


# -- predict: features, checkpoints, the -o file -----------------------------------------------

@pytest.mark.parametrize("cell, word", [("nan", "missing value"), ("inf", "not a finite number"),
                                        ("-inf", "not a finite number")])
def test_predict_rejects_nan_and_inf_features_naming_line_and_column(capsys, tmp_path, model, cell,
                                                                      word):
    data = tmp_path / "new.csv"
    data.write_text(f"a,b\n0,1\n1,{cell}\n")
    code, _, err = run(capsys, "predict", "--model", model, "--data", data)
    assert_one_line_error(code, err, "line 3, column 'b'", word)


@pytest.mark.parametrize("name, tensors, fragment", [
    ("extra", lambda s: s.update(extra=glassnet.zeros(2)), "unexpected tensor 'extra'"),
    ("missing", lambda s: s.pop("0.bias"), "no tensor '0.bias'"),
    ("shape", lambda s: s.update({"0.bias": glassnet.zeros(3)}), "'0.bias' has shape [3]"),
])
def test_checkpoint_tensors_that_do_not_match_the_architecture(capsys, tmp_path, model, xor_csv,
                                                               name, tensors, fragment):
    path = _tampered(model, tmp_path, f"{name}.safetensors", tensors=tensors)
    code, _, err = run(capsys, "predict", "--model", path, "--data", xor_csv)
    assert_one_line_error(code, err, "do not match its architecture", fragment)


@pytest.mark.parametrize("change, fragment", [
    (lambda a: a.pop("hidden"), "no 'hidden'"),
    (lambda a: a.update(in_features=10 ** 7), "mean and std must be 10000000"),
    (lambda a: a.update(in_features=10 ** 5, mean=[0.0] * 10 ** 5, std=[1.0] * 10 ** 5,
                        features=None), "'0.weight' has shape"),
    (lambda a: a.update(hidden=[10 ** 9]), "the architecture says [1000000000, 2]"),
    (lambda a: a.update(activation="gelu"), "activation must be one of"),
    (lambda a: a.update(hidden="16"), "hidden must be a list"),
    (lambda a: a.update(classes=["only"]), "needs 2 class names"),
    (lambda a: a.update(std=[0.0, 1.0]), "std > 0"),
])
def test_tampered_architecture_metadata_is_refused_before_allocating(capsys, tmp_path, model, xor_csv,
                                                                     change, fragment):
    path = _tampered(model, tmp_path, "t.safetensors", change=change)
    code, _, err = run(capsys, "predict", "--model", path, "--data", xor_csv)
    assert_one_line_error(code, err, fragment)


def test_metadata_that_is_not_json_or_too_deeply_nested(capsys, tmp_path, model, xor_csv):
    state = glassnet.load(model)
    for text in ("{not json", "[" * 50_000 + "]" * 50_000, "[1, 2]"):
        path = tmp_path / "bad.safetensors"
        save(state, path, metadata={METADATA_KEY: text})
        code, _, err = run(capsys, "predict", "--model", path, "--data", xor_csv)
        assert_one_line_error(code, err, "the architecture in its metadata")


def test_a_class_count_that_does_not_fit_leaves_no_output_file(capsys, tmp_path, model, xor_csv):
    def three_outputs(state):
        state["2.weight"] = glassnet.zeros(3, 16)
        state["2.bias"] = glassnet.zeros(3)
    path = _tampered(model, tmp_path, "c.safetensors", tensors=three_outputs,
                     change=lambda a: a.update(out_features=3, task="multiclass",
                                               loss="cross-entropy"))
    out = tmp_path / "pred.csv"
    code, _, err = run(capsys, "predict", "--model", path, "--data", xor_csv, "-o", out)
    assert_one_line_error(code, err, "needs 3 class names")
    assert not out.exists()


def test_predictions_are_written_atomically(capsys, tmp_path, model, xor_csv, monkeypatch):
    from glassnet.training import guards
    out = tmp_path / "pred.csv"
    out.write_text("old\n")

    def fail(*args):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(guards.os, "replace", fail)
    code, _, err = run(capsys, "predict", "--model", model, "--data", xor_csv, "-o", out)
    assert_one_line_error(code, err, "disk full")
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m.safetensors", "xor.csv",
                                                                 "pred.csv"])


def test_predict_output_path_is_checked_before_predicting(capsys, tmp_path, model, xor_csv):
    code, _, err = run(capsys, "predict", "--model", model, "--data", xor_csv, "-o", tmp_path)
    assert_one_line_error(code, err, "--output", "is a folder")


# -- train: CSV reading, task, delimiter, outputs ------------------------------------------------

def test_a_cell_over_the_csv_modules_limit(capsys, tmp_path):
    data = tmp_path / "big.csv"
    data.write_text("a,b,label\n1,2," + "x" * 140_000 + "\n1,3,y\n")
    code, _, err = run(capsys, "train", "--data", data, "-q")
    assert_one_line_error(code, err, "line 2", "131,072 characters")


def test_a_file_that_is_not_utf8(capsys, tmp_path):
    data = tmp_path / "bin.csv"
    data.write_bytes(b"a,b,label\n1,\xff,0\n")
    code, _, err = run(capsys, "train", "--data", data, "-q")
    assert_one_line_error(code, err, "is not UTF-8 text")


def test_a_single_class_target_is_refused(capsys, tmp_path):
    data = tmp_path / "one.csv"
    data.write_text("a,b,label\n" + "".join(f"{i},{i % 3},1\n" for i in range(30)))
    code, _, err = run(capsys, "train", "--data", data, "-q")
    assert_one_line_error(code, err, "single class ('1') in all 30 rows")
    data.write_text("a,label\n" + "".join(f"{i},cat\n" for i in range(30)))
    code, _, err = run(capsys, "train", "--data", data, "-q")
    assert_one_line_error(code, err, "single class ('cat')")


def test_many_whole_numbers_become_regression_with_a_warning_naming_the_count(capsys, tmp_path):
    data = tmp_path / "many.csv"
    data.write_text("a,b,label\n" + "".join(f"{i},{i % 3},{i}\n" for i in range(1000)))
    code, out, err = run(capsys, "train", "--data", data, "--epochs", "1", "-q")
    assert code == 0 and "R²" in out
    assert "glassnet: warning: the target 'label' holds 1000 different whole numbers" in err
    assert "--task classification (1000 classes)" in err
    code, out, err = run(capsys, "train", "--data", data, "--epochs", "1", "--task", "classification",
                         "-q")
    assert code == 0 and "warning" not in err and "1000 parameters" not in out
    assert "-1000 MLP" in out  # 1000 outputs, one per class


def test_task_flag_refuses_what_cannot_be_meant(capsys, tmp_path, xor_csv):
    code, _, err = run(capsys, "train", "--data", xor_csv, "--task", "regression", "-q")
    assert_one_line_error(code, err, "--task regression needs numbers", "'no'")
    data = tmp_path / "frac.csv"
    data.write_text("a,y\n" + "".join(f"{i},{i / 7}\n" for i in range(20)))
    code, _, err = run(capsys, "train", "--data", data, "--task", "classification", "-q")
    assert_one_line_error(code, err, "--task classification needs class labels")
    code, _, err = run(capsys, "train", "--data", xor_csv, "--task", "clustering", "-q")
    assert_one_line_error(code, err, "--task must be one of classification, regression")


def test_task_regression_on_zero_one_labels(capsys, tmp_path):
    data = tmp_path / "bin.csv"
    data.write_text("a,y\n" + "".join(f"{i},{i % 2}\n" for i in range(20)))
    code, out, _ = run(capsys, "train", "--data", data, "--task", "regression", "--epochs", "1", "-q")
    assert code == 0 and "mse" in out and "R²" in out


def test_a_semicolon_csv_is_detected_and_said_so(capsys, tmp_path):
    data = tmp_path / "semi.csv"
    data.write_text("x1;x2;label\n" + "".join(f"{i};{i % 3};{i % 2}\n" for i in range(30)))
    code, out, err = run(capsys, "train", "--data", data, "--epochs", "1", "-q")
    assert code == 0 and "2-16-1 MLP" in out
    assert "glassnet: warning: " in err and "cells separated by ';' (detected)" in err
    code, _, err = run(capsys, "train", "--data", data, "--delimiter", ",", "-q")
    assert_one_line_error(code, err, "the header 'x1;x2;label' is a single column when split at ','",
                          "--delimiter")


def test_a_tab_delimiter_can_be_given_by_name(capsys, tmp_path):
    data = tmp_path / "tabs.csv"
    data.write_text("x1\tx2\tlabel\n" + "".join(f"{i}\t{i % 3}\t{i % 2}\n" for i in range(30)))
    code, out, _ = run(capsys, "train", "--data", data, "--delimiter", "tab", "--epochs", "1", "-q")
    assert code == 0 and "2-16-1 MLP" in out


def test_a_semicolon_csv_predicts_too(capsys, tmp_path):
    data = tmp_path / "semi.csv"
    data.write_text("x1;x2;label\n" + "".join(f"{i};{i % 3};{i % 2}\n" for i in range(30)))
    model = tmp_path / "m.safetensors"
    assert run(capsys, "train", "--data", data, "--epochs", "1", "--save", model, "-q")[0] == 0
    code, out, _ = run(capsys, "predict", "--model", model, "--data", data)
    assert code == 0 and "accuracy on 30 samples" in out


def test_a_failed_plot_path_keeps_the_old_checkpoint(capsys, tmp_path):
    save_path, plot_path = tmp_path / "m.safetensors", tmp_path / "plots"
    save_path.write_bytes(b"the old checkpoint")
    plot_path.write_text("a file, not a folder")
    code, _, err = run(capsys, "train", "--data", "xor", "--epochs", "2", "--save", save_path,
                       "--plot", plot_path, "-q")
    assert_one_line_error(code, err, "--plot", "is a file")
    assert save_path.read_bytes() == b"the old checkpoint"


def test_save_path_that_is_a_folder_fails_before_training(capsys, tmp_path, monkeypatch):
    from glassnet.training import pipeline
    monkeypatch.setattr(pipeline, "prepare", lambda spec: pytest.fail("trained anyway"))
    code, _, err = run(capsys, "train", "--data", "xor", "--save", tmp_path, "-q")
    assert_one_line_error(code, err, "--save", "is a folder")
    code, _, err = run(capsys, "train", "--data", "xor", "--save", tmp_path / "f" / "m.st", "--plot",
                       tmp_path / "f" / "m.st", "-q")
    assert_one_line_error(code, err, "same path")


def test_a_figure_that_fails_to_draw_writes_neither_figures_nor_checkpoint(capsys, tmp_path,
                                                                          monkeypatch):
    from glassnet import viz

    def broken(*args, **kwargs):
        raise ValueError("cannot draw (simulated)")

    monkeypatch.setattr(viz, "network_diagram", broken)
    save_path, plot_path = tmp_path / "m.safetensors", tmp_path / "plots"
    code, _, err = run(capsys, "train", "--data", "xor", "--epochs", "2", "--save", save_path,
                       "--plot", plot_path, "-q")
    assert_one_line_error(code, err, "cannot draw")
    assert not save_path.exists() and not plot_path.exists()


def test_outputs_written_after_success(capsys, tmp_path):
    save_path, plot_path = tmp_path / "out" / "m.safetensors", tmp_path / "out" / "plots"
    code, out, _ = run(capsys, "train", "--data", "xor", "--epochs", "2", "--save", save_path,
                       "--plot", plot_path, "-q")
    assert code == 0 and save_path.exists()
    assert sorted(p.name for p in plot_path.iterdir()) == [
        f"xor_{kind}.{ext}" for kind in ("boundary", "history", "network") for ext in ("png", "svg")]
    assert out.count("wrote ") == 6 and "saved the model" in out


def test_a_trace_path_that_is_a_file_fails_before_training(capsys, tmp_path, monkeypatch):
    from glassnet.training import pipeline
    monkeypatch.setattr(pipeline, "prepare", lambda spec: pytest.fail("trained anyway"))
    (tmp_path / "trace").write_text("a file")
    code, _, err = run(capsys, "train", "--data", "xor", "--trace", tmp_path / "trace", "-q")
    assert_one_line_error(code, err, "--trace", "is a file")
