"""The model ``glassnet train`` fits: ``Linear → activation → … → Linear``, its loss and its scores.

``build_model`` makes the glassnet ``Sequential``; ``initial_model`` builds a run's after
``manual_seed`` (both engines start from it: the torch runner copies it across with
``glassnet.bridge.to_torch``, so the initial weights are the same);
``predictions`` and ``score`` work on NumPy outputs, whichever engine produced them.
"""
from __future__ import annotations

import numpy as np

import glassnet as torch
import glassnet.nn as nn

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop"}


def build_model(in_features: int, hidden: list, activation: str, out_features: int):
    layers, width = [], in_features
    for size in hidden:
        layers += [nn.Linear(width, size), ACTIVATIONS[activation]()]
        width = size
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)


def initial_model(spec, prepared):
    """The glassnet model every engine starts from: ``manual_seed(spec.seed)``, then the layers."""
    torch.manual_seed(spec.seed)
    return build_model(prepared.X.shape[1], spec.hidden, spec.activation, prepared.n_out)


def criterion(task: str, loss: str, module=nn):
    """The loss function for ``task``; ``module`` is ``glassnet.nn`` or ``torch.nn``.

    With ``--loss mse`` on classes, the outputs are squashed first (sigmoid or softmax), so the
    model still outputs logits and ``predictions`` reads them the same way.
    """
    if loss == "bce-logits":
        return module.BCEWithLogitsLoss()
    if loss == "cross-entropy":
        return module.CrossEntropyLoss()
    mse = module.MSELoss()
    if task == "binary":
        return lambda out, t: mse(out.sigmoid(), t)
    if task == "multiclass":
        return lambda out, t: mse(out.softmax(dim=1), t)
    return mse


def optimizer_class(name: str, optim=None):
    """The optimizer class for ``--optimizer name`` in ``glassnet.optim`` (or ``torch.optim``)."""
    return getattr(optim or torch.optim, OPTIMIZERS[name])


def predictions(task: str, loss: str, out: np.ndarray) -> np.ndarray:
    """Class indices (classification) or values (regression) from raw outputs."""
    if task == "regression":
        return out.ravel()
    if out.shape[1] == 1:
        return (out.ravel() > 0).astype(np.int64)   # logit > 0 ⇔ σ(logit) > 0.5
    return out.argmax(axis=1)


def score(task: str, loss: str, out: np.ndarray, y: np.ndarray) -> float:
    """Accuracy for classification, R² for regression."""
    pred = predictions(task, loss, out)
    truth = y.ravel()
    if task == "regression":
        spread = float(np.sum((truth - truth.mean()) ** 2)) or 1.0
        return 1.0 - float(np.sum((truth - pred) ** 2)) / spread
    return float(np.mean(pred == truth.astype(np.int64)))
