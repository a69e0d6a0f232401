"""Lesson ``xor-worked-example`` (seed 003): the trained XOR network's forward and backward pass.

The seed's "trained weights" (w = 5 everywhere, hidden biases −2.5 and −7.5, output weights
10 and −10, output bias −5) run on input [1, 0] with target 1 and binary cross-entropy.
glassnet's autograd computes every intermediate number of the seed's derivation; each is
compared with the seed's rounded value, and glassnet.explain renders the step in full.
"""
from __future__ import annotations

import numpy as np

import glassnet as torch
import glassnet.nn.functional as F

from . import examples
from .examples import XOR, XOR_T, XOR_X, explain_text, load
from .result import Claim, FigureEntry, LessonResult, Table, timed

TITLE = "The XOR worked example: forward and backward with the trained weights"
SEED = "seed 003 (trained_weights.txt: input [1, 0], target 1, BCE)"
# The seed's trained weights: one definition (lessons.examples) for the lesson and the explained step.
HIDDEN_W, HIDDEN_B = XOR["hidden.weight"], XOR["hidden.bias"]   # row i: hidden unit i+1 (w_i1, w_i2)
OUTPUT_W, OUTPUT_B = XOR["output.weight"], XOR["output.bias"]
# the seed's numbers, as printed
SEED_VALUES = {"z1": "2.5", "z2": "-2.5", "h1": "0.924", "h2": "0.076", "z_out": "3.48",
               "y_hat": "0.970", "dL/dz_out": "-0.030", "dL/dv1": "-0.028", "dL/dv2": "-0.002",
               "dL/dh1": "-0.30", "dL/dh2": "0.30", "dL/dz1": "-0.021", "dL/dz2": "0.021",
               "dL/dw11": "-0.021", "dL/dw12": "0", "dL/dw21": "0.021", "dL/dw22": "0"}


class XORNet(examples.XORNet):
    """The seed 003 network (lessons.examples) with the trained weights, keeping z, h and z_out for the table."""

    def __init__(self, dtype=torch.float64):
        super().__init__()
        load(self, XOR, dtype)

    def forward(self, x):
        self.z = self.hidden(x)
        self.h = torch.sigmoid(self.z)
        self.z_out = self.output(self.h)
        if torch.is_grad_enabled():  # keep the intermediate gradients for the table
            for t in (self.z, self.h, self.z_out):
                t.retain_grad()
        return torch.sigmoid(self.z_out)


def worked_example(dtype=torch.float64) -> dict:
    """Every number of the seed's derivation, from glassnet's forward and backward pass."""
    model = XORNet(dtype)
    x, y = torch.tensor(XOR_X, dtype=dtype), torch.tensor(XOR_T, dtype=dtype)
    y_hat = model(x)
    loss = F.binary_cross_entropy(y_hat, y)
    loss.backward()
    z, h, gw = model.z.detach().array, model.h.detach().array, model.hidden.weight.grad.array
    return {
        "z1": z[0], "z2": z[1], "h1": h[0], "h2": h[1], "z_out": model.z_out.detach().array[0],
        "y_hat": y_hat.detach().array[0], "loss": loss.item(),
        "dL/dz_out": model.z_out.grad.array[0], "dL/dv1": model.output.weight.grad.array[0, 0],
        "dL/dv2": model.output.weight.grad.array[0, 1], "dL/dh1": model.h.grad.array[0],
        "dL/dh2": model.h.grad.array[1], "dL/dz1": model.z.grad.array[0],
        "dL/dz2": model.z.grad.array[1], "dL/dw11": gw[0, 0], "dL/dw12": gw[0, 1],
        "dL/dw21": gw[1, 0], "dL/dw22": gw[1, 1],
    }


def all_inputs() -> list:
    """ŷ for the four XOR inputs: do the seed's "trained weights" solve XOR?"""
    model = XORNet()
    with torch.no_grad():
        out = model(torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=torch.float64))
    return out.numpy().ravel().tolist()


