"""The seeds' printed numbers, checked against the recordings of their examples.

Seed 002 prints its tables in the (input, unit) layout, W₁[i][j] = torch's layer1.weight[j, i];
seed 003 writes w_ij for hidden unit i and input j, 1-based: torch's hidden.weight[i−1, j−1].
"""
from __future__ import annotations

import numpy as np

from ..explain._numbers import fmt, pct, scalar, to_float
from ..explain.views import update_counts
from .claims import Claim, check, count_claim, entries


def _out(step, name):
    """The recorded output of the op whose symbol is ``name``."""
    return next(op for op in step.forward_ops if op.name == name)


def diagonal_flip_checks(step, float32_runs=(), torch_z0s=None) -> None:
    """Seed 002's claims, checked (appends to ``step.claims`` and ``step.notes``).

    ``float32_runs``: for an exact ``step``, the same step in float32 with x as the seed's
    vector and as a batch of two identical rows; the notes then say what float32 does.
    ``torch_z0s``: PyTorch's hidden-unit-0 pre-activation for those two inputs, computed on this
    machine (None without torch).
    """
    g = {p.name: p for p in step.params}
    e = step.effect
    row = (lambda a: a[0]) if np.ndim(e.predictions_before) == 2 else (lambda a: a)
    counts = update_counts(step)
    after = row(e.predictions_after)
    target = row(e.targets)
    c = step.claims
    c.append(check("∂L/∂b₂ (layer2.bias.grad)", "[−0.45, −0.55, −0.025, −0.625]",
                   [-0.45, -0.55, -0.025, -0.625], 4, g["layer2.bias"].grad))
    c.append(check("∂L/∂W₁ column 2 (layer1.weight.grad[2, :])", "[0.44, 0, 0.44, 0.44]",
                   [0.44, 0, 0.44, 0.44], 4, g["layer1.weight"].grad[2]))
    c.append(check("∂L/∂W₂ row 2 (layer2.weight.grad[:, 2])", "[−0.225, −0.275, −0.0125, −0.3125]",
                   [-0.225, -0.275, -0.0125, -0.3125], 4, g["layer2.weight"].grad[:, 2]))
    c.append(check("W₂[2][0] after (layer2.weight[0, 2])", "0.2000 → 0.2225", 0.2225, 4,
                   g["layer2.weight"].after[0, 2]))
    c.append(check("b₁[2] after (layer1.bias[2])", "0.0000 → −0.0440", -0.044, 4,
                   g["layer1.bias"].after[2]))
    c.append(count_claim("parameters changed", "12 of 31", 12, counts["changed"]))
    c.append(check("ŷ after the step", "[0.117, 0.034, −0.065, −0.089]",
                   [0.117, 0.034, -0.065, -0.089], 3, after))
    c.append(check("loss before", "0.8963", 0.8963, 4, e.loss_before))
    listed = [0.779, 0.934, 0.004, 1.186]      # the squared errors as the seed lists them
    slip = (f"the seed lists the squared errors {', '.join(f'{v:.3f}' for v in listed)} and says "
            f"their mean is 0.7268; their sum is {sum(listed):.3f} and {sum(listed):.3f}/4 = "
            f"{sum(listed) / 4:.5f}, so 0.7268 is an arithmetic slip. The loss after the step is "
            f"{fmt(e.loss_after)}" + (f" exactly ({scalar(e.loss_after)})" if step.exact else "") + ".")
    c.append(check("loss after (code output)", "0.7268", 0.7268, 4, e.loss_after, note=slip))
    change = pct(e.loss_before, e.loss_after)
    c.append(check("improvement (code output)", "18.9 %", 18.9, 1, -change,
                   note="follows from the slip: (1 − 0.7268/0.8963)·100 = 18.9 %; with the loss "
                        f"computed here it is {-change:.1f} %."))
    rounded2 = np.round(to_float(after), 2)
    mean2 = float(np.mean((rounded2 - to_float(target)) ** 2))
    c.append(check("loss after (verification section)", "0.727", 0.727, 3, e.loss_after,
                   note=f"the seed squares predictions rounded to two decimals "
                        f"[{', '.join(fmt(v) for v in rounded2)}], whose mean squared error is "
                        f"{mean2:.5f} ≈ 0.727; from the unrounded predictions it is "
                        f"{fmt(e.loss_after)}."))
    c.append(check("loss after (summary table)", "0.726 (−19.0 %)", 0.726, 3, e.loss_after))
    c.append(check("change (summary table)", "−19.0 %", -19.0, 1, change))
    z0 = scalar(np.asarray(_out(step, "z").output).reshape(-1, 3)[0, 0])
    if z0 > 0:
        why = (f"in this float32 run hidden unit 0 is alive (z₀ = +{fmt(float(z0))} instead of the "
               f"exact 0), so the step differs from the seed's hand calculation; see the near-kink "
               f"insight")
        for claim in c:
            if not claim.agrees:
                claim.note = f"{why}. {claim.note}" if claim.note else why + "."
    if step.exact and float32_runs:
        step.notes.append(_float32_story(float32_runs, torch_z0s))


