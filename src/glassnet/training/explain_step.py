"""``glassnet explain --model CKPT.safetensors --data …``: one training step of a saved model, recorded.

The checkpoint's metadata rebuilds the model, its loss and the feature scaling (as ``predict``
does); the first ``rows`` labelled samples of ``data`` go through one SGD step, recorded by
``glassnet.explain.record`` — in glassnet, or with ``engine="torch"`` in PyTorch (the model
crossed with ``glassnet.bridge.to_torch``, the step seen through torch's hooks).  The same file
comes out of ``glassnet train`` with any engine, so this explains a DDP-trained model too.
"""
from __future__ import annotations

import numpy as np

import glassnet

from .model import criterion
from .outputs import load_model, read_inputs
from .prepared import targets


def record_step(model_path, data: str, target: str | None = None, rows: int = 1, lr: float = 0.1,
                engine: str = "glassnet", delimiter: str | None = None):
    """The ``Recording`` of one SGD step (learning rate ``lr``) on the first ``rows`` samples."""
    if rows < 1:
        raise ValueError(f"--rows must be >= 1; got {rows}")
    if not lr > 0:
        raise ValueError(f"--lr must be > 0; got {lr}")
    if engine not in ("glassnet", "torch"):
        raise ValueError(f"--engine must be one of glassnet, torch; got {engine!r}")
    arch, model = load_model(model_path)
    X, labels = read_inputs(arch, data, target, delimiter)
    if labels is None:
        raise ValueError(f"--data {data}: no answers (target column) to compute a loss with; "
                         f"explain needs labelled samples")
    X, labels = X[:rows], np.asarray(labels)[:rows]
    t = targets(arch["task"], arch["loss"], labels, arch["out_features"])
    title = (f"{arch.get('data', 'model')}: one SGD step (η = {lr:g}) of {model_path} on "
             f"{len(X)} sample{'s' if len(X) > 1 else ''} ({engine})")
    if engine == "torch":
        try:
            import torch

            from glassnet.bridge import to_torch
        except ImportError as error:
            raise ValueError(f"--engine torch needs PyTorch ({error}); pip install torch") from None
        model, lib, loss_fn = to_torch(model), torch, criterion(arch["task"], arch["loss"], torch.nn)
    else:
        lib, loss_fn = glassnet, criterion(arch["task"], arch["loss"])
    x, t = lib.tensor(X), lib.tensor(t)
    optimizer = lib.optim.SGD(model.parameters(), lr=lr)
    from glassnet.explain import record
    with record(model, optimizer, names={"x": x, "t": t}, title=title) as step:
        loss = loss_fn(model(x), t)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return step


def default_entries(step) -> list:
    """The first weight of the first and of the last layer (a conv kernel's first tap too)."""
    weights = {p.name: np.ndim(p.before) for p in step.params if p.name.endswith("weight")}
    names = dict.fromkeys(list(weights)[:1] + list(weights)[-1:])
    return [f"{name}[{', '.join(['0'] * weights[name])}]" for name in names]
