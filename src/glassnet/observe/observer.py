"""Observe an unmodified PyTorch program, step by step, through torch's own global hooks.

``with observe() as seen: <any torch code>`` installs, for the block only,

* a global module forward pre/post hook (``torch.nn.modules.module.register_module_forward_*``)
  that names every module from the root it was first called through and measures the outputs
  of activations, dropout, normalisation and layer modules;
* a ``TorchFunctionMode`` that sees the activations and losses called as functions
  (``torch.sigmoid``, ``F.cross_entropy``, ``x.softmax(1)``) and ``loss.backward()``;
* the global optimizer step pre/post hooks (``torch.optim.optimizer.register_optimizer_step_*``),
  which cut the program into steps and measure every parameter's gradient and update; until an
  optimizer steps, each ``backward()`` cuts a step instead and the update is whatever changed
  the leaves between two ``backward()`` calls (``manual.py``: ``w -= lr * w.grad``, ``p.data``);
* a gradient hook on each optimized parameter, which notices a gradient still held from before
  the previous ``step()`` (no ``zero_grad`` in between);
* a wrapper around ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_`` that notes whether
  the clip came before or after the ``step()`` that used the gradients.

``hooks.TorchHooks`` installs all but the gradient hooks (the same mechanism serves
``explain.record`` on torch models, through ``step_capture``).  Everything is removed when the
block ends, even on an exception.  The program is never edited and its numbers are never
changed: the hooks only read (``detach``, norms, copies).

The result is a list of ``Step`` records (one per ``optimizer.step()``), each with the calls seen
before that step (``Call``: module or function, kind, where, statistics), the losses given to
``backward``, the per-parameter statistics (``ParamStat``) and the clip calls (``Clip``).  These
classes are plain data: glassnet's own engine fills the same records (``glassnet.doctor``), so
the checks read one format.  torch is imported only when an observation starts.

>>> with observe(values=True) as seen:              # doctest: +SKIP
...     for x, t in loader:
...         opt.zero_grad(); loss_fn(model(x), t).backward(); opt.step()
>>> seen.steps[0].loss, seen.steps[0].params["0.weight"].update_norm    # doctest: +SKIP
"""
from __future__ import annotations

import math
import sys
import weakref

from ._torch_util import (_activation_stats, _first_tensor, _module_kinds, _norms, _numpy, _param_stats,
                          _token_vocabulary, _watched)
from .graph import sdpa_scale_stats
from .hooks import TorchHooks, name_root, named_entries, optimizer_params, parameter_names, stale_in
from .manual import ManualUpdates, record_updates
from .records import (ACTIVATIONS, INPUT_STEPS, LOSSES, Call, Clip, Step, StepLimitReached,
                      summarize_target)
from .sequence import attention_stats, key_padding, last_step_axis, mixes_axes

__all__ = ["observe", "TorchObserver"]

