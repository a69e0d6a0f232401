"""Record one training step: every op of the forward, every node of the backward, every update.

``record`` subscribes to the engine's observer hook (``glassnet.autograd.observe``) and, when
given a model, installs forward pre/post hooks on ``model.named_modules()`` to learn which
module produced each op.  Both are removed when the ``with`` block ends, so nothing is
recorded and nothing costs outside it.  The optimizer step is captured by wrapping
``optimizer.step`` for the duration of the block (or, without an optimizer, by snapshotting the
parameters at entry and at exit).

During the block the recorder only copies values and keeps a tape of what ran; the records
(ops, leaves, module calls, parameters) are built from the tape when the recording is first
read, so that recording adds little to the step itself (``benchmarks/bench_explain.py``
measures it).

>>> with glassnet.explain.record(model, optimizer) as step:       # doctest: +SKIP
...     loss = F.mse_loss(model(x), target)
...     optimizer.zero_grad(); loss.backward(); optimizer.step()
>>> print(step.derivation("layer1.weight[2, 0]"))                 # doctest: +SKIP
"""
from __future__ import annotations

import copy
import weakref
from functools import partial

import numpy as np

from ..autograd import no_grad, observe
from ..nn.module import Module
from ..nn.hooks import register_module_forward_hook, register_module_forward_pre_hook
from .effect import compute_effect, deferred_effect, param_records
from .recording import Effect, Leaf, ModuleCall, OpRecord, Recording, Ref, snapshot

#: Op attributes worth keeping (reduction axes, loss options, ...), read with ``getattr``.
_ATTRS = ("dim", "keepdim", "n", "reduction", "weight", "pos_weight", "ignore_index",
          "label_smoothing", "lo", "hi", "slope", "key", "dims", "approximate")


_ATTR_NAMES: dict = {}      # Function class -> the names of _ATTRS it can carry
_MISSING = object()
_EMPTY: dict = {}


def op_attrs(fn) -> dict:
    """The op's attributes among ``_ATTRS`` that are set (looked up once per op class)."""
    cls = type(fn)
    names = _ATTR_NAMES.get(cls)
    if names is None:
        names = _ATTR_NAMES[cls] = False if hasattr(fn, "__dict__") else [
            a for a in _ATTRS if any(a in vars(k) or a in getattr(k, "__slots__", ()) for k in cls.__mro__)]
    if names is False:                  # instances with a __dict__: ask each time
        return {a: getattr(fn, a) for a in _ATTRS if hasattr(fn, a)}
    out = {}
    for a in names:
        v = getattr(fn, a, _MISSING)
        if v is not _MISSING:
            out[a] = v
    return out


class Snapshots:
    """Copies of values, each made once and shared while its source is unchanged.

    A tensor's copy is reused while the tensor holds the same array at the same version (its
    in-place counter): a parameter read by a Linear op shares the copy taken when recording
    began, an op's output shares its copy with the op that reads it.  Backward arrays are kept
    as the engine made them, not copied: each node's backward returns fresh arrays (or views of
    them) that the engine never writes to afterwards (it copies a gradient into ``.grad`` before
    accumulating into it).
    """

    def __init__(self):
        self.tensors: dict = {}     # id(tensor) -> (tensor, array, version, copy)

    def tensor(self, t):
        key, a = id(t), t.array
        hit = self.tensors.get(key)
        version = getattr(t, "_version", None)
        if hit is not None and hit[0] is t and hit[1] is a and hit[2] == version:
            return hit[3]
        copy_ = a.copy() if type(a) is np.ndarray else snapshot(a)
        self.tensors[key] = (t, a, version, copy_)
        return copy_

    def new(self, t):
        """``tensor(t)`` for a tensor just made (an op's output): nothing to look up."""
        a = t.array
        copy_ = a.copy() if type(a) is np.ndarray else snapshot(a)
        self.tensors[id(t)] = (t, a, t._version, copy_)
        return copy_


