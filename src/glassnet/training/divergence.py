"""Stop a diverging run at its first non-finite loss and say where the inf/NaN came from.

``Watch`` is an observer of glassnet's engine (``glassnet.autograd.observe``): it sees every
op's output on the way forward and every gradient on the way back, and remembers the first one
that is not finite, with the module whose ``forward`` ran the op (learned from forward hooks)
and the epoch and step.  The ops themselves know nothing of it.  After each optimizer step it
checks the parameters: if they are all finite, whatever happened in that step did not reach the
model, and the record is cleared; so when the loss finally turns inf or NaN, the record names
the op that started it, even one or two steps earlier.

``Diverged`` is a ``ValueError``: the CLI prints it as one line, exit status 2, and nothing
(``--save``, ``--plot``) is written.
"""
from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

import numpy as np


class Diverged(ValueError):
    """Training produced a non-finite loss; the message says where and what to change."""


@dataclass
class Event:
    """The first non-finite value: where (epoch, step, phase) and what produced it."""

    epoch: int
    step: int
    phase: str            # "forward", "backward" or "update"
    op: str               # e.g. "Linear", "LinearBackward0", or the parameter's name
    module: str | None    # e.g. "layer '0' (Linear)", "the loss", None for an update
    value: str            # "inf", "-inf" or "nan"

    def describe(self) -> str:
        where = f"at epoch {self.epoch}, step {self.step}"
        if self.phase == "update":
            return f"the optimizer's update made parameter {self.op!r} {self.value} {where}"
        what = "output" if self.phase == "forward" else "gradient"
        return f"{self.op} in {self.module} produced {self.value} in its {what} {where} ({self.phase})"


def _bad_value(array) -> str | None:
    """'nan', 'inf' or '-inf' if ``array`` (float) holds one, else None."""
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "fc":
        if isinstance(array, (float, np.floating)) and not math.isfinite(array):
            return str(float(array))
        return None
    if math.isfinite(array.sum()):  # one pass; an overflowing sum falls through to the exact check
        return None
    if np.isfinite(array).all():
        return None
    if np.isnan(array).any():
        return "nan"
    return "inf" if np.isposinf(array).any() else "-inf"


class Watch:
    """Observer of one model's training steps (``with watch:`` installs it and its hooks)."""

    def __init__(self, model):
        self.model = model
        self.names = {id(m): (path, type(m).__name__) for path, m in model.named_modules()}
        self.stack: list = []                          # module paths, innermost last
        self.module_of = weakref.WeakKeyDictionary()   # op node → module that ran it
        self.first: Event | None = None
        self.epoch = self.step = 0
        self._handles: list = []
        self._context = None

    # -- installation ----------------------------------------------------------------------
    def __enter__(self):
        from glassnet.autograd import observe
        for _, module in self.model.named_modules():
            self._handles.append(module.register_forward_pre_hook(self._enter_module))
            self._handles.append(module.register_forward_hook(self._leave_module))
        self._context = observe(self)
        self._context.__enter__()
        return self

    def __exit__(self, *exc):
        self._context.__exit__(*exc)
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self.stack.clear()
        return False

    def _enter_module(self, module, args):
        self.stack.append(self.names.get(id(module)))

    def _leave_module(self, module, args, output):
        if self.stack:
            self.stack.pop()

    def _module(self) -> str:
        entry = self.stack[-1] if self.stack else None
        if entry is None:
            return "the loss"
        path, kind = entry
        return f"layer {path!r} ({kind})" if path else f"the model ({kind})"

    # -- the observer hook -------------------------------------------------------------------
    def on_forward(self, fn, out):
        module = self._module()
        if out.grad_fn is fn:  # a node backward will visit
            self.module_of[fn] = module
        if self.first is None:
            bad = _bad_value(out.array)
            if bad:
                self.first = Event(self.epoch, self.step, "forward", type(fn).__name__, module, bad)

    def on_backward(self, fn, grad_out, grad_inputs):
        if self.first is not None:
            return
        for grad in grad_inputs:
            bad = _bad_value(grad)
            if bad:
                self.first = Event(self.epoch, self.step, "backward", fn.name(),
                                   self.module_of.get(fn, "the loss"), bad)
                return

    # -- what the training loop calls ----------------------------------------------------------
    def begin(self, epoch: int, step: int) -> None:
        """Steps are counted from 1 in messages, as a user counts them."""
        self.epoch, self.step = epoch + 1, step + 1

    def check_loss(self, value: float, lr: float) -> None:
        """Raise ``Diverged`` if the step's loss is not finite."""
        if math.isfinite(value):
            return
        where = f"epoch {self.epoch}, step {self.step}"
        origin = self.first.describe() if self.first else "no op output or gradient was non-finite"
        raise Diverged(f"training diverged: the loss is {value} at {where}; first non-finite value: "
                       f"{origin}. {advice(self.first, lr)} Nothing was saved.")

    def check_parameters(self) -> None:
        """After an optimizer step: clear the record if the model is still finite, or note the
        update as the origin if nothing before it was non-finite."""
        for name, param in self.model.named_parameters():
            bad = _bad_value(param.array)
            if bad:
                if self.first is None:
                    self.first = Event(self.epoch, self.step, "update", name, None, bad)
                return
        self.first = None


def advice(first: Event | None, lr: float) -> str:
    """What to change: the data when it overflows before any update, else the learning rate."""
    if first is not None and first.epoch == 1 and first.step == 1 and first.phase == "forward":
        return ("This happened before any update, so the data itself overflows float32: rescale "
                "the feature or target columns.")
    return f"Lower --lr (now {lr:g}), or try --optimizer adam."


def check_epoch_loss(value: float, epoch: int, lr: float) -> None:
    """Engine-neutral: the loss on the training set after an epoch must be finite."""
    if not math.isfinite(value):
        raise Diverged(f"training diverged: the loss on the training set is {value} after epoch "
                       f"{epoch + 1}. Lower --lr (now {lr:g}), or try --optimizer adam. Nothing "
                       f"was saved.")
