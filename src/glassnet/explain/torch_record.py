"""``glassnet.explain.record(torch_model, torch_optimizer)``: a real PyTorch step as a ``Recording``.

While the ``with`` block runs, ``glassnet.observe.step_capture.TorchStepCapture`` watches the
user's unmodified code through torch's own hooks (a ``TorchFunctionMode`` for every function
called and the tensor hooks that hand over ∂L/∂output from the real backward, the global module
hooks, the optimizer's step hooks; see there).

When the block ends, the capture is replayed through glassnet's recorder (the observer
``glassnet.explain`` already uses), one torch call at a time with torch's values: each call's
output is overwritten with torch's, so glassnet's op structure (the same ops, names, module
paths, leaves as a glassnet step) carries torch's numbers.  Then torch's numbers are laid over
the records: every call's output and the gradient arriving at it, every parameter's value before,
gradient, value after and optimizer state, the loss and predictions before and after the step
(the model re-run by torch).  Inside a function torch computes in one kernel (``mse_loss``'s
difference and square) the intermediate values are glassnet's, computed from torch's values.
"""
from __future__ import annotations

import inspect

import numpy as np

import glassnet
import glassnet.nn.functional as gF

from ..autograd import observe
from ..bridge import CrossingError
from ..observe.step_capture import TorchCall, TorchStepCapture, flat_tensors, to_numpy
from .effect import optimizer_terms
from .naming import find_target
from .recording import Recording
from .records import Effect, ParamRecord
from .tape import Tape

_FALLBACK = {"rsub": lambda a, b, alpha=1: b - a * alpha, "rdiv": lambda a, b: b / a,
             "rpow": lambda a, b: b ** a, "rmul": lambda a, b: b * a, "radd": lambda a, b: b + a}


_RECURRENT = {"lstm": "LSTM", "gru": "GRU", "rnn_tanh": "RNN_TANH", "rnn_relu": "RNN_RELU"}


def _flat(value):
    if isinstance(value, (list, tuple)):
        for v in value:
            yield from _flat(v)
    else:
        yield value


def _recurrent(mode: str):
    """torch's ``_VF.lstm/gru/rnn_tanh/rnn_relu(input, hx, flat_weights, has_biases, num_layers,
    dropout, train, bidirectional, batch_first)`` as glassnet's recurrent layers (one node per
    layer and direction, ``ops/recurrent.py``) on the replay's own weight tensors."""
    def run(input, hx, weights, has_biases, num_layers, dropout, train, bidirectional, batch_first):
        if not hasattr(input, "shape") or not isinstance(weights, (list, tuple)):
            raise CrossingError("explain.record: packed sequences of a torch RNN cannot be "
                                "replayed yet; record a step on padded tensors")
        states = tuple(hx) if mode == "LSTM" else (hx,)
        hidden = states[-1].shape[-1]                     # (an LSTM's c: H wide even with proj_size)
        cls = {"LSTM": glassnet.nn.LSTM, "GRU": glassnet.nn.GRU}.get(mode, glassnet.nn.RNN)
        extra = {} if cls is not glassnet.nn.RNN else {"nonlinearity": mode[4:].lower()}
        if mode == "LSTM" and states[0].shape[-1] != hidden:
            extra["proj_size"] = states[0].shape[-1]
        layer = cls(input.shape[-1], hidden, num_layers, bias=has_biases, batch_first=batch_first,
                    dropout=dropout, bidirectional=bidirectional, **extra)
        layer.train(train)
        for name, w in zip(layer._flat_weights_names, weights):
            layer._parameters[name] = w
        output, finals = layer._run(input, states)
        return (output, *finals)
    return run


