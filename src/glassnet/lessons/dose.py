"""Lesson ``dose`` (seeds 001 and 000): a hand-set network, then training its final bias.

The seed's code runs here with one change, ``import glassnet as torch``: the same
``nn.Module`` subclasses, ``nn.Parameter(..., requires_grad=False)``, ``F.relu`` and
``SGD(model.parameters(), lr=0.1)``, and the same loop that calls ``backward()`` once per
sample (so the three gradients add up), then takes one step and zeroes the gradient per epoch.
"""
from __future__ import annotations

import glassnet as torch
import glassnet.nn as nn
import glassnet.nn.functional as F
from glassnet.optim import SGD

from .result import Claim, FigureEntry, LessonResult, Table, timed

TITLE = "The dose network: hand-set weights, then one trainable bias"
SEED = "seeds 001 and 000 (MyBasicNN, MyBasicNN_train)"


class MyBasicNN(nn.Module):
    """The seed's network with every weight and bias fixed (final_bias = -16)."""

    def __init__(self):
        super().__init__()
        self.w00 = nn.Parameter(torch.tensor(1.7), requires_grad=False)
        self.b00 = nn.Parameter(torch.tensor(-0.85), requires_grad=False)
        self.w01 = nn.Parameter(torch.tensor(-40.8), requires_grad=False)
        self.w10 = nn.Parameter(torch.tensor(12.6), requires_grad=False)
        self.b10 = nn.Parameter(torch.tensor(0.0), requires_grad=False)
        self.w11 = nn.Parameter(torch.tensor(2.7), requires_grad=False)
        self.final_bias = nn.Parameter(torch.tensor(-16.0), requires_grad=False)

    def forward(self, input):
        input_to_top_relu = input * self.w00 + self.b00
        top_relu_output = F.relu(input_to_top_relu)
        scaled_top_relu_output = top_relu_output * self.w01
        input_to_bottom_relu = input * self.w10 + self.b10
        bottom_relu_output = F.relu(input_to_bottom_relu)
        scaled_bottom_relu_output = bottom_relu_output * self.w11
        input_to_final_relu = (
            scaled_top_relu_output
            + scaled_bottom_relu_output
            + self.final_bias
        )
        output = F.relu(input_to_final_relu)
        return output


class MyBasicNN_train(nn.Module):
    """The same network with final_bias starting at 0.0 and ``requires_grad=True``."""

    def __init__(self):
        super().__init__()
        self.w00 = nn.Parameter(torch.tensor(1.7), requires_grad=False)
        self.b00 = nn.Parameter(torch.tensor(-0.85), requires_grad=False)
        self.w01 = nn.Parameter(torch.tensor(-40.8), requires_grad=False)
        self.w10 = nn.Parameter(torch.tensor(12.6), requires_grad=False)
        self.b10 = nn.Parameter(torch.tensor(0.0), requires_grad=False)
        self.w11 = nn.Parameter(torch.tensor(2.7), requires_grad=False)
        self.final_bias = nn.Parameter(
            torch.tensor(0.0),
            requires_grad=True
        )

    def forward(self, input):
        input_to_top_relu = input * self.w00 + self.b00
        top_relu_output = F.relu(input_to_top_relu)
        scaled_top_relu_output = top_relu_output * self.w01
        input_to_bottom_relu = input * self.w10 + self.b10
        bottom_relu_output = F.relu(input_to_bottom_relu)
        scaled_bottom_relu_output = bottom_relu_output * self.w11
        input_to_final_relu = (
            scaled_top_relu_output
            + scaled_bottom_relu_output
            + self.final_bias
        )
        output = F.relu(input_to_final_relu)
        return output


def train(model, inputs, labels, lr=0.1, max_epochs=100, tolerance=0.0001):
    """The seed's training loop; returns (printed lines, final_bias per epoch, loss per epoch).

    ``final_bias`` starts with the value before training; ``losses[e]`` is epoch e's total loss.
    """
    optimizer = SGD(model.parameters(), lr=lr)
    printed, biases, losses = [], [model.final_bias.item()], []
    for epoch in range(max_epochs):
        total_loss = 0
        for iteration in range(len(inputs)):
            input_i = inputs[iteration]
            label_i = labels[iteration]
            output_i = model(input_i)
            loss = (output_i - label_i) ** 2
            loss.backward()
            total_loss += float(loss)
        losses.append(total_loss)
        if total_loss < tolerance:
            printed.append("Num steps: " + str(epoch))
            break
        optimizer.step()
        optimizer.zero_grad()
        biases.append(model.final_bias.item())
        printed.append("Step: " + str(epoch) + " Final Bias: " + str(model.final_bias.data))
    printed.append("Final bias, after optimization: " + str(model.final_bias.data))
    return printed, biases, losses


def _diagram(final_bias: float, title: str):
    from glassnet import viz
    return viz.network_diagram([[[1.7], [12.6]], [[-40.8, 2.7]]], [[-0.85, 0.0], [final_bias]],
                               node_names=[["dose"], ["top", "bottom"], ["output"]],
                               activations=["ReLU", "ReLU"], title=title)


