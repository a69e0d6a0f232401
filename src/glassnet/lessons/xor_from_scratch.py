"""Lesson ``xor-from-scratch`` (seed 003): a 2-2-1 sigmoid network, by autograd and by hand.

Two trainings from the seed's start (NumPy's legacy generator seeded 42, ``W1 = randn(2, 2)·0.5``,
``W2 = randn(2, 1)·0.5``, zero biases; BCE; full batch; lr 1.0; 10,000 epochs): the seed's own
NumPy code with its hand-derived gradients, and glassnet's autograd with ``nn.Linear`` layers
and ``optim.SGD``.  They agree to 1e-6 at every logged epoch.  Both stall at 50% accuracy,
which the seed does not mention; the lesson measures why and what fixes it.
"""
from __future__ import annotations

import math

import numpy as np

import glassnet as torch
import glassnet.nn as nn
import glassnet.optim as optim

from .result import Claim, FigureEntry, LessonResult, Table, timed

TITLE = "XOR from scratch: autograd against hand-derived backprop, and a stall"
SEED = "seed 003 (xor_from_scratch.py: 2-2-1 sigmoid, BCE, lr 1.0, np.random.seed(42))"
X_XOR = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
Y_XOR = np.array([[0], [1], [1], [0]])


# -- the seed's code (xor_from_scratch.py), wrapped in a function -----------------------------------

def sigmoid(x):
    return 1 / (1 + np.exp(-np.clip(x, -500, 500)))


def sigmoid_derivative(x):
    return x * (1 - x)


def initial_weights(seed=42, hidden=2):
    """The seed's start: ``np.random.seed(seed)``, then W1 (2, hidden) and W2 (hidden, 1)."""
    np.random.seed(seed)
    W1 = np.random.randn(2, hidden) * 0.5  # Input -> Hidden
    b1 = np.zeros((1, hidden))
    W2 = np.random.randn(hidden, 1) * 0.5  # Hidden -> Output
    b2 = np.zeros((1, 1))
    return W1, b1, W2, b2


def train_by_hand(seed=42, hidden=2, epochs=10000, learning_rate=1.0, log_every=1000):
    """The seed's NumPy training loop; returns (printed lines, logged snapshots, final state).

    A snapshot is taken where the seed prints (``epoch % log_every == 0``), before that epoch's
    update: ``(epoch, loss, accuracy, W1, b1, W2, b2)``.
    """
    X, y = X_XOR, Y_XOR
    W1, b1, W2, b2 = initial_weights(seed, hidden)
    printed, snapshots = [], []
    for epoch in range(epochs):
        # Forward pass
        z1 = X @ W1 + b1
        h = sigmoid(z1)
        z2 = h @ W2 + b2
        y_pred = sigmoid(z2)

        # Compute loss (BCE)
        loss = -np.mean(y * np.log(y_pred + 1e-10) +
                        (1 - y) * np.log(1 - y_pred + 1e-10))

        if epoch % log_every == 0:
            predictions = (y_pred > 0.5).astype(int)
            accuracy = np.mean(predictions == y)
            printed.append(f"Epoch {epoch}: Loss={loss:.4f}, Acc={accuracy:.0%}")
            snapshots.append((epoch, float(loss), float(accuracy), W1.copy(), b1.copy(), W2.copy(),
                              b2.copy()))

        # Backward pass
        dz2 = y_pred - y                    # Output gradient
        dW2 = h.T @ dz2 / 4                 # Gradient for W2
        db2 = np.mean(dz2, axis=0, keepdims=True)

        dh = dz2 @ W2.T                     # Gradient at hidden
        dz1 = dh * sigmoid_derivative(h)    # Through sigmoid
        dW1 = X.T @ dz1 / 4                 # Gradient for W1
        db1 = np.mean(dz1, axis=0, keepdims=True)

        # Update weights
        W1 -= learning_rate * dW1
        b1 -= learning_rate * db1
        W2 -= learning_rate * dW2
        b2 -= learning_rate * db2
    printed += ["", "Final Predictions:"]
    for i, (inp, pred) in enumerate(zip(X, y_pred)):
        printed.append(f"  {inp} -> {pred[0]:.4f} (expected: {y[i][0]})")
    return printed, snapshots, (W1, b1, W2, b2, y_pred)


