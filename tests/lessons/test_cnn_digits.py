"""Lesson cnn-digits: a LeNet on 8×8 digits against the MLP, on one split, measured."""
import numpy as np
import pytest

import glassnet as torch
from glassnet import lessons
from glassnet.lessons.cnn_digits import confusion, saliency_maps


@pytest.fixture(scope="module")
def result():
    return lessons.run("cnn-digits")


def test_both_networks_learn_the_digits(result):
    n = result.numbers
    # floors far below what any machine measures (about 97 % each), above what a broken
    # network or a wrong split could reach
    assert n["cnn_test_accuracy"] > 0.9 and n["mlp_test_accuracy"] > 0.9
    assert n["n_test"] == 359 and n["n_train"] == 1438
    assert n["cnn_architecture"] == "1×8×8-conv6-conv16-32-10" and n["cnn_parameters"] == 3350
    assert [c.status for c in result.checks] == ["pass", "pass"]


def test_the_comparison_is_computed_from_the_predictions(result):
    n = result.numbers
    matrix = np.array(n["confusion"])
    assert matrix.sum() == n["n_test"]
    assert np.trace(matrix) / n["n_test"] == pytest.approx(n["cnn_test_accuracy"])
    # the accuracies differ exactly by the digits one network gets right and the other not
    diff = (n["cnn_only_right"] - n["mlp_only_right"]) / n["n_test"]
    assert n["cnn_test_accuracy"] - n["mlp_test_accuracy"] == pytest.approx(diff)
    expected = ("tie" if n["cnn_test_accuracy"] == n["mlp_test_accuracy"] else
                "lenet" if n["cnn_test_accuracy"] > n["mlp_test_accuracy"] else "mlp")
    assert n["better"] == expected
    assert result.claims[0].holds == (expected == "lenet")
    assert f"{n['cnn_test_accuracy']:.2%}" in result.summary


def test_the_verdict_follows_the_measurement():
    weak_mlp = lessons.run("cnn-digits", epochs=3, mlp_epochs=1, mlp_hidden=[1], figures=False)
    assert weak_mlp.numbers["better"] == "lenet"
    assert weak_mlp.numbers["mlp_test_accuracy"] < weak_mlp.numbers["cnn_test_accuracy"]
    weak_cnn = lessons.run("cnn-digits", epochs=1, mlp_epochs=5, figures=False)
    assert weak_cnn.numbers["better"] == "mlp"
    assert "the MLP is better" in " ".join(text for _, text in weak_cnn.sections)


def test_figures_exist_and_save(result, tmp_path):
    assert [f.name for f in result.figures] == ["kernels", "feature_maps", "saliency", "confusion"]
    for entry in result.figures:
        assert entry.figure.axes and entry.caption
    paths = result.save_figures(tmp_path, formats=("png",))
    assert len(paths) == 4 and all(p.stat().st_size > 1000 for p in paths)


def test_saliency_is_each_rows_own_gradient():
    torch.manual_seed(0)
    from glassnet.training.model import build_model
    model = build_model(64, [8], "relu", 10, (1, 8, 8), (2, 3)).double()
    X = np.random.default_rng(0).normal(size=(3, 64))
    classes = np.array([1, 4, 7])
    batch = saliency_maps(model, X, classes)
    for i in range(3):
        np.testing.assert_allclose(batch[i], saliency_maps(model, X[i:i + 1], classes[i:i + 1])[0],
                                   rtol=1e-12, atol=1e-14)
    # and a finite difference of the score agrees on one pixel
    eps, pixel = 1e-6, 27
    up, down = X[:1].copy(), X[:1].copy()
    up[0, pixel] += eps
    down[0, pixel] -= eps
    with torch.no_grad():
        slope = (model(torch.tensor(up))[0, 1].item() - model(torch.tensor(down))[0, 1].item()) / (2 * eps)
    assert batch[0, pixel] == pytest.approx(slope, rel=1e-5, abs=1e-8)


def test_confusion_counts_true_by_predicted():
    m = confusion(np.array([0, 1, 1, 2]), np.array([0, 2, 1, 2]), 3)
    assert m.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
