"""One real PyTorch training step, captured through torch's own hooks (what explain replays).

While the ``with`` block runs, ``TorchStepCapture`` watches the user's unmodified code through
``hooks.TorchHooks`` (the mechanism ``glassnet doctor`` uses too):

* a ``TorchFunctionMode`` sees every function the step calls (``F.linear``, ``torch.relu``,
  ``x * w``, ``F.mse_loss``, ``loss.backward()``) with its inputs and its output; each output
  that is part of the autograd graph (it has a ``grad_fn``) gets a tensor hook, so the real
  backward hands over ∂L/∂output;
* the global module forward pre/post hooks say which module of the model ran each call;
* the optimizer's step pre/post hooks copy every parameter's value, gradient and optimizer
  state just before and just after ``step()``.

What it keeps is plain data beside the torch objects themselves: ``events`` (a ``TorchCall``
per function call, ``("pre"/"post", path, module, args, output)`` per module call of the model,
in order), ``values`` (a NumPy copy of each tensor when first seen), ``grads`` (∂L/∂output from
the real backward), ``step_before``/``step_after`` ({name: (value, grad, optimizer state)}),
``before`` (each parameter's value at entry), the ``loss`` given to backward and the model's
arguments.  After the block, ``output()`` is the model's output and ``rerun(output)`` runs the
model again with torch (the values after the step).  ``glassnet.explain.record`` turns a capture
into a ``Recording`` (``explain/torch_record.py``); this module knows nothing of explain.
torch is imported only when the block starts.
"""
from __future__ import annotations

import copy

import numpy as np

from .hooks import TorchHooks, module_paths

# calls that return a tensor but are no op of the step: conversions, copies, reading .grad/.data
_NOT_OPS = {"__get__", "__set__", "detach", "clone", "cpu", "to", "float", "double", "numpy",
            "contiguous", "requires_grad_", "retain_grad", "register_hook", "new_tensor"}


def to_numpy(t) -> np.ndarray:
    """A NumPy copy of a torch tensor's value (its own dtype)."""
    return t.detach().cpu().numpy().copy()


class TorchCall:
    """One torch function call of the step: the function, its arguments and its output (``op``:
    the index of the op it became once replayed, set by the replay)."""

    __slots__ = ("func", "args", "kwargs", "out", "op", "parts")

    def __init__(self, func, args, kwargs, out):
        self.func, self.args, self.kwargs, self.out, self.op = func, args, kwargs, out, None
        self.parts = None                    # a tuple output: [(op index, id(torch tensor))]