# -- the same network with glassnet's autograd --------------------------------------------------------

class XorNet(nn.Module):
    """2 → hidden (sigmoid) → 1 (sigmoid), started from the seed's NumPy weights."""

    def __init__(self, W1, b1, W2, b2):
        super().__init__()
        hidden = W1.shape[1]
        self.hidden = nn.Linear(2, hidden, dtype=torch.float64)
        self.output = nn.Linear(hidden, 1, dtype=torch.float64)
        with torch.no_grad():  # nn.Linear keeps (out, in): the transpose of the seed's W
            self.hidden.weight.copy_(torch.tensor(W1.T, dtype=torch.float64))
            self.hidden.bias.copy_(torch.tensor(b1[0], dtype=torch.float64))
            self.output.weight.copy_(torch.tensor(W2.T, dtype=torch.float64))
            self.output.bias.copy_(torch.tensor(b2[0], dtype=torch.float64))

    def forward(self, x):
        return torch.sigmoid(self.output(torch.sigmoid(self.hidden(x))))


def train_by_autograd(seed=42, hidden=2, epochs=10000, learning_rate=1.0, log_every=1000):
    """glassnet's version of the seed's loop (float64); snapshots as in ``train_by_hand``."""
    model = XorNet(*initial_weights(seed, hidden))
    optimizer = optim.SGD(model.parameters(), lr=learning_rate)
    X = torch.tensor(X_XOR, dtype=torch.float64)
    y = torch.tensor(Y_XOR, dtype=torch.float64)
    snapshots = []
    for epoch in range(epochs):
        y_pred = model(X)
        loss = -(y * torch.log(y_pred + 1e-10) + (1 - y) * torch.log(1 - y_pred + 1e-10)).mean()
        if epoch % log_every == 0:
            accuracy = ((y_pred > 0.5).double() == y).double().mean().item()
            snapshots.append((epoch, loss.item(), accuracy, model.hidden.weight.detach().numpy().T.copy(),
                              model.hidden.bias.detach().numpy()[None].copy(),
                              model.output.weight.detach().numpy().T.copy(),
                              model.output.bias.detach().numpy()[None].copy()))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return snapshots, model


def sweep(seeds, hidden=2, epochs=10000, learning_rate=1.0):
    """The seed's update rule for many starts at once (one batch axis per seed).

    Returns the final BCE loss and accuracy per seed (after the last update).
    """
    X, y = X_XOR.astype(float), Y_XOR.astype(float)
    starts = [initial_weights(s, hidden) for s in seeds]
    W1, b1, W2, b2 = (np.array([s[k] for s in starts]) for k in range(4))
    for _ in range(epochs):
        h = sigmoid(X @ W1 + b1)
        y_pred = sigmoid(h @ W2 + b2)
        dz2 = y_pred - y
        dz1 = (dz2 @ W2.transpose(0, 2, 1)) * sigmoid_derivative(h)
        W2 -= learning_rate * h.transpose(0, 2, 1) @ dz2 / 4
        b2 -= learning_rate * dz2.mean(1, keepdims=True)
        W1 -= learning_rate * X.T @ dz1 / 4
        b1 -= learning_rate * dz1.mean(1, keepdims=True)
    y_pred = sigmoid(sigmoid(X @ W1 + b1) @ W2 + b2)
    loss = -np.mean(y * np.log(y_pred + 1e-10) + (1 - y) * np.log(1 - y_pred + 1e-10), axis=(1, 2))
    return loss, np.mean((y_pred > 0.5) == y, axis=(1, 2))


