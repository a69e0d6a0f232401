"""Lesson ``xor-linear`` (seed 004): one Linear(2, 1) layer and a sigmoid cannot learn XOR.

The seed's code runs on glassnet unchanged but for the import: MSE loss, SGD with lr 0.1,
10,000 full-batch epochs.  The loss settles at 0.25 and every prediction at 0.5.  The lesson
shows why: the weights walk to w = 0, b = 0, which is the best a single line can do.
"""
from __future__ import annotations


import numpy as np

import glassnet as torch
import glassnet.nn as nn
import glassnet.optim as optim

from .result import Claim, FigureEntry, LessonResult, Table, timed

TITLE = "One layer cannot learn XOR"
SEED = "seed 004 (simpleNN: Linear(2, 1) + Sigmoid, MSE, SGD lr 0.1)"
SEED_LOSSES = {1: 0.2904219627380371, 1001: 0.2500074505805969, 2001: 0.25000008940696716,
               3001: 0.25, 9001: 0.25}


class simpleNN(nn.Module):  # noqa: N801 - the seed's name
    def __init__(self):
        super(simpleNN, self).__init__()
        self.fc = nn.Linear(2, 1)  # 2 input features, 1 output
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        x = self.fc(x)
        x = self.sigmoid(x)
        return x


def best_line_accuracy(X, y, steps: int = 61) -> float:
    """The best accuracy of any line ``w·x + b > 0`` over a grid of directions and offsets."""
    angles = np.linspace(0, 2 * np.pi, 4 * steps, endpoint=False)
    directions = np.stack([np.cos(angles), np.sin(angles)])              # (2, A)
    offsets = np.linspace(-2, 2, steps)                                   # (B,)
    above = (X @ directions)[:, :, None] + offsets > 0                    # (N, A, B)
    return float(np.max(np.mean(above == (y > 0.5)[:, None, None], axis=0)))


def _why_figure(X, y, weight, bias):
    """Left: XOR's corners and three lines that each get 3 of 4 right. Right: the trained model."""
    from glassnet.viz import new_figure
    fig, (left, right) = new_figure((10.5, 4.4), ncols=2)
    colors = np.where(y > 0.5, "#b2182b", "#2166ac")
    xs = np.linspace(-0.5, 1.5, 2)
    for (w1, w2, b), style in zip([(1, 1, -0.5), (-1, -1, 1.5), (1, -1, -0.5)], ["-", "--", ":"]):
        correct = int(np.sum(((X @ [w1, w2] + b) > 0) == (y > 0.5)))
        rule = f"{w1:g}·x1 {'+' if w2 > 0 else '−'} {abs(w2):g}·x2 {'+' if b > 0 else '−'} {abs(b):g}"
        left.plot(xs, (-b - w1 * xs) / w2, "k", linestyle=style, linewidth=1.6,
                  label=f"1 where {rule.replace('-', '−')} > 0: {correct}/4 right")
    left.scatter(X[:, 0], X[:, 1], c=colors, s=260, edgecolors="k", zorder=3)
    for (a, b_), target in zip(X, y):
        left.annotate(f"XOR={int(target)}", (a, b_), xytext=(0, -22), textcoords="offset points",
                      ha="center", fontsize=9)
    left.set_xlim(-0.5, 1.5)
    left.set_ylim(-0.6, 1.5)
    left.set_xlabel("$x_1$")
    left.set_ylabel("$x_2$")
    left.set_title("Every line gets at least one corner wrong")
    left.legend(loc="upper center", fontsize=8, framealpha=0.95)
    grid = np.linspace(-0.5, 1.5, 81)
    xx, yy = np.meshgrid(grid, grid)
    z = 1 / (1 + np.exp(-(weight[0] * xx + weight[1] * yy + bias)))
    mesh = right.pcolormesh(xx, yy, z, cmap="RdBu_r", vmin=0, vmax=1, alpha=0.6, shading="auto")
    fig.colorbar(mesh, ax=right, label="model output")
    right.scatter(X[:, 0], X[:, 1], c=colors, s=260, edgecolors="k", zorder=3)
    right.set_title(f"Trained: output {z.min():.6f} to {z.max():.6f} everywhere")
    right.set_xlabel("$x_1$")
    return fig


