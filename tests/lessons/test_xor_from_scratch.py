"""Lesson xor-from-scratch: hand-derived backprop = autograd, the seed-42 stall, and its fixes."""
import math

import numpy as np
import pytest

from glassnet import lessons
from glassnet.lessons import xor_from_scratch as xfs


@pytest.fixture(scope="module")
def result():
    return lessons.run("xor-from-scratch", figures=False)


def test_seed_initialisation_is_numpys_legacy_generator_seeded_42():
    W1, b1, W2, b2 = xfs.initial_weights(42)
    np.random.seed(42)
    np.testing.assert_array_equal(W1, np.random.randn(2, 2) * 0.5)
    np.testing.assert_array_equal(W2, np.random.randn(2, 1) * 0.5)
    assert not b1.any() and not b2.any()


def test_hand_derived_backprop_and_autograd_agree_at_every_logged_epoch(result):
    assert result.numbers["max_difference_hand_vs_autograd"] < 1e-6
    assert len(result.tables[0].rows) == 10


def test_seed_42_stalls_at_50_percent(result):
    assert result.numbers["final_accuracy"] == 0.5
    assert result.numbers["final_loss"] == pytest.approx(0.347, abs=1e-3)
    np.testing.assert_allclose(result.numbers["final_predictions"], [0.0007, 0.4997, 0.9994, 0.5003],
                               atol=1e-4)
    assert result.numbers["final_loss"] > result.numbers["half_ln2"] == pytest.approx(math.log(2) / 2)


def test_both_hidden_units_saturate_on_the_inputs_with_x2_equal_1(result):
    assert result.numbers["saturated_inputs"] == [[0, 1], [1, 1]]
    slope = np.array(result.numbers["sigmoid_slope"])
    assert slope[[1, 3]].max() < 2e-4 and slope[[0, 2]].min() > 0.02
    assert result.numbers["hidden_code_gap"] < 2e-4


def test_fixes_measured(result):
    assert result.numbers["seed1_accuracy"] == 1.0 and result.numbers["seed1_loss"] < 0.01
    assert result.numbers["hidden3_seed42_accuracy"] == 1.0
    assert result.numbers["hidden2_solved"] == 86 and 42 in result.numbers["hidden2_stalled_seeds"]
    assert result.numbers["hidden3_solved"] == 100


def test_batched_sweep_is_the_seed_update_rule():
    for seed, hidden in [(1, 2), (42, 3)]:
        state = xfs.train_by_hand(seed=seed, hidden=hidden, epochs=300)[2][:4]
        loss, acc = xfs.sweep([seed], hidden=hidden, epochs=300)
        assert loss[0] == pytest.approx(xfs.evaluate(*state)[0], rel=1e-12)


def test_the_seed_claim_of_100_percent_is_reported_false(result):
    claim = result.claims[0]
    assert not claim.holds and "50%" in claim.measured