@timed
def run(figures: bool = True) -> LessonResult:
    """Run the dose lesson.

    Parameters
    ----------
    figures : bool
        Draw the figures (the numbers are the same without them).
    """
    input_doses = torch.linspace(start=0, end=1, steps=11)
    fixed = MyBasicNN()(input_doses)
    model = MyBasicNN_train()
    untrained = model(input_doses).detach()
    inputs = torch.tensor([0., 0.5, 1.])
    labels = torch.tensor([0., 1., 0.])
    printed, biases, losses = train(model, inputs, labels)
    trained = model(input_doses).detach()
    steps = len(losses) - 1
    doses = input_doses.tolist()
    at_half = doses.index(0.5)
    final_bias = model.final_bias.item()

    numbers = {
        "doses": doses, "fixed_outputs": fixed.tolist(), "untrained_outputs": untrained.tolist(),
        "trained_outputs": trained.tolist(), "fixed_at_half": fixed.tolist()[at_half],
        "untrained_at_half": untrained.tolist()[at_half], "num_steps": steps,
        "final_bias": final_bias, "final_bias_per_epoch": biases, "total_loss_per_epoch": losses,
    }
    rows = [[e, round(biases[e], 4), round(losses[e], 6)] for e in range(len(losses))]
    tables = [
        Table("The fixed network on linspace(0, 1, 11)", ["dose", "effectiveness"],
              [[round(d, 1), round(v, 4)] for d, v in zip(doses, fixed.tolist())]),
        Table("Training the final bias", ["epoch", "final_bias at the start of the epoch",
                                           "total squared error over the 3 doses"], rows,
              caption=f"The loop stops at epoch {steps}, whose total loss is below 0.0001."),
    ]
    sections = [
        ("The fixed network",
         "Every weight is hand-set: w00 = 1.7, b00 = -0.85, w01 = -40.8, w10 = 12.6, b10 = 0, "
         "w11 = 2.7, final_bias = -16. On the eleven doses 0, 0.1, ..., 1 the output is 0 everywhere "
         f"except dose 0.5, where it is {fixed.tolist()[at_half]:.2f}: the top ReLU (1.7·0.5 - 0.85 "
         "= 0) is still off, the bottom one gives 12.6·0.5·2.7 = 17.01, and 17.01 - 16 = 1.01.\n\n"
         "At dose 0.4 and 0.6 the sum before the final ReLU is negative, so the output is exactly 0: "
         "the final ReLU is what turns the network's output into a single bump."),
        ("The trainable copy",
         "With final_bias = 0 the same network outputs "
         f"{untrained.tolist()[at_half]:.2f} at dose 0.5 (17.01 - 0): the bump is 16 too high, and "
         "the ReLU no longer cuts off doses 0.1 to 0.9."),
        ("Training",
         "Each epoch runs the three doses through the model and calls backward() after each, so "
         "final_bias.grad collects the sum of three gradients (2·(output - label) for every dose "
         "whose final ReLU is on). Only then does SGD take one step of 0.1 times that sum, and "
         "zero_grad() clears it for the next epoch.\n\n"
         f"The total loss falls below 0.0001 in epoch {steps}, so the seed's code prints "
         f"'Num steps: {steps}' and final_bias ends at {final_bias:.4f}. It overshoots -16 slightly "
         "because the loop stops at a loss threshold, not at the exact minimum."),
    ]
    claims = [
        Claim("Effectiveness = 1 at dose 0.5 for the fixed network (seed 000)",
              f"{fixed.tolist()[at_half]:.4f} (1.01: 17.01 - 16)", abs(fixed.tolist()[at_half] - 1.01) < 1e-4),
        Claim("Effectiveness = 17 at dose 0.5 with final_bias = 0 (seed 000)",
              f"{untrained.tolist()[at_half]:.4f}", abs(untrained.tolist()[at_half] - 17.01) < 1e-3),
        Claim("After about 34 steps training stops (seed 001)", f"Num steps: {steps}", steps == 34),
        Claim("The learned final_bias is -16.0019 (seed 001)", f"{final_bias:.4f}",
              round(final_bias, 4) == -16.0019),
    ]
    figs = []
    if figures:
        from glassnet import viz
        figs = [
            FigureEntry("network", "The seed's diagram: weights on the edges, biases under the nodes.",
                        _diagram(-16.0, "MyBasicNN (final_bias = -16)")),
            FigureEntry("fixed", "The fixed network: a single bump of 1.01 at dose 0.5.",
                        viz.curve(doses, fixed.tolist(), title="MyBasicNN: fixed weights")),
            FigureEntry("untrained", "The trainable copy before training (final_bias = 0): 17.01 at 0.5.",
                        viz.curve(doses, untrained.tolist(),
                                  title="MyBasicNN_train before training (final_bias = 0)")),
            FigureEntry("trained", f"Before and after {steps} epochs of SGD, with the three training "
                        "points.",
                        viz.curve(doses, {"before (final_bias = 0)": untrained.tolist(),
                                          f"after (final_bias = {final_bias:.4f})": trained.tolist()},
                                  points=(inputs.tolist(), labels.tolist()),
                                  title="Training the final bias", legend_loc="below")),
        ]
    return LessonResult(
        name="dose", title=TITLE, seed=SEED,
        summary=(f"The hand-set network gives {fixed.tolist()[at_half]:.2f} at dose 0.5 and 0 elsewhere; "
                 f"with final_bias reset to 0 it gives {untrained.tolist()[at_half]:.2f}. SGD with lr 0.1 "
                 f"brings final_bias back to {final_bias:.4f} in {steps} epochs (Num steps: {steps}), as "
                 "the seed says."),
        numbers=numbers, output=printed, sections=sections, tables=tables, figures=figs,
        claims=claims)