@timed
def run(epochs: int = 10000, seed: int = 0, figures: bool = True) -> LessonResult:
    """Train the seed's ``simpleNN`` on XOR and show why it ends at 0.5 everywhere.

    Parameters
    ----------
    epochs : int
        Training epochs (the seed's 10,000).
    seed : int
        ``glassnet.manual_seed`` before the model is built (the seed fixes none).
    """
    torch.manual_seed(seed)
    X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=torch.float32)
    y = torch.tensor([[0.0], [1.0], [1.0], [0.0]], dtype=torch.float32)
    model = simpleNN()
    start_weight, start_bias = model.fc.weight.tolist()[0], model.fc.bias.item()
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    printed, losses = [], []
    for epoch in range(epochs):
        predictions = model(X)
        loss = loss_fn(predictions, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if epoch % 1000 == 0:
            printed.append(f'Epoch : {epoch + 1}/ {epochs}, Loss : {loss.item()}')
    with torch.no_grad():
        final_prediction = model(X)
    printed += ["", " Final Predictions:", str(final_prediction)]
    weight, bias = model.fc.weight.tolist()[0], model.fc.bias.item()
    Xn, yn = X.numpy(), y.numpy().ravel()
    best = best_line_accuracy(Xn, yn)
    # the gradient of the MSE at w = 0, b = 0: every output is 0.5, and the four corners cancel
    residual = 0.5 - yn
    grad_at_zero = (2 / 4) * 0.25 * np.concatenate([residual @ Xn, [residual.sum()]])
    preds = final_prediction.numpy().ravel()
    numbers = {
        "epochs": epochs, "seed": seed, "start_weight": start_weight, "start_bias": start_bias,
        "first_loss": losses[0], "final_loss": losses[-1], "final_predictions": preds.tolist(),
        "final_weight": weight, "final_bias": bias, "loss_at_logged_epochs":
            {e + 1: losses[e] for e in range(0, epochs, 1000)},
        "best_line_accuracy": best, "gradient_at_zero": grad_at_zero.tolist(),
        "final_accuracy": float(np.mean((preds > 0.5) == (yn > 0.5))),
    }
    sections = [
        ("What happens",
         f"From glassnet.manual_seed({seed}) the first loss is {losses[0]:.4f}; after {epochs:,} "
         f"epochs it is {losses[-1]:.10f} and the four predictions are "
         f"{', '.join(f'{p:.6f}' for p in preds)}. The weights have shrunk to "
         f"({weight[0]:.2e}, {weight[1]:.2e}) and the bias to {bias:.2e}: the model has learned to "
         "say 0.5 to everything, which is the seed's result too."),
        ("Why: no line separates XOR",
         "A Linear(2, 1) layer followed by a sigmoid can only draw one straight line (w·x + b = 0) "
         "and answer 'above 0.5' on one side of it. XOR's 1s sit on one diagonal, its 0s on the "
         "other; any line that puts (0,1) and (1,0) on one side puts at least one of (0,0) and "
         f"(1,1) there too. Trying {4 * 61 * 61:,} lines, the best gets {best:.0%} of the points right."),
        ("Why 0.25 and 0.5 exactly",
         "At w = 0, b = 0 every output is σ(0) = 0.5, so every squared error is 0.25 and the MSE is "
         "0.25. The gradient there is zero: each weight's gradient is a sum over the four corners "
         "of (output − target)·σ′·x, and the corners cancel in pairs ((1,0) with target 1 against "
         "(1,1) with target 0 for w1; likewise for w2 and b). Computed: "
         f"{', '.join(f'{g:g}' for g in grad_at_zero)}. Moving the line anywhere makes some "
         "point's error grow more than the others' shrink, so SGD walks the weights to zero and "
         "stays there; the seed's losses 0.2500074…, 0.25000009…, 0.25 are the last steps of "
         "that walk."),
        ("The fix",
         "Add a hidden layer: two hidden units can each draw a line (an OR and an AND), and the "
         "output can combine them. The xor-from-scratch lesson trains exactly that network."),
    ]
    tables = [Table("Loss at the seed's logged epochs", ["epoch", "glassnet", "seed (PyTorch)"],
                    [[e + 1, f"{losses[e]:.10f}", f"{SEED_LOSSES[e + 1]:.10f}" if e + 1 in SEED_LOSSES
                      else ""] for e in range(0, epochs, 1000)],
                    caption="The first loss depends on the random start (the seed fixes no seed); "
                            "the plateau at 0.25 does not."),
              Table("Final predictions", ["x1", "x2", "target", "prediction"],
                    [[int(a), int(b), int(t), f"{p:.6f}"] for (a, b), t, p
                     in zip(Xn, yn, preds)])]
    claims = [Claim("The loss settles at 0.25 (seed 004's printed losses)",
                    f"{losses[-1]:.10f}", abs(losses[-1] - 0.25) < 1e-4),
              Claim("Every final prediction is 0.5000", ", ".join(f"{p:.4f}" for p in preds),
                    bool(np.all(np.abs(preds - 0.5) < 1e-3)))]
    figs = []
    if figures:
        from glassnet import viz
        figs = [FigureEntry("why", "Left: every line misclassifies at least one XOR corner. Right: "
                            "the trained model outputs 0.5 everywhere (one flat colour).",
                            _why_figure(Xn, yn, weight, bias)),
                FigureEntry("history", "MSE per epoch: it falls to 0.25 and stays there.",
                            viz.history(losses, loss_name="MSE", title="simpleNN on XOR"))]
    return LessonResult(
        name="xor-linear", title=TITLE, seed=SEED,
        summary=(f"After {epochs:,} epochs the loss is {losses[-1]:.6f} and every prediction is "
                 f"{preds.mean():.4f}, as in the seed: no single line separates XOR (the best line "
                 f"gets {best:.0%} right), and at w = 0, b = 0 the MSE gradient is exactly zero."),
        numbers=numbers, output=printed, sections=sections, tables=tables, figures=figs,
        claims=claims)


