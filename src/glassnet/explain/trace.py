"""A whole training run, summarised every ``every`` steps: the curves that show a run going wrong.

>>> with glassnet.explain.trace(model, optimizer, every=10) as run:      # doctest: +SKIP
...     for x, y in loader:
...         loss = F.cross_entropy(model(x), y)
...         optimizer.zero_grad(); loss.backward(); optimizer.step()
>>> run.figure()              # loss, gradient norms, update/weight ratios, dead and saturated units
>>> run.to_json()             # the same numbers (schema "glassnet.explain.trace/1")

Every ``every``-th call of ``optimizer.step`` (the first included) is a *sampled* step.  For it
the trace keeps, per parameter, the gradient norm ‖g‖, the weight norm ‖w‖ before the step, the
update norm ‖Δw‖ = ‖w_after − w_before‖ and the update-to-weight ratio ‖Δw‖/‖w‖ (≈ 1e-3 is the
usual healthy order of magnitude); per activation (named by the module it ran in, numbered
when one module runs several), the fraction of dead ReLU units (output 0 for every sample of
the batch) and of saturated sigmoid/tanh entries (local slope below 0.01), from the forward
pass that backward started from; and the loss (the output of the op that backward started
from).  Norms are Euclidean over all
entries, computed in float64.

Between sampled steps nothing is installed but the wrapper around ``optimizer.step``, so a run
of thousands of steps costs little more than without the trace; the engine's observer and the
module hooks are attached only for the forward, backward and step of a sampled step (from the
step before it, which is when the trace knows the next one is sampled).
"""
from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import numpy as np

from ..autograd import observe

SCHEMA_ID = "glassnet.explain.trace/1"
SATURATION = 0.01
ACTIVATIONS = {"Relu": "relu", "LeakyRelu": "leaky_relu", "Sigmoid": "sigmoid", "Tanh": "tanh"}


def norm(array) -> float:
    """The Euclidean norm of all entries, in float64."""
    a = np.asarray(array, dtype=np.float64).ravel()
    return float(np.sqrt(np.dot(a, a)))


class _Sampler:
    """Observer and module hooks for one sampled step: the loss and the activations' health."""

    def __init__(self, run):
        self.run = run
        self.stack: list = []
        self.last = None                       # (fn, output) of the newest forward op
        self.loss = None
        self.activations: dict = {}            # label -> (dead fraction, saturated fraction)
        self.counts: dict = {}                 # label -> occurrences in this forward pass

    # module hooks: where each op ran
    def pre_hook(self, path, module, args) -> None:
        if path == "" and self.loss is None:   # a new forward pass (an evaluation may come first):
            self.activations, self.counts = {}, {}     # keep only the one backward starts from
        self.stack.append(path)

    def post_hook(self, path, module, args, output) -> None:
        if self.stack and self.stack[-1] == path:
            self.stack.pop()

    # the engine's observer
    def on_forward(self, fn, out) -> None:
        self.last = (fn, out)
        kind = ACTIVATIONS.get(type(fn).__name__)
        if kind is None or self.loss is not None:
            return
        where = self.stack[-1] if self.stack else ""
        base = f"{where} ({kind})" if where else kind
        n = self.counts[base] = self.counts.get(base, 0) + 1
        label = base if n == 1 else f"{base} {n}"
        a = np.asarray(out.array, dtype=np.float64)
        rows = a.reshape(1, -1) if a.ndim <= 1 else a.reshape(-1, a.shape[-1])
        dead = sat = None
        if kind == "relu":
            dead = float(np.mean(np.all(rows <= 0, axis=0)))
        elif kind in ("sigmoid", "tanh"):
            slope = rows * (1 - rows) if kind == "sigmoid" else 1 - rows * rows
            sat = float(np.mean(slope < SATURATION))
        self.activations[label] = (dead, sat)

    def on_backward(self, fn, grad_out, grad_inputs) -> None:
        if self.loss is None and self.last is not None and self.last[0] is fn:
            value = np.asarray(self.last[1].array, dtype=np.float64)
            self.loss = float(value.ravel()[0]) if value.size == 1 else None
        if self.loss is None:
            self.loss = float("nan")           # backward began elsewhere: loss unknown


