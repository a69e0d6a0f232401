"""Lesson ``cnn-digits``: a LeNet on scikit-learn's 8×8 digits, looked inside, against an MLP.

Both networks are trained by ``glassnet train``'s recipe (``glassnet.training.fit``), on the
same split of the 1,797 digits (seed 0, 20 % held out), so the comparison is the one a user
gets from ``glassnet train --data digits --model lenet`` and ``glassnet train --data digits``:

* the LeNet: the 64 pixels as a 1×8×8 image, ``Conv2d(1, 6, 3, padding=1) → ReLU →
  MaxPool2d(2) → Conv2d(6, 16, 3, padding=1) → ReLU → MaxPool2d(2) → Linear(64, 32) → ReLU →
  Linear(32, 10)``, Adam lr 0.005, 20 epochs, batches of 64, every pixel scaled by the same
  mean and standard deviation;
* the MLP: ``Linear(64, 64) → ReLU → Linear(64, 10)``, Adam lr 0.005, 30 epochs, batches of 64,
  each pixel standardized on its own.

Then the LeNet is opened up: its first layer's 3×3 kernels, what they make of a few digits
(feature maps), which pixels its decision depends on (saliency: the gradient of the predicted
class's score with respect to the input, by one ``backward``), and its confusion matrix.
Which network is better is measured on the held-out digits, never assumed.
"""
from __future__ import annotations

import numpy as np

import glassnet as torch
from glassnet import training

from .result import Check, Claim, FigureEntry, LessonResult, Table, timed

TITLE = "A LeNet on 8×8 digits, looked inside"
SEED = "issue 21 (convolutional networks): glassnet train --data digits --model lenet vs the MLP"


def _spec(model: str, seed: int, epochs: int | None, hidden=None):
    flags = {"data": "digits", "model": model, "seed": seed, "epochs": epochs, "hidden": hidden}
    return training.resolve(flags)


def _outputs(model, X) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        return model(torch.tensor(X)).numpy()


def confusion(truth: np.ndarray, predicted: np.ndarray, k: int) -> np.ndarray:
    """``matrix[i, j]``: how many samples of class ``i`` were predicted as ``j``."""
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (truth, predicted), 1)
    return matrix