class TorchRecord:
    """The ``record`` context manager for torch models (see the module docstring)."""

    def __init__(self, model=None, optimizer=None, *, loss_fn=None, names=None, title=None):
        self.recording = Recording(title=title or "")
        self.capture = TorchStepCapture(model, optimizer, loss_fn=loss_fn, names=names)

    # -- watching (the capture) -----------------------------------------------------------------
    def __enter__(self):
        self.capture.__enter__()
        return self.recording

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.capture.__exit__(exc_type, exc, tb)
        if exc_type is None:
            try:
                self._build()
            finally:
                self.capture.release()
        return False

    # -- replaying through glassnet's recorder --------------------------------------------------
    def _build(self) -> None:
        rec, cap = self.recording, self.capture
        gparams = {key: glassnet.tensor(cap.before[name], requires_grad=p.requires_grad)
                   for key, (name, p) in cap.params.items()}
        leaf_names = {}
        self.env = dict(gparams)             # id(torch tensor) → glassnet tensor
        for name, t in cap.names.items():
            if id(t) not in cap.params and id(t) in cap.values:
                leaf_names[id(self._glassnet(t))] = name
        ob = self.observer = Tape(rec, {id(g): cap.params[key][0] for key, g in gparams.items()},
                                       leaf_names)
        try:
            with observe(ob):
                for event in cap.events:
                    if isinstance(event, TorchCall):
                        self._replay(event, rec)
                        continue
                    kind, path, module, args, output = event
                    gargs = tuple(self._glassnet(a) for a in args)
                    if kind == "pre":
                        ob.pre_hook(path, module, gargs)
                    else:
                        ob.post_hook(path, module, gargs, self._glassnet(output))
                if cap.loss is not None and id(cap.loss) in self.env:
                    gloss = self.env[id(cap.loss)]
                    gloss.backward(glassnet.ones_like(gloss))
        except BaseException:
            ob.abandon(rec)                  # what cannot be explained keeps nothing alive
            raise
        ob.close(rec)                        # every event is a record now
        for call in cap.events:             # torch's ∂L/∂output where the real backward sent one
            if not isinstance(call, TorchCall):
                continue
            parts = call.parts if call.parts is not None else [(call.op, id(call.out))]
            for index, key in parts:
                if index is not None and key in cap.grads:
                    op = rec.ops[index]
                    op.grad_out = cap.grads[key].reshape(np.shape(op.output))
        self._finish(rec)

    def _glassnet(self, value):
        """The glassnet tensor standing for a torch value (created from torch's copy if new)."""
        cap = self.capture
        torch = cap.torch
        if isinstance(value, torch.Tensor):
            if id(value) not in self.env:
                array = cap.values.get(id(value))
                self.env[id(value)] = glassnet.tensor(to_numpy(value) if array is None else array)
            return self.env[id(value)]
        if isinstance(value, (list, tuple)):
            return type(value)(self._glassnet(v) for v in value)
        if isinstance(value, torch.dtype):
            return getattr(glassnet, str(value).removeprefix("torch."))
        return value

    def _function(self, func):
        torch = self.capture.torch
        name = getattr(func, "__name__", "")
        qual = getattr(func, "__qualname__", "")
        if name in _RECURRENT and getattr(torch._VF, name, None) is func:
            return _recurrent(_RECURRENT[name])
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

    def _replay(self, call: TorchCall, rec) -> None:
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
        if not isinstance(call.out, self.capture.torch.Tensor):
            self._replay_parts(call, gout)
            return
        value = self.capture.values[id(call.out)]
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

    def _replay_parts(self, call: TorchCall, gout) -> None:
        """A call with a tuple output (MHA's (out, weights), _VF.lstm's (out, h, c)): torch's
        value laid into each of glassnet's outputs, each matched to the op that made it."""
        torch = self.capture.torch
        touts = flat_tensors(call.out, torch)
        gouts = [g for g in _flat(gout) if g is not None]
        if len(touts) != len(gouts):
            raise CrossingError(f"explain.record: glassnet's {getattr(call.func, '__name__', '')} "
                                f"returns {len(gouts)} tensors where torch's returns {len(touts)}")
        by_tensor = self.observer.by_tensor
        snaps = self.observer.snaps
        call.parts = []
        for t, g in zip(touts, gouts):
            value = self.capture.values[id(t)]
            if tuple(np.shape(g.array)) != value.shape:
                raise CrossingError(f"explain.record: glassnet's {getattr(call.func, '__name__', '')} "
                                    f"gives shape {tuple(np.shape(g.array))} where torch gives {value.shape}")
            g.array[...] = value
            snaps.tensors.pop(id(g), None)
            self.env[id(t)] = g
            index = by_tensor.get(id(g))
            call.parts.append((index, id(t)))
            if index is not None:
                self.recording.ops[index].output = value.copy()

    # -- after the replay -----------------------------------------------------------------------
    def _finish(self, rec) -> None:
        cap = self.capture
        first = next(iter(cap.params.values()), None)
        rec.dtype = str(first[1].dtype).removeprefix("torch.") if first else None
        if cap.model is not None:
            rec.model_type = type(cap.model).__name__
        if cap.step_before is not None and cap.step_after is not None:
            rec.step_before, rec.step_after = cap.step_before, cap.step_after
            rec.optimizer_type = type(cap.optimizer).__name__
            rec.hyper = {k: v for k, v in cap.optimizer.param_groups[0].items() if k != "params"}
        for name, p in cap.params.values():
            if rec.step_before is not None and name in rec.step_before:
                old, grad, st0 = rec.step_before[name]
                new, _, st1 = rec.step_after[name]
                terms = optimizer_terms(rec.optimizer_type, rec.hyper, grad, old, new, st0, st1)
            else:
                old, new, terms = cap.before[name], to_numpy(p), {}
                grad = None if p.grad is None else to_numpy(p.grad)
            rec.params.append(ParamRecord(name, old, grad, new, terms))
        effect = Effect()
        if rec.loss_index is not None and cap.loss is not None:
            effect.loss_before = cap.values.get(id(cap.loss), to_numpy(cap.loss))[()]
        output = cap.output()
        if output is not None:
            effect.predictions_before = cap.values[id(output)]
        target = find_target(rec)
        if target is not None:
            effect.targets = target.value
        after = cap.rerun(output)            # torch runs the model again: the values after the step
        if after is not None:
            effect.predictions_after, loss_after = after
            if loss_after is not None:
                effect.loss_after = loss_after
        rec.effect = effect
        rec.model_args = None
        rec.finalize()
