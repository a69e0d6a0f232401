"""The model ``glassnet train`` fits, its loss and its scores.

``--model mlp`` (the default) is ``Linear → activation → … → Linear``; ``--model lenet`` is a
LeNet for small images: the flat rows are unflattened to (C, H, W), then two blocks of
``Conv2d(3×3, padding 1) → activation → MaxPool2d(2)`` (``LENET_CHANNELS`` channels: 6 then 16,
as LeNet-5) and the ``--hidden`` dense layers on the flattened maps.  Both are one
``Sequential`` that takes the same flat rows, so the data, the runners, ``to_torch`` and the
checkpoint are the same for both.

``build_model`` makes the glassnet ``Sequential``; ``initial_model`` builds a run's after
``manual_seed`` (both engines start from it: the torch runner copies it across with
``glassnet.bridge.to_torch``, so the initial weights are the same);
``predictions`` and ``score`` work on NumPy outputs, whichever engine produced them.
"""
from __future__ import annotations

import numpy as np

import glassnet as torch
import glassnet.nn as nn

from .config import IMAGES

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop"}


LENET_CHANNELS = (6, 16)


def build_model(in_features: int, hidden: list, activation: str, out_features: int,
                image_shape=None, channels=()):
    """The ``Sequential``: an MLP, or (``image_shape`` = (C, H, W) given) a LeNet whose
    convolution blocks have ``channels`` output channels each, then the MLP head."""
    layers, width = [], in_features
    if image_shape is not None:
        c, h, w = image_shape
        if c * h * w != in_features:
            raise ValueError(f"an image of shape {tuple(image_shape)} has {c * h * w} values, "
                             f"not {in_features}")
        layers.append(nn.Unflatten(1, (c, h, w)))
        for out_c in channels:
            layers += [nn.Conv2d(c, out_c, 3, padding=1), ACTIVATIONS[activation](), nn.MaxPool2d(2)]
            c, h, w = out_c, h // 2, w // 2
        layers.append(nn.Flatten())
        width = c * h * w
    for size in hidden:
        layers += [nn.Linear(width, size), ACTIVATIONS[activation]()]
        width = size
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)


def image_shape(spec):
    """(C, H, W) of the images ``spec`` trains a LeNet on, or None for an MLP."""
    return IMAGES[spec.data] if spec.model == "lenet" else None


def model_channels(spec) -> tuple:
    return LENET_CHANNELS if spec.model == "lenet" else ()


def initial_model(spec, prepared):
    """The glassnet model every engine starts from: ``manual_seed(spec.seed)``, then the layers."""
    torch.manual_seed(spec.seed)
    return build_model(prepared.X.shape[1], spec.hidden, spec.activation, prepared.n_out,
                       image_shape(spec), model_channels(spec))


def describe(in_features: int, hidden: list, out_features: int, image_shape=None,
             channels=()) -> str:
    """``64-64-10`` for an MLP; ``1×8×8-conv6-conv16-32-10`` for a LeNet."""
    head = [f"{'×'.join(map(str, image_shape))}", *(f"conv{c}" for c in channels)] \
        if image_shape is not None else [in_features]
    return "-".join(map(str, [*head, *hidden, out_features]))


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
