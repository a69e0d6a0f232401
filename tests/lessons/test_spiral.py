"""Lesson spiral: the seed's 2-16-8-1 network measured (not the promised 95%+)."""
import numpy as np
import pytest

from glassnet import datasets, lessons
from glassnet.lessons.spiral import NeuralNetwork, nearest_arm_accuracy, parameter_table


def create_spiral_data(n_points=100, noise=0.2):
    """The seed's generator, verbatim but returning NumPy arrays."""
    np.random.seed(42)
    theta0 = np.linspace(0, 4 * np.pi, n_points)
    r0 = np.linspace(0.5, 2, n_points)
    x0 = r0 * np.cos(theta0) + np.random.randn(n_points) * noise
    y0 = r0 * np.sin(theta0) + np.random.randn(n_points) * noise
    theta1 = np.linspace(0, 4 * np.pi, n_points)
    r1 = np.linspace(0.5, 2, n_points)
    x1 = r1 * np.cos(theta1 + np.pi) + np.random.randn(n_points) * noise
    y1 = r1 * np.sin(theta1 + np.pi) + np.random.randn(n_points) * noise
    X = np.column_stack([np.concatenate([x0, x1]), np.concatenate([y0, y1])])
    y = np.concatenate([np.zeros(n_points), np.ones(n_points)])
    idx = np.random.permutation(len(y))
    return X[idx].astype(np.float32), y[idx].astype(np.float32)[:, None]


@pytest.fixture(scope="module")
def result():
    return lessons.run("spiral", figures=False)


def test_the_data_is_the_seeds():
    X, y = datasets.spiral(n_points=200, noise=0.2, seed=42)
    X0, y0 = create_spiral_data(200)
    np.testing.assert_array_equal(X.numpy(), X0)
    np.testing.assert_array_equal(y.numpy(), y0)


def test_parameter_table_counts_193():
    table = parameter_table(NeuralNetwork())
    assert table.rows[-1] == ["Total", "168", 25, 193]
    assert [r[3] for r in table.rows[:-1]] == [48, 136, 9]


def test_nearest_arm_ceiling_explains_the_noise():
    X, y = create_spiral_data(200, 0.2)
    assert nearest_arm_accuracy(X, y) == pytest.approx(0.7575)
    X, y = create_spiral_data(200, 0.05)
    assert nearest_arm_accuracy(X, y) == 1.0


def test_seed_network_reaches_about_70_percent_not_95(result):
    accuracies = result.numbers["final_accuracies"]
    assert len(accuracies) == 10
    assert 0.6 < min(accuracies) and max(accuracies) < 0.8
    assert not result.claims[2].holds and result.claims[0].holds


def test_larger_network_memorises_and_does_not_generalise(result):
    n = result.numbers
    assert n["big_train_accuracy"] > 0.95 and n["big_test_accuracy"] < 0.75
    assert max(n["split_test_accuracies"]) < 0.75


def test_less_noisy_spiral_is_learned_from_the_best_start(result):
    n = result.numbers
    assert n["clean_nearest_arm_accuracy"] == 1.0
    assert max(n["clean_train_accuracies"]) >= 0.99
    assert n["clean_test_accuracies"][n["clean_best_seed"]] > 0.8
    assert np.mean(n["clean_train_accuracies"]) > np.mean(n["split_train_accuracies"])
