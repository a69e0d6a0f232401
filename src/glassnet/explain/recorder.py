"""Record one training step: every op of the forward, every node of the backward, every update.

``record`` subscribes to the engine's observer hook (``glassnet.autograd.observe``) and, when
given a model, installs forward pre/post hooks on ``model.named_modules()`` to learn which
module produced each op.  Both are removed when the ``with`` block ends, so nothing is
recorded and nothing costs outside it.  The optimizer step is captured by wrapping
``optimizer.step`` for the duration of the block (or, without an optimizer, by snapshotting the
parameters at entry and at exit).

>>> with glassnet.explain.record(model, optimizer) as step:       # doctest: +SKIP
...     loss = F.mse_loss(model(x), target)
...     optimizer.zero_grad(); loss.backward(); optimizer.step()
>>> print(step.derivation("layer1.weight[2, 0]"))                 # doctest: +SKIP
"""
from __future__ import annotations

import copy
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
        hit = self.tensors.get(id(t))
        version = getattr(t, "_version", None)
        if hit is not None and hit[0] is t and hit[1] is t.array and hit[2] == version:
            return hit[3]
        copy_ = snapshot(t.array)
        self.tensors[id(t)] = (t, t.array, version, copy_)
        return copy_

    def array(self, a):
        if a is None or isinstance(a, np.ndarray):
            return a
        return snapshot(a)          # a bare number (an exact Fraction): as a 0-d array

    def clear(self) -> None:
        self.tensors.clear()


class _Observer:
    """The engine observer: turns ``on_forward``/``on_backward`` calls into ``OpRecord`` s."""

    def __init__(self, rec: "Recording", params: dict, names: dict):
        self.rec = rec
        self.snaps = Snapshots()
        self.params = params                # id(tensor) -> parameter name
        self.names = names                  # id(tensor) -> user-given leaf name
        self.by_tensor: dict = {}           # id(output tensor) -> op index
        self.by_fn: dict = {}               # id(Function) -> op index
        self.leaves: dict = {}              # id(leaf tensor) -> leaf index
        self.keep: list = []                # strong references: ids stay unique while recording
        self.leaf_tensors: list = []        # the leaf tensors, by leaf index
        self.stack: list = []               # module paths, innermost last
        self.starts: list = []              # the op count when each of those modules began
        self.inputs: list = []              # the model's input tensors (first root call)
        self.backward_started = False
        self.paths: dict = {}               # id(module) -> (path, module): the model's modules
        self.refs: dict = {}                # id(tensor) -> its Ref (kept tensors: ids stay unique)

    def ref(self, t) -> Ref:
        key = id(t)
        hit = self.refs.get(key)
        if hit is None:
            hit = self.refs[key] = self._ref(t, key)
        return hit

    def _ref(self, t, key) -> Ref:
        """The one ``Ref`` for tensor ``t`` (made once per tensor: Refs are never changed)."""
        idx = self.by_tensor.get(key)
        if idx is not None:
            return Ref("op", idx)
        if key in self.params:
            return Ref("param", self.params[key])
        if key not in self.leaves:
            leaves = self.rec._leaves
            role = "input" if any(t is i for i in self.inputs) else "constant"
            name = self.names.get(key) or ("x" if role == "input" else f"c{len(leaves)}")
            self.leaves[key] = len(leaves)
            leaves.append(Leaf(len(leaves), name, self.snaps.tensor(t), role))
            self.leaf_tensors.append(t)
        return Ref("leaf", self.leaves[key])

    def on_forward(self, fn, out) -> None:
        inputs = fn.inputs or ()
        ops = self.rec._ops
        idx = len(ops)
        ref, snap = self.ref, self.snaps.tensor
        ops.append(OpRecord(
            index=idx, op=type(fn).__name__, node=fn.name(),
            module=self.stack[-1] if self.stack else None,
            inputs=[ref(t) for t in inputs], input_values=[snap(t) for t in inputs],
            output=snap(out), requires_grad=bool(out.requires_grad), attrs=op_attrs(fn),
            phase="after" if self.backward_started else "forward"))
        self.by_tensor[id(out)] = idx
        self.by_fn[id(fn)] = idx
        self.keep.append((fn, out))

    def on_backward(self, fn, grad_out, grad_inputs) -> None:
        idx = self.by_fn.get(id(fn))
        if idx is None:
            return
        op = self.rec._ops[idx]
        if not self.backward_started:
            self.backward_started = True
            self.rec.loss_index = idx
        if op.grad_out is not None:          # a second backward: keep the first
            return
        op.grad_out = self.snaps.array(grad_out)
        op.grad_inputs = [self.snaps.array(g) for g in grad_inputs]

    # -- module hooks ------------------------------------------------------------------
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
        self.stack.append(path)
        self.starts.append(len(self.rec._ops))

    def module_post(self, module, args, output) -> None:
        """The global forward hook: a module of the recorded model returns."""
        hit = self.paths.get(id(module))
        if hit is not None and hit[1] is module:
            self.post_hook(hit[0], module, args, output)

    def post_hook(self, path, module, args, output) -> None:
        """A module at ``path`` returns (also called by glassnet.bridge's torch hooks)."""
        first = len(self.rec._ops)
        if self.stack and self.stack[-1] == path:
            self.stack.pop()
            first = self.starts.pop()
        if self.backward_started:
            return
        out_ref = self.ref(output) if hasattr(output, "array") else None
        call = ModuleCall(path, type(module).__name__,
                          [self.ref(a) for a in args if hasattr(a, "array")], out_ref,
                          first, len(self.rec._ops) - 1)
        self.rec.module_calls.append(call)
        if path == "" and self.rec.output_ref is None:
            self.rec.output_ref = out_ref


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