def saliency_maps(model, X: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """∂ score[class] / ∂ input for each row of ``X`` (one backward through the batch: the
    rows do not interact, so the gradient of the summed scores is each row's own)."""
    model.eval()
    x = torch.tensor(X, requires_grad=True)
    scores = model(x)
    scores[torch.arange(len(X)), torch.tensor(classes)].sum().backward()
    return x.grad.numpy()


def first_layer_maps(model, X: np.ndarray) -> np.ndarray:
    """The first convolution's output after its activation: (count, channels, 8, 8)."""
    unflatten, conv, act = model[0], model[1], model[2]
    with torch.no_grad():
        return act(conv(unflatten(torch.tensor(X)))).numpy()


def _verdict(cnn: float, mlp: float) -> str:
    if cnn == mlp:
        return "tie"
    return "lenet" if cnn > mlp else "mlp"


@timed
def run(seed: int = 0, epochs: int | None = None, mlp_epochs: int | None = None, mlp_hidden=None,
        figures: bool = True) -> LessonResult:
    """Train the LeNet and the MLP on the same split, compare them, and look inside the LeNet.

    Parameters
    ----------
    seed : int
        ``--seed``: the split, the initialisation and the sample order (both networks).
    epochs, mlp_epochs : int, optional
        The LeNet's and the MLP's epochs (default: ``glassnet train``'s, 20 and 30).
    mlp_hidden : list of int, optional
        The MLP's hidden layers (default: ``glassnet train``'s for digits, [64]).
    """
    cnn_spec = _spec("lenet", seed, epochs)
    mlp_spec = _spec("mlp", seed, mlp_epochs, mlp_hidden)
    cnn_run = training.fit(cnn_spec, progress=False)
    mlp_run = training.fit(mlp_spec, progress=False)
    cnn_prep, mlp_prep = training.prepare(cnn_spec), training.prepare(mlp_spec)
    if not np.array_equal(cnn_prep.test_idx, mlp_prep.test_idx):   # the comparison needs this
        raise AssertionError("the LeNet and the MLP were given different splits")
    y_test = cnn_prep.y_test
    cnn_pred = _outputs(cnn_run.model, cnn_prep.X_test).argmax(1)
    mlp_pred = _outputs(mlp_run.model, mlp_prep.X_test).argmax(1)
    cnn_acc, mlp_acc = float(np.mean(cnn_pred == y_test)), float(np.mean(mlp_pred == y_test))
    n_test = len(y_test)
    cnn_only = int(np.sum((cnn_pred == y_test) & (mlp_pred != y_test)))
    mlp_only = int(np.sum((mlp_pred == y_test) & (cnn_pred != y_test)))
    both_wrong = int(np.sum((cnn_pred != y_test) & (mlp_pred != y_test)))
    verdict = _verdict(cnn_acc, mlp_acc)
    matrix = confusion(y_test, cnn_pred, 10)
    per_class_cnn = [float(np.mean(cnn_pred[y_test == k] == k)) for k in range(10)]
    per_class_mlp = [float(np.mean(mlp_pred[y_test == k] == k)) for k in range(10)]
    off = matrix - np.diag(np.diag(matrix))
    worst = np.unravel_index(int(off.argmax()), off.shape)

    numbers = {
        "n_train": cnn_run.n_train, "n_test": n_test, "seed": seed,
        "cnn_architecture": cnn_run.architecture, "mlp_architecture": mlp_run.architecture,
        "cnn_parameters": cnn_run.parameters, "mlp_parameters": mlp_run.parameters,
        "cnn_epochs": cnn_spec.epochs, "mlp_epochs": mlp_spec.epochs,
        "cnn_train_accuracy": cnn_run.final["accuracy"],
        "mlp_train_accuracy": mlp_run.final["accuracy"],
        "cnn_test_accuracy": cnn_acc, "mlp_test_accuracy": mlp_acc,
        "cnn_test_loss": cnn_run.final["test_loss"], "mlp_test_loss": mlp_run.final["test_loss"],
        "cnn_seconds": cnn_run.seconds, "mlp_seconds": mlp_run.seconds,
        "cnn_only_right": cnn_only, "mlp_only_right": mlp_only, "both_wrong": both_wrong,
        "better": verdict, "confusion": matrix.tolist(),
        "most_confused": [int(worst[0]), int(worst[1]), int(off[worst])],
    }
    diff = abs(cnn_acc - mlp_acc) * n_test
    if verdict == "tie":
        said = (f"a tie: both get {cnn_acc:.2%} of the {n_test} held-out digits right "
                f"({n_test - round(cnn_acc * n_test)} wrong each)")
    else:
        winner, loser = ("the LeNet", "the MLP") if verdict == "lenet" else ("the MLP", "the LeNet")
        said = (f"{winner} is better on this split: {max(cnn_acc, mlp_acc):.2%} against "
                f"{min(cnn_acc, mlp_acc):.2%} for {loser}, {round(diff)} more of the {n_test} "
                f"held-out digits right")
    sections = [
        ("Two networks, one split",
         f"Both are trained by glassnet train's recipe on the same {cnn_run.n_train} digits and "
         f"tested on the same {n_test}. The LeNet ({cnn_run.architecture}, "
         f"{cnn_run.parameters:,} parameters) sees each digit as a 1×8×8 image: each 3×3 kernel "
         f"is slid over every position, so the same stroke detector is used all over the image. "
         f"The MLP ({mlp_run.architecture}, {mlp_run.parameters:,} parameters) sees 64 unrelated "
         f"numbers: it would learn the same after any fixed shuffle of the pixels."),
        ("Which is better, measured",
         f"Measured: {said}. The LeNet gets {cnn_only} digits right that the MLP gets wrong, "
         f"the MLP {mlp_only} that the LeNet gets wrong; {both_wrong} fool both. Training took "
         f"{cnn_run.seconds:.1f} s for the LeNet ({cnn_spec.epochs} epochs) and "
         f"{mlp_run.seconds:.1f} s for the MLP ({mlp_spec.epochs} epochs) on glassnet's engine. "
         f"With only {n_test} test digits one digit is {1 / n_test:.2%}, so a difference of a "
         f"few digits is within what another seed changes; on 8×8 images the MLP has little "
         f"to lose, since there are few positions for a shape to move between."),
        ("Inside the LeNet",
         "Each of the first layer's six 3×3 kernels is a small pattern of weights (red adds the "
         "pixel, blue subtracts it); a kernel whose weights change sign along one direction "
         "responds to an edge across it. Its feature map is that kernel slid over the digit, "
         "after the ReLU: bright where the digit has the pattern. The saliency map is one "
         "backward pass: the gradient of the predicted class's score with respect to each "
         "input pixel, the pixels whose change would move the decision most. The confusion "
         "matrix counts the held-out digits by true and predicted class; " + _mistakes(off)),
    ]
    tables = [
        Table("LeNet against MLP, same split", ["network", "parameters", "epochs", "train accuracy",
                                               "test accuracy", "test loss", "seconds"],
              [["LeNet " + cnn_run.architecture, cnn_run.parameters, cnn_spec.epochs,
                f"{cnn_run.final['accuracy']:.2%}", f"{cnn_acc:.2%}",
                f"{cnn_run.final['test_loss']:.4f}", f"{cnn_run.seconds:.1f}"],
               ["MLP " + mlp_run.architecture, mlp_run.parameters, mlp_spec.epochs,
                f"{mlp_run.final['accuracy']:.2%}", f"{mlp_acc:.2%}",
                f"{mlp_run.final['test_loss']:.4f}", f"{mlp_run.seconds:.1f}"]],
              caption=f"{n_test} held-out digits; train --data digits [--model lenet], seed {seed}."),
        Table("Held-out accuracy per digit", ["digit", "samples", "LeNet", "MLP"],
              [[k, int(np.sum(y_test == k)), f"{per_class_cnn[k]:.1%}", f"{per_class_mlp[k]:.1%}"]
               for k in range(10)]),
        Table("The LeNet, layer by layer", ["layer", "output shape", "parameters"],
              _layer_table(cnn_run.model)),
    ]
    claims = [Claim("A CNN beats an MLP on images", f"LeNet {cnn_acc:.2%}, MLP {mlp_acc:.2%} on "
                    f"the same {n_test} held-out digits", cnn_acc > mlp_acc)]
    checks = [
        Check("same split for both networks", "pass", f"{n_test} test digits"),
        Check("LeNet held-out accuracy", "pass" if cnn_acc >= 0.9 else "fail", f"{cnn_acc:.2%}",
              "a LeNet should get at least 90 % of the digits right"),
    ]
    printed = [f"LeNet {cnn_run.architecture}: test accuracy {cnn_acc:.2%} "
               f"({cnn_run.seconds:.1f} s)",
               f"MLP {mlp_run.architecture}: test accuracy {mlp_acc:.2%} ({mlp_run.seconds:.1f} s)",
               f"better: {verdict}"]
    figs = _figures(cnn_run.model, cnn_prep, matrix, cnn_pred) if figures else []
    return LessonResult(
        name="cnn-digits", title=TITLE, seed=SEED,
        summary=(f"On the same {n_test} held-out 8×8 digits the LeNet ({cnn_run.parameters:,} "
                 f"parameters) gets {cnn_acc:.2%} right and the MLP ({mlp_run.parameters:,}) "
                 f"{mlp_acc:.2%}: {said.split(':')[0]}. Its kernels, feature maps, saliency and "
                 f"confusion matrix show what it looks at."),
        numbers=numbers, output=printed, sections=sections, tables=tables, figures=figs,
        claims=claims, checks=checks)


def _mistakes(off: np.ndarray) -> str:
    """The most frequent off-diagonal cell of a confusion matrix, in words."""
    if off.sum() == 0:
        return "the LeNet makes no mistake on them."
    i, j = np.unravel_index(int(off.argmax()), off.shape)
    if off[i, j] == 1:
        return (f"its {int(off.sum())} mistakes are all different pairs (e.g. a {i} read as "
                f"{j}).")
    return (f"its most frequent mistake is a {i} read as {j} ({int(off[i, j])} of its "
            f"{int(off.sum())} mistakes).")


def _layer_table(model) -> list:
    rows, h = [], torch.zeros(1, 64)
    with torch.no_grad():
        for layer in model:
            h = layer(h)
            n = sum(p.numel() for p in layer.parameters())
            rows.append([type(layer).__name__, "×".join(map(str, h.shape[1:])), n])
    return rows


def _examples(y: np.ndarray, count: int) -> list:
    """Positions of the first test sample of digits 0, 1, … (``count`` of them)."""
    return [int(np.flatnonzero(y == k)[0]) for k in range(10) if np.any(y == k)][:count]


def _figures(model, prep, matrix, predicted):
    from glassnet import viz
    kernels = model[1].weight.detach().numpy()[:, 0]
    raw = prep.data.X[prep.test_idx].reshape(-1, 8, 8)
    X_test, y_test = prep.X_test, prep.y_test
    few = _examples(y_test, 4)
    maps = first_layer_maps(model, X_test[few])
    shown = _examples(y_test, 10)
    grads = saliency_maps(model, X_test[shown], predicted[shown]).reshape(-1, 8, 8)
    return [
        FigureEntry("kernels", "The first convolution's six 3×3 kernels after training (one "
                    "colour scale for all; red adds the pixel, blue subtracts it).",
                    viz.image_grid(kernels, titles=[f"kernel {i}" for i in range(len(kernels))],
                                   symmetric=True, title="Conv2d(1, 6, 3): learned kernels")),
        FigureEntry("feature_maps", "Four held-out digits and the six maps of the first "
                    "convolution + ReLU: each kernel answers where its stroke is.",
                    viz.feature_maps(raw[few], maps, labels=[str(y_test[i]) for i in few],
                                     map_titles=[f"kernel {c}" for c in range(maps.shape[1])],
                                     title="Feature maps of the first layer")),
        FigureEntry("saliency", "One held-out example of each digit, and |∂ score of the "
                    "predicted class / ∂ pixel|: the pixels the decision depends on most.",
                    viz.saliency(raw[shown], grads,
                                 titles=[f"{y_test[i]} → {predicted[i]}" for i in shown],
                                 title="Saliency (true → predicted)")),
        FigureEntry("confusion", "The LeNet on the held-out digits: row = true digit, column = "
                    "predicted; off the diagonal are its mistakes.",
                    viz.confusion_matrix(matrix, title="LeNet, held-out digits")),
    ]