def evaluate(W1, b1, W2, b2):
    """BCE loss (the seed's formula) and accuracy of the given weights on XOR."""
    y_pred = sigmoid(sigmoid(X_XOR @ W1 + b1) @ W2 + b2)
    loss = -np.mean(Y_XOR * np.log(y_pred + 1e-10) + (1 - Y_XOR) * np.log(1 - y_pred + 1e-10))
    return float(loss), float(np.mean((y_pred > 0.5) == Y_XOR))


def _max_difference(a, b):
    return max(max(abs(sa[1] - sb[1]), *(float(np.max(np.abs(pa - pb))) for pa, pb
                                            in zip(sa[3:], sb[3:]))) for sa, sb in zip(a, b))


def _state_table(W1, b1, W2, b2):
    z1 = X_XOR @ W1 + b1
    h = sigmoid(z1)
    y_pred = sigmoid(h @ W2 + b2)[:, 0]
    rows = [[f"({a}, {b})", int(t), *(f"{v:.3f}" for v in z1[i]), *(f"{v:.6f}" for v in h[i]),
             *(f"{v:.1e}" for v in h[i] * (1 - h[i])), f"{y_pred[i]:.4f}"]
            for i, ((a, b), t) in enumerate(zip(X_XOR, Y_XOR[:, 0]))]
    units = range(1, W1.shape[1] + 1)
    columns = (["input", "target"] + [f"z{j}" for j in units] + [f"h{j}" for j in units]
               + [f"h{j}(1−h{j})" for j in units] + ["ŷ"])
    return z1, h, y_pred, Table("The trained 2-2-1 network, input by input", columns, rows,
                                caption="z: hidden pre-activation, h = σ(z), h(1−h): the sigmoid's "
                                        "slope, which scales every gradient that passes through it.")


