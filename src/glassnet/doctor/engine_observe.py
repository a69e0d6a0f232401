"""Observe a glassnet program: the same ``Step`` records as ``glassnet.observe.observer``, from
glassnet's own hooks (no branch in any op).

* glassnet's global module forward pre/post hooks (``glassnet.nn.register_module_forward_*``)
  name modules from their root and measure activations, dropout, layers and loss modules;
* the engine's observer hook (``glassnet.autograd.observe``) sees activations and losses called
  as functions (``glassnet.sigmoid(x)``, ``F.cross_entropy``) by their op (``Sigmoid``, ...);
* for the sequence checks, the same hooks see recurrent and embedding modules, and the ops
  ``Index`` (the last time step), ``Reshape`` (a view that mixes the class axis into the rows)
  and the ``ScaledDotProductAttention`` node that every attention API ends in (its weights and
  the keys its mask hides), measured by ``glassnet.observe.sequence`` as torch's are;
* ``glassnet.nn.utils.register_clip_hook`` sees each ``clip_grad_norm_`` / ``clip_grad_value_``;
* ``Optimizer.step`` of every glassnet optimizer class and ``Tensor.backward`` are wrapped for
  the block only (glassnet has no global optimizer hooks), to cut steps, measure parameters
  and notice gradients kept across ``step()``.
"""
from __future__ import annotations

import math
import sys

import numpy as np

import glassnet
from glassnet.autograd import observe

from ..observe.graph import GlassnetGraph, score_scaling, sdpa_scale_stats, token_vocabulary
from ..observe.hooks import name_root, named_entries, optimizer_params, stale_in
from ..observe.records import (INPUT_STEPS, LOSSES, SATURATION_Z, Call, Clip, ParamStat, Step,
                               StepLimitReached, summarize_target)
from ..observe.sequence import attention_stats, key_padding, last_step_axis, logit_stats, mixes_axes

_OPS = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softmax": "softmax",
        "LogSoftmax": "log_softmax", "BinaryCrossEntropy": "binary_cross_entropy",
        "BinaryCrossEntropyWithLogits": "binary_cross_entropy_with_logits",
        "CrossEntropy": "cross_entropy", "Linear": "layer"}
_LOSS_MODULES = {"MSELoss": "mse_loss", "L1Loss": "l1_loss", "BCELoss": "binary_cross_entropy",
                 "BCEWithLogitsLoss": "binary_cross_entropy_with_logits",
                 "CrossEntropyLoss": "cross_entropy", "NLLLoss": "nll_loss"}
_MODULES = {"ReLU": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softmax": "softmax",
            "LogSoftmax": "log_softmax", "Dropout": "dropout", "Dropout2d": "dropout",
            "BatchNorm1d": "norm", "BatchNorm2d": "norm", "Linear": "layer", "RNN": "recurrent",
            "LSTM": "recurrent", "GRU": "recurrent", "Embedding": "embedding"}
#: ops the sequence checks read: an index of the last time step, a view that mixes the class
#: axis into the rows, attention as one node (its weights and masks)
_SEQUENCE_OPS = {"Index": "last_step", "Reshape": "axes_mixed",
                 "ScaledDotProductAttention": "attention"}
#: steps whose attention weights and logits are measured (as the torch observer's dense steps
#: and then every stride-th)
_DENSE, _STRIDE = 20, 5
#: the graph rules (``observe.graph``) read glassnet's graph through this adapter
_GRAPH = GlassnetGraph()


def _array(t):
    return np.asarray(t.array if hasattr(t, "array") else t)