class TorchObserver:
    """Installs the hooks on ``__enter__``, removes them on ``__exit__``; see the module docstring.

    Parameters
    ----------
    values : bool
        Keep NumPy copies of module inputs/outputs, loss targets and each parameter's value
        before, gradient and value after the step (for step-by-step explanations).  Off by
        default: statistics only.
    max_steps : int or None
        Raise ``StepLimitReached`` out of ``optimizer.step()`` after this many steps.
    source : str or None
        Path of the script being observed: calls get the line in it they were made from.
    on_step : callable or None
        Called with each finished ``Step``.
    keep_batches : int
        Keep NumPy copies of the model's input and the loss target of the first this many steps
        in ``batches`` ({step: {'input': array, 'target': array}}), for probes on the same data.
    dense, stride : int
        Statistics (activations, targets, gradient and update norms, finite checks) are taken at
        every one of the first ``dense`` steps, then at every ``stride``-th step, and at every
        step after a non-finite loss; the loss, the clip calls, stale gradients and modules
        called without grad (evaluation) are seen at every step.  ``values=True`` implies all.
    """

    def __init__(self, *, values: bool = False, max_steps: int | None = None,
                 source: str | None = None, on_step=None, dense: int = 20, stride: int = 5,
                 keep_batches: int = 0):
        self.values, self.max_steps, self.source, self.on_step = values, max_steps, source, on_step
        self.keep_batches, self.batches = keep_batches, {}
        self.dense, self.stride = (10 ** 9, 1) if values else (dense, max(1, stride))
        self.detail = True               # whether the step in progress is measured in full
        self.steps: list[Step] = []
        self.current = Step(0)
        self.names: dict = {}            # id(module) → path
        self.roots: list = []            # modules first called at the top level
        self.optimizers: list = []
        self.backward_calls = 0
        self.grad_calls = 0                 # torch.autograd.grad calls (no .grad written)
        self._stack: list = []           # (module, kind) of the module calls in progress
        self._recent: list = []          # (weakref to an output tensor, kind, where)
        self._last_event = None          # 'backward' or 'step'
        self._pending_step = set()       # ids of parameters that went through a step() since backward
        self._suspects = {}              # id → (name, p): a backward added to a gradient held over a step()
        self._before = None
        self._entries = None
        self._target_cache = (None, None, None)
        self._last_layer = None
        self._last_optimizer = None
        self._quiet = None               # torch-function handling switched off during step()
        self._closure = False            # the step in progress was given a closure (LBFGS)
        self._grad_hooks: dict = {}
        self._hooks = None
        self._manual = None              # ManualUpdates while no optimizer has stepped
        self._param_names = (0, {})      # (roots counted, {id(parameter): name})

    # -- install / remove (the shared mechanism: hooks.py) -------------------------------------
    def __enter__(self):
        import torch
        self.torch = torch
        self._kinds = _module_kinds(torch)
        self._kind_cache: dict = {}
        self._watched_table = _watched(torch)
        self._manual = ManualUpdates(torch, self.source, self.values)
        self._hooks = TorchHooks(forward_pre=self._pre, forward_post=self._post,
                                 function=self._call, only=self._watched_table,
                                 function_mode=self.detail, step_pre=self._step_pre,
                                 step_post=self._step_post, backward=self._backward,
                                 backward_done=self._backward_done, clip=self._clipped,
                                 grad=self._grad_call)
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc):
        try:
            if not self.optimizers and self._manual.open and self.current.losses:
                self._manual.close(self.current)        # the last manual update, when it ran
                self.steps.append(self.current)
                self.current = Step(self.current.index + 1)
            self._quiet_off()
            self._hooks.__exit__(*exc)
        finally:
            self._remove_grad_hooks()
        return False

    def _remove_grad_hooks(self):
        handles, self._grad_hooks = self._grad_hooks, {}
        for handle in handles.values():
            handle.remove()

    def _call(self, func, args, kwargs):
        """A watched activation or loss called as a function (the function mode's callback)."""
        kind = self._watched_table[func]
        try:
            result = func(*args, **kwargs)
        except Exception:
            self._function_failed(kind, func, args, kwargs)
            raise
        self._function(kind, func, args, kwargs, result)
        return result

    def _backward(self, tensor):
        self.backward_calls += 1
        if not self.optimizers:                  # no optimizer yet: backward() cuts the steps
            if self._manual.open:
                self._manual.close(self.current)
                self._finish_step()
            self._manual.begin(tensor, self._names_of_parameters(), self.detail)
        self._last_event = "backward"
        if tensor.numel() == 1:
            self.current.losses.append(float(tensor.detach()))

    def _grad_call(self, outputs):
        self.grad_calls += 1

    def _backward_done(self, tensor):
        if not self.optimizers and self._manual.open:
            self._manual.measure_grads(self.current)

    def _names_of_parameters(self) -> dict:
        counted, names = self._param_names
        if counted != len(self.roots):
            names = {key: name for key, (name, _) in parameter_names(self.roots, self.names).items()}
            self._param_names = (len(self.roots), names)
        return names

    def _clipped(self, name, result):
        total = float(result) if result is not None else None
        self.current.clips.append(Clip(name, self.current.index, self._last_event == "step",
                                       total, self._line()))

    # -- helpers ------------------------------------------------------------------------------
    def _line(self):
        if self.source is None:
            return None
        frame = sys._getframe(2)
        while frame is not None:
            if frame.f_code.co_filename == self.source:
                return frame.f_lineno
            frame = frame.f_back
        return None

    def _kind(self, module):
        kind = self._kind_cache.get(type(module))
        if kind is None:
            kind = next((k for cls, k in self._kinds if isinstance(module, cls)), "other")
            self._kind_cache[type(module)] = kind
        return kind

    def _name(self, module):
        name = self.names.get(id(module))
        if name is None:
            if not self._stack:                     # a new root: name it and everything in it
                name_root(module, self.roots, self.names, self.source)
            name = self.names.setdefault(id(module), type(module).__name__)
        return name

    def _producer(self, tensor):
        for ref, kind, where in reversed(self._recent):
            if ref() is tensor:
                return kind, where
        return None, None

    def _remember(self, tensor, kind, where):
        try:
            self._recent.append((weakref.ref(tensor), kind, where))
        except TypeError:
            return
        if len(self._recent) > 64:
            del self._recent[:32]

    # -- module hooks -------------------------------------------------------------------------
    def _pre(self, module, args):
        self._stack.append((module, self._kind(module), self._name(module)))

    def _post(self, module, args, output):
        with self.torch._C.DisableTorchFunction():
            self._module_done(module, args, output)

    def _module_done(self, module, args, output):
        module_, kind, where = self._stack.pop() if self._stack else (module, self._kind(module), "")
        is_root = not self._stack
        if kind in ("loss", "other") and not is_root:
            return
        if not self.detail and not (kind in ("dropout", "norm") and not self.torch.is_grad_enabled()):
            return
        out = _first_tensor(self.torch, output)
        if out is None or kind == "loss":
            return
        x = _first_tensor(self.torch, args)
        grad = self.torch.is_grad_enabled()
        if is_root and kind == "embedding":
            kind = "other"                          # an embedding as the whole model (a bigram)
        call = Call("root" if is_root and kind == "other" else kind, where, type(module).__name__,
                    self.current.index, grad, module.training, tuple(out.shape))
        if out.is_floating_point():
            call.finite = math.isfinite(float(out.detach().sum()))
        if call.kind == "root":
            call.line = self._line()
            if grad and self.current.index < self.keep_batches and x is not None:
                self.batches.setdefault(self.current.index, {}).setdefault("input", _numpy(x))
            if (x is not None and x.is_floating_point() and x.dim() >= 2
                    and self.current.index < INPUT_STEPS and grad):
                feats = x.detach().float().transpose(0, 1).reshape(x.shape[1], -1)
                call.stats["feature_mean"] = feats.mean(1).cpu().numpy()
                call.stats["feature_std"] = feats.std(1, unbiased=False).cpu().numpy()
        elif kind == "softmax":
            dim = getattr(module, "dim", None)
            call.stats["dim"] = -1 if dim is None else dim
        elif kind == "recurrent" and x is not None:
            call.stats["input_shape"] = tuple(x.shape)
            call.stats["batch_first"] = bool(module.batch_first)
        elif kind == "embedding":
            call.stats["padding_idx"] = module.padding_idx
        elif kind == "attention" and isinstance(output, tuple) and len(output) > 1 and \
                isinstance(output[1], self.torch.Tensor):
            attention_stats(_numpy(output[1]), call.stats)   # need_weights: (N, L, S), head mean
        _activation_stats(kind, x, out, call.stats)
        if self.values:
            call.values = {"input": _numpy(x) if x is not None else None, "output": _numpy(out)}
        self.current.calls.append(call)
        if call.kind != "root" or self._producer(out)[0] is None:   # keep the innermost producer
            self._remember(out, call.kind, where)
        if kind == "layer":
            self._last_layer = where

    # -- functions ----------------------------------------------------------------------------
    def _function(self, kind, func, args, kwargs, result):
        torch = self.torch
        if not self.detail:
            return
        if kind in ("index", "reshape", "mha", "sdpa"):
            self._sequence_function(kind, args, kwargs, result)
            return
        enclosing = self._stack[-1] if self._stack else None
        if enclosing is not None and enclosing[1] == kind:
            return                                   # nn.Sigmoid calling torch.sigmoid: seen already
        x = _first_tensor(torch, args[0] if args else kwargs.get("input"))
        out = _first_tensor(torch, result)
        if x is None or out is None:
            return
        produced_by, after = self._producer(x)
        if after is None and kind in ACTIVATIONS:
            after = self._last_layer              # e.g. sigmoid(fc1(x) * 10): after fc1
        base = enclosing[2] if enclosing is not None and enclosing[1] != "loss" else ""
        where = f"{after} → {kind}" if after else (f"{base}: {kind}" if base else kind)
        if enclosing is not None and enclosing[1] == "loss":
            where = enclosing[2]
        call = Call(kind, where, getattr(func, "__name__", kind), self.current.index,
                    torch.is_grad_enabled(), None, tuple(out.shape), line=self._line())
        if out.is_floating_point():
            call.finite = math.isfinite(float(out.detach().sum()))
        if kind in LOSSES:
            call.input_from = produced_by
            call.stats["input_where"] = after
            call.stats["reduction"] = kwargs.get("reduction", "mean")
            target = args[1] if len(args) > 1 else kwargs.get("target")
            if isinstance(target, torch.Tensor) and kind in ("cross_entropy", "nll_loss"):
                ignore = kwargs.get("ignore_index", args[4] if len(args) > 4 else -100)
                if not target.is_floating_point() and bool((target == ignore).any()):
                    call.stats["ignored"] = int((target == ignore).sum())
                    target = target[target != ignore]          # honour ignore_index
            if isinstance(target, torch.Tensor):
                call.stats["target"] = self._summary(target)
                if call.grad_enabled and self.current.index < self.keep_batches:
                    self.batches.setdefault(self.current.index, {}).setdefault("target", _numpy(target))
                if self.values:
                    call.values["target"] = _numpy(target)
            call.stats["input_shape"] = tuple(x.shape)
            if kind in ("cross_entropy", "nll_loss") and self.current.index < INPUT_STEPS \
                    and call.grad_enabled:
                call.stats["token_vocab"] = _token_vocabulary(     # a language model's logits?
                    x, classes=x.shape[1] if x.dim() >= 2 else None)
            call.stats["input_range"] = (float(x.detach().min()), float(x.detach().max())) \
                if x.numel() and x.is_floating_point() else None
            if out.numel() == 1:
                call.stats["value"] = float(out.detach())
        elif kind == "dropout":                   # F.dropout(x, p, training=True): on by default
            call.training = bool(kwargs.get("training", kwargs.get("train", args[2] if len(args) > 2
                                                                    else True)))
        else:
            if kind in ("softmax", "log_softmax"):
                dim = args[1] if len(args) > 1 else kwargs.get("dim")
                call.stats["dim"] = -1 if dim is None else dim
            _activation_stats(kind, x, out, call.stats)
        if self.values:
            call.values.update({"input": _numpy(x), "output": _numpy(out)})
        self.current.calls.append(call)
        self._remember(out, kind, where)

    def _sequence_function(self, kind, args, kwargs, result):
        """Indexing, view/reshape and attention's functional forms: only the few calls the
        sequence checks read are recorded (the last time step of a 3-D output, a view that mixes
        the class axis into the rows, a key-padding mask: MultiheadAttention's key_padding_mask,
        True = ignore the key, or the keys that F.scaled_dot_product_attention's attn_mask hides
        from every query, where a bool True = takes part)."""
        torch = self.torch
        x = args[0] if args else kwargs.get("query")
        if not isinstance(x, torch.Tensor):
            return
        if kind == "index":
            axis = last_step_axis(tuple(x.shape), x.is_floating_point(), args[1]) \
                if len(args) > 1 else None
            if axis is None:
                return
            stats = {"axis": axis, "input_shape": tuple(x.shape)}
        elif kind == "reshape":
            if not isinstance(result, torch.Tensor) or not mixes_axes(tuple(x.shape), tuple(result.shape)):
                return
            stats = {"input_shape": tuple(x.shape), "output_shape": tuple(result.shape)}
        else:
            name = "key_padding_mask" if kind == "mha" else "attn_mask"
            mask = kwargs.get(name, args[3] if kind == "sdpa" and len(args) > 3 else None)
            if kind == "sdpa":
                self._sdpa_weights(args, kwargs, mask)
            if not isinstance(mask, torch.Tensor) or self.current.index >= self.keep_batches:
                return
            boolean = mask.dtype == torch.bool
            masked = _numpy(mask if boolean else mask < -1e4)
            if kind == "sdpa":
                masked = key_padding(~masked if boolean else masked, x.dim())
            elif masked.ndim != 2:
                return
            if masked is None:
                return
            stats = {"masked": masked, "api": kind, "bool": boolean}
        name = {"index": "last_step", "reshape": "axes_mixed"}.get(kind, "key_padding")
        where = self._stack[-1][2] if self._stack else ""
        call = Call(name, where, kind, self.current.index, torch.is_grad_enabled(), None,
                    tuple(result.shape) if isinstance(result, torch.Tensor) else (),
                    line=self._line(), stats=stats)
        self.current.calls.append(call)
        if kind == "reshape":
            self._remember(result, name, where or name)

    def _sdpa_weights(self, args, kwargs, mask):
        """The weights F.scaled_dot_product_attention computes inside (not returned), recomputed
        for self-attention at measured steps: softmax(q·kᵀ·scale, masked) → ``attention`` call."""
        torch = self.torch
        q = args[0] if args else kwargs.get("query")
        k = args[1] if len(args) > 1 else kwargs.get("key")
        if not isinstance(k, torch.Tensor) or q.dim() < 2 or q.shape[-2] != k.shape[-2] \
                or q.shape[-2] < 2 or not q.is_floating_point():
            return
        causal = kwargs.get("is_causal", args[5] if len(args) > 5 else False)
        scale = kwargs.get("scale") or q.shape[-1] ** -0.5
        with torch.no_grad():
            scores = (q.detach() @ k.detach().transpose(-2, -1)).float() * scale
            T = scores.shape[-1]
            if causal:
                scores = scores.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
            elif isinstance(mask, torch.Tensor):
                scores = scores.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool \
                    else scores + mask.float()
            weights = scores.softmax(-1)
        stats = {}
        attention_stats(_numpy(weights), stats)
        sdpa_scale_stats(kwargs.get("scale"), int(q.shape[-1]), stats)   # an explicit scale: ~1/√d?
        where = self._stack[-1][2] if self._stack else ""
        self.current.calls.append(Call("attention", where or "scaled_dot_product_attention",
                                       "scaled_dot_product_attention", self.current.index,
                                       torch.is_grad_enabled(), None, tuple(q.shape),
                                       line=self._line(), stats=stats))

    def _summary(self, target) -> dict:
        """``summarize_target``, reused while the same target tensor comes back unchanged."""
        ref, version, summary = self._target_cache
        if ref is not None and ref() is target and version == target._version:
            return summary
        summary = summarize_target(target.detach().cpu().numpy())
        self._target_cache = (weakref.ref(target), target._version, summary)
        return summary

    def _function_failed(self, kind, func, args, kwargs):
        """A watched function raised (e.g. a target out of range): record its inputs first."""
        if kind in LOSSES:
            try:
                self._function(kind, func, args, kwargs, args[0] if args else kwargs.get("input"))
                self.current.calls[-1].stats["raised"] = True
            except Exception:  # the report must not hide the script's own error
                pass

    # -- optimizer hooks ----------------------------------------------------------------------
    def _named_params(self, optimizer):
        return named_entries(self.roots, self.names, optimizer, self.optimizers)

    def _step_pre(self, optimizer, args, kwargs):
        torch = self.torch
        self._quiet_off()
        given = [a for a in args if a is not optimizer] + [kwargs.get("closure")]
        self._closure = callable(given[0])  # args holds the optimizer itself, then step's own
        if not self._closure:               # step(closure) runs the model: its calls are watched
            self._quiet = torch._C.DisableTorchFunction()   # the update's own ops are not
            self._quiet.__enter__()
        if optimizer not in self.optimizers:
            self.optimizers.append(optimizer)
        if self._manual.open:                    # the first step(): the optimizer cuts steps now
            self._manual.drop()
            self.current.params.clear()
        if self._entries is None or optimizer is not self._last_optimizer or self.detail:
            self._entries = self._named_params(optimizer)
            self._last_optimizer = optimizer
        entries = self._entries
        self.current.stale_grads.extend(stale_in(self._suspects, optimizer))
        for name, p, in_opt in entries:
            if in_opt and p.requires_grad and id(p) not in self._grad_hooks:
                self._grad_hooks[id(p)] = p.register_hook(self._grad_hook(name, p))
        step = self.current
        step.optimizer = type(optimizer).__name__
        step.optimizer_id = self.optimizers.index(optimizer)
        step.lr = float(optimizer.param_groups[0].get("lr", float("nan")))
        if not self.detail:
            return
        with torch.no_grad():
            weights = [p.detach() for _, p, _ in entries]
            if not self._closure:
                step.params.update(_param_stats(torch, [(name, p, w, in_opt) for (name, p, in_opt), w
                                                        in zip(entries, weights)], self.values))
                held = {id(p) for p in optimizer_params(optimizer)}
                for name, p, _ in entries:   # (a GAN's generator step also sees the critic's gradients)
                    step.params[name].stepped = id(p) in held
            self._before = [w.clone() for w in weights]

    def _step_post(self, optimizer, args, kwargs):
        torch = self.torch
        self._quiet_off()
        entries, before = self._entries, self._before
        if before is None:
            entries = []
        elif self._closure:
            entries, before = self._closure_grads(optimizer, entries, before)
        with torch.no_grad():
            after = [p.detach() for _, p, _ in entries]
            deltas = [a - b for a, b in zip(after, before)] if after else []
            u_norms = _norms(torch, deltas)
        record_updates(self.current, [(name, p) for name, p, _ in entries], u_norms, self.values)
        self._before = None
        self._last_event = "step"
        self._pending_step = {id(p) for _, p, _ in self._entries or ()}
        self._finish_step()

    def _closure_grads(self, optimizer, entries, before):
        """``optimizer.step(closure)`` (LBFGS): every ``backward()`` ran inside ``step()``, so the
        gradients are read after it (those of the closure's last evaluation), under the names the
        model's first forward pass gave (a closure step may be the first time it ran)."""
        torch = self.torch
        weight_before = {id(p): w for (_, p, _), w in zip(entries, before)}
        entries = [e for e in self._named_params(optimizer) if id(e[1]) in weight_before]
        self._entries = entries
        before = [weight_before[id(p)] for _, p, _ in entries]
        with torch.no_grad():
            self.current.params.update(_param_stats(torch, [(name, p, w, in_opt) for (name, p, in_opt), w
                                                            in zip(entries, before)], self.values))
        return entries, before

    def _finish_step(self):
        """Close the step in progress, choose whether the next is measured, stop at the limit."""
        finished = self.current
        self.steps.append(finished)
        self.current = Step(finished.index + 1)
        i, last = self.current.index, finished.loss
        self.detail = (i < self.dense or i % self.stride == 0
                       or (last is not None and not math.isfinite(last)))
        self._hooks.set_function_mode(self.detail)    # a call per torch call: measured steps only
        self._recent.clear()
        if self.on_step is not None:
            self.on_step(finished)
        if self.max_steps is not None and len(self.steps) >= self.max_steps:
            raise StepLimitReached(f"stopped after {len(self.steps)} steps")

    def _quiet_off(self):
        if self._quiet is not None:
            self._quiet.__exit__(None, None, None)
            self._quiet = None

    def _grad_hook(self, name, p):
        def hook(grad):
            pending, suspect = id(p) in self._pending_step, id(p) in self._suspects
            if pending or suspect:
                self._pending_step.discard(id(p))
                held = p.grad
                if held is not None and bool(held.detach().ne(0).any()):
                    if pending:
                        self._suspects[id(p)] = (name, p)
                else:                               # reset since (zero_grad, grad = None)
                    self._suspects.pop(id(p), None)
            return None
        return hook

    # -- results ------------------------------------------------------------------------------
    def all_steps(self) -> list:
        """The finished steps plus, when anything happened after the last step, that part too."""
        return self.steps + ([self.current] if not self.current.empty else [])


def observe(**options) -> TorchObserver:
    """``with observe(...) as seen:`` — see ``TorchObserver`` for the options."""
    return TorchObserver(**options)