@timed
def run(epochs: int = 10000, sweep_seeds: int = 100, figures: bool = True) -> LessonResult:
    """Train the seed's XOR network both ways, diagnose the stall and measure the fixes.

    Parameters
    ----------
    epochs : int
        Training epochs (the seed's 10,000).
    sweep_seeds : int
        How many NumPy seeds (0, 1, ...) to try for the "other seeds" fix.
    """
    printed, by_hand, (W1, b1, W2, b2, _) = train_by_hand(epochs=epochs)
    by_autograd, model = train_by_autograd(epochs=epochs)
    difference = _max_difference(by_hand, by_autograd)
    z1, h, y_pred, state = _state_table(W1, b1, W2, b2)
    final_loss = float(-np.mean(Y_XOR[:, 0] * np.log(y_pred + 1e-10)
                                + (1 - Y_XOR[:, 0]) * np.log(1 - y_pred + 1e-10)))
    accuracy = float(np.mean((y_pred > 0.5) == Y_XOR[:, 0]))
    slope = h * (1 - h)
    saturated = slope < 1e-3                                  # (input, unit)
    stuck_rows = [i for i in range(4) if saturated[i].all()]
    code_gap = float(np.abs(h[stuck_rows[0]] - h[stuck_rows[1]]).max()) if len(stuck_rows) == 2 else None
    seeds = list(range(sweep_seeds))
    loss2, acc2 = sweep(seeds, hidden=2, epochs=epochs)
    loss3, acc3 = sweep(seeds, hidden=3, epochs=epochs)
    solved2 = [s for s in seeds if acc2[s] == 1.0]
    stalled2 = [s for s in seeds if acc2[s] < 1.0]
    seed1 = train_by_hand(seed=1, hidden=2, epochs=epochs)[2][:4]
    three = train_by_hand(seed=42, hidden=3, epochs=epochs)[2][:4]
    one_loss, one_acc = evaluate(*seed1)
    three_loss, three_acc = evaluate(*three)
    init = initial_weights()
    numbers = {
        "final_loss": final_loss, "final_accuracy": accuracy, "final_predictions": y_pred.tolist(),
        "max_difference_hand_vs_autograd": difference,
        "logged": [(s[0], s[1], s[2]) for s in by_hand],
        "initial_W1": init[0].tolist(), "initial_W2": init[2].ravel().tolist(),
        "trained_W1": W1.tolist(), "trained_b1": b1.ravel().tolist(), "trained_W2": W2.ravel().tolist(),
        "trained_b2": float(b2[0, 0]), "hidden_preactivations": z1.tolist(), "hidden": h.tolist(),
        "sigmoid_slope": slope.tolist(), "saturated_inputs": [X_XOR[i].tolist() for i in stuck_rows],
        "hidden_code_gap": code_gap, "half_ln2": math.log(2) / 2,
        "seed1_loss": float(one_loss), "seed1_accuracy": float(one_acc),
        "hidden3_seed42_loss": float(three_loss), "hidden3_seed42_accuracy": float(three_acc),
        "sweep_seeds": len(seeds), "hidden2_solved": len(solved2), "hidden2_stalled_seeds": stalled2,
        "hidden3_solved": int(np.sum(acc3 == 1.0)),
    }
    stuck = " and ".join(f"({a}, {b})" for a, b in (X_XOR[i] for i in stuck_rows))
    sections = [
        ("Two trainings, one result",
         "The seed's NumPy code derives every gradient by hand (dz2 = ŷ − y, dW2 = hᵀ·dz2/4, "
         "dz1 = dz2·W2ᵀ ⊙ h(1−h), ...). glassnet gets the same gradients from autograd on "
         "nn.Linear layers, with the same float64 numbers and SGD at lr 1.0. At every logged epoch "
         f"the loss and all nine parameters agree to {difference:.1e} (the only difference is the "
         "1e-10 inside the seed's log, which the hand-derived ŷ − y leaves out)."),
        ("What the seed promised, and what happens",
         "The seed says the network reaches 100% accuracy by about epoch 5,000. From "
         f"np.random.seed(42) it does not: after {epochs:,} epochs the loss is {final_loss:.4f} "
         f"and the accuracy {accuracy:.0%}, with predictions "
         f"{', '.join(f'{p:.4f}' for p in y_pred)} for (0,0), (0,1), (1,0), (1,1)."),
        ("Why: both hidden units saturate on the inputs with x2 = 1",
         f"The trained weights from x2 into the hidden units are {W1[1, 0]:.2f} and {W1[1, 1]:.2f}, "
         f"larger than anything else. So for {stuck} both hidden pre-activations are large "
         f"({'; '.join(f'({X_XOR[i][0]}, {X_XOR[i][1]}): z = ' + ', '.join(f'{v:.2f}' for v in z1[i]) for i in stuck_rows)}) "
         "and both hidden units "
         f"output ≈ 1: the two inputs get the same hidden code (they differ by at most "
         f"{code_gap:.1e}). The output layer sees one point with targets 1 and 0, and the best it "
         f"can say to both is 0.5; two predictions of 0.5 cost ln 2 each, so the loss tends to "
         f"ln 2 / 2 = {math.log(2) / 2:.4f}.\n\n"
         "To escape, a hidden unit would have to respond differently to the two inputs, but every "
         "gradient into a hidden unit is multiplied by its slope h(1−h), which on those inputs is "
         f"at most {slope[stuck_rows].max():.1e}. The gradient that would separate them is "
         "thousands of times smaller than the one that made them saturate: a plateau, not a "
         "bug. The start made it likely: the seed's two output weights start almost equal "
         f"({init[2][0, 0]:.6f} and {init[2][1, 0]:.6f}), so the two hidden units begin nearly "
         "interchangeable."),
        ("What fixes it (measured)",
         f"Another start: with np.random.seed(1) the same code reaches {one_acc:.0%} "
         f"(loss {one_loss:.4f}). Of seeds 0–{len(seeds) - 1}, {len(solved2)} reach 100% and "
         f"{len(stalled2)} stall ({', '.join(map(str, stalled2))}).\n\n"
         f"A third hidden unit: from seed 42 the 2-3-1 network reaches {three_acc:.0%} "
         f"(loss {three_loss:.4f}); over seeds 0–{len(seeds) - 1} it reaches 100% "
         f"{int(np.sum(acc3 == 1.0))} times out of {len(seeds)}. The spare unit gives the network "
         "a way to tell (0,1) from (1,1) that the saturated pair cannot."),
    ]
    tables = [
        Table("Logged epochs: the seed's code against glassnet's autograd",
              ["epoch", "loss (by hand)", "loss (autograd)", "accuracy",
               "largest parameter difference"],
              [[a[0], f"{a[1]:.8f}", f"{b[1]:.8f}", f"{a[2]:.0%}",
                f"{max(float(np.max(np.abs(p - q))) for p, q in zip(a[3:], b[3:])):.1e}"]
               for a, b in zip(by_hand, by_autograd)]),
        state,
        Table("Fixes, measured", ["set-up", "final loss", "accuracy"],
              [["2-2-1, seed 42 (the seed's)", f"{final_loss:.4f}", f"{accuracy:.0%}"],
               ["2-2-1, seed 1", f"{one_loss:.4f}", f"{one_acc:.0%}"],
               ["2-3-1, seed 42", f"{three_loss:.4f}", f"{three_acc:.0%}"],
               [f"2-2-1, seeds 0–{len(seeds) - 1}", "", f"{len(solved2)}/{len(seeds)} reach 100%"],
               [f"2-3-1, seeds 0–{len(seeds) - 1}", "",
                f"{int(np.sum(acc3 == 1.0))}/{len(seeds)} reach 100%"]]),
    ]
    claims = [
        Claim("After ~5000 epochs the network achieves 100% accuracy (seed 42)",
              f"{accuracy:.0%} after {epochs:,} epochs, loss {final_loss:.4f}", accuracy == 1.0),
        Claim("The hand-derived gradients are what autograd computes",
              f"agree to {difference:.1e} at every logged epoch", difference < 1e-6),
        Claim("Final predictions very close to 0 or 1",
              ", ".join(f"{p:.4f}" for p in y_pred), bool(np.all(np.abs(y_pred - 0.5) > 0.4))),
    ]
    figs = []
    if figures:
        figs = _figures((W1, b1, W2, b2), seed1, three)
    return LessonResult(
        name="xor-from-scratch", title=TITLE, seed=SEED,
        summary=(f"glassnet's autograd and the seed's hand-derived backprop agree to {difference:.0e}, "
                 f"but from np.random.seed(42) both stall at {accuracy:.0%} accuracy (loss "
                 f"{final_loss:.4f} ≈ ln 2 / 2): both hidden units saturate for {stuck}. Seed 1 "
                 f"reaches {one_acc:.0%}, {len(solved2)}/{len(seeds)} seeds do, and three hidden "
                 f"units reach {three_acc:.0%} from seed 42."),
        numbers=numbers, output=printed, sections=sections, tables=tables, figures=figs,
        claims=claims)