class _Observer:
    """The engine observer: keeps a tape of what ran, and turns it into records later.

    During the step each event costs a copy of the values it saw (shared through ``Snapshots``)
    and one tuple on ``tape``; ``flush()`` turns the tape into ``OpRecord`` s, ``Leaf`` s and
    ``ModuleCall`` s exactly as if they had been made at the time (the tape keeps the tensors
    alive, so their ids stay unique).  The recording calls ``flush()`` when it is first read.
    """

    def __init__(self, rec: "Recording", params: dict, names: dict):
        self.rec = weakref.proxy(rec)       # weak: the recording holds the observer (its
                                            # _producer), so an unread one is freed at once
        self.snaps = Snapshots()
        self.params = params                # id(tensor) -> parameter name
        self.names = names                  # id(tensor) -> user-given leaf name
        self.tape: list = []                # events not yet made into records, in order
        self.count = 0                      # ops seen (made into records or still on the tape)
        self.by_tensor: dict = {}           # id(output tensor) -> op index
        self.by_fn: dict = {}               # id(Function) -> op index
        self.grads: dict = {}               # op index -> (grad_out, grad_inputs), first backward
        self.leaves: dict = {}              # id(leaf tensor) -> leaf index
        self.leaf_tensors: list = []        # the leaf tensors, by leaf index
        self.stack: list = []               # module paths, innermost last
        self.starts: list = []              # the op count when each of those modules began
        self.inputs: list = []              # the model's input tensors (first root call)
        self.roles: list = []               # the same, as the tape has reached them
        self.backward_started = False
        self.paths: dict = {}               # id(module) -> (path, module): the model's modules
        self.refs: dict = {}                # id(tensor) -> its Ref (kept tensors: ids stay unique)
        self.finish = None                  # finish(rec, observer): the last flush's work
        rec._producer = self

    # -- during the step: copies and a tape ------------------------------------------------
    def on_forward(self, fn, out) -> None:
        inputs = fn.inputs or ()            # (backward releases fn.inputs: keep the tuple)
        snaps = self.snaps
        values = [snaps.tensor(t) for t in inputs]
        idx = self.count
        self.count = idx + 1
        self.tape.append((fn, inputs, values, out, snaps.new(out), bool(out.requires_grad),
                          self.stack[-1] if self.stack else None, self.backward_started))
        self.by_tensor[id(out)] = idx
        self.by_fn[id(fn)] = idx

    def on_backward(self, fn, grad_out, grad_inputs) -> None:
        idx = self.by_fn.get(id(fn))
        if idx is None:
            return
        if not self.backward_started:
            self.backward_started, self.rec.loss_index = True, idx
        if idx in self.grads:                    # a second backward: keep the first
            return
        ndarray = np.ndarray                     # the engine's arrays are kept, numbers copied
        self.grads[idx] = (grad_out if grad_out is None or type(grad_out) is ndarray else snapshot(grad_out),
                           [g if g is None or type(g) is ndarray else snapshot(g) for g in grad_inputs])

    def module_pre(self, module, args) -> None:
        """The global pre-hook: a module of the recorded model (told by identity) begins."""
        hit = self.paths.get(id(module))
        if hit is not None and hit[1] is module:
            self.pre_hook(hit[0], module, args)

    def pre_hook(self, path, module, args) -> None:
        """A module at ``path`` begins (also called by glassnet.bridge's torch hooks)."""
        if path == "" and not self.inputs and not self.backward_started:
            self.inputs = [a for a in args if hasattr(a, "array")]
            self.rec.model_args = list(args)
            self.tape.append(self.inputs)   # from here on, these leaves are the model's input
        self.stack.append(path)
        self.starts.append(self.count)

    def module_post(self, module, args, output) -> None:
        """The global forward hook: a module of the recorded model returns."""
        hit = self.paths.get(id(module))
        if hit is not None and hit[1] is module:
            self.post_hook(hit[0], module, args, output)

    def post_hook(self, path, module, args, output) -> None:
        """A module at ``path`` returns (also called by glassnet.bridge's torch hooks)."""
        first = self.count
        if self.stack and self.stack[-1] == path:
            self.stack.pop()
            first = self.starts.pop()
        if self.backward_started:
            return
        fresh = None                        # copies of the tensors that may be new leaves
        for t in (output, *args):
            key = id(t)
            if key not in self.by_tensor and key not in self.params and hasattr(t, "array"):
                if fresh is None:
                    fresh = {}
                fresh[key] = self.snaps.tensor(t)
        self.tape.append((path, type(module).__name__, args, output, fresh or {}, first, self.count - 1))

    # -- after the step: the records -------------------------------------------------------
    def flush(self, rec) -> None:
        """Turn the tape into records (in order, as if made at the time); the last flush
        (``finish`` set) also completes the recording and lets it go."""
        if not self.tape and not self.grads and self.finish is None:
            return
        tape, self.tape = self.tape, []
        ops, calls, ref = rec._ops, rec._module_calls, self.ref
        for event in tape:
            if type(event) is list:                                     # the model's input
                self.roles = event
            elif type(event[0]) is str:                                 # a module call
                path, kind, args, output, fresh, first, last = event
                out_ref = ref(output, fresh.get(id(output))) if hasattr(output, "array") else None
                calls.append(ModuleCall(path, kind, [ref(a, fresh.get(id(a))) for a in args
                                                     if hasattr(a, "array")], out_ref, first, last))
                if path == "" and rec._output_ref is None:
                    rec._output_ref = out_ref
            else:                                                       # an op
                fn, inputs, values, out, value, requires_grad, module, after = event
                ops.append(OpRecord(
                    index=len(ops), op=type(fn).__name__, node=fn.name(), module=module,
                    inputs=[ref(t, v) for t, v in zip(inputs, values)], input_values=values,
                    output=value, requires_grad=requires_grad, attrs=op_attrs(fn),
                    phase="after" if after else "forward"))
        if self.grads:
            for idx, (grad_out, grad_inputs) in self.grads.items():
                if idx < len(ops) and ops[idx].grad_out is None:
                    ops[idx].grad_out, ops[idx].grad_inputs = grad_out, grad_inputs
            self.grads = {k: v for k, v in self.grads.items() if k >= len(ops)}
        if self.finish is not None:
            finish, self.finish = self.finish, None
            rec._producer = None
            finish(rec, self)

    def close(self, rec) -> None:
        """Flush what is left and let the recording go (a producer without ``finish``)."""
        self.flush(rec)
        rec._producer = None

    def ref(self, t, value=None) -> Ref:
        """The one ``Ref`` for tensor ``t``; ``value`` is its copy, should it be a new leaf."""
        key = id(t)
        hit = self.refs.get(key)
        if hit is None:
            idx = self.by_tensor.get(key)
            if idx is not None:
                hit = Ref("op", idx)
            elif key in self.params:
                hit = Ref("param", self.params[key])
            else:
                leaves = self.rec._leaves           # (the tape's copy, else one made now)
                role = "input" if any(t is i for i in self.roles) else "constant"
                name = self.names.get(key) or ("x" if role == "input" else f"c{len(leaves)}")
                self.leaves[key] = len(leaves)
                leaves.append(Leaf(len(leaves), name, self.snaps.tensor(t) if value is None else value,
                                   role))
                self.leaf_tensors.append(t)
                hit = Ref("leaf", self.leaves[key])
            self.refs[key] = hit
        return hit


