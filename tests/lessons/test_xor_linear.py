"""Lesson xor-linear: Linear(2, 1) + sigmoid ends at loss 0.25 with every prediction 0.5."""
import numpy as np
import pytest

from glassnet import lessons
from glassnet.lessons.xor_linear import best_line_accuracy


@pytest.fixture(scope="module")
def result():
    return lessons.run("xor-linear", figures=False)


def test_loss_goes_to_a_quarter_and_predictions_to_a_half(result):
    assert result.numbers["final_loss"] == pytest.approx(0.25, abs=1e-6)
    np.testing.assert_allclose(result.numbers["final_predictions"], 0.5, atol=1e-4)
    assert max(abs(w) for w in result.numbers["final_weight"]) < 1e-4


def test_the_seed_prints_every_thousand_epochs_in_its_format(result):
    logged = [line for line in result.output if line.startswith("Epoch : ")]
    assert len(logged) == 10 and logged[0].startswith("Epoch : 1/ 10000, Loss : ")


def test_no_line_gets_more_than_three_corners_and_the_gradient_vanishes_at_zero(result):
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    assert best_line_accuracy(X, np.array([0, 1, 1, 0.])) == 0.75
    assert best_line_accuracy(X, np.array([0, 1, 1, 1.])) == 1.0  # OR is separable
    assert result.numbers["gradient_at_zero"] == [0.0, 0.0, 0.0]
