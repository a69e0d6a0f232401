"""``glassnet.explain.record(torch_model, torch_optimizer)``: a real PyTorch step as a ``Recording``.

While the ``with`` block runs, torch's own hooks (installed by ``bridge.hooks.TorchHooks``, the
mechanism ``glassnet doctor`` uses too) watch the user's unmodified code:

* a ``TorchFunctionMode`` sees every function the step calls (``F.linear``, ``torch.relu``,
  ``x * w``, ``F.mse_loss``, ``loss.backward()``) with its inputs and its output; each output
  that is part of the autograd graph (it has a ``grad_fn``) gets a tensor hook, so the real
  backward hands over ∂L/∂output;
* the global module forward pre/post hooks say which module of the model ran each call;
* the optimizer's step pre/post hooks copy every parameter's value, gradient and optimizer
  state just before and just after ``step()``.

When the block ends, the trace is replayed through glassnet's recorder (the observer
``glassnet.explain`` already uses), one torch call at a time with torch's values: each call's
output is overwritten with torch's, so glassnet's op structure (the same ops, names, module
paths, leaves as a glassnet step) carries torch's numbers.  Then torch's numbers are laid over
the records: every call's output and the gradient arriving at it, every parameter's value before,
gradient, value after and optimizer state, the loss and predictions before and after the step
(the model re-run by torch).  Inside a function torch computes in one kernel (``mse_loss``'s
difference and square) the intermediate values are glassnet's, computed from torch's values.
"""
from __future__ import annotations

import copy
import inspect

import numpy as np

from .engines import CrossingError
from .hooks import TorchHooks, module_paths

_FALLBACK = {"rsub": lambda a, b, alpha=1: b - a * alpha, "rdiv": lambda a, b: b / a,
             "rpow": lambda a, b: b ** a, "rmul": lambda a, b: b * a, "radd": lambda a, b: b + a}


# calls that return a tensor but are no op of the step: conversions, copies, reading .grad/.data
_NOT_OPS = {"__get__", "__set__", "detach", "clone", "cpu", "to", "float", "double", "numpy",
            "contiguous", "requires_grad_", "retain_grad", "register_hook", "new_tensor"}


def _numpy(t) -> np.ndarray:
    return t.detach().cpu().numpy().copy()


class _Call:
    __slots__ = ("func", "args", "kwargs", "out", "op")

    def __init__(self, func, args, kwargs, out):
        self.func, self.args, self.kwargs, self.out, self.op = func, args, kwargs, out, None


