"""Lesson diagonal-flip: one SGD step in exact arithmetic and in float32, and the near-kink unit."""
from fractions import Fraction

import numpy as np
import pytest

from glassnet import lessons


@pytest.fixture(scope="module")
def result():
    return lessons.run("diagonal-flip", figures=False)


def test_exact_step_is_the_seeds_hand_calculation(result):
    n = result.numbers
    assert Fraction(n["exact_loss_after_fraction"]) == Fraction(58060211557, 80000000000)
    assert n["exact_loss"] == 0.89625 and n["exact_changed"] == n["exact_nonzero"] == 12
    assert round(n["exact_improvement"], 4) == 0.1902


def test_left_to_right_float32_sum_puts_unit_0_above_the_kink(result):
    assert result.numbers["left_to_right_z0"] == pytest.approx(7.450580596923828e-09, rel=1e-12)


@pytest.mark.parametrize("run", ["float32_vector", "float32_batch"])
def test_float32_counts_follow_the_sign_of_unit_0(result, run):
    n = result.numbers
    if n[f"{run}_z0"] > 0:  # alive: 8 more gradients, 4 of them too small to move a float32 weight
        assert (n[f"{run}_nonzero"], n[f"{run}_changed"]) == (20, 16)
        assert n[f"{run}_loss_after"] == pytest.approx(0.72184, abs=1e-5)
    else:
        assert (n[f"{run}_nonzero"], n[f"{run}_changed"]) == (12, 12)
        assert n[f"{run}_loss_after"] == pytest.approx(0.7257526, abs=1e-6)
    assert abs(n[f"{run}_z0"]) == pytest.approx(7.450580596923828e-09, rel=1e-6)


def test_the_seeds_0_7268_is_reported_as_a_slip(result):
    claim = next(c for c in result.claims if "0.7268" in c.seed_says)
    assert not claim.holds
    squared = np.array([0.779, 0.934, 0.004, 1.186])
    assert squared.sum() / 4 == pytest.approx(0.72575, abs=1e-5)
