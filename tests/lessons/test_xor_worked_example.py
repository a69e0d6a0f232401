"""Lesson xor-worked-example: every number in the seed's derivation, by glassnet's autograd."""
import pytest

from glassnet import lessons


@pytest.fixture(scope="module")
def result():
    return lessons.run("xor-worked-example", figures=False)


def test_forward_numbers(result):
    n = result.numbers
    assert n["h1"] == pytest.approx(0.924142, abs=1e-6) and n["y_hat"] == pytest.approx(0.970195, abs=1e-6)


def test_backward_numbers_match_the_seed_to_its_digits(result):
    n = result.numbers
    assert n["dL/dz_out"] == pytest.approx(n["y_hat"] - 1)
    assert n["dL/dz1"] == pytest.approx(-n["dL/dz2"]) == pytest.approx(-0.020894, abs=1e-6)
    assert n["dL/dw12"] == 0 and n["dL/dw22"] == 0
    assert n["agreeing"] == n["checked"] == 17


def test_the_trained_weights_solve_xor(result):
    assert result.numbers["xor_accuracy"] == 1.0


def test_explain_renders_the_step(result):
    assert "html" in result.documents and "<" in result.documents["html"]
