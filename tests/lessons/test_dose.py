"""Lesson dose: the seed's fixed network, the trainable copy, and 34 epochs of SGD to -16.0019."""
import numpy as np
import pytest

from glassnet import lessons


@pytest.fixture(scope="module")
def result():
    return lessons.run("dose", figures=False)


def test_fixed_network_gives_one_bump_of_1_01_at_half(result):
    expected = np.zeros(11)
    expected[5] = 1.01
    np.testing.assert_allclose(result.numbers["fixed_outputs"], expected, atol=1e-5)


def test_trainable_copy_starts_at_17_01(result):
    assert result.numbers["untrained_at_half"] == pytest.approx(17.01, abs=1e-4)


def test_training_stops_after_34_steps_at_minus_16_0019(result):
    assert result.numbers["num_steps"] == 34
    assert round(result.numbers["final_bias"], 4) == -16.0019
    assert "Num steps: 34" in result.output
    assert result.output[-1] == "Final bias, after optimization: tensor(-16.0019)"


def test_final_bias_per_epoch_falls_and_loss_ends_below_tolerance(result):
    biases = result.numbers["final_bias_per_epoch"]
    assert biases[0] == 0.0 and len(biases) == 35
    assert all(b > a for a, b in zip(biases[1:], biases[:-1]))  # strictly decreasing
    assert result.numbers["total_loss_per_epoch"][-1] < 1e-4 <= result.numbers["total_loss_per_epoch"][-2]


def test_every_seed_claim_holds(result):
    assert all(claim.holds for claim in result.claims)


def test_figures_are_drawn_and_saved(tmp_path):
    figured = lessons.run("dose")
    assert [f.name for f in figured.figures] == ["network", "fixed", "untrained", "trained"]
    paths = figured.save_figures(tmp_path, formats=("png",))
    assert all(p.stat().st_size > 1000 for p in paths)