_TORCH_TYPES: dict = {}     # type -> whether it comes from torch (asked once per type)


def _is_torch(obj) -> bool:
    """Whether ``obj`` is a torch module or optimizer (checked without importing torch)."""
    if obj is None:
        return False
    cls = type(obj)
    hit = _TORCH_TYPES.get(cls)
    if hit is None:
        hit = _TORCH_TYPES[cls] = any(c.__module__.split(".")[0] == "torch" for c in cls.__mro__)
    return hit


def _walk(model):
    """``list(model.named_modules())`` and ``list(model.named_parameters())`` in one iterative
    pass (the same names and order, without the nested generators' cost); a model with a module
    that overrides either method is asked directly."""
    def asked():
        return list(model.named_modules()), list(model.named_parameters())
    if type(model).named_parameters is not Module.named_parameters:
        return asked()
    modules, params, seen_modules, seen_params = [], [], set(), set()
    stack = [("", model)]
    while stack:
        prefix, m = stack.pop()
        if id(m) in seen_modules:                      # (named_modules' memo)
            continue
        seen_modules.add(id(m))
        d = vars(m)
        if type(m).named_modules is not Module.named_modules or "_parameters" not in d:
            return asked()
        modules.append((prefix, m))
        for name, p in d["_parameters"].items():
            if p is not None and id(p) not in seen_params:
                seen_params.add(id(p))
                params.append((f"{prefix}.{name}" if prefix else name, p))
        stack.extend(reversed([(f"{prefix}.{name}" if prefix else name, child)
                               for name, child in d["_modules"].items() if child is not None]))
    return modules, params


