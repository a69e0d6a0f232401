"""Stop a diverging run at its first non-finite loss and say where the inf/NaN came from.

The loop pays for two cheap checks per step: the loss (one number) and the parameters'
gradients (one sum each).  Only when one of them is not finite does ``Watch`` look closer: it
*replays* that step's forward (and backward) under an observer of glassnet's engine
(``glassnet.autograd.observe``), with forward hooks telling which module ran each op, and
remembers the first op whose output or gradient is inf or NaN.  The replay computes exactly the
same numbers (same inputs, same parameters), and the ops know nothing of it.

A non-finite gradient is remembered and training goes on; the run stops at the first non-finite
loss, and the message names that step and the op that started it (often the gradient of a step
or two before).  A finite step afterwards clears the record, so a passing overflow that never
reached the loss is not blamed later.

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


class _Observer:
    """Installed for one replayed step: remembers the first non-finite op output or gradient."""

    def __init__(self, model, epoch: int, step: int):
        self.names = {id(m): (path, type(m).__name__) for path, m in model.named_modules()}
        self.model, self.epoch, self.step = model, epoch, step
        self.stack: list = []                          # (path, class) of the running modules
        self.module_of = weakref.WeakKeyDictionary()   # op node → module that ran it
        self.first: Event | None = None

    def __enter__(self):
        from glassnet.autograd import observe
        self.handles = []
        for _, module in self.model.named_modules():
            self.handles.append(module.register_forward_pre_hook(self._enter_module))
            self.handles.append(module.register_forward_hook(self._leave_module))
        self.context = observe(self)
        self.context.__enter__()
        return self

    def __exit__(self, *exc):
        self.context.__exit__(*exc)
        for handle in self.handles:
            handle.remove()
        return False

    def _enter_module(self, module, args) -> None:
        self.stack.append(self.names.get(id(module)))

    def _leave_module(self, module, args, output) -> None:  # returns None: output unchanged
        if self.stack:
            self.stack.pop()

    def _module(self) -> str:
        entry = self.stack[-1] if self.stack else None
        if entry is None:
            return "the loss"
        path, kind = entry
        return f"layer {path!r} ({kind})" if path else f"the model ({kind})"

    def on_forward(self, fn, out):
        if out.grad_fn is fn:  # a node backward will visit
            self.module_of[fn] = self._module()
        if self.first is None:
            bad = _bad_value(out.array)
            if bad:
                self.first = Event(self.epoch, self.step, "forward", type(fn).__name__,
                                   self._module(), bad)

    def on_backward(self, fn, grad_out, grad_inputs):
        if self.first is not None:
            return
        for grad in grad_inputs:
            bad = _bad_value(grad)
            if bad:
                self.first = Event(self.epoch, self.step, "backward", fn.name(),
                                   self.module_of.get(fn, "the loss"), bad)
                return


class Watch:
    """The divergence checks of one model's training loop.

    Per step: ``begin(epoch, step)``, then ``check_loss(value, compute, lr)`` after the forward
    and ``check_gradients(compute)`` after ``backward()`` (before ``optimizer.step()``), where
    ``compute()`` recomputes the step's loss from the same batch.
    """

    def __init__(self, model):
        self.model = model
        self.parameters = list(model.parameters())
        self.epoch = self.step = 0
        self.previous = (0, 0)          # the step before this one (whose update ran last)
        self.first: Event | None = None  # a non-finite gradient's origin, until a clean step

    def begin(self, epoch: int, step: int) -> None:
        """Steps are counted from 1 in messages, as a user counts them."""
        self.previous = (self.epoch, self.step)
        self.epoch, self.step = epoch + 1, step + 1

    def _replay(self, compute, backward: bool) -> Event | None:
        with _Observer(self.model, self.epoch, self.step) as observer:
            loss = compute()
            if backward:
                for p in self.model.parameters():
                    p.grad = None
                loss.backward()  # the same gradients again (same batch, same parameters)
        return observer.first

    def _bad_parameter(self):
        for name, param in self.model.named_parameters():
            bad = _bad_value(param.array)
            if bad:
                return name, bad
        return None

    def check_loss(self, value: float, compute, lr: float) -> None:
        """Raise ``Diverged`` if the step's loss is not finite, naming where it began."""
        if math.isfinite(value):
            return
        origin = self.first
        if origin is None:
            bad = self._bad_parameter()
            if bad is not None and self.previous != (0, 0):  # finite gradients, bad update
                origin = Event(*self.previous, "update", bad[0], None, bad[1])
            else:
                origin = self._replay(compute, backward=False)
        where = f"epoch {self.epoch}, step {self.step}"
        said = origin.describe() if origin else "no op output was non-finite when replayed"
        raise Diverged(f"training diverged: the loss is {value} at {where}; first non-finite value: "
                       f"{said}. {advice(origin, lr)} Nothing was saved.")

    def check_gradients(self, compute) -> None:
        """After ``backward()``: remember where a non-finite gradient began (a replay under the
        observer), or forget an earlier one once a whole step is finite again."""
        for param in self.parameters:
            grad = param.grad
            # one sum per gradient; a finite one that overflows the sum only costs a replay
            if grad is not None and not math.isfinite(grad.array.sum()):
                break
        else:
            self.first = None
            return
        if self.first is None:
            self.first = self._replay(compute, backward=True)


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