def _named_parameters(model, modules: list):
    """``model.named_parameters()`` from its ``named_modules()`` list, already walked (the same
    names and order, without walking the module tree a second time)."""
    if type(model).named_parameters is not Module.named_parameters \
            or any("_parameters" not in vars(m) for _, m in modules):
        return list(model.named_parameters())
    seen, out = set(), []
    for prefix, m in modules:
        for name, p in vars(m)["_parameters"].items():
            if p is None or id(p) in seen:
                continue
            seen.add(id(p))
            out.append((f"{prefix}.{name}" if prefix else name, p))
    return out


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
        self.params = {}
        self._modules = list(model.named_modules()) if model is not None else []
        if model is not None:
            for name, p in _named_parameters(model, self._modules):
                self.params[id(p)] = (name, p)
        self._model_params = set(self.params)       # ids of the model's own parameters
        for name, t in list(names.items()):
            if getattr(t, "requires_grad", False) and getattr(t, "is_leaf", False) \
                    and id(t) not in self.params:
                self.params[id(t)] = (name, t)
        self.recording = Recording(title=title or "")
        self.observer = _Observer(self.recording, {k: v[0] for k, v in self.params.items()},
                                  {id(t): n for n, t in names.items()})
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
        if exc_type is None:
            self._finish()
        self.observer.keep.clear()
        self.observer.leaf_tensors.clear()
        self.observer.inputs = []
        self.observer.by_tensor.clear()
        self.observer.by_fn.clear()
        self.observer.snaps.clear()
        self.observer.paths = {}
        self.observer.refs.clear()
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
            st = {k: snapshot(v.array) if hasattr(v, "array") else copy.deepcopy(v)
                  for k, v in state.get(p, {}).items()}
            out[name] = (snapshot(p.array), None, st)
        return out

    # -- after the block -----------------------------------------------------------------
    def _finish(self) -> None:
        rec = self.recording
        rec.dtype = self._dtype
        if rec.dtype is None and rec.ops:
            rec.dtype = "exact" if rec.ops[0].output.dtype == object else str(rec.ops[0].output.dtype)
        rec.params = param_records(rec, self.params, self._before)
        if self.model is not None and rec.model_args is not None:
            own = self._model_params
            if all(key in own for key in self.params):     # the model holds every parameter:
                rec.defer_effect(deferred_effect(rec, self.model, self.loss_fn, self.observer))
            else:                                           # else re-run it now, as it is
                with no_grad():
                    rec.effect = compute_effect(rec, self.model, self.loss_fn, rec.model_args,
                                                dict(enumerate(self.observer.leaf_tensors)))
        elif rec.loss_index is not None:
            rec.effect = Effect(loss_before=rec.ops[rec.loss_index].output[()])
        rec.model_args = None
        rec.finalize_later()
