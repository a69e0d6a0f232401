"""Record one training step: every op of the forward, every node of the backward, every update.

``record`` subscribes a ``Tape`` (``tape.py``) to the engine's observer hook
(``glassnet.autograd.observe``) and, when given a model, installs one global module pre/post
hook pair that tells the model's modules apart by identity, to learn which module produced each
op.  Both are removed when the ``with`` block ends, so nothing is recorded and nothing costs
outside it.  The optimizer step is captured by wrapping
``optimizer.step`` for the duration of the block (or, without an optimizer, by snapshotting the
parameters at entry and at exit).

During the block the recorder only copies values and keeps the tape of what ran; the records
(ops, leaves, module calls, parameters) are built from it when the recording is first read, so
that recording adds little to the step itself (``benchmarks/bench_explain.py`` measures it).

>>> with glassnet.explain.record(model, optimizer) as step:       # doctest: +SKIP
...     loss = F.mse_loss(model(x), target)
...     optimizer.zero_grad(); loss.backward(); optimizer.step()
>>> print(step.derivation("layer1.weight[2, 0]"))                 # doctest: +SKIP
"""
from __future__ import annotations

import copy
import weakref
from functools import partial

from ..autograd import no_grad, observe
from ..nn.module import Module
from ..nn.registry import STRUCTURE
from ..nn.hooks import register_module_forward_hook, register_module_forward_pre_hook
from .effect import compute_effect, deferred_effect, param_records
from .recording import Recording
from .records import Effect, snapshot
from .tape import Tape

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


_WALKS: dict = {}    # id(model) -> (weakref to it, STRUCTURE when walked, its walk, weakly)


def _walk_cached(model):
    """``_walk(model)``, reused while no module anywhere has changed its registries (the
    ``nn.registry.STRUCTURE`` counter), so that recording step after step walks the model once.
    Everything is kept through weak references (and by identity, whatever ``__eq__`` says):
    the cache never keeps a model alive."""
    key = id(model)
    hit = _WALKS.get(key)
    if hit is not None and hit[0]() is model and hit[1] == STRUCTURE[0]:
        return [(path, ref()) for path, ref in hit[2]], [(name, ref()) for name, ref in hit[3]]
    version = STRUCTURE[0]
    modules, params, plain = _walk(model)
    if plain:                                       # (an override may answer differently)
        try:
            _WALKS[key] = (weakref.ref(model, lambda _, key=key: _WALKS.pop(key, None)), version,
                           [(path, weakref.ref(m)) for path, m in modules],
                           [(name, weakref.ref(p)) for name, p in params])
        except TypeError:                           # something not weakly referable: no cache
            pass
    return modules, params


def _walk(model):
    """``list(model.named_modules())`` and ``list(model.named_parameters())`` in one iterative
    pass (the same names and order, without the nested generators' cost), and whether it was
    that pass (False: a module overrides either method, and the model was asked directly)."""
    def asked():
        return list(model.named_modules()), list(model.named_parameters()), False
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
    return modules, params, True


class record:
    """Record a forward pass, a backward pass and an optimizer step (a context manager).

    Parameters
    ----------
    model : glassnet.nn.Module or torch.nn.Module, optional
        A torch model (with a torch optimizer) is watched through torch's own hooks
        (``glassnet.observe``) and replayed by ``torch_record`` into the same ``Recording``.  A
        glassnet model's ``named_modules()`` get forward hooks (removed on exit) so that every op
        is tagged with the module path that ran it, and its ``named_parameters()`` name the
        parameters.
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
        if _is_torch(model) or _is_torch(optimizer):   # a real PyTorch step: torch_record.py
            from .torch_record import TorchRecord     # (glassnet.observe loads for torch steps only)
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
        self._modules, named = _walk_cached(model) if model is not None else ([], [])
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
        self.observer = Tape(self.recording, param_names, {id(t): n for n, t in names.items()})
        self._handles, self._observe, self._before = [], None, {}

    # -- entering and leaving -------------------------------------------------------------
    def __enter__(self) -> "Recording":
        if self._handles or self._observe is not None:
            raise RuntimeError("explain.record: this record(...) was already used; make a new "
                               "record(model, optimizer) for each step you want to record")
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
        else:                               # keep what ran, as records, and let the rest go
            self.observer.close(self.recording)
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
        """What must be read now (values that may change after the block); the records are
        built from the tape when the recording is first read (``_complete``)."""
        rec, ob = self.recording, self.observer
        rec.dtype = self._dtype
        if rec.dtype is None:                   # no parameters: the first op's values tell
            value = ob.first_output()
            if value is not None:
                rec.dtype = "exact" if value.dtype == object else str(value.dtype)
        stepped = rec.step_before or {}
        now = {name: (snapshot(p.array), None if p.grad is None else snapshot(p.grad.array))
               for name, p in self.params.values() if name not in stepped}
        args = None
        if rec.model_args is not None:          # (id, copy) of a tensor, (None, it) of the rest
            args = [(id(a), ob.snaps.tensor(a)) if hasattr(a, "array") else (None, a)
                    for a in rec.model_args]
            rec.model_args = None
        replay = not self._extra_params
        model = self.model if args is not None else None    # (held only to replay the effect)
        ob.finish = partial(_complete, names=[name for name, _ in self.params.values()],
                            before=self._before, now=now, args=args, model=model,
                            loss_fn=self.loss_fn if model is not None else None, replay=replay)
        try:
            if model is not None and not replay:
                rec.complete()  # the effect re-runs the model as it is now (it holds extra params)
        finally:
            ob.seal()


def _complete(rec, tape, *, names, before, now, args, model, loss_fn, replay) -> None:
    """The recorder's last flush: parameters, effect (``replay``: the model holds every
    parameter, so the loss after the step is computed later, on a copy), then the naming."""
    rec.params = param_records(rec, names, before, now)
    if model is not None:
        if replay:
            rec.defer_effect(deferred_effect(rec, model, loss_fn, tape.leaves, args))
        else:                                   # now, at the block's end: the live tensors
            live = tape.live()
            with no_grad():
                rec.effect = compute_effect(
                    rec, model, loss_fn, [a if key is None else live[key] for key, a in args],
                    {index: live[key] for key, index in tape.leaves.items()})
    elif rec.loss_index is not None:
        rec.effect = Effect(loss_before=rec._ops[rec.loss_index].output[()])
    rec.finalize()