class TorchRecord:
    """The ``record`` context manager for torch models (see the module docstring)."""

    def __init__(self, model=None, optimizer=None, *, loss_fn=None, names=None, title=None):
        from ..explain.recording import Recording
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.names = dict(names or {})
        self.recording = Recording(title=title or "")
        self.params = {}                     # id(torch parameter) → (name, parameter)
        if model is not None:
            for name, p in model.named_parameters():
                self.params[id(p)] = (name, p)
        for name, t in self.names.items():
            if getattr(t, "requires_grad", False) and getattr(t, "is_leaf", False) \
                    and id(t) not in self.params:
                self.params[id(t)] = (name, t)
        self.paths = module_paths(model) if model is not None else {}
        self.events: list = []               # ("pre"/"post", path, module, args, output) or _Call
        self.values: dict = {}               # id(tensor) → NumPy copy when first seen
        self.grads: dict = {}                # id(output) → ∂L/∂output from the real backward
        self.unsupported: dict = {}          # id(tensor) → the torch function that made it
        self.keep: list = []                 # the tensors traced: ids stay unique while recording
        self.loss = None
        self.model_args = None
        self.step_before = self.step_after = None

    # -- watching ------------------------------------------------------------------------------
    def __enter__(self):
        import torch
        self.torch = torch
        step = self.optimizer is not None
        self._hooks = TorchHooks(forward_pre=self._pre, forward_post=self._post, function=self._call,
                                 optimizer=self.optimizer, step_pre=self._step_pre if step else None,
                                 step_post=self._step_post if step else None)
        self._before = {name: _numpy(p) for name, p in self.params.values()}
        self._hooks.__enter__()
        return self.recording

    def __exit__(self, exc_type, exc, tb) -> bool:
        self._hooks.__exit__(exc_type, exc, tb)
        if exc_type is None:
            try:
                self._build()
            finally:
                self.keep.clear()
        return False

    def _see(self, value):
        """Copy a tensor's value the first time the step meets it (inputs, targets, constants)."""
        torch = self.torch
        if isinstance(value, torch.Tensor):
            if id(value) not in self.values and id(value) not in self.params:
                self.values[id(value)] = _numpy(value)
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
            self.events.append(_Call(func, args, kwargs, out))
            self.values[id(out)] = _numpy(out)
            self.keep.append(out)
            if out.requires_grad:
                out.register_hook(self._grad_hook(id(out)))
        elif computed and isinstance(out, tuple):    # max(dim), topk, cummax …: not replayable
            for t in out:
                if isinstance(t, torch.Tensor):
                    self.unsupported[id(t)] = getattr(func, "__qualname__", str(func))
                    self.keep.append(t)
        return out

    def _grad_hook(self, key):
        def hook(grad):   # reads only: returns None, so torch's gradient is unchanged
            self.grads.setdefault(key, _numpy(grad))
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
            st = {k: _numpy(v) if isinstance(v, self.torch.Tensor) else copy.deepcopy(v)
                  for k, v in state.get(p, {}).items()}
            out[name] = (_numpy(p), None if p.grad is None else _numpy(p.grad), st)
        return out

    def _step_pre(self, optimizer, args, kwargs):
        if self.step_before is None:
            self.step_before = self._state()

    def _step_post(self, optimizer, args, kwargs):
        if self.step_after is None:
            self.step_after = self._state()

    # -- replaying through glassnet's recorder --------------------------------------------------
    def _build(self) -> None:
        import glassnet
        from ..autograd import observe
        from ..explain.tape import Tape
        rec = self.recording
        gparams = {key: glassnet.tensor(self._before[name], requires_grad=p.requires_grad)
                   for key, (name, p) in self.params.items()}
        leaf_names = {}
        self.env = dict(gparams)             # id(torch tensor) → glassnet tensor
        for name, t in self.names.items():
            if id(t) not in self.params and id(t) in self.values:
                leaf_names[id(self._glassnet(t))] = name
        ob = self.observer = Tape(rec, {id(g): self.params[key][0] for key, g in gparams.items()},
                                       leaf_names)
        try:
            with observe(ob):
                for event in self.events:
                    if isinstance(event, _Call):
                        self._replay(event, rec)
                        continue
                    kind, path, module, args, output = event
                    gargs = tuple(self._glassnet(a) for a in args)
                    if kind == "pre":
                        ob.pre_hook(path, module, gargs)
                    else:
                        ob.post_hook(path, module, gargs, self._glassnet(output))
                if self.loss is not None and id(self.loss) in self.env:
                    gloss = self.env[id(self.loss)]
                    gloss.backward(glassnet.ones_like(gloss))
        except BaseException:
            ob.abandon(rec)                  # what cannot be explained keeps nothing alive
            raise
        ob.close(rec)                        # every event is a record now
        for call in self.events:            # torch's ∂L/∂output where the real backward sent one
            if isinstance(call, _Call) and call.op is not None and id(call.out) in self.grads:
                op = rec.ops[call.op]
                op.grad_out = self.grads[id(call.out)].reshape(np.shape(op.output))
        self._finish(rec)

    def _glassnet(self, value):
        """The glassnet tensor standing for a torch value (created from torch's copy if new)."""
        import glassnet
        torch = self.torch
        if isinstance(value, torch.Tensor):
            if id(value) in self.unsupported:
                raise CrossingError(f"explain.record: the step calls torch's "
                                    f"{self.unsupported[id(value)]}, which glassnet does not have, "
                                    f"so it cannot be explained")
            if id(value) not in self.env:
                array = self.values.get(id(value))
                self.env[id(value)] = glassnet.tensor(_numpy(value) if array is None else array)
            return self.env[id(value)]
        if isinstance(value, (list, tuple)):
            return type(value)(self._glassnet(v) for v in value)
        if isinstance(value, torch.dtype):
            return getattr(glassnet, str(value).removeprefix("torch."))
        return value

    def _function(self, func):
        import glassnet
        import glassnet.nn.functional as gF
        torch = self.torch
        name = getattr(func, "__name__", "")
        qual = getattr(func, "__qualname__", "")
        if qual.startswith(("TensorBase.", "Tensor.")) or getattr(torch.Tensor, name, None) is func:
            if name in _FALLBACK and not hasattr(glassnet.Tensor, name):
                return _FALLBACK[name]
            if hasattr(glassnet.Tensor, name):
                return lambda self_, *a, **k: getattr(self_, name)(*a, **k)
        elif getattr(torch.nn.functional, name, None) is func and hasattr(gF, name):
            return getattr(gF, name)
        elif getattr(torch, name, None) is func and hasattr(glassnet, name):
            return getattr(glassnet, name)
        raise CrossingError(f"explain.record: the step calls torch's {qual or name}, which glassnet "
                            f"does not have, so it cannot be explained; record the parts of the "
                            f"step glassnet knows")

    def _replay(self, call: _Call, rec) -> None:
        fn = self._function(call.func)
        kwargs = {k: self._glassnet(v) for k, v in call.kwargs.items()}
        try:
            known = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            known = None
        if known is not None and not any(p.kind is p.VAR_KEYWORD for p in known.values()):
            unknown = [k for k in kwargs if k not in known]
            if any(kwargs[k] is not None for k in unknown):
                raise CrossingError(f"explain.record: glassnet's {getattr(fn, '__name__', fn)} has "
                                    f"no option {unknown[0]}={call.kwargs[unknown[0]]!r}")
            kwargs = {k: v for k, v in kwargs.items() if k not in unknown}
        first = len(rec.ops)
        gout = fn(*(self._glassnet(a) for a in call.args), **kwargs)
        value = self.values[id(call.out)]
        if isinstance(gout.array, np.ndarray):   # torch's value, in place: later ops read it
            gout.array[...] = value
        else:
            gout.array = value.reshape(()).astype(value.dtype)[()]
        snaps = getattr(self.observer, "snaps", None)
        if snaps is not None:                    # the copy taken of glassnet's value is stale
            snaps.tensors.pop(id(gout), None)
        self.env[id(call.out)] = gout
        if len(rec.ops) > first:
            call.op = len(rec.ops) - 1
            rec.ops[call.op].output = value.reshape(np.shape(rec.ops[call.op].output))

    # -- after the replay -----------------------------------------------------------------------
    def _finish(self, rec) -> None:
        from ..explain.effect import optimizer_terms
        from ..explain.naming import find_target
        from ..explain.recording import Effect, ParamRecord
        torch = self.torch
        first = next(iter(self.params.values()), None)
        rec.dtype = str(first[1].dtype).removeprefix("torch.") if first else None
        if self.model is not None:
            rec.model_type = type(self.model).__name__
        if self.step_before is not None and self.step_after is not None:
            rec.step_before, rec.step_after = self.step_before, self.step_after
            rec.optimizer_type = type(self.optimizer).__name__
            rec.hyper = {k: v for k, v in self.optimizer.param_groups[0].items() if k != "params"}
        for name, p in self.params.values():
            if rec.step_before is not None and name in rec.step_before:
                old, grad, st0 = rec.step_before[name]
                new, _, st1 = rec.step_after[name]
                terms = optimizer_terms(rec.optimizer_type, rec.hyper, grad, old, new, st0, st1)
            else:
                old, new, terms = self._before[name], _numpy(p), {}
                grad = None if p.grad is None else _numpy(p.grad)
            rec.params.append(ParamRecord(name, old, grad, new, terms))
        effect = Effect()
        if rec.loss_index is not None and self.loss is not None:
            effect.loss_before = self.values.get(id(self.loss), _numpy(self.loss))[()]
        output = self.events_output()
        if output is not None:
            effect.predictions_before = self.values[id(output)]
        target = find_target(rec)
        if target is not None:
            effect.targets = target.value
        if self.model is not None and self.model_args is not None and output is not None:
            with torch.no_grad():
                after = self.model(*self.model_args)
                effect.predictions_after = _numpy(after)
                loss = self._loss_after(output, after)
                if loss is not None:
                    effect.loss_after = _numpy(loss)[()]
        rec.effect = effect
        rec.model_args = None
        rec.finalize()

    def events_output(self):
        """The model's output tensor (the root module's last post event)."""
        for event in reversed(self.events):
            if not isinstance(event, _Call) and event[0] == "post" and event[1] == "":
                return event[4] if isinstance(event[4], self.torch.Tensor) else None
        return None

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
            if isinstance(call, _Call) and any(id(a) in env for a in (*call.args, *call.kwargs.values())
                                               if isinstance(a, self.torch.Tensor)):
                env[id(call.out)] = call.func(*(swap(a) for a in call.args),
                                              **{k: swap(v) for k, v in call.kwargs.items()})
        return env.get(id(self.loss))
