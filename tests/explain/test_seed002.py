"""Seed 002 (DiagonalFlipNet 4-3-4): exact arithmetic reproduces every number of its tables."""
from fractions import Fraction

import numpy as np
import pytest

from glassnet.explain.views import update_counts, update_summary


def test_exact_gradients_match_the_seed(flip_exact):
    g = {p.name: p.grad for p in flip_exact.params}
    assert list(g["layer2.bias"]) == [Fraction(-9, 20), Fraction(-11, 20), Fraction(-1, 40), Fraction(-5, 8)]
    # the seed's W₁ column 2 is torch's layer1.weight row 2 (its tables are (input, hidden))
    assert list(g["layer1.weight"][2]) == [Fraction(11, 25), 0, Fraction(11, 25), Fraction(11, 25)]
    assert list(g["layer1.bias"]) == [0, 0, Fraction(11, 25)]
    assert list(g["layer2.weight"][:, 2]) == [Fraction(-9, 40), Fraction(-11, 40), Fraction(-1, 80),
                                            Fraction(-5, 16)]
    assert not np.any(g["layer2.weight"][:, :2] != 0)


def test_exact_update_matches_the_seed(flip_exact):
    w2, b1 = flip_exact.param("layer2.weight"), flip_exact.param("layer1.bias")
    assert (w2.before[0, 2], w2.after[0, 2]) == (Fraction(1, 5), Fraction(2225, 10000))   # W₂[2][0]
    assert (b1.before[2], b1.after[2]) == (0, Fraction(-44, 1000))                         # b₁[2]
    assert flip_exact.param("layer2.weight").terms["lr·grad"][3, 2] == Fraction(-3125, 100000)
    counts = update_counts(flip_exact)
    assert counts == {"total": 31, "changed": 12, "zero_grad": 19, "below_resolution": 0}


def test_exact_effect_of_the_step(flip_exact):
    e = flip_exact.effect
    assert e.loss_before == Fraction(717, 800)                       # 0.89625
    assert e.loss_after == Fraction(58060211557, 80000000000)        # 0.7257526444625 exactly
    assert round(float(e.loss_after / e.loss_before - 1) * 100, 1) == -19.0
    np.testing.assert_allclose(np.asarray(e.predictions_after, dtype=float),
                               [0.117, 0.034, -0.065, -0.089], atol=5e-4)


def test_update_summary_says_why(flip_exact):
    text = update_summary(flip_exact)
    assert text.startswith("12 of 31 parameters changed; 19 unchanged because their gradient is 0: ")
    assert "hidden units 0 and 1 of layer1 are dead (pre-activation ≤ 0) (18 entries)" in text
    assert "input x₁ = 0 blocks its weights (1 entry)" in text


def test_derivation_of_a_hidden_weight(flip_exact):
    d = flip_exact.derivation("layer1.weight[2, 0]")
    assert d.headline == "∂L/∂layer1.weight[2, 0] = ∂L/∂h₂ · relu′(z₂) · x₀ = 0.44 · 1 · 1 = 0.44"
    assert d.value == Fraction(11, 25) and d.agrees
    assert "(out_features, in_features)" in d.convention and "W[0][2]" in d.convention
    maths = [m for m, _ in d.lines]
    assert any(m.startswith("∂L/∂h₂ = ") and m.endswith(
        "(−0.45)(0.2) + (−0.55)(−0.4) + (−0.025)(0.1) + (−0.625)(−0.5) = 0.44") for m in maths)
    assert "∂L/∂ŷ = ∂L/∂(ŷ − t) ⊙ 1 = [−0.45, −0.55, −0.025, −0.625] ⊙ [1, 1, 1, 1] = " \
           "[−0.45, −0.55, −0.025, −0.625]" in maths


def test_derivation_of_a_dead_units_weight_and_a_zero_input(flip_exact):
    assert flip_exact.derivation("layer1.weight[0, 0]").headline == \
        "∂L/∂layer1.weight[0, 0] = ∂L/∂h₀ · relu′(z₀) · x₀ = (−0.0975) · 0 · 1 = 0"
    d = flip_exact.derivation("layer1.weight[2, 1]")
    assert d.headline.endswith("= 0.44 · 1 · 0 = 0")


def test_insights_exact(flip_exact):
    kinds = {i.kind: i for i in flip_exact.insights()}
    assert kinds["near_kink"].where == "layer1[0]"
    assert "exactly on the ReLU's kink" in kinds["near_kink"].message
    assert "+7.45e−09" in kinds["near_kink"].message
    assert kinds["dead_relu"].data["units"] == [0, 1]
    assert "layer2.bias[3]" in kinds["largest_update"].message
    assert kinds["zero_input"].data["input"] == 1


def test_the_seeds_slip_is_pointed_out(flip_exact):
    claims = {c.quantity: c for c in flip_exact.claims}
    slip = claims["loss after (code output)"]
    assert slip.verdict == "differs" and "arithmetic slip" in slip.note
    assert "58060211557/80000000000" in slip.note
    assert claims["improvement (code output)"].verdict == "differs"
    assert "two decimals" in claims["loss after (verification section)"].note
    assert claims["loss after (summary table)"].agrees
    assert claims["parameters changed"].agrees
    assert all(c.agrees for q, c in claims.items() if "loss after" not in q and "improvement" not in q)


