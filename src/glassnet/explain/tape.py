"""The engine observer behind ``explain.record``: a tape during the step, records after it.

``Tape`` subscribes to the engine's observer hook (``glassnet.autograd.observe``) and to the
global module hooks.  During the step each event costs copies of the values it saw (shared
through ``Snapshots``: a tensor is copied once per version) and one entry on the tape;
``flush(rec)`` turns the tape into ``OpRecord`` s, ``Leaf`` s and ``ModuleCall`` s exactly as
if they had been made at the time.  ``torch_record`` drives the same class through
``pre_hook``/``post_hook`` when it replays a torch step.
"""
from __future__ import annotations

import threading
import weakref

import numpy as np

from ..autograd.function import Function
from .records import Leaf, ModuleCall, OpRecord, Ref, snapshot

#: Op attributes worth keeping (reduction axes, loss options, ...), read with ``getattr``; a
#: ``Where``'s condition (what ``masked_fill`` masked) and a fused attention node's weights, mask
#: and scale (``attention.py``) are kept as the node holds them (the engine never writes to them).
_ATTRS = ("dim", "keepdim", "n", "reduction", "weight", "pos_weight", "ignore_index",
          "label_smoothing", "lo", "hi", "slope", "key", "dims", "approximate",
          "stride", "dilation", "pads", "groups", "window", "indices", "cond", "probs", "mask", "scale")


_CLASS_INFO: dict = {}      # Function class -> (node name or None, attribute names, has __dict__)
_MISSING = object()


def _class_info(fn):
    """Per op class, looked up once: its node name when every instance has the same one (else
    None: ask the instance), the names of ``_ATTRS`` the class defines, and whether instances
    have a ``__dict__`` (then they may carry others of ``_ATTRS`` too)."""
    cls = type(fn)
    info = _CLASS_INFO.get(cls)
    if info is None:
        node = f"{cls.__name__}Backward0" if getattr(cls, "name", None) is Function.name else None
        names = frozenset(a for a in _ATTRS
                          if any(a in vars(k) or a in getattr(k, "__slots__", ()) for k in cls.__mro__))
        info = _CLASS_INFO[cls] = (node, names, hasattr(fn, "__dict__"))
    return info


def op_attrs(fn, info=None) -> dict:
    """The op's attributes among ``_ATTRS`` that are set, in ``_ATTRS`` order."""
    _, names, has_dict = info or _class_info(fn)
    own = fn.__dict__ if has_dict else ()
    out = {}
    for a in _ATTRS:
        if a in own or a in names:
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

    __slots__ = ("tensors",)

    def __init__(self):
        self.tensors: dict = {}     # id(tensor) -> (tensor, array, version, copy)

    def tensor(self, t):
        key, a = id(t), t.array
        hit = self.tensors.get(key)
        version = getattr(t, "_version", None)
        if hit is not None and hit[0] is t and hit[1] is a and hit[2] == version:
            return hit[3]
        copy_ = snapshot(a)
        self.tensors[key] = (t, a, version, copy_)
        return copy_

    def new(self, t):
        """``tensor(t)`` for a tensor just made (an op's output): nothing to look up."""
        a = t.array
        copy_ = snapshot(a)
        self.tensors[id(t)] = (t, a, t._version, copy_)
        return copy_


def _kept(a):
    """What backward sent, as recorded: the engine's arrays as they are (see ``Snapshots``), a
    bare number (an exact Fraction) as a 0-d array."""
    return a if a is None or isinstance(a, np.ndarray) else snapshot(a)


_OP, _CALL, _INPUT = 0, 1, 2     # the kinds of event on a tape
_NOTHING: dict = {}              # no copies (shared, never written)


