"""Lesson ``diagonal-flip`` (seed 002): one SGD step of the 4-3-4 DiagonalFlipNet, exact and float32.

The seed's PyTorch code runs on glassnet three times: in exact rational arithmetic (the seed's
hand calculation, digit for digit), in float32 with the seed's input vector, and in float32
with the same input as a batch of two identical rows.  Hidden unit 0's pre-activation is
exactly 0.2 − 0 + 0.1 − 0.4 + 0.1 = 0, on the ReLU's kink; in float32 it is a few 1e-9 either
side of 0, and its sign depends on the order in which the matrix multiply adds the terms (the
CPU's BLAS kernel): the text reports the side computed in this run, by glassnet and by PyTorch.  glassnet.explain's
tables give the step number by number.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

import glassnet as torch
import glassnet.optim as optim

from .examples import DIAGONAL_FLIP, DiagonalFlipNet, explain_text, torch_z0
from .result import Claim, FigureEntry, LessonResult, Table, timed

TITLE = "One SGD step of DiagonalFlipNet: exact arithmetic against float32"
SEED = "seed 002 (DiagonalFlipNet 4-3-4, x = [1, 0, 1, 1], target [1, 1, 0, 1], MSE, SGD lr 0.1)"
# The seed's network and weights: one definition (lessons.examples), shared with the explained step.
W1, B1 = DIAGONAL_FLIP["layer1.weight"], DIAGONAL_FLIP["layer1.bias"]
W2, B2 = DIAGONAL_FLIP["layer2.weight"], DIAGONAL_FLIP["layer2.bias"]


def one_step(dtype=torch.float32, rows: int = 1) -> dict:
    """The seed's code (create, load weights, forward, loss, backward, step, forward again).

    ``rows`` > 1 feeds x as a batch of identical rows (the same mathematics).
    """
    model = DiagonalFlipNet().to(dtype)
    with torch.no_grad():  # the decimals are read after the cast, so exact gets 1/10, not 0.1000000015
        model.layer1.weight.copy_(torch.tensor(W1, dtype=dtype))
        model.layer1.bias.copy_(torch.tensor(B1, dtype=dtype))
        model.layer2.weight.copy_(torch.tensor(W2, dtype=dtype))
        model.layer2.bias.copy_(torch.tensor(B2, dtype=dtype))
    x = torch.tensor([[1.0, 0.0, 1.0, 1.0]] * rows if rows > 1 else [1.0, 0.0, 1.0, 1.0], dtype=dtype)
    target = torch.tensor([[1.0, 1.0, 0.0, 1.0]] * rows if rows > 1 else [1.0, 1.0, 0.0, 1.0],
                          dtype=dtype)
    z = model.layer1(x).detach()
    z0_torch = torch_z0(model, x) if dtype is torch.float32 else None
    y_hat = model(x)
    loss = torch.mean((y_hat - target) ** 2)
    lr = Fraction(1, 10) if dtype is torch.exact else 0.1
    optimizer = optim.SGD(model.parameters(), lr=lr)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    y_new = model(x)
    loss_new = torch.mean((y_new - target) ** 2)
    params = dict(model.named_parameters())
    nonzero = sum(int((p.grad.array != 0).sum()) for p in params.values())
    changed = sum(int((params[n].detach().array != before[n].array).sum()) for n in params)
    z0 = z.array[0] if rows == 1 else z.array[0, 0]
    y_first = (y_new.detach().array if rows == 1 else y_new.detach().array[0])
    return {"z0": z0, "torch_z0": z0_torch, "nonzero_gradients": nonzero, "changed": changed, "loss": loss.item(),
            "loss_after": loss_new.item(), "loss_after_exact": loss_new.detach().array.item()
            if dtype is torch.exact else None,
            "improvement": 1 - float(loss_new.item()) / float(loss.item()),
            "y_after": [float(v) for v in np.ravel(y_first)],
            "grads": {n: p.grad.array.astype(float).tolist() for n, p in params.items()}}


def _side(z0) -> str:
    return "alive" if z0 > 0 else "dead"


def _float32_summary(name: str, r: dict, exact: dict) -> str:
    """One computed sentence per float32 run: where unit 0 landed and whether the step agrees."""
    verdict = "agrees with exact" if r["changed"] == exact["changed"] else "differs from exact"
    return (f"Float32, {name.split(', ', 1)[1]}: z₀ = {float(r['z0']):+.2e} ({_side(r['z0'])}), "
            f"{r['nonzero_gradients']} nonzero gradients, {r['changed']} changes, loss → "
            f"{r['loss_after']:.5f} ({-r['improvement']:+.1%}): {verdict}.")


@timed
def run(figures: bool = True) -> LessonResult:
    """Run the seed's step in exact arithmetic and in float32 (vector and batch input)."""
    exact = one_step(torch.exact)
    vector = one_step(torch.float32)
    batch = one_step(torch.float32, rows=2)
    left_to_right = np.float32(0.2) + np.float32(0.1) + np.float32(-0.4) + np.float32(0.1)
    runs = [("exact (glassnet.exact)", exact), ("float32, x a vector (the seed's)", vector),
            ("float32, x a batch of 2 identical rows", batch)]
    exact_after = exact["loss_after_exact"]
    numbers = {
        "exact_loss": float(exact["loss"]), "exact_loss_after": float(exact_after),
        "exact_loss_after_fraction": str(exact_after), "exact_changed": exact["changed"],
        "exact_nonzero": exact["nonzero_gradients"], "exact_improvement": exact["improvement"],
        "float32_vector_z0": float(vector["z0"]), "float32_vector_changed": vector["changed"],
        "float32_vector_nonzero": vector["nonzero_gradients"],
        "float32_vector_loss_after": vector["loss_after"],
        "float32_batch_z0": float(batch["z0"]), "float32_batch_changed": batch["changed"],
        "float32_batch_nonzero": batch["nonzero_gradients"],
        "float32_batch_loss_after": batch["loss_after"],
        "float32_batch_improvement": batch["improvement"],
        "left_to_right_z0": float(left_to_right),
        "torch_vector_z0": vector["torch_z0"], "torch_batch_z0": batch["torch_z0"],
    }
    has_torch = vector["torch_z0"] is not None
    torch_story = (f" PyTorch, run now on this machine with the same weights, gives z₀ = "
                   f"{vector['torch_z0']:+.3g} ({_side(vector['torch_z0'])}) for the vector and "
                   f"{batch['torch_z0']:+.3g} ({_side(batch['torch_z0'])}) for the batch."
                   if has_torch else " (PyTorch is not installed here, so its side was not computed.)")
    alive = [r for _, r in runs if r["z0"] > 0]
    sections = [
        ("The step in exact arithmetic",
         f"With glassnet.exact every number is a fraction, so the step is the seed's hand "
         f"calculation with no rounding: the loss goes from {exact['loss']} = {float(exact['loss'])} "
         f"to {exact_after} = {float(exact_after):.13g} ({-exact['improvement']:+.2%}); "
         f"{exact['nonzero_gradients']} gradients are nonzero and {exact['changed']} of 31 "
         "parameters change. Hidden unit 0's pre-activation is 0.2·1 + (−0.3)·0 + 0.1·1 + "
         "(−0.4)·1 + 0.1 = 0 exactly: on the ReLU's kink, where relu′(0) = 0 (as in PyTorch), so "
         "the unit counts as dead."),
        ("Why float32 can differ",
         "In float32 none of 0.2, 0.1 and 0.4 is exact, and the sum of the five terms depends on "
         "the order of the additions: over every order a kernel may use it is −1.49e-8, −7.45e-9, "
         f"0 or +7.45e-9. Left to right it is "
         f"{left_to_right:+.3g}. glassnet's nn.Linear on the seed's vector x gives "
         f"z₀ = {vector['z0']:+.3g} ({'alive' if vector['z0'] > 0 else 'dead'}): "
         f"{vector['nonzero_gradients']} nonzero gradients, {vector['changed']} parameters change, "
         f"loss {vector['loss']:.5f} → {vector['loss_after']:.5f}. With x as a batch of two "
         f"identical rows the matrix multiply adds in another order: z₀ = {batch['z0']:+.3g} "
         f"({'alive' if batch['z0'] > 0 else 'dead'}), {batch['nonzero_gradients']} nonzero "
         f"gradients, {batch['changed']} parameters change, loss {batch['loss']:.5f} → "
         f"{batch['loss_after']:.5f} ({-batch['improvement']:+.1%})." + torch_story + " Another CPU "
         "(another BLAS kernel) may add in another order and land on the other side.\n\n"
         "When unit 0 is alive its activation is only about 1e-8, so the gradients of its four "
         "outgoing weights are about 1e-9; 0.1 times that is far below the float32 spacing "
         "near those weights (7e-9 to 3e-8), so they get nonzero gradients but do not change. "
         "Its three incoming weights from the nonzero inputs and its bias do change (by "
         "−0.1·∂L/∂z₀ = −0.1·(−0.0975) each): that is "
         "where the extra changes come from, and the step lowers the loss a little more."
         + ("" if alive else " (In this run neither float32 order put the unit on the alive side.)")),
        ("Where the seed's text slipped",
         "The seed prints 'New loss: 0.7268' and 'Improvement: 18.9%' from its code, then says "
         "0.727 in its verification section and '0.726 (−19.0%)' in its summary. The squared "
         "errors it lists (0.779, 0.934, 0.004, 1.186) add up to 2.903, and 2.903/4 = 0.72575, "
         f"not 0.7268. The exact loss after the step is {float(exact_after):.13g} "
         f"({-exact['improvement']:+.2%}); 0.727 comes from squaring predictions rounded to two "
         "decimals. The summary's '0.896 → 0.726 (−19.0%)' is right to three decimals. The seed "
         "also counts the parameters two ways: '20 parameters unchanged … 12 parameters updated' "
         "(32, but the network has 31) in its update section, '12 actually change, 19 stay the "
         "same' in its PyTorch section; 19 is right."),
    ]
    tables = [Table("One step, three ways", ["run", "z₀ (hidden unit 0)", "nonzero gradients",
                                              "parameters changed", "loss before", "loss after",
                                              "change"],
                    [[name, f"{float(r['z0']):+.3g}", r["nonzero_gradients"], r["changed"],
                      f"{float(r['loss']):.5f}", f"{float(r['loss_after']):.7f}",
                      f"{-r['improvement']:+.2%}"] for name, r in runs]),
              Table("Predictions after the step", ["run", "ŷ₀", "ŷ₁", "ŷ₂", "ŷ₃"],
                    [[name, *(f"{v:.6f}" for v in r["y_after"])] for name, r in runs]
                    + [["the seed", "0.117", "0.034", "-0.065", "-0.089"]])]
    claims = [
        Claim("12 of 31 parameters change", f"exact: {exact['changed']}; float32 vector: "
              f"{vector['changed']}; float32 batch: {batch['changed']}", exact["changed"] == 12),
        Claim("New loss 0.7268, improvement 18.9% (code output)",
              f"{float(exact_after):.7f} ({-exact['improvement']:+.2%})",
              abs(float(exact_after) - 0.7268) < 5e-5),
        Claim("Loss 0.896 → 0.726, −19.0% (summary)", f"{float(exact_after):.7f}, "
              f"{-exact['improvement']:+.2%} (0.726 and −19.0% to the digits shown)",
              round(-exact['improvement'], 3) == -0.19),
        Claim("PyTorch's numbers match the hand calculation exactly",
              "only when float32 rounding puts hidden unit 0 on the dead side: "
              + (f"PyTorch here: vector x z₀ = {vector['torch_z0']:+.3g}, batch x z₀ = "
                 f"{batch['torch_z0']:+.3g}; " if has_torch else "")
              + f"glassnet: vector x z₀ = {vector['z0']:+.3g}, batch x z₀ = {batch['z0']:+.3g}",
              (vector["torch_z0"] <= 0) if has_torch else vector["changed"] == exact["changed"]),
    ]
    documents = {"html": explain_text("diagonal-flip", "html", True, None),
                 "text_float32": explain_text("diagonal-flip", "text", False, None)}
    figs = []
    if figures:
        from glassnet import viz
        figs = [FigureEntry("network", "DiagonalFlipNet's starting weights (edges) and biases.",
                            viz.network_diagram([W1, W2], [B1, B2], activations=["ReLU", "identity"],
                                                title="DiagonalFlipNet (seed 002)"))]
    return LessonResult(
        name="diagonal-flip", title=TITLE, seed=SEED,
        summary=(f"Exact: {exact['changed']} parameters change and the loss goes 0.89625 → "
                 f"{float(exact_after):.10g} ({-exact['improvement']:+.1%}). "
                 + " ".join(_float32_summary(name, r, exact) for name, r in runs[1:])
                 + (f" PyTorch here puts unit 0 at z₀ = {vector['torch_z0']:+.2e} for the vector "
                    f"({_side(vector['torch_z0'])})." if has_torch else "")
                 + " The seed's 0.7268 (−18.9%) is an arithmetic slip."),
        numbers=numbers, sections=sections, tables=tables, figures=figs, claims=claims,
        documents=documents)