def _flip_f32_nudged(bias0_ulps: int, rows: int = 1):
    """Seed 002's float32 step with layer1.bias[0] moved by ``bias0_ulps`` float32 ulps.

    ±4 ulps put z₀ on a known side of the kink in every summation order (see tests/nn/test_seeds.py),
    so both outcomes are checked on every machine, whichever side this CPU's kernel picks for the
    seed's own weights.
    """
    from glassnet import float32, tensor
    from glassnet.lessons.examples import (DIAGONAL_FLIP, DIAGONAL_FLIP_T, DIAGONAL_FLIP_X,
                                           DiagonalFlipNet, load, run_step)
    from glassnet.nn import functional as F
    b0 = np.float32(0.1)
    for _ in range(abs(bias0_ulps)):
        b0 = np.nextafter(b0, np.float32(np.inf if bias0_ulps > 0 else -np.inf))
    weights = {**DIAGONAL_FLIP, "layer1.bias": [float(b0), -0.1, 0.0]}
    model = load(DiagonalFlipNet(), weights, float32)
    x, t = [DIAGONAL_FLIP_X] * rows, [DIAGONAL_FLIP_T] * rows
    return run_step(model, tensor(x if rows > 1 else x[0], dtype=float32),
                    tensor(t if rows > 1 else t[0], dtype=float32), F.mse_loss, 0.1, f"nudged {bias0_ulps}")


@pytest.fixture(scope="module")
def flip_f32_runs(flip_f32, flip_f32_batch):
    """(expected side or None, recording): the seed's weights as they are, and nudged to each side."""
    return [(None, flip_f32), (None, flip_f32_batch), ("dead", _flip_f32_nudged(-4)),
            ("alive", _flip_f32_nudged(+4)), ("dead", _flip_f32_nudged(-4, rows=2)),
            ("alive", _flip_f32_nudged(+4, rows=2))]


def test_float32_near_kink_names_hidden_unit_0(flip_f32_runs):
    for _, step in flip_f32_runs:
        near = [i for i in step.insights() if i.kind == "near_kink"]
        assert [i.where for i in near] == ["layer1[0]"]
        assert abs(near[0].data["z"]) < 1e-7


def test_float32_near_kink_knows_the_exact_value_for_the_seeds_weights(flip_f32, flip_f32_batch):
    for step in (flip_f32, flip_f32_batch):
        near = [i for i in step.insights() if i.kind == "near_kink"]
        assert near[0].data["exact"] == 0


def test_float32_outcome_follows_the_side_of_the_kink(flip_f32_runs):
    """Which side float32 rounding puts z₀ on decides the step; both outcomes are checked."""
    for side, step in flip_f32_runs:
        z0 = float(np.asarray(step.forward_ops[0].output).reshape(-1, 3)[0, 0])
        if side is not None:
            assert (z0 > 0) == (side == "alive"), z0
        counts = update_counts(step)
        if z0 > 0:      # alive: 8 more nonzero gradients, 4 of them too small to move a float32 weight
            assert counts["total"] - counts["zero_grad"] == 20
            assert counts["changed"] == 16 and counts["below_resolution"] == 4
            assert abs(float(step.effect.loss_after) - 0.72184) < 1e-5
            assert "below the float resolution" in update_summary(step)
        else:           # dead: the seed's 12
            assert counts["total"] - counts["zero_grad"] == 12
            assert counts["changed"] == 12
            assert abs(float(step.effect.loss_after) - 0.7257527) < 1e-6
        assert abs(float(step.effect.loss_before) - 0.89625) < 1e-7


def test_derivation_over_a_batch_sums_the_rows():
    from glassnet.lessons.examples import diagonal_flip
    step = diagonal_flip(exact=True, rows=2, checks=False)
    d = step.derivation("layer1.weight[2, 0]")
    assert d.headline == ("∂L/∂layer1.weight[2, 0] = ∂L/∂z[0, 2]·x[0, 0] + ∂L/∂z[1, 2]·x[1, 0] = "
                          "(0.22)(1) + (0.22)(1) = 0.44")
    assert d.value == Fraction(11, 25) and d.agrees
    assert step.effect.loss_after == Fraction(58060211557, 80000000000)   # same mathematics


def test_the_float32_story_states_the_sides_computed_on_this_machine(flip_exact):
    story = next(n for n in flip_exact.notes if n.startswith("The seed says PyTorch's float32"))
    from glassnet.lessons import examples
    f32 = examples.diagonal_flip(exact=False, checks=False)
    z0 = float(np.asarray(f32.forward_ops[0].output).reshape(-1, 3)[0, 0])
    assert f"with x as the seed's vector, z₀ = {'+' if z0 > 0 else ''}" in story
    z0s = examples._torch_z0s()
    if z0s is None:
        assert "PyTorch is not installed here" in story
    else:
        side = "alive" if z0s[0] > 0 else "dead"
        assert "PyTorch, run now on this machine" in story and f"for the vector ({side})" in story
