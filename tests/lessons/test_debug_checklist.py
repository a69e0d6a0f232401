"""Lesson debug-checklist: each check passes on the spiral set-up and fires on a broken one."""
import math

import pytest

from glassnet import lessons


@pytest.fixture(scope="module")
def result():
    return lessons.run("debug-checklist")


def test_every_check_passes_on_the_spiral_setup(result):
    assert set(result.numbers["checks"].values()) == {"pass"}
    assert result.numbers["initial_loss"] == pytest.approx(math.log(2), abs=0.02)


def test_the_broken_setup_trips_the_right_checks(result):
    broken = result.numbers["broken_checks"]
    for name in ("label values", "features scaled", "shuffled", "output layer matches the loss",
                 "initial loss ≈ ln 2"):
        assert broken[name] == "warn", name
    assert broken["shapes"] == "pass"


def test_the_seed_code_fails_at_backward_after_no_grad(result):
    assert "does not require grad" in result.numbers["seed_code_error"]
    assert result.output[:3][0].startswith("X shape: ")


def test_gradient_means_are_reported_per_parameter(result):
    means = result.numbers["gradient_means"]
    assert len(means) == 6 and all(m != 0 for m in means.values())