def _figures(stalled, seed1, three):
    from glassnet import viz

    def probability(params):
        w1, c1, w2, c2 = params
        return lambda grid: sigmoid(sigmoid(grid @ w1 + c1) @ w2 + c2)[:, 0]

    W1, b1, W2, b2 = stalled
    y = Y_XOR[:, 0]
    return [
        FigureEntry("network", "The stalled network: large weights from x2 into both hidden units.",
                    viz.network_diagram([W1.T, W2.T], [b1[0], b2[0]], activations=["σ", "σ"],
                                        title="2-2-1 after 10,000 epochs from seed 42")),
        FigureEntry("stalled", "Seed 42: (0,1) and (1,1) both sit at P = 0.5.",
                    viz.decision_boundary(probability(stalled), X_XOR, y, padding=0.5,
                                          title="2-2-1, seed 42: stalled at 50%")),
        FigureEntry("seed1", "Seed 1: the same code solves XOR.",
                    viz.decision_boundary(probability(seed1), X_XOR, y, padding=0.5,
                                          title="2-2-1, seed 1: 100%")),
        FigureEntry("three_hidden", "Three hidden units from seed 42 solve XOR.",
                    viz.decision_boundary(probability(three), X_XOR, y, padding=0.5,
                                          title="2-3-1, seed 42: 100%")),
    ]