def _float32_story(runs, torch_z0s) -> str:
    """What float32 does with the same step, measured now (the seed says PyTorch matches)."""
    parts = []
    for s, how in zip(runs, ("x as the seed's vector", "x as a batch of two identical rows")):
        z0 = scalar(np.asarray(_out(s, "z").output).reshape(-1, 3)[0, 0])
        cnt = update_counts(s)
        nonzero = cnt["total"] - cnt["zero_grad"]
        sign = "+" if z0 > 0 else ""
        parts.append(f"with {how}, z₀ = {sign}{fmt(float(z0))}: {nonzero} nonzero gradients, "
                     f"{cnt['changed']} parameters change"
                     + (f" ({cnt['below_resolution']} updates are below float32 resolution)"
                        if cnt["below_resolution"] else "")
                     + f", loss after {float(s.effect.loss_after):.5f}")
    return ("The seed says PyTorch's float32 numbers match this hand calculation exactly. They match "
            "only when float32 rounding puts hidden unit 0 (exactly at z₀ = 0) on the dead side. "
            "Measured now in float32: " + "; ".join(parts) + ". " + _torch_side(torch_z0s))


def _torch_side(torch_z0s) -> str:
    """Which side PyTorch put z₀ on, computed now on this machine (its BLAS kernel decides)."""
    if torch_z0s is None:
        return ("PyTorch is not installed here, so its side was not computed; its kernels can land "
                "on either side (glassnet.explain.compare_with_torch shows which).")
    sides = [f"z₀ = {'+' if z0 > 0 else ''}{fmt(z0)} for {how} ({'alive' if z0 > 0 else 'dead'})"
             for z0, how in zip(torch_z0s, ("the vector", "the batch"))]
    return ("PyTorch, run now on this machine with the same weights, gives " + " and ".join(sides)
            + "; another CPU's BLAS kernel may add in another order and land on the other side.")


def xor_checks(step) -> None:
    """Seed 003's worked example, checked (appends to ``step.claims``)."""
    g = {p.name: p for p in step.params}
    h, z_out = _out(step, "h"), _out(step, "z_out")
    yhat = _out(step, "ŷ")
    c = step.claims
    dz_out = scalar(z_out.grad_out[0])
    v = to_float(g["output.weight"].before[0])
    dh = h.grad_out
    c.append(check("h = σ(z)", "[0.924, 0.076]", [0.924, 0.076], 3, h.output))
    c.append(check("z_out", "3.48", 3.48, 2, z_out.output[0],
                   note="the seed uses h rounded to 0.924 and 0.076"))
    c.append(check("ŷ = σ(z_out)", "0.970", 0.970, 3, yhat.output[0]))
    c.append(check("∂L/∂z_out = ŷ − y", "−0.030", -0.030, 3, dz_out,
                   agree_note=f"here it is BCE′(ŷ) · σ′(z_out) = {fmt(dz_out)}: the two factors "
                              f"cancel to ŷ − y, as the seed shows."))
    c.append(check("∂L/∂v₁, ∂L/∂v₂ (output.weight.grad)", "[−0.028, −0.002]", [-0.028, -0.002], 3,
                   g["output.weight"].grad[0]))
    seed_dh = -0.030 * v
    c.append(check("∂L/∂h₁, ∂L/∂h₂", "[−0.30, 0.30]", [-0.30, 0.30], 2, dh,
                   agree_note=(f"the seed multiplies the rounded ∂L/∂z_out = −0.030 by v = "
                               f"[{fmt(v[0])}, {fmt(v[1])}], giving [{fmt(seed_dh[0])}, "
                               f"{fmt(seed_dh[1])}]; unrounded, {fmt(dz_out)} · v = "
                               f"[{fmt(dh[0])}, {fmt(dh[1])}]. The figures agree to two decimals, "
                               f"but the seed rounded an intermediate before multiplying.")))
    hv = to_float(h.output)
    seed_dz = np.array([-0.30, 0.30]) * np.round(hv, 3) * np.round(1 - hv, 3)
    c.append(check("∂L/∂z₁, ∂L/∂z₂", "[−0.021, 0.021]", [-0.021, 0.021], 3, _out(step, "z").grad_out,
                   agree_note=(f"from its rounded factors the seed gets −0.30 · 0.924 · 0.076 = "
                               f"{fmt(seed_dz[0])}; unrounded it is "
                               f"{fmt(_out(step, 'z').grad_out[0])}.")))
    c.append(check("∂L/∂w₁₁, w₁₂, w₂₁, w₂₂ (hidden.weight.grad)", "[−0.021, 0, 0.021, 0]",
                   [-0.021, 0, 0.021, 0], 3,
                   entries(g["hidden.weight"].grad, [(0, 0), (0, 1), (1, 0), (1, 1)]),
                   agree_note="w_ij is hidden unit i, input j (1-based): torch's hidden.weight[i−1, j−1]"))
    step.notes.append("Seed 003 indexes w_ij by hidden unit i and input j, counting from 1; glassnet "
                      "and torch count from 0, so w₁₁ is hidden.weight[0, 0] and v₁ is "
                      "output.weight[0, 0]. The seed stops at the gradients; the update shown here "
                      "uses its training learning rate, 1.0.")


__all__ = ["Claim", "diagonal_flip_checks", "xor_checks"]
