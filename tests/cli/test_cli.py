"""The glassnet command: every subcommand runs, and user mistakes are one line with exit status 2."""
import json
import subprocess
import sys

import pytest

from glassnet import cli, playground
from glassnet.cli import commands
from glassnet import training
from glassnet.lessons import examples
from glassnet.training.config import resolve

DATASETS = ["spiral", "xor", "circle", "moons", "gaussian", "digits", "iris", "breast-cancer", "wine"]


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_usage_error(code, err, *fragments):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("glassnet: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture
def iris_csv(tmp_path):
    from sklearn.datasets import load_iris
    data = load_iris()
    names = ["setosa", "versicolor", "virginica"]
    rows = ["sepal_length,sepal_width,petal_length,petal_width,species"]
    rows += [",".join(f"{v:g}" for v in x) + f",{names[t]}" for x, t in zip(data.data, data.target)]
    path = tmp_path / "iris.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


# -- lesson, tour, explain, playground -------------------------------------------------------

def test_lesson_list_names_every_lesson(capsys):
    code, out, _ = run(capsys, "lesson", "--list")
    assert code == 0
    for name in ("dose", "diagonal-flip", "xor-linear", "xor-from-scratch", "xor-worked-example",
                 "spiral", "debug-checklist"):
        assert name in out


def test_lesson_dose_prints_its_numbers_and_writes_figures(capsys, tmp_path):
    code, out, _ = run(capsys, "lesson", "dose", "--plot", str(tmp_path))
    assert code == 0 and "Num steps: 34" in out and "-16.0019" in out
    assert (tmp_path / "dose_trained.png").stat().st_size > 1000
    assert (tmp_path / "dose_trained.svg").exists()


def test_lesson_json(capsys):
    code, out, _ = run(capsys, "lesson", "xor-worked-example", "--json")
    assert code == 0 and json.loads(out)["numbers"]["agreeing"] == 17


def test_unknown_lesson(capsys):
    code, _, err = run(capsys, "lesson", "nope")
    assert_usage_error(code, err, "unknown lesson 'nope'")


def test_tour_writes_a_self_contained_report(capsys, tmp_path):
    out_file = tmp_path / "tour.html"
    code, out, _ = run(capsys, "tour", "--only", "dose,xor-worked-example", "--out", str(out_file))
    html = out_file.read_text()
    assert code == 0 and str(out_file.name) in out
    assert html.count("data:image/png;base64,") >= 5 and "Num steps: 34" in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")


def test_explain_calls_glassnet_explain(capsys, monkeypatch):
    calls = []
    monkeypatch.setattr(examples, "explain_text", lambda *a: calls.append(a) or "explained")
    code, out, _ = run(capsys, "explain", "diagonal-flip", "--format", "markdown", "--exact",
                       "--entry", "layer1.weight[2, 0]")
    assert code == 0 and out.strip() == "explained"
    assert calls == [("diagonal-flip", "markdown", True, "layer1.weight[2, 0]")]
    code, _, err = run(capsys, "explain", "--format", "pdf")
    assert_usage_error(code, err, "--format")


def test_playground_calls_serve_with_host_port_and_browser_flag(capsys, monkeypatch):
    calls = []
    monkeypatch.setattr(playground, "serve", lambda *a: calls.append(a))
    assert run(capsys, "playground", "--port", "8123", "--no-open")[0] == 0
    assert calls == [("127.0.0.1", 8123, False)]
    code, _, err = run(capsys, "playground", "--port", "70000")
    assert_usage_error(code, err, "--port")


def test_help_and_no_arguments_exit_0(capsys):
    assert run(capsys, "--help")[0] == 0
    code, out, _ = run(capsys)
    assert code == 0 and "train" in out


# -- train and predict -----------------------------------------------------------------------

@pytest.mark.parametrize("name", DATASETS)
def test_train_on_every_builtin_data_set(capsys, name):
    code, out, err = run(capsys, "train", "--data", name, "--epochs", "3", "-q")
    assert code == 0, err
    assert "train" in out and "accuracy" in out


def test_train_learns_circle_well(capsys):
    spec = resolve({"data": "circle", "epochs": 60})
    result = training.fit(spec, progress=False)
    assert result.final["test_accuracy"] >= 0.9 and result.architecture == "2-16-8-1"


def test_train_on_a_csv_then_predict_from_the_saved_file(capsys, iris_csv, tmp_path):
    model = tmp_path / "iris.safetensors"
    code, out, err = run(capsys, "train", "--data", str(iris_csv), "--hidden", "8", "4", "--epochs",
                         "60", "--save", str(model), "--plot", str(tmp_path / "figs"), "-q")
    assert code == 0, err
    assert "4-8-4-3" in out and model.exists() and (tmp_path / "figs" / "iris_history.png").exists()
    arch = training.read_architecture(model)
    assert arch["classes"] == ["setosa", "versicolor", "virginica"] and arch["hidden"] == [8, 4]
    preds = tmp_path / "preds.csv"
    code, out, err = run(capsys, "predict", "--model", str(model), "--data", str(iris_csv),
                         "--output", str(preds), "--show", "2")
    assert code == 0, err
    accuracy = float(out.split("accuracy on 150 samples: ")[1].split("%")[0])
    assert accuracy > 85
    assert preds.read_text().splitlines()[0] == "prediction,class"


def test_predict_on_a_csv_without_the_target_column(capsys, iris_csv, tmp_path):
    model = tmp_path / "m.safetensors"
    assert run(capsys, "train", "--data", str(iris_csv), "--epochs", "5", "--save", str(model), "-q")[0] == 0
    lines = iris_csv.read_text().splitlines()
    features = tmp_path / "features.csv"
    features.write_text("\n".join(",".join(line.split(",")[:4]) for line in lines) + "\n")
    code, out, err = run(capsys, "predict", "--model", str(model), "--data", str(features), "--show", "3")
    assert code == 0, err
    assert "accuracy" not in out and out.count(": ") == 3


def test_regression_csv_reports_r2(capsys, tmp_path):
    import numpy as np
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = X @ [2.0, -1.0] + 0.05 * rng.normal(size=200)
    path = tmp_path / "reg.csv"
    path.write_text("a,b,price\n" + "\n".join(f"{a:.5f},{b:.5f},{t:.5f}" for (a, b), t in zip(X, y)))
    code, out, err = run(capsys, "train", "--data", str(path), "--epochs", "80", "-q")
    assert code == 0, err
    assert "R²" in out


def test_toml_config_is_read_and_flags_win(tmp_path):
    config = tmp_path / "train.toml"
    config.write_text('data = "moons"\nhidden = [8, 4]\nlr = 0.05\nbatch-size = 16\n[extra]\n')
    with pytest.raises(ValueError, match="unknown key 'extra'"):
        resolve({}, config)
    config.write_text('[train]\ndata = "moons"\nhidden = [8, 4]\nlr = 0.05\nbatch-size = 16\n')
    spec = resolve({"lr": 0.2}, config)
    assert (spec.data, spec.hidden, spec.lr, spec.batch_size, spec.epochs) == ("moons", [8, 4], 0.2, 16, 200)


def test_config_flag_end_to_end(capsys, tmp_path):
    config = tmp_path / "train.toml"
    config.write_text('data = "gaussian"\nepochs = 2\nactivation = "tanh"\n')
    code, out, err = run(capsys, "train", "--config", str(config), "-q")
    assert code == 0, err
    assert "tanh" in out


def test_hidden_sizes_are_joined_for_click():
    assert commands._join_hidden(["train", "--hidden", "16", "8", "--lr", "1"]) == \
        ["train", "--hidden", "16,8", "--lr", "1"]


# -- errors: one line, exit status 2 ---------------------------------------------------------

@pytest.mark.parametrize("argv, fragment", [
    (["--activation", "softmax"], "--activation must be one of relu, tanh, sigmoid"),
    (["--loss", "hinge"], "--loss must be one of"),
    (["--optimizer", "lbfgs"], "--optimizer must be one of"),
    (["--epochs", "abc"], "--epochs"),
    (["--epochs", "0"], "--epochs must be >= 1"),
    (["--lr", "-1"], "--lr must be a finite number > 0"),
    (["--test-size", "1.5"], "--test-size must be"),
    (["--batch-size", "-2"], "--batch-size must be >= 0"),
    (["--hidden", "16", "x"], "unexpected extra argument"),
    (["--hidden", "0,8"], "--hidden takes positive layer sizes"),
    (["--bogus", "1"], "No such option"),
    (["--target", "species"], "--target applies to CSV files"),
])
def test_bad_flag_values(capsys, argv, fragment):
    code, _, err = run(capsys, "train", "--data", "spiral", *argv)
    assert_usage_error(code, err, fragment)


def test_bad_data_and_loss_choices(capsys):
    assert_usage_error(*run(capsys, "train", "--data", "mnist")[::2], "--data must be one of")
    assert_usage_error(*run(capsys, "train")[::2], "--data is required")
    assert_usage_error(*run(capsys, "train", "--data", "iris", "--loss", "bce-logits")[::2],
                       "bce-logits is for two classes")
    assert_usage_error(*run(capsys, "train", "--data", "nope.csv")[::2], "no such file")


def test_missing_target_column(capsys, iris_csv):
    code, _, err = run(capsys, "train", "--data", str(iris_csv), "--target", "colour")
    assert_usage_error(code, err, "no column named 'colour'")


def test_csv_with_a_bad_row(capsys, iris_csv):
    lines = iris_csv.read_text().splitlines()
    lines.insert(4, "5.0,abc,1.4,0.2,setosa")
    iris_csv.write_text("\n".join(lines) + "\n")
    code, _, err = run(capsys, "train", "--data", str(iris_csv))
    assert_usage_error(code, err, "line 5", "'abc' is not a number")


def test_csv_with_a_short_row(capsys, iris_csv):
    iris_csv.write_text(iris_csv.read_text() + "1.0,2.0\n")
    code, _, err = run(capsys, "train", "--data", str(iris_csv))
    assert_usage_error(code, err, "line 152", "expected 5 cells")


def test_bad_config_files(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("data = \n")
    assert_usage_error(*run(capsys, "train", "--config", str(bad))[::2], "not valid TOML")
    assert_usage_error(*run(capsys, "train", "--config", str(tmp_path / "none.toml"))[::2],
                       "no such file")


def test_predict_errors(capsys, tmp_path):
    assert_usage_error(*run(capsys, "predict", "--model", str(tmp_path / "x"), "--data", "xor")[::2],
                       "no such file")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a safetensors file at all")
    assert_usage_error(*run(capsys, "predict", "--model", str(junk), "--data", "xor")[::2],
                       "not a safetensors file")


def test_the_console_script_never_shows_a_traceback():
    done = subprocess.run([sys.executable, "-m", "glassnet", "train", "--data", "spiral", "--lr", "abc"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("glassnet: error: ")


def test_demo_runs_the_tour(capsys, tmp_path):
    from glassnet.cli import demo
    out_file = tmp_path / "tour.html"
    assert demo.main(["--only", "dose", "--out", str(out_file)]) == 0
    out = capsys.readouterr().out
    assert "Num steps: 34" in out and "tour.html" in out and out_file.exists()


def test_train_model_lenet_on_digits_then_predict(capsys, tmp_path):
    path = tmp_path / "lenet.safetensors"
    code, out, err = run(capsys, "train", "--data", "digits", "--model", "lenet", "--epochs", "2",
                         "--save", str(path), "-q")
    assert code == 0, err
    assert "LeNet (3350 parameters)" in out and path.exists()
    code, out, _ = run(capsys, "predict", "--model", str(path), "--data", "digits", "--show", "2")
    assert code == 0 and "accuracy on 1797 samples" in out


def test_train_model_lenet_mistakes_are_one_line(capsys):
    code, _, err = run(capsys, "train", "--data", "wine", "--model", "lenet")
    assert code == 2 and err.strip() == ("glassnet: error: --model lenet takes images; the image "
                                         "data sets are digits ('wine' is not one)")
    code, _, err = run(capsys, "train", "--data", "digits", "--model", "cnn")
    assert code == 2 and "--model must be one of mlp, lenet; got 'cnn'" in err
    code, out, _ = run(capsys, "train", "--help")
    assert code == 0 and "lenet" in out
