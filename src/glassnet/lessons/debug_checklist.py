"""Lesson ``debug-checklist`` (seed 003): the seed's debugging checklist, run and measured.

Each check of the seed's ``debug_checklist.py`` (data shapes, label values, class balance, the
untrained model's outputs, the initial loss against ln 2, the mean gradient per parameter),
plus the practical checklist's measurable items, becomes one pass/warn line with the number
behind it.  It runs on the spiral set-up and on a deliberately broken copy of it, so every
check is seen both passing and firing.  The seed's code itself has a slip: it computes the
outputs under ``no_grad()`` and then calls ``backward()`` on a loss made from them.
"""
from __future__ import annotations

import math

import numpy as np

import glassnet as torch
import glassnet.nn as nn
from glassnet import datasets

from .result import Check, Claim, LessonResult, Table, timed
from .spiral import NeuralNetwork

TITLE = "The debugging checklist, run on the spiral set-up"
SEED = "seed 003 (debug_checklist.py and the practical checklist)"
LN2 = math.log(2)


def seed_checklist(model, X, y, criterion):
    """The seed's four steps as written; returns the lines they print (and the error they hit)."""
    printed = []
    printed.append(f"X shape: {X.shape}, y shape: {y.shape}")
    printed.append(f"y values: {torch.unique(y)}")
    printed.append(f"Class balance: {y.mean().item():.2%}")
    with torch.no_grad():
        sample_out = model(X[:5])
        printed.append(f"Sample outputs: {sample_out.flatten()}")
    loss = criterion(sample_out, y[:5])
    printed.append(f"Initial loss: {loss.item()}")
    try:
        loss.backward()
        for name, param in model.named_parameters():
            if param.grad is not None:
                printed.append(f"{name}: grad mean={param.grad.mean():.6f}")
    except RuntimeError as error:
        printed.append(f"RuntimeError: {error}")
    return printed


def checklist(model, X, y, criterion) -> list[Check]:
    """Every check as a pass/warn line; the gradients come from a forward pass *with* grad."""
    checks = []
    rows_ok = X.ndim == 2 and y.shape[0] == X.shape[0]
    checks.append(Check("shapes", "pass" if rows_ok and tuple(y.shape[1:]) in ((), (1,)) else "warn",
                        f"X {tuple(X.shape)}, y {tuple(y.shape)}",
                        "X is (samples, features) and y has one label per sample"
                        if rows_ok else "X and y disagree on the number of samples"))
    values = sorted(set(torch.unique(y).tolist()))
    checks.append(Check("label values", "pass" if values == [0.0, 1.0] else "warn", str(values),
                        "binary labels are 0 and 1" if values == [0.0, 1.0]
                        else "BCE expects labels 0 and 1; remap them (e.g. y - 1)"))
    labels = y.numpy().ravel()
    _, counts = np.unique(labels, return_counts=True)
    shares = counts / counts.sum()
    balanced = len(shares) == 2 and shares.min() >= 0.4
    checks.append(Check("class balance", "pass" if balanced else "warn",
                        " / ".join(f"{v:.2%}" for v in shares) + " per class",
                        "balanced" if balanced else "imbalanced: consider a weighted loss"))
    Xa = X.numpy()
    mean, std = float(np.abs(Xa.mean(0)).max()), Xa.std(0)
    scaled = mean < 0.5 and bool(np.all((std > 0.5) & (std < 2)))
    checks.append(Check("features scaled", "pass" if scaled else "warn",
                        f"largest |mean| {mean:.3f}, std {', '.join(f'{s:.3f}' for s in std)}",
                        "roughly mean 0, std 1" if scaled else "standardise the features"))
    changes = float(np.mean(labels[1:] != labels[:-1]))
    expected = float(1 - np.sum(shares ** 2))  # the chance two random samples differ in label
    checks.append(Check("shuffled", "pass" if abs(changes - expected) < 0.15 else "warn",
                        f"label changes between neighbours: {changes:.1%} (shuffled: ≈{expected:.1%})",
                        "order looks random" if abs(changes - expected) < 0.15
                        else "the samples are sorted by label; shuffle them"))
    last = [m for m in model.modules() if not isinstance(m, (nn.Sequential, NeuralNetwork))][-1]
    logits_out = isinstance(last, nn.Linear) or not isinstance(criterion, nn.BCEWithLogitsLoss)
    checks.append(Check("output layer matches the loss", "pass" if logits_out else "warn",
                        f"last layer {type(last).__name__}, loss {type(criterion).__name__}",
                        "logits into BCEWithLogitsLoss" if logits_out
                        else "BCEWithLogitsLoss applies the sigmoid itself; remove the final Sigmoid"))
    n_params = sum(p.numel() for p in model.parameters())
    checks.append(Check("parameters vs data", "pass" if n_params <= X.shape[0] else "warn",
                        f"{n_params} parameters, {X.shape[0]} samples",
                        "fewer parameters than samples" if n_params <= X.shape[0]
                        else "more parameters than samples: expect overfitting"))
    with torch.no_grad():
        outputs = model(X)
    spread = float(outputs.numpy().std())
    checks.append(Check("untrained outputs vary", "pass" if spread > 1e-4 else "warn",
                        f"std of the {X.shape[0]} outputs {spread:.4f}; first five "
                        f"{', '.join(f'{v:.4f}' for v in outputs.numpy().ravel()[:5])}",
                        "the initialisation breaks symmetry" if spread > 1e-4
                        else "all outputs equal: check the initialisation"))
    model.zero_grad()
    loss = criterion(model(X), y)
    near = abs(loss.item() - LN2) < 0.1
    checks.append(Check("initial loss ≈ ln 2", "pass" if near else "warn",
                        f"{loss.item():.4f} (ln 2 = {LN2:.4f})",
                        "a fresh binary classifier should be unsure: loss ≈ -ln 0.5" if near
                        else "far from ln 2: wrong labels, wrong loss, or a saturated output"))
    loss.backward()
    for name, param in model.named_parameters():
        grad = param.grad.numpy() if param.grad is not None else np.zeros(1)
        alive = bool(np.all(np.isfinite(grad))) and bool(np.any(grad != 0))
        dead = int(np.sum(np.all(grad.reshape(grad.shape[0], -1) == 0, axis=1))) if grad.ndim else 0
        detail = "gradients flow" if alive else "no gradient: this parameter will not learn"
        if alive and dead:
            detail = f"{dead} of {grad.shape[0]} rows get no gradient (ReLU units off for every sample)"
        checks.append(Check(f"gradient {name}", "pass" if alive and not dead else "warn",
                            f"mean {grad.mean():+.6f}, mean |g| {np.abs(grad).mean():.6f}", detail))
    return checks