class GlassnetObserver:
    """``with GlassnetObserver(max_steps=..) as seen:`` — fills ``seen.steps`` like TorchObserver."""

    def __init__(self, *, max_steps: int | None = None, keep_batches: int = 0,
                 source: str | None = None):
        self.max_steps, self.keep_batches = max_steps, keep_batches
        self.steps, self.current, self.batches = [], Step(0), {}
        self.names, self.roots, self.optimizers = {}, [], []
        self.backward_calls = 0
        self.grad_calls = 0                 # autograd.grad calls (no .grad written)
        self._stack, self._recent, self._undo = [], {}, []
        self._last_event, self._last_layer, self._before = None, None, None
        self._manual, self._grads_pending, self._leaf_names = None, False, {}
        self._stepped, self._suspects = None, {}   # the optimizer that stepped last; id → (name, p)
        self.source = source

    # -- install / remove -----------------------------------------------------------------------
    def __enter__(self):
        # glassnet's nn and optim load only when a glassnet program is observed (not for torch)
        from glassnet.nn.hooks import register_module_forward_hook, register_module_forward_pre_hook
        from glassnet.optim.optimizer import (register_optimizer_step_post_hook,
                                              register_optimizer_step_pre_hook)
        self._undo.append(register_module_forward_pre_hook(self._pre).remove)
        self._undo.append(register_module_forward_hook(self._post).remove)
        self._undo.append(register_optimizer_step_pre_hook(self._step_pre).remove)
        self._undo.append(register_optimizer_step_post_hook(self._step_post).remove)
        from glassnet.nn.utils.clip_grad import register_clip_hook
        self._undo.append(register_clip_hook(self._clipped).remove)
        self._ctx = observe(self)           # the engine's hook: ops, and each backward's start
        self._ctx.__enter__()
        self._undo.append(lambda: self._ctx.__exit__(None, None, None))
        return self

    def __exit__(self, *exc):
        for undo in reversed(self._undo):
            undo()
        self._undo = []
        if not self.optimizers and self._manual is not None and self.current.losses:
            self._close_manual()
            self.steps.append(self.current)
            self.current = Step(self.current.index + 1)
        return False

    # -- modules --------------------------------------------------------------------------------
    def _name(self, module):
        name = self.names.get(id(module))
        if name is None:
            if not self._stack:
                name_root(module, self.roots, self.names, self.source)
            name = self.names.setdefault(id(module), type(module).__name__)
        return name

    def _pre(self, module, args):
        cls = type(module).__name__
        # glassnet's own layers by name; a program's class that happens to share one (the char-RNN
        # tutorial's `class RNN(nn.Module)`, no batch_first) is the program's, not nn.RNN
        ours = type(module).__module__.startswith("glassnet.")
        kind = (_LOSS_MODULES.get(cls) or _MODULES.get(cls, "other")) if ours else "other"
        self._stack.append((module, kind, self._name(module)))

    def _post(self, module, args, output):
        _, kind, where = self._stack.pop() if self._stack else (module, "other", "")
        grad = glassnet.is_grad_enabled()
        is_root = not self._stack
        if isinstance(output, tuple) and output and hasattr(output[0], "array"):
            output = output[0]                    # an RNN's (output, hidden)
        if kind == "other" and not is_root or not hasattr(output, "array"):
            return
        x = args[0] if args and hasattr(args[0], "array") else None
        if is_root and kind == "embedding":
            kind = "other"                        # an embedding as the whole model (a bigram)
        call = Call("root" if kind == "other" else kind, where, type(module).__name__,
                    self.current.index, grad, module.training, tuple(output.shape))
        if kind in LOSSES:
            call.stats["reduction"] = getattr(module, "reduction", None)
            self._loss(call, x, args[1] if len(args) > 1 else None, output)
        else:
            if kind == "recurrent" and x is not None:
                call.stats["input_shape"] = tuple(x.shape)
                call.stats["batch_first"] = bool(module.batch_first)
            elif kind == "embedding":
                call.stats["padding_idx"] = module.padding_idx
            self._measure(call, x, output)
        self.current.calls.append(call)

    # -- engine observer ------------------------------------------------------------------------
    def on_forward(self, fn, out) -> None:
        if self._grads_pending:
            self._manual_grads()
        op = type(fn).__name__
        kind = _OPS.get(op)
        if kind is None:
            if op in _SEQUENCE_OPS:
                self._sequence_op(_SEQUENCE_OPS[op], fn, out)
            return
        enclosing = self._stack[-1] if self._stack else None
        if enclosing is not None and (enclosing[1] == kind or enclosing[1] in LOSSES):
            return None                    # the module's own call is recorded by its hook
        inputs = fn.inputs or ()
        x = inputs[0] if inputs else None
        after = self._recent.get(id(x), (None, None))[1] if x is not None else None
        if kind == "layer":
            where = enclosing[2] if enclosing else "linear"
        else:
            where = f"{after or self._last_layer or ''} → {kind}".lstrip(" →") or kind
        call = Call(kind, where, type(fn).__name__, self.current.index, glassnet.is_grad_enabled(),
                    None, tuple(np.shape(out.array)))
        if kind in LOSSES:
            call.stats["reduction"] = getattr(fn, "reduction", None)
            self._loss(call, x, inputs[1] if len(inputs) > 1 else None, out)
        else:
            if kind in ("softmax", "log_softmax"):
                call.stats["dim"] = getattr(fn, "dim", -1)
            self._measure(call, x, out)
        self.current.calls.append(call)

    def on_backward(self, fn, grad_out, grad_inputs) -> None:
        return None

    def _detailed(self) -> bool:
        i = self.current.index
        return i < _DENSE or i % _STRIDE == 0

    def _sequence_op(self, name, fn, out):
        """The ops the sequence checks read (as the torch observer's ``_sequence_function``):
        the last time step of a 3-D output, a view (a, b, c) → (a·c, b), and attention as one
        node: its weights (causal, peaked) and the keys its mask hides from every query."""
        enclosing = self._stack[-1] if self._stack else None
        where = enclosing[2] if enclosing is not None else ""
        x = fn.inputs[0] if fn.inputs else None
        if name == "last_step":
            if x is None:
                return
            axis = last_step_axis(tuple(fn.shape), np.asarray(x.array).dtype.kind == "f", fn.key)
            if axis is None:
                return
            stats = {"axis": axis, "input_shape": tuple(fn.shape)}
        elif name == "axes_mixed":
            if not mixes_axes(tuple(fn.shape), tuple(np.shape(out.array))):
                return
            stats = {"input_shape": tuple(fn.shape), "output_shape": tuple(np.shape(out.array))}
        else:
            mha = enclosing is not None and enclosing[0].__class__.__name__ == "MultiheadAttention"
            api = "mha" if mha else "sdpa"
            if self._detailed():
                stats = {}
                attention_stats(np.asarray(fn.probs), stats)
                if stats:                                  # a given scale: is it ~1/√d?
                    sdpa_scale_stats(fn.scale, int(np.shape(fn.q)[-1]), stats)
                    kind = "MultiheadAttention" if mha else "scaled_dot_product_attention"
                    self.current.calls.append(Call(
                        "attention", where or "scaled_dot_product_attention", kind,
                        self.current.index, glassnet.is_grad_enabled(), None,
                        tuple(np.shape(out.array)), line=self._line(), stats=stats))
            if fn.mask is None or self.current.index >= self.keep_batches:
                return
            masked = key_padding(fn.mask, np.ndim(fn.q))
            if masked is None or not masked.any():
                return
            name, stats = "key_padding", {"masked": masked, "api": api, "bool": not fn.float_mask}
        call = Call(name, where, type(fn).__name__, self.current.index, glassnet.is_grad_enabled(),
                    None, tuple(np.shape(out.array)), line=self._line(), stats=stats)
        self.current.calls.append(call)
        if name == "axes_mixed":
            self._remember(out, name, where or name)

    def _remember(self, tensor, kind, where):
        self._recent[id(tensor)] = (kind, where, tensor)   # the tensor is kept: ids stay unique
        if len(self._recent) > 256:
            for key in list(self._recent)[:128]:
                del self._recent[key]

    def _measure(self, call, x, out):
        y = _array(out)
        if y.dtype.kind == "f":
            call.finite = bool(np.isfinite(y).all())
        kind = call.kind
        if kind == "relu" and y.ndim >= 1:
            call.stats["active"] = (y.reshape(-1, y.shape[-1]) > 0).any(0)
        elif kind in ("sigmoid", "tanh") and x is not None:
            call.stats["saturated"] = float((np.abs(_array(x)) > SATURATION_Z).mean())
        elif kind in ("softmax", "log_softmax"):
            dim = call.stats.pop("dim", -1)
            if kind == "softmax" and dim in (-1, y.ndim - 1) and y.ndim >= 2 and \
                    y.shape[-1] == y.shape[-2] > 1 and y.dtype.kind == "f" and self._detailed():
                attention_stats(y, call.stats)                 # self-attention weights (…, T, T)
                if y.ndim >= 3 and x is not None and tuple(x.shape) == y.shape:
                    logit_stats(_array(x), y, call.stats)
                    scaling = score_scaling(_GRAPH, x)     # q·kᵀ reaching the softmax unscaled?
                    if scaling is not None:
                        call.stats["head_size"], call.stats["scale_found"] = scaling
            call.stats["dim_size"] = int(y.shape[dim]) if y.ndim else 1
        elif kind == "root" and x is not None:
            xa = _array(x)
            if call.grad_enabled and call.step < self.keep_batches:
                self.batches.setdefault(call.step, {}).setdefault("input", xa.copy())
            if xa.dtype.kind == "f" and xa.ndim >= 2 and call.step < INPUT_STEPS and call.grad_enabled:
                feats = np.moveaxis(xa, 1, 0).reshape(xa.shape[1], -1)
                call.stats["feature_mean"], call.stats["feature_std"] = feats.mean(1), feats.std(1)
        if kind == "layer":
            self._last_layer = call.where
        if kind != "root" or id(out) not in self._recent:       # keep the innermost producer
            self._remember(out, kind, call.where)

    def _loss(self, call, x, target, out):
        producer = self._recent.get(id(x)) if x is not None else None
        call.input_from, call.stats["input_where"] = (producer[0], producer[1]) if producer else (None, None)
        if x is not None:
            xa = _array(x)
            call.stats["input_shape"] = tuple(xa.shape)
            call.stats["input_range"] = (float(xa.min()), float(xa.max())) if xa.size else None
            if call.kind in ("cross_entropy", "nll_loss") and call.step < INPUT_STEPS \
                    and call.grad_enabled:
                call.stats["token_vocab"] = token_vocabulary(   # a language model's logits?
                    _GRAPH, x, classes=xa.shape[1] if xa.ndim >= 2 else None)
        if target is not None:
            ta = _array(target)
            call.stats["target"] = summarize_target(ta)
            if call.grad_enabled and call.step < self.keep_batches:
                self.batches.setdefault(call.step, {}).setdefault("target", ta.copy())
        y = _array(out)
        if y.size == 1:
            call.stats["value"] = float(np.reshape(y, ()))     # a (1,)-shaped loss too (NumPy 2)
            call.finite = math.isfinite(call.stats["value"])

    # -- steps ----------------------------------------------------------------------------------
    def on_grad_begin(self, outputs):
        self.grad_calls += 1

    def on_backward_begin(self, tensor):
        self.backward_calls += 1
        if not self.optimizers:                 # no optimizer yet: backward() cuts the steps
            if self._manual is not None:
                self._close_manual()
                self._finish_step()
            self._begin_manual(tensor)
        # a gradient held over a step() is a suspect until it is reset (zero_grad, grad = None) or
        # its own optimizer steps with it (then it is stale: see _step_pre); a GAN's generator
        # backward through the discriminator, zeroed before the discriminator's next step, is not
        for key, (name, p) in list(self._suspects.items()):
            if p.grad is None or not np.any(_array(p.grad) != 0):
                del self._suspects[key]
        if self._last_event == "step" and self._stepped is not None:
            for name, p, in_opt in self._entries(self._stepped):
                if in_opt and p.grad is not None and np.any(_array(p.grad) != 0):
                    self._suspects[id(p)] = (name, p)
        self._last_event = "backward"
        if int(np.size(tensor.array)) == 1:
            self.current.losses.append(float(np.reshape(np.asarray(tensor.array, dtype=float), ())))

    def _clipped(self, name, result):
        total = float(result) if result is not None else None
        self.current.clips.append(Clip(name, self.current.index, self._last_event == "step", total, self._line()))

    def _line(self):
        frame = sys._getframe(2)
        while frame is not None and self.source is not None:
            if frame.f_code.co_filename == self.source:
                return frame.f_lineno
            frame = frame.f_back
        return None

    def _entries(self, optimizer):
        return named_entries(self.roots, self.names, optimizer, self.optimizers)

    # -- manual updates (no optimizer) ----------------------------------------------------------
    def _begin_manual(self, tensor):
        leaves = _leaves(tensor)
        named = {id(p): n for n, p, _ in self._entries(None)}
        for p in leaves:
            if id(p) not in named and id(p) not in self._leaf_names:
                self._leaf_names[id(p)] = f"tensor{len(self._leaf_names)}"
        entries = [(named.get(id(p)) or self._leaf_names[id(p)], p) for p in leaves]
        self._manual = (entries, [_array(p).copy() for _, p in entries])
        self._grads_pending = True

    def _manual_grads(self):
        self._grads_pending = False
        entries, before = self._manual
        for (name, p), b in zip(entries, before):
            g = None if p.grad is None else _array(p.grad)
            gn = None if g is None else float(np.linalg.norm(g.astype(float)))
            self.current.params[name] = ParamStat(
                name, tuple(np.shape(b)), True, bool(p.requires_grad), gn,
                float(np.linalg.norm(b.astype(float))), grad_finite=gn is None or math.isfinite(gn))
        self.current.optimizer = "manual update"

    def _close_manual(self):
        if self._grads_pending:
            self._manual_grads()
        entries, before = self._manual
        for (name, p), b in zip(entries, before):
            stat = self.current.params.get(name)
            if stat is not None:
                stat.update_norm = float(np.linalg.norm((_array(p) - b).astype(float)))

    def _step_pre(self, optimizer, args, kwargs):
        if optimizer not in self.optimizers:
            self.optimizers.append(optimizer)
        self.current.stale_grads.extend(stale_in(self._suspects, optimizer))
        if self._manual is not None:            # the first step(): the optimizer cuts steps now
            self._manual, self._grads_pending = None, False
            self.current.params.clear()
        entries = self._entries(optimizer)
        before = [_array(p).copy() for _, p, _ in entries]
        s = self.current
        s.optimizer, s.lr = type(optimizer).__name__, float(optimizer.param_groups[0].get("lr", math.nan))
        s.optimizer_id = self.optimizers.index(optimizer)
        for (name, p, in_opt), b in zip(entries, before):
            g = None if p.grad is None else _array(p.grad)
            gn = None if g is None else float(np.linalg.norm(g.astype(float)))
            s.params[name] = ParamStat(name, tuple(np.shape(b)), in_opt, bool(p.requires_grad), gn,
                                       float(np.linalg.norm(b.astype(float))),
                                       grad_finite=gn is None or math.isfinite(gn))
        held = {id(p) for p in optimizer_params(optimizer)}
        for name, p, _ in entries:   # (a GAN's generator step also sees the critic's gradients)
            s.params[name].stepped = id(p) in held
        self._before = (entries, before)

    def _step_post(self, optimizer, args, kwargs):
        (entries, before), s = self._before, self.current
        for (name, p, _), b in zip(entries, before):
            s.params[name].update_norm = float(np.linalg.norm((_array(p) - b).astype(float)))
        self._last_event, self._stepped = "step", optimizer
        self._finish_step()

    def _finish_step(self):
        self.steps.append(self.current)
        self.current = Step(self.current.index + 1)
        if self.max_steps is not None and len(self.steps) >= self.max_steps:
            raise StepLimitReached(f"stopped after {len(self.steps)} steps")

    def all_steps(self) -> list:
        return self.steps + ([self.current] if not self.current.empty else [])


def _leaves(tensor) -> list:
    """The leaf tensors that need a gradient which a backward from ``tensor`` reaches, in the
    order they were first used."""
    leaves, seen, stack = [], set(), [tensor]
    while stack:                                  # iterative walk to the leaves
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if t.grad_fn is None:
            if t.requires_grad:
                leaves.append(t)
        else:
            stack.extend(t.grad_fn.inputs or ())
    leaves.reverse()
    return leaves


__all__ = ["GlassnetObserver"]