class record:
    """Record a forward pass, a backward pass and an optimizer step (a context manager).

    Parameters
    ----------
    model : glassnet.nn.Module or torch.nn.Module, optional
        A torch model (with a torch optimizer) is recorded through torch's own hooks by
        ``glassnet.bridge.record_torch``, into the same ``Recording``.  A glassnet model's
        ``named_modules()`` get forward hooks (removed on exit) so that every op is tagged
        with the module path that ran it, and its ``named_parameters()`` name the parameters.
    optimizer : glassnet.optim.Optimizer, optional
        Its ``step`` is wrapped while recording, to capture each parameter's value, gradient,
        optimizer state and new value.  Without it, parameters are compared at entry and exit.
    loss_fn : callable, optional
        ``loss_fn(output, target)`` (or ``loss_fn(output)`` when no target was seen), used to
        compute the loss after the step.  By default the recorded loss ops are replayed.
    names : dict, optional
        ``{name: tensor}`` for leaves and extra parameters (``{"x": x, "t": target}``).
    title : str, optional
        A heading for the renderers.

    Returns
    -------
    Recording
        Bound by ``with record(...) as step``; complete once the block has ended.
    """

    def __new__(cls, model=None, optimizer=None, **kwargs):
        if _is_torch(model) or _is_torch(optimizer):   # a real PyTorch step: glassnet.bridge
            from ..bridge.record_torch import TorchRecord
            return TorchRecord(model, optimizer, **kwargs)
        return super().__new__(cls)

    def __init__(self, model=None, optimizer=None, *, loss_fn=None, names=None, title=None):
        if model is not None and not hasattr(model, "named_modules"):
            raise TypeError(f"record: model must be a glassnet.nn.Module (or None), got "
                            f"{type(model).__name__}")
        if optimizer is not None and not hasattr(optimizer, "param_groups"):
            raise TypeError(f"record: optimizer must be a glassnet.optim.Optimizer (or None), got "
                            f"{type(optimizer).__name__}")
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        names = dict(names or {})
        self.params = {}                            # id(tensor) -> (name, tensor)
        param_names = {}                            # id(tensor) -> name (the observer's)
        self._modules, named = _walk(model) if model is not None else ([], [])
        for name, p in named:
            self.params[id(p)] = (name, p)
            param_names[id(p)] = name
        self._extra_params = False                  # names= adds parameters the model lacks
        for name, t in names.items():
            if getattr(t, "requires_grad", False) and getattr(t, "is_leaf", False) \
                    and id(t) not in self.params:
                self.params[id(t)] = (name, t)
                param_names[id(t)] = name
                self._extra_params = True
        self.recording = Recording(title=title or "")
        self.observer = _Observer(self.recording, param_names, {id(t): n for n, t in names.items()})
        self._handles, self._observe, self._before = [], None, {}

    # -- entering and leaving -------------------------------------------------------------
    def __enter__(self) -> "Recording":
        ob = self.observer
        if self.model is not None:
            # one global pre/post hook pair (not one per module), told the model's modules apart
            # by identity: installing and removing costs the same for any depth of model
            ob.paths = {id(m): (path, m) for path, m in self._modules}
            self._handles.append(register_module_forward_pre_hook(ob.module_pre))
            self._handles.append(register_module_forward_hook(ob.module_post))
            self.recording.model_type = type(self.model).__name__
        snaps = self.observer.snaps
        self._before = {name: (snaps.tensor(p),) for name, p in self.params.values()}
        first = next(iter(self.params.values()), None)
        self._dtype = None if first is None else first[1].dtype.name
        if self.optimizer is not None:
            self._wrap_step()
        self._observe = observe(ob)
        self._observe.__enter__()
        return self.recording

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            self._observe.__exit__(exc_type, exc, tb)
        finally:
            for h in self._handles:
                h.remove()
            self._handles.clear()
            if self.optimizer is not None:
                self._unwrap_step()
        ob = self.observer
        ob.paths = {}
        if exc_type is None:
            self._finish()
        else:                               # keep what ran, as records, and let the rest go
            ob.close(self.recording)
        return False

    # -- the optimizer step ----------------------------------------------------------------
    def _wrap_step(self) -> None:
        opt, original = self.optimizer, self.optimizer.step
        self._had_step = "step" in vars(opt)
        self._original_step = vars(opt).get("step")
        rec = self.recording

        def step(*args, **kwargs):
            before = self._param_state(after=False)
            result = original(*args, **kwargs)
            if rec.step_before is None:
                rec.step_before, rec.step_after = before, self._param_state(after=True)
                rec.optimizer_type = type(opt).__name__
                rec.hyper = {k: v for k, v in opt.param_groups[0].items() if k != "params"}
            return result

        opt.step = step

    def _unwrap_step(self) -> None:
        if self._had_step:
            self.optimizer.step = self._original_step
        else:
            del self.optimizer.step

    def _param_state(self, after: bool) -> dict:
        """{name: (value, grad, optimizer state)} copied now: before the step the value and the
        gradient it uses, after it the value and the optimizer's state (the update's terms)."""
        out = {}
        if not after:
            snap = self.observer.snaps.tensor
            for name, p in self.params.values():
                out[name] = (snap(p), None if p.grad is None else snapshot(p.grad.array), {})
            return out
        state = getattr(self.optimizer, "state", {})
        if not hasattr(state, "get"):
            state = {}
        for name, p in self.params.values():
            st = {}
            for k, v in state.get(p, _EMPTY).items():
                st[k] = snapshot(v.array) if hasattr(v, "array") else copy.deepcopy(v)
            out[name] = (snapshot(p.array), None, st)
        return out

    # -- after the block -----------------------------------------------------------------
    def _finish(self) -> None:
        """What must be read now (values that may change after the block); the records are
        built from the tape when the recording is first read (``_complete``)."""
        rec, ob = self.recording, self.observer
        rec.dtype = self._dtype
        stepped = rec.step_before or {}
        now = {name: (snapshot(p.array), None if p.grad is None else snapshot(p.grad.array))
               for name, p in self.params.values() if name not in stepped}
        args = None
        if rec.model_args is not None:
            args = [ob.snaps.tensor(a) if hasattr(a, "array") else a for a in rec.model_args]
        replay = not self._extra_params
        ob.finish = partial(_complete, params=self.params, before=self._before, now=now, args=args,
                            model=self.model, loss_fn=self.loss_fn, replay=replay)
        if self.model is not None and args is not None and not replay:
            rec.complete()      # the effect re-runs the model as it is now (it holds extra params)


def _complete(rec, ob, *, params, before, now, args, model, loss_fn, replay) -> None:
    """The recorder's last flush: parameters and effect (``replay``: the model holds every
    parameter, so the loss after the step is computed later, on a copy), naming on first read."""
    if rec.dtype is None and rec._ops:
        rec.dtype = "exact" if rec._ops[0].output.dtype == object else str(rec._ops[0].output.dtype)
    rec.params = param_records(rec, params, before, now)
    if model is not None and args is not None:
        if replay:
            rec.defer_effect(deferred_effect(rec, model, loss_fn, ob.leaves, args))
        else:
            with no_grad():
                rec.effect = compute_effect(rec, model, loss_fn, rec.model_args,
                                            dict(enumerate(ob.leaf_tensors)))
    elif rec.loss_index is not None:
        rec.effect = Effect(loss_before=rec._ops[rec.loss_index].output[()])
    rec.model_args = None
    rec.finalize_later()