@timed
def run(figures: bool = True) -> LessonResult:
    """Compute the seed's worked example with glassnet and check each printed number."""
    values = worked_example()
    rows, agree = [], 0
    for key, printed in SEED_VALUES.items():
        decimals = len(printed.split(".")[1]) if "." in printed else 0
        same = abs(float(values[key]) - float(printed)) <= 0.5 * 10 ** -decimals + 1e-12
        agree += same
        rows.append([key, printed, f"{float(values[key]):.6f}", "agrees" if same else "differs"])
    outputs = all_inputs()
    targets = [0, 1, 1, 0]
    numbers = {k: float(v) for k, v in values.items()}
    numbers.update({"agreeing": agree, "checked": len(SEED_VALUES), "xor_outputs": outputs,
                    "xor_accuracy": float(np.mean([(o > 0.5) == t for o, t in zip(outputs, targets)]))})
    sections = [
        ("Forward",
         f"z₁ = 1·5 + 0·5 − 2.5 = {values['z1']:g} and z₂ = 1·5 + 0·5 − 7.5 = {values['z2']:g}; "
         f"h₁ = σ(2.5) = {values['h1']:.6f}, h₂ = σ(−2.5) = {values['h2']:.6f}; "
         f"z_out = 10·h₁ − 10·h₂ − 5 = {values['z_out']:.6f}; ŷ = σ(z_out) = {values['y_hat']:.6f}. "
         f"The BCE loss is −ln ŷ = {values['loss']:.6f}."),
        ("Backward",
         f"∂L/∂z_out = ŷ − y = {values['dL/dz_out']:.6f} (sigmoid and BCE cancel). The output "
         f"weights get ∂L/∂z_out times their input: {values['dL/dv1']:.6f} and "
         f"{values['dL/dv2']:.6f}. The hidden units get ∂L/∂z_out times their output weight "
         f"({values['dL/dh1']:.6f}, {values['dL/dh2']:.6f}), times the sigmoid's slope "
         f"h(1 − h) = {values['h1'] * (1 - values['h1']):.6f}: {values['dL/dz1']:.6f} and "
         f"{values['dL/dz2']:.6f}. Each hidden weight's gradient is that times its input, so the "
         "weights from x₂ = 0 get exactly 0."),
        ("Checked against the seed",
         f"{agree} of {len(SEED_VALUES)} numbers the seed prints agree with glassnet's to the digits "
         "the seed shows. The seed's weights are a real solution: on the four XOR inputs the "
         f"network outputs {', '.join(f'{o:.4f}' for o in outputs)}, "
         f"{numbers['xor_accuracy']:.0%} correct. (Contrast the xor-from-scratch lesson, where "
         "training from np.random.seed(42) never reaches weights like these.)"),
    ]
    tables = [Table("The seed's numbers against glassnet's autograd (float64)",
                    ["quantity", "the seed", "glassnet", "verdict"], rows),
              Table("The seed's trained weights on all four inputs", ["x₁", "x₂", "target", "ŷ"],
                    [[a, b, t, f"{o:.4f}"] for (a, b), t, o in
                     zip([(0, 0), (0, 1), (1, 0), (1, 1)], targets, outputs)])]
    claims = [Claim("The network outputs 0.970 for [1, 0]", f"{values['y_hat']:.6f}",
                    round(float(values['y_hat']), 3) == 0.970),
              Claim("Every gradient in the derivation (∂L/∂z_out = −0.030, ..., ∂L/∂w₂₂ = 0)",
                    f"{agree} of {len(SEED_VALUES)} agree to the seed's digits",
                    agree == len(SEED_VALUES))]
    documents = {"html": explain_text("xor-worked-example", "html", False, None)}
    figs = []
    if figures:
        from glassnet import viz
        figs = [FigureEntry("network", "The seed's trained XOR weights.",
                            viz.network_diagram([HIDDEN_W, OUTPUT_W], [HIDDEN_B, OUTPUT_B],
                                                activations=["σ", "σ"],
                                                title="Seed 003's trained XOR network"))]
    return LessonResult(
        name="xor-worked-example", title=TITLE, seed=SEED,
        summary=(f"For input [1, 0] glassnet computes ŷ = {values['y_hat']:.4f} and "
                 f"∂L/∂z_out = {values['dL/dz_out']:.4f}; {agree} of {len(SEED_VALUES)} numbers in "
                 f"the seed's derivation agree to the digits it prints, and its weights classify all "
                 f"four XOR inputs correctly."),
        numbers=numbers, sections=sections, tables=tables, figures=figs, claims=claims,
        documents=documents)