def _broken(X, y):
    """The spiral set-up with four classic mistakes: labels 1/2, sorted, unscaled, final Sigmoid."""
    order = np.argsort(y.numpy().ravel(), kind="stable")
    Xb = torch.tensor(X.numpy()[order] * 50 + 20)
    yb = torch.tensor(y.numpy()[order] + 1)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 1),
                          nn.Sigmoid())
    return model, Xb, yb


@timed
def run(seed: int = 0, figures: bool = True) -> LessonResult:
    """Run the seed's checklist and the measured checklist on the spiral set-up (and a broken copy).

    Parameters
    ----------
    seed : int
        ``glassnet.manual_seed`` before the model is built.
    figures : bool
        Unused (the lesson has no figures); accepted so every lesson takes it.
    """
    X, y = datasets.spiral(n_points=200, noise=0.2, seed=42)
    criterion = nn.BCEWithLogitsLoss()
    torch.manual_seed(seed)
    model = NeuralNetwork()
    printed = seed_checklist(model, X, y, criterion)
    checks = checklist(model, X, y, criterion)
    broken_model, Xb, yb = _broken(X, y)
    broken = checklist(broken_model, Xb, yb, criterion)
    seed_error = next((line for line in printed if line.startswith("RuntimeError")), None)
    with torch.no_grad():
        five_loss = criterion(model(X[:5]), y[:5]).item()
    numbers = {
        "checks": {c.name: c.status for c in checks},
        "broken_checks": {c.name: c.status for c in broken},
        "initial_loss": float(next(c.value for c in checks if c.name.startswith("initial loss"))
                              .split()[0]),
        "initial_loss_first_five": five_loss, "class_balance": y.mean().item(),
        "shuffle_change_rate": float(np.mean(y.numpy().ravel()[1:] != y.numpy().ravel()[:-1])),
        "seed_code_error": seed_error,
        "gradient_means": {name: float(p.grad.numpy().mean()) for name, p in model.named_parameters()},
    }
    warned = [c.name for c in broken if c.status != "pass"]
    sections = [
        ("The seed's code, run as written",
         "Steps 1 to 3 print what the seed says they print. Step 4 does not: the seed computes "
         "sample_out inside torch.no_grad(), so the loss built from it has no graph, and "
         "loss.backward() raises the same RuntimeError in glassnet as in PyTorch ("
         f"{seed_error.removeprefix('RuntimeError: ') if seed_error else 'no error'}). The fix is to "
         "run the model again with gradients on before calling backward(); the checklist below "
         "does that.\n\n"
         f"The seed also judges the initial loss on five samples ({five_loss:.4f} here); on all "
         f"{X.shape[0]} it is {numbers['initial_loss']:.4f}, against ln 2 = {LN2:.4f}."),
        ("The checklist on the spiral set-up",
         f"{sum(c.status == 'pass' for c in checks)} of {len(checks)} checks pass (see the "
         "checklist); each line carries the number behind it, so a pass is something to read, "
         "not just to trust."),
        ("The same checklist on a broken set-up",
         "The same data with labels 1 and 2, sorted by label, scaled by 50 and shifted by 20, and "
         "a final Sigmoid in front of BCEWithLogitsLoss. The checks that fire: "
         f"{', '.join(warned)}."),
    ]
    tables = [Table("Checklist: broken set-up", ["check", "status", "value", "meaning"],
                    [[c.name, c.status, c.value, c.detail] for c in broken])]
    claims = [Claim("Step 4 prints each parameter's gradient mean after loss.backward()",
                    "loss.backward() raises RuntimeError: the loss was built under no_grad()"
                    if seed_error else "it does", seed_error is None),
              Claim("For balanced binary data the initial loss is ~0.69 (= -ln 0.5)",
                    f"{numbers['initial_loss']:.4f} on all {X.shape[0]} samples",
                    abs(numbers['initial_loss'] - LN2) < 0.1)]
    return LessonResult(
        name="debug-checklist", title=TITLE, seed=SEED,
        summary=(f"On the spiral set-up every data and loss check passes (initial loss "
                 f"{numbers['initial_loss']:.4f} vs ln 2 = {LN2:.4f}); on a broken copy "
                 f"{len(warned)} checks fire. The seed's step 4 cannot run as written: it calls "
                 "backward() on a loss computed under no_grad()."),
        numbers=numbers, output=printed, sections=sections, tables=tables, checks=checks,
        claims=claims)