class Tape:
    """The engine observer: keeps a tape of what ran, and turns it into records later.

    Each event on ``tape`` holds what the eager records would have read at that moment: the
    op's name, node name and attributes, the ids of the tensors it touched and copies of their
    values (shared through ``Snapshots``).  While the block runs, ``keep`` holds the tensors and
    nodes themselves, so that their ids stay unique; ``seal()`` lets them go when the block ends,
    and an unread recording then holds only its copies.  ``flush(rec)`` turns the events not yet
    built into records, in order, under a lock (another thread may read the recording at any
    time, even while the step runs); the last flush (``finish`` set) completes the recording.
    """

    __slots__ = ("rec", "snaps", "params", "names", "tape", "built", "keep", "count", "by_tensor",
                 "by_fn", "grads", "applied", "leaves", "stack", "starts", "inputs", "roles",
                 "backward_started", "paths", "refs", "finish", "lock")

    def __init__(self, rec, params: dict, names: dict):
        self.rec = weakref.proxy(rec)       # weak: the recording holds the tape (its
                                            # _producer), so an unread one is freed at once
        self.snaps = Snapshots()
        self.params = params                # id(tensor) -> parameter name
        self.names = names                  # id(tensor) -> user-given leaf name
        self.tape: list = []                # the events, in order
        self.built = 0                      # how many of them are records already
        self.keep: list = []                # the block's tensors and nodes (ids stay unique)
        self.count = 0                      # ops seen (built or still on the tape)
        self.by_tensor: dict = {}           # id(output tensor) -> op index
        self.by_fn: dict = {}               # id(Function) -> op index
        self.grads: dict = {}               # op index -> (grad_out, grad_inputs), first backward
        self.applied = 0                    # how many of those are on their records
        self.leaves: dict = {}              # id(leaf tensor) -> leaf index
        self.stack: list = []               # module paths, innermost last
        self.starts: list = []              # the op count when each of those modules began
        self.inputs: list = []              # the model's input tensors (first root call)
        self.roles: frozenset = frozenset() # their ids, as the tape has reached them
        self.backward_started = False
        self.paths: dict = {}               # id(module) -> (path, module): the model's modules
        self.refs: dict = {}                # id(tensor) -> its Ref (one per tensor)
        self.finish = None                  # finish(rec, tape): the last flush's work
        self.lock = threading.RLock()
        rec._producer = self

    # -- during the step: copies and a tape ------------------------------------------------
    def on_forward(self, fn, out) -> None:
        inputs = fn.inputs or ()            # (backward releases fn.inputs: keep the tuple)
        snaps = self.snaps
        values = [snaps.tensor(t) for t in inputs]
        info = _class_info(fn)
        idx = self.count
        self.count = idx + 1
        self.tape.append((_OP, type(fn).__name__, fn.name() if info[0] is None else info[0],
                          op_attrs(fn, info), [*map(id, inputs)], values, snaps.new(out),
                          bool(out._requires_grad), self.stack[-1] if self.stack else None,
                          self.backward_started))
        self.keep.append((fn, inputs, out))
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
        self.grads[idx] = (_kept(grad_out), [_kept(g) for g in grad_inputs])

    def module_pre(self, module, args) -> None:
        """The global pre-hook: a module of the recorded model (told by identity) begins."""
        hit = self.paths.get(id(module))
        if hit is not None and hit[1] is module:
            self.pre_hook(hit[0], module, args)

    def pre_hook(self, path, module, args) -> None:
        """A module at ``path`` begins (also called by the replay of a torch step, torch_record.py)."""
        if path == "" and not self.inputs and not self.backward_started:
            self.inputs = [a for a in args if hasattr(a, "array")]
            self.rec.model_args = list(args)
            self.tape.append((_INPUT, frozenset(map(id, self.inputs))))   # the model's input
        self.stack.append(path)
        self.starts.append(self.count)

    def module_post(self, module, args, output) -> None:
        """The global forward hook: a module of the recorded model returns."""
        hit = self.paths.get(id(module))
        if hit is not None and hit[1] is module:
            self.post_hook(hit[0], module, args, output)

    def post_hook(self, path, module, args, output) -> None:
        """A module at ``path`` returns (also called by the replay of a torch step, torch_record.py)."""
        first = self.count
        if self.stack and self.stack[-1] == path:
            self.stack.pop()
            first = self.starts.pop()
        if self.backward_started:
            return
        by_tensor = self.by_tensor
        if len(args) == 1 and id(args[0]) in by_tensor and id(output) in by_tensor:
            # the usual layer: op outputs in and out, already on the tape and kept
            self.tape.append((_CALL, path, type(module).__name__, (id(args[0]),), id(output),
                              _NOTHING, first, self.count - 1))
            return
        tensors = [a for a in args if hasattr(a, "array")]
        out = output if hasattr(output, "array") else None
        fresh = None                        # copies of the tensors that may be new leaves
        for t in (out, *tensors) if out is not None else tensors:
            key = id(t)
            if key not in self.by_tensor and key not in self.params:
                if fresh is None:
                    fresh = {}
                fresh[key] = self.snaps.tensor(t)
        self.tape.append((_CALL, path, type(module).__name__, [id(t) for t in tensors],
                          None if out is None else id(out), fresh or _NOTHING, first, self.count - 1))
        self.keep.append((tensors, out))

    def live(self) -> dict:
        """``{id: tensor}`` of the block's tensors (until ``seal``)."""
        out = {}
        for entry in self.keep:
            for part in entry:
                if isinstance(part, (tuple, list)):
                    out.update((id(t), t) for t in part)
                elif hasattr(part, "array"):
                    out[id(part)] = part
        return out

    def seal(self) -> None:
        """The block has ended: no new tensor will be recorded, so ids need no keeping alive."""
        self.keep = []
        self.snaps = None
        self.paths = {}
        self.inputs = []

    # -- after the step (or when read during it): the records -------------------------------
    def flush(self, rec) -> None:
        """Build the records of the events not yet built (in order, as if made at the time);
        the last flush (``finish`` set) also completes the recording and lets it go."""
        with self.lock:                     # (two threads reading the recording: one build)
            n = len(self.tape)
            if n > self.built:
                self._build(rec, self.tape[self.built:n])
                self.built = n
            if len(self.grads) > self.applied:
                self._apply_grads(rec._ops)
            if self.finish is not None and self.built == len(self.tape):
                finish, self.finish = self.finish, None
                try:
                    finish(rec, self)       # (reads of the recording in there come back here)
                finally:                    # (done, or failed: either way, not again)
                    self.tape, self.built = [], 0
                    rec._producer = None    # only now: other readers wait on the lock till here

    def _build(self, rec, events: list) -> None:
        ops, calls, ref = rec._ops, rec._module_calls, self.ref
        for event in events:
            if event[0] == _OP:
                _, name, node, attrs, inputs, values, value, requires_grad, module, after = event
                ops.append(OpRecord(
                    index=len(ops), op=name, node=node, module=module,
                    inputs=[ref(key, v) for key, v in zip(inputs, values)], input_values=values,
                    output=value, requires_grad=requires_grad, attrs=attrs,
                    phase="after" if after else "forward"))
            elif event[0] == _CALL:
                _, path, kind, args, out, fresh, first, last = event
                out_ref = None if out is None else ref(out, fresh.get(out))
                calls.append(ModuleCall(path, kind, [ref(key, fresh.get(key)) for key in args],
                                        out_ref, first, last))
                if path == "" and rec._output_ref is None:
                    rec._output_ref = out_ref
            else:
                self.roles = event[1]

    def _apply_grads(self, ops: list) -> None:
        """What backward sent, onto the records built so far (in the order it came)."""
        pending = list(self.grads.items())[self.applied:]
        for idx, (grad_out, grad_inputs) in pending:
            if idx >= len(ops):             # its op is not built yet (read from another thread)
                break
            if ops[idx].grad_out is None:
                ops[idx].grad_out, ops[idx].grad_inputs = grad_out, grad_inputs
            self.applied += 1

    def close(self, rec) -> None:
        """Build what is left and let the recording go (a producer without ``finish``)."""
        self.seal()
        self.flush(rec)
        rec._producer = None

    def abandon(self, rec) -> None:
        """Let the recording go without building more (its producer failed)."""
        self.seal()
        rec._producer = None

    def first_output(self):
        """The first op's output copy (None when no op ran)."""
        return next((event[6] for event in self.tape if event[0] == _OP), None)

    def ref(self, key: int, value) -> Ref:
        """The one ``Ref`` for the tensor with id ``key``; ``value`` is its copy, should it be
        a new leaf."""
        hit = self.refs.get(key)
        if hit is None:
            idx = self.by_tensor.get(key)
            if idx is not None:
                hit = Ref("op", idx)
            elif key in self.params:
                hit = Ref("param", self.params[key])
            else:
                leaves = self.rec._leaves
                role = "input" if key in self.roles else "constant"
                name = self.names.get(key) or ("x" if role == "input" else f"c{len(leaves)}")
                self.leaves[key] = len(leaves)
                leaves.append(Leaf(len(leaves), name, value, role))
                hit = Ref("leaf", self.leaves[key])
            self.refs[key] = hit
        return hit