def flat_tensors(value, torch) -> list:
    """The tensors of a (nested) tuple/list output, in order (MHA's (out, weights), LSTM's
    (out, h, c)); anything else in it is left out."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in flat_tensors(v, torch)]
    return []


class TorchStepCapture:
    """``with TorchStepCapture(model, optimizer):`` — see the module docstring."""

    def __init__(self, model=None, optimizer=None, *, loss_fn=None, names=None):
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.names = dict(names or {})
        self.params = {}                     # id(torch parameter) → (name, parameter)
        if model is not None:
            for name, p in model.named_parameters():
                self.params[id(p)] = (name, p)
        for name, t in self.names.items():
            if getattr(t, "requires_grad", False) and getattr(t, "is_leaf", False) \
                    and id(t) not in self.params:
                self.params[id(t)] = (name, t)
        self.paths = module_paths(model) if model is not None else {}
        self.events: list = []               # ("pre"/"post", path, module, args, output) or TorchCall
        self.values: dict = {}               # id(tensor) → NumPy copy when first seen
        self.grads: dict = {}                # id(output) → ∂L/∂output from the real backward
        self.keep: list = []                 # the tensors traced: ids stay unique while recording
        self.loss = None
        self.model_args = None
        self.step_before = self.step_after = None
        self.before: dict = {}               # name → the parameter's value at entry

    # -- watching ------------------------------------------------------------------------------
    def __enter__(self):
        import torch
        self.torch = torch
        step = self.optimizer is not None
        self._hooks = TorchHooks(forward_pre=self._pre, forward_post=self._post, function=self._call,
                                 optimizer=self.optimizer, step_pre=self._step_pre if step else None,
                                 step_post=self._step_post if step else None)
        self.before = {name: to_numpy(p) for name, p in self.params.values()}
        self._hooks.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self._hooks.__exit__(exc_type, exc, tb)
        return False

    def release(self) -> None:
        """Let the traced tensors go (their ids need no keeping unique any more)."""
        self.keep.clear()

    def _see(self, value):
        """Copy a tensor's value the first time the step meets it (inputs, targets, constants)."""
        torch = self.torch
        if isinstance(value, torch.Tensor):
            if id(value) not in self.values and id(value) not in self.params:
                self.values[id(value)] = to_numpy(value)
                self.keep.append(value)
        elif isinstance(value, (list, tuple)):
            for v in value:
                self._see(v)

    def _call(self, func, args, kwargs):
        torch = self.torch
        if self.loss is None and getattr(func, "__name__", "") == "backward" and args \
                and isinstance(args[0], torch.Tensor):
            self.loss = args[0]
        if self.loss is not None or self.step_before is not None:
            return func(*args, **kwargs)
        for value in (*args, *kwargs.values()):
            self._see(value)
        out = func(*args, **kwargs)
        computed = any(isinstance(a, torch.Tensor) for a in (*args, *kwargs.values()))
        if computed and isinstance(out, torch.Tensor) and out.is_floating_point() \
                and getattr(func, "__name__", "") not in _NOT_OPS:
            self.events.append(TorchCall(func, args, kwargs, out))
            self.values[id(out)] = to_numpy(out)
            self.keep.append(out)
            if out.requires_grad:
                out.register_hook(self._grad_hook(id(out)))
        elif computed and isinstance(out, tuple) and getattr(func, "__name__", "") not in _NOT_OPS:
            # multi_head_attention_forward's (out, weights), _VF.lstm's (out, h, c), max(dim) …:
            # replayed as one call whose outputs are matched element by element
            parts = flat_tensors(out, torch)
            if parts:
                self.events.append(TorchCall(func, args, kwargs, out))
            for t in parts:
                self.values[id(t)] = to_numpy(t)
                self.keep.append(t)
                if t.requires_grad:
                    t.register_hook(self._grad_hook(id(t)))
        return out

    def _grad_hook(self, key):
        def hook(grad):   # reads only: returns None, so torch's gradient is unchanged
            self.grads.setdefault(key, to_numpy(grad))
        return hook

    def _pre(self, module, args):
        path = self.paths.get(id(module))
        if path is not None and self.loss is None:
            for a in args:
                self._see(a)
            if path == "" and self.model_args is None:
                self.model_args = args
            self.events.append(("pre", path, module, args, None))

    def _post(self, module, args, output):
        path = self.paths.get(id(module))
        if path is not None and self.loss is None:
            self.events.append(("post", path, module, args, output))

    def _state(self) -> dict:
        out = {}
        state = self.optimizer.state
        for name, p in self.params.values():
            st = {k: to_numpy(v) if isinstance(v, self.torch.Tensor) else copy.deepcopy(v)
                  for k, v in state.get(p, {}).items()}
            out[name] = (to_numpy(p), None if p.grad is None else to_numpy(p.grad), st)
        return out

    def _step_pre(self, optimizer, args, kwargs):
        if self.step_before is None:
            self.step_before = self._state()

    def _step_post(self, optimizer, args, kwargs):
        if self.step_after is None:
            self.step_after = self._state()

    # -- after the block -----------------------------------------------------------------------
    def output(self):
        """The model's output tensor (the root module's last post event)."""
        for event in reversed(self.events):
            if not isinstance(event, TorchCall) and event[0] == "post" and event[1] == "":
                return event[4] if isinstance(event[4], self.torch.Tensor) else None
        return None

    def rerun(self, output):
        """The model run again by torch on its recorded arguments (the values after the step):
        ``(predictions after, loss after or None)`` as NumPy, or None without a model output."""
        if self.model is None or self.model_args is None or output is None:
            return None
        with self.torch.no_grad():
            after = self.model(*self.model_args)
            predictions = to_numpy(after)
            loss = self._loss_after(output, after)
            return predictions, None if loss is None else to_numpy(loss)[()]

    def _loss_after(self, output, after):
        """The loss on the new predictions: ``loss_fn``, or torch replaying the loss's calls."""
        if self.loss is None:
            return None
        if self.loss_fn is not None:
            target = next((t for t in self.keep if t is not output and id(t) in self.values
                           and t.shape == output.shape and t.grad_fn is None), None)
            return self.loss_fn(after, target) if target is not None else self.loss_fn(after)
        env = {id(output): after}
        swap = lambda v: env.get(id(v), v) if isinstance(v, self.torch.Tensor) else v  # noqa: E731
        for call in self.events:
            if isinstance(call, TorchCall) and any(id(a) in env for a in (*call.args, *call.kwargs.values())
                                                   if isinstance(a, self.torch.Tensor)):
                env[id(call.out)] = call.func(*(swap(a) for a in call.args),
                                              **{k: swap(v) for k, v in call.kwargs.items()})
        return env.get(id(self.loss))
