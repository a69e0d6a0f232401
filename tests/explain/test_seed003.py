"""Seed 003 (the XOR worked example): the numbers PyTorch gives, and where the seed rounded."""
import numpy as np
import pytest

import glassnet
from glassnet.lessons.examples import explain_text, xor_worked_example


def _op(step, name):
    return next(op for op in step.forward_ops if op.name == name)


def test_forward_and_backward_numbers(xor):
    np.testing.assert_allclose(_op(xor, "h").output, [0.9241, 0.0759], atol=5e-5)
    np.testing.assert_allclose(_op(xor, "ŷ").output, [0.9702], atol=5e-5)
    np.testing.assert_allclose(_op(xor, "z_out").grad_out, [-0.0298], atol=5e-5)
    np.testing.assert_allclose(xor.param("output.weight").grad, [[-0.0275, -0.0023]], atol=5e-5)
    np.testing.assert_allclose(_op(xor, "h").grad_out, [-0.298, 0.298], atol=5e-4)
    np.testing.assert_allclose(_op(xor, "z").grad_out, [-0.0209, 0.0209], atol=5e-5)
    np.testing.assert_allclose(xor.param("hidden.weight").grad, [[-0.0209, 0], [0.0209, 0]], atol=5e-5)


def test_derivations(xor):
    d = xor.derivation("hidden.weight[0, 0]")
    assert d.headline == ("∂L/∂hidden.weight[0, 0] = (ŷ − y)/(ŷ(1 − ŷ)) · σ′(z_out) · "
                          "output.weight[0, 0] · σ′(z₀) · x₀ = (−1.0307) · 0.0289 · 10 · 0.0701 · 1 "
                          "= −0.0209")
    lines = dict(d.lines)
    assert "∂L/∂h₀ = ∂L/∂z_out · output.weight[0, 0] = (−0.0298) · 10 = −0.298" in lines
    z_out_line = next(m for m in lines if m.startswith("∂L/∂z_out"))
    assert "ŷ − y = 0.9702 − 1 = −0.0298" in lines[z_out_line]
    assert xor.derivation("output.weight[0, 1]").headline.endswith("· 0.0759 = −0.00226")
    assert xor.derivation("hidden.weight[0, 1]").headline.endswith("· 0 = 0")
    assert all(xor.derivation(e).agrees for e in ("hidden.weight[1, 0]", "hidden.bias[1]",
                                                   "output.bias[0]"))


def test_the_seeds_rounded_intermediates_are_named(xor):
    claims = {c.quantity: c for c in xor.claims}
    assert all(c.agrees for c in claims.values())
    dh = claims["∂L/∂h₁, ∂L/∂h₂"]
    assert "rounded an intermediate before multiplying" in dh.note and "−0.030" in dh.note
    assert "[−0.298, 0.298]" in dh.note


def test_exact_is_refused_with_a_reason():
    with pytest.raises(TypeError, match="sigmoid has no exact"):
        xor_worked_example(dtype=glassnet.exact)
    text = explain_text("xor-worked-example", exact=True)
    assert "computed in float64 instead" in text and "float64" in text


def test_float64_run_agrees_with_float32(xor):
    s64 = xor_worked_example(dtype=glassnet.float64, checks=False)
    np.testing.assert_allclose(s64.param("hidden.weight").grad, xor.param("hidden.weight").grad,
                               atol=1e-7)
