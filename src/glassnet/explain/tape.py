"""The engine observer behind ``explain.record``: a tape during the step, records after it.

``Tape`` subscribes to the engine's observer hook (``glassnet.autograd.observe``) and to the
global module hooks.  During the step each event costs copies of the values it saw (shared
through ``Snapshots``: a tensor is copied once per version) and one entry on the tape;
``flush(rec)`` turns the tape into ``OpRecord`` s, ``Leaf`` s and ``ModuleCall`` s exactly as
if they had been made at the time.  ``glassnet.bridge.record_torch`` drives the same class
through ``pre_hook``/``post_hook`` when it replays a torch step.
"""
from __future__ import annotations

import threading
import weakref

import numpy as np

from .recording import Leaf, ModuleCall, OpRecord, Ref, snapshot

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


class Tape:
    """The engine observer: keeps a tape of what ran, and turns it into records later.

    During the step each event costs a copy of the values it saw (shared through ``Snapshots``)
    and one tuple on ``tape``; ``flush()`` turns the tape into ``OpRecord`` s, ``Leaf`` s and
    ``ModuleCall`` s exactly as if they had been made at the time (the tape keeps the tensors
    alive, so their ids stay unique).  The recording calls ``flush()`` when it is first read.
    """

    def __init__(self, rec, params: dict, names: dict):
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
        self.lock = threading.RLock()       # two threads reading the recording flush once
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
        with self.lock:                     # (two threads reading the recording: one flush)
            tape, self.tape = self.tape, []
            if tape:
                self._build(rec, tape)
            if self.grads:
                ops = rec._ops
                for idx, (grad_out, grad_inputs) in self.grads.items():
                    if idx < len(ops) and ops[idx].grad_out is None:
                        ops[idx].grad_out, ops[idx].grad_inputs = grad_out, grad_inputs
                self.grads = {k: v for k, v in self.grads.items() if k >= len(ops)}
            if self.finish is not None:
                finish, self.finish = self.finish, None
                rec._producer = None
                finish(rec, self)

    def _build(self, rec, tape: list) -> None:
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
