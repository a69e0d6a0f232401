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
    # every summation order gives one of -1.49e-8, -7.45e-9, 0, +7.45e-9 (see tests/nn/test_seeds.py)
    assert abs(n[f"{run}_z0"]) <= 1.5e-8


def test_the_text_states_the_sides_computed_in_this_run(result):
    n = result.numbers
    vector_side = "alive" if n["float32_vector_z0"] > 0 else "dead"
    agrees = n["float32_vector_changed"] == n["exact_changed"]
    assert (f"z₀ = {n['float32_vector_z0']:+.2e} ({vector_side})" in result.summary)
    assert ("agrees with exact" if agrees else "differs from exact") in result.summary
    why = result.sections[1][1]
    if n["torch_vector_z0"] is None:
        assert "PyTorch is not installed here" in why
    else:
        torch_side = "alive" if n["torch_vector_z0"] > 0 else "dead"
        assert f"gives z₀ = {n['torch_vector_z0']:+.3g} ({torch_side}) for the vector" in why
        claim = next(c for c in result.claims if c.seed_says.startswith("PyTorch's numbers match"))
        assert claim.holds == (n["torch_vector_z0"] <= 0)


def test_torchs_side_is_computed_on_this_machine(result):
    torch = pytest.importorskip("torch")
    from glassnet.lessons.examples import DIAGONAL_FLIP
    w, b = torch.tensor(DIAGONAL_FLIP["layer1.weight"]), torch.tensor(DIAGONAL_FLIP["layer1.bias"])
    z0 = torch.nn.functional.linear(torch.tensor([1.0, 0.0, 1.0, 1.0]), w, b)[0].item()
    assert result.numbers["torch_vector_z0"] == z0


def test_the_seeds_0_7268_is_reported_as_a_slip(result):
    claim = next(c for c in result.claims if "0.7268" in c.seed_says)
    assert not claim.holds
    squared = np.array([0.779, 0.934, 0.004, 1.186])
    assert squared.sum() / 4 == pytest.approx(0.72575, abs=1e-5)
