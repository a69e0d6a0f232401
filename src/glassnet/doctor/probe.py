"""overfit-one-batch: train a fresh copy of the model on a few examples; a sound model fits them.

The probe never touches the user's model, optimizer or random state: it deep-copies the model,
re-initialises the copy (``reset_parameters`` where a layer has one), trains it with its own
Adam (lr 0.01), and restores the random generator afterwards.
"""
from __future__ import annotations

import copy

import numpy as np

import glassnet
from glassnet.random import default_generator

_FUNCTIONAL = ("cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
               "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss")


def _fresh(model):
    clone = copy.deepcopy(model)
    for m in clone.modules():
        if hasattr(m, "reset_parameters") and callable(m.reset_parameters):
            m.reset_parameters()
    clone.train()
    return clone


def probe_torch(model, X, target, loss, examples=16, steps=300) -> dict:
    """``loss``: a callable (output, target) or the name of a torch.nn.functional loss."""
    import torch
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(0)
        clone = _fresh(model)
        fn = getattr(torch.nn.functional, loss) if isinstance(loss, str) else loss
        Xb = torch.as_tensor(np.asarray(X)[:examples])
        tb = torch.as_tensor(np.asarray(target)[:examples])
        params = [p for p in clone.parameters() if p.requires_grad]
        if not params:
            return {"skipped": "no trainable parameters"}
        opt = torch.optim.Adam(params, lr=0.01)
        losses = _train(clone, fn, Xb, tb, opt, steps, lambda value: float(value.detach()))
    finally:
        torch.random.set_rng_state(state)
    return _result(losses, len(Xb), steps)


def probe_glassnet(model, X, target, loss, examples=16, steps=300) -> dict:
    import glassnet.nn.functional as F       # (glassnet's nn loads for glassnet models only)
    state = default_generator.get_state()
    try:
        glassnet.manual_seed(0)
        clone = _fresh(model)
        fn = getattr(F, loss) if isinstance(loss, str) else loss
        Xb = glassnet.tensor(np.asarray(X)[:examples])
        tb = glassnet.tensor(np.asarray(target)[:examples])
        opt = glassnet.optim.Adam([p for p in clone.parameters() if p.requires_grad], lr=0.01)
        losses = _train(clone, fn, Xb, tb, opt, steps, lambda value: float(value.item()))
    finally:
        default_generator.set_state(state)
    return _result(losses, len(Xb), steps)


def _train(clone, fn, Xb, tb, opt, steps, as_float) -> list:
    """``steps`` optimizer steps on the batch (either engine); the loss of each as a float."""
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        value = fn(clone(Xb), tb)
        value.backward()
        opt.step()
        losses.append(as_float(value))
    return losses


def _result(losses, n, steps) -> dict:
    first, last = losses[0], min(losses[-10:])
    ratio = last / first if first > 0 and np.isfinite(first) else float("inf")
    if not np.isfinite(last):
        ratio = float("inf")
    return {"examples": n, "steps": steps, "loss_0": first, "loss_end": last, "ratio": ratio}