class trace:
    """Keep per-step, per-layer summaries of a training loop (a context manager; see above).

    Parameters
    ----------
    model : glassnet.nn.Module
        Names the parameters (``named_parameters()``) and the modules where activations ran.
    optimizer : glassnet.optim.Optimizer
        Its ``step`` is wrapped while the block runs; each call is one training step.
    every : int, default 10
        Sample every ``every``-th step (steps 0, every, 2·every, …).

    Attributes (after or during the block)
    --------------------------------------
    steps : list of int            the sampled steps (0-based optimizer step counts)
    loss : list of float           the loss at each sampled step (NaN where it was not found)
    params : dict                  name -> {"grad_norm", "weight_norm", "update_norm",
                                   "update_to_weight"}: lists, one value per sampled step
    activations : dict             label -> {"dead_fraction", "saturated_fraction"}: lists
                                   (None where the measure does not apply)
    """

    def __init__(self, model, optimizer, every: int = 10):
        if not hasattr(model, "named_parameters"):
            raise TypeError(f"trace: model must be a glassnet.nn.Module, got {type(model).__name__}")
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"trace: optimizer must be a glassnet.optim.Optimizer, got "
                            f"{type(optimizer).__name__}")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"trace: every must be a positive integer, got {every!r}")
        self.model, self.optimizer, self.every = model, optimizer, every
        self.names = [(name, p) for name, p in model.named_parameters()]
        self.steps, self.loss = [], []
        self.params = {name: {"grad_norm": [], "weight_norm": [], "update_norm": [], "update_to_weight": []}
                       for name, _ in self.names}
        self.activations: dict = {}
        self.count = 0
        self._sampler = None
        self._handles, self._observe = [], None

    # -- the block ---------------------------------------------------------------------------
    def __enter__(self) -> "trace":
        opt, original = self.optimizer, self.optimizer.step
        self._had_step, self._original = "step" in vars(opt), vars(opt).get("step")

        def step(*args, **kwargs):
            if self.count % self.every:
                result = original(*args, **kwargs)
            else:
                result = self._sampled_step(original, args, kwargs)
            self.count += 1
            if self.count % self.every == 0:
                self._attach()
            return result

        opt.step = step
        self._attach()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self._detach()
        if self._had_step:
            self.optimizer.step = self._original
        else:
            del self.optimizer.step
        return False

    def _attach(self) -> None:
        self._sampler = s = _Sampler(self)
        for path, module in self.model.named_modules():
            self._handles.append(module.register_forward_pre_hook(partial(s.pre_hook, path)))
            self._handles.append(module.register_forward_hook(partial(s.post_hook, path)))
        self._observe = observe(s)
        self._observe.__enter__()

    def _detach(self) -> None:
        if self._observe is not None:
            self._observe.__exit__(None, None, None)
            self._observe = None
        for h in self._handles:
            h.remove()
        self._handles.clear()

    # -- one sampled step ---------------------------------------------------------------------
    def _sampled_step(self, original, args, kwargs):
        before = [(name, p, np.array(p.array, copy=True), None if p.grad is None else norm(p.grad.array))
                  for name, p in self.names]
        result = original(*args, **kwargs)
        self._detach()
        s = self._sampler
        self.steps.append(self.count)
        self.loss.append(float("nan") if s is None or s.loss is None else s.loss)
        for name, p, old, gnorm in before:
            w = norm(old)
            u = norm(np.asarray(p.array, dtype=np.float64) - np.asarray(old, dtype=np.float64))
            col = self.params[name]
            col["grad_norm"].append(gnorm)
            col["weight_norm"].append(w)
            col["update_norm"].append(u)
            col["update_to_weight"].append(u / w if w > 0 else None)
        n = len(self.steps) - 1
        for label, (dead, sat) in (s.activations.items() if s is not None else ()):
            col = self.activations.setdefault(label, {"dead_fraction": [None] * n,
                                                      "saturated_fraction": [None] * n})
            col["dead_fraction"].append(dead)
            col["saturated_fraction"].append(sat)
        for col in self.activations.values():      # activations not seen this step
            for key in col:
                col[key] += [None] * (n + 1 - len(col[key]))
        return result

    # -- output --------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The trace as a ``glassnet.explain.trace/1`` document (NaN written as null)."""
        def clean(values):
            return [None if v is None or not np.isfinite(v) else float(v) for v in values]
        return {"schema": SCHEMA_ID, "every": self.every, "steps": list(self.steps), "loss": clean(self.loss),
                "params": {name: {k: clean(v) for k, v in cols.items()} for name, cols in self.params.items()},
                "activations": {label: {k: clean(v) for k, v in cols.items()}
                                for label, cols in self.activations.items()}}

    def to_json(self, indent=None) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    def figure(self, title: str | None = None):
        """The run's curves (``glassnet.viz.trace_figure``)."""
        from ..viz import trace_figure      # matplotlib loads only when a figure is drawn
        return trace_figure(self.to_dict(), title=title)

    def save(self, folder) -> list:
        """Write ``trace.json`` and ``trace.png``/``trace.svg`` into ``folder``; the paths written."""
        from ..viz import save              # matplotlib loads only when a figure is drawn
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "trace.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(self.to_json(indent=1), encoding="utf-8")
        tmp.replace(path)
        return [path] + save(self.figure(), folder / "trace")

    def __repr__(self) -> str:
        return f"<trace: {len(self.steps)} sampled steps of {self.count}, every {self.every}>"
