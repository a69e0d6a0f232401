"""Run the same step in PyTorch and report the largest difference of every value and gradient.

The torch twin is the model crossed by ``glassnet.bridge.to_torch`` (built-in layers become
torch's, a user subclass runs its own ``forward`` on torch) with the glassnet ``state_dict``; a
model that cannot cross needs ``twin=`` (a torch module with the same parameter names).  Exact
models are compared with a float64 twin.
"""
from __future__ import annotations

import copy
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .. import exact, float64, ones_like
from ..nn import functional as gF
from ._numbers import fmt_any, to_float
from .recorder import record

_LOSSES = {"mse": ("mse_loss", "mse_loss"), "bce": ("binary_cross_entropy", "binary_cross_entropy"),
           "bce_logits": ("binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits")}


@dataclass
class Row:
    quantity: str
    max_abs_diff: float
    glassnet: str = ""
    torch: str = ""


@dataclass
class Comparison:
    """The result of ``compare_with_torch``: one row per compared quantity."""

    torch_version: str
    rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    recording: object = None

    @property
    def max_abs_diff(self) -> float:
        return max((r.max_abs_diff for r in self.rows), default=0.0)

    def row(self, quantity: str) -> Row:
        return next(r for r in self.rows if r.quantity == quantity)

    def to_dict(self) -> dict:
        return {"torch_version": self.torch_version, "max_abs_diff": float(self.max_abs_diff),
                "rows": [{"quantity": r.quantity, "max_abs_diff": float(r.max_abs_diff),
                          "glassnet": r.glassnet, "torch": r.torch} for r in self.rows],
                "notes": list(self.notes)}

    def __str__(self) -> str:
        lines = [f"glassnet vs PyTorch {self.torch_version}: largest difference {self.max_abs_diff:.3g}"]
        lines += [f"  {r.quantity:<32} {r.max_abs_diff:.3g}" for r in self.rows]
        return "\n".join(lines + self.notes)


def _torch():
    try:
        import torch
    except ImportError as err:  # pragma: no cover - exercised only without torch
        raise ImportError("compare_with_torch needs PyTorch: pip install 'glassnet[torch]'") from err
    return torch


def build_twin(model, torch):
    """A torch module with ``model``'s structure: ``glassnet.bridge.to_torch`` of it (of a float64
    copy for an exact model).  Raises TypeError naming what cannot cross, and the way out."""
    from ..bridge import CrossingError, to_torch    # (the bridge loads for torch comparisons only)
    if any(p.dtype is exact for p in model.parameters()):
        model = copy.deepcopy(model).to(float64)     # (the caller loads the exact weights next)
    try:
        return to_torch(model)
    except CrossingError as err:
        raise TypeError(f"compare_with_torch: no torch twin for {type(model).__name__}: {err}; "
                        f"pass twin= (a torch module with the same parameter names)") from err


def backward(loss) -> None:
    """``loss.backward()``, seeding an exact loss with an exact 1 (a float 1 would leave exact)."""
    if loss.dtype is exact:
        loss.backward(ones_like(loss))
    else:
        loss.backward()


def _np(t):
    return t.detach().cpu().numpy()


def _diff(a, b) -> float:
    a, b = to_float(np.asarray(a)), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def compare_with_torch(model, inputs, target, *, loss="mse", optimizer="SGD", lr=0.1, twin=None,
                       **optimizer_kwargs) -> Comparison:
    """Run one step (forward, loss, backward, optimizer step) in glassnet and in PyTorch.

    Parameters
    ----------
    model : glassnet.nn.Module
        Copied, so the caller's model is unchanged.
    inputs, target : glassnet.Tensor
        The input batch (or vector) and the target.
    loss : {'mse', 'bce', 'bce_logits'}
        The loss, with mean reduction.
    optimizer : str
        The optimizer's class name in both libraries (``'SGD'``, ``'Adam'``, ...).
    lr : float
        Learning rate; ``optimizer_kwargs`` are passed to both optimizers.
    twin : torch.nn.Module, optional
        The torch model to use instead of building one.

    Returns
    -------
    Comparison
        Rows for every module output, the loss, each parameter's gradient and new value, and
        the loss after the step; ``comparison.recording`` is the glassnet recording.
    """
    torch = _torch()
    from .. import optim                            # (loads for torch comparisons only)
    if loss not in _LOSSES:
        raise ValueError(f"loss must be one of {sorted(_LOSSES)}, got {loss!r}")
    gmodel = copy.deepcopy(model)
    is_exact = next(iter(gmodel.parameters())).dtype is exact
    tdtype = torch.float64 if is_exact or str(inputs.dtype).endswith("float64") else torch.float32
    tmodel = twin if twin is not None else build_twin(gmodel, torch)
    tmodel = tmodel.to(tdtype)
    state = {k: torch.tensor(to_float(v.array), dtype=tdtype) for k, v in gmodel.state_dict().items()}
    tmodel.load_state_dict(state)
    g_loss, t_loss = getattr(gF, _LOSSES[loss][0]), getattr(torch.nn.functional, _LOSSES[loss][1])
    glr = Fraction(str(lr)) if is_exact else lr
    gopt = getattr(optim, optimizer)(gmodel.parameters(), lr=glr, **optimizer_kwargs)
    with record(gmodel, gopt) as step:
        gl = g_loss(gmodel(inputs), target)
        gopt.zero_grad()
        backward(gl)
        gopt.step()
    # torch: the same step, with module outputs caught by forward hooks
    tx = torch.tensor(to_float(inputs.array), dtype=tdtype)
    tt = torch.tensor(to_float(target.array), dtype=tdtype)
    topt = getattr(torch.optim, optimizer)(tmodel.parameters(), lr=lr, **optimizer_kwargs)
    with _catch_outputs(tmodel) as outs:
        tl = t_loss(tmodel(tx), tt)
    tl_before = float(tl.detach())
    topt.zero_grad()
    tl.backward()
    tparams = dict(tmodel.named_parameters())
    tgrads = {k: _np(p.grad) for k, p in tparams.items()}
    topt.step()
    with torch.no_grad():
        tl_after = float(t_loss(tmodel(tx), tt))
    cmp = Comparison(torch.__version__, recording=step)
    for call in step.module_calls:
        if call.output is not None and call.output.kind == "op" and call.path in outs:
            mine = step.ops[call.output.key].output
            cmp.rows.append(Row(f"output of {call.path or 'the model'}", _diff(mine, outs[call.path]),
                                _show(mine), _show(outs[call.path])))
    cmp.rows.append(Row("loss", _diff(step.effect.loss_before, tl_before),
                        _show(step.effect.loss_before), _show(tl_before)))
    for p in step.params:
        cmp.rows.append(Row(f"∂L/∂{p.name}", _diff(p.grad, tgrads[p.name]), _show(p.grad),
                            _show(tgrads[p.name])))
    for p in step.params:
        cmp.rows.append(Row(f"{p.name} after the step", _diff(p.after, _np(tparams[p.name])),
                            _show(p.after), _show(_np(tparams[p.name]))))
    if step.effect.loss_after is not None:
        cmp.rows.append(Row("loss after the step", _diff(step.effect.loss_after, tl_after),
                            _show(step.effect.loss_after), _show(tl_after)))
    cmp.notes += kink_notes(step, outs)
    if is_exact:
        cmp.notes.append("glassnet computed exactly; the torch twin ran in float64, so the differences "
                         "are float64 rounding.")
    step.comparison = cmp
    return cmp


@contextmanager
def _catch_outputs(tmodel):
    """Forward hooks on every torch submodule; yields {module path: its first output (NumPy)}."""
    outs = {}

    def catch(path):
        def hook(module, args, output):
            outs.setdefault(path, _np(output))     # returns None: the output is not replaced
        return hook
    hooks = [m.register_forward_hook(catch(path)) for path, m in tmodel.named_modules()]
    try:
        yield outs
    finally:
        for h in hooks:
            h.remove()


def torch_module_outputs(model, inputs) -> dict:
    """Every module's output when PyTorch runs ``model``'s twin forward on ``inputs``.

    The twin gets ``model``'s structure and weights (see ``build_twin``) in float32, or float64
    for float64/exact models.  This is how explanations state what torch computes on *this*
    machine (a float32 sum's rounding depends on the CPU's BLAS kernel), not a value measured
    elsewhere.  Raises ImportError without torch.
    """
    torch = _torch()
    gdtype = next(iter(model.parameters())).dtype
    tdtype = torch.float64 if gdtype is exact or str(gdtype).endswith("float64") else torch.float32
    tmodel = build_twin(model, torch).to(tdtype)
    tmodel.load_state_dict({k: torch.tensor(to_float(v.array), dtype=tdtype)
                            for k, v in model.state_dict().items()})
    with torch.no_grad(), _catch_outputs(tmodel) as outs:
        tmodel(torch.tensor(to_float(inputs.array), dtype=tdtype))
    return outs


def _show(value) -> str:
    return fmt_any(np.asarray(value)) if np.size(value) <= 16 else f"({np.size(value)} values)"


def kink_notes(step, torch_outputs: dict) -> list:
    """Units that glassnet and torch put on different sides of a ReLU kink."""
    notes = []
    for ly in step.layers():
        act = ly["activation"]
        if act is None or act.op != "Relu" or ly["path"] not in torch_outputs:
            continue
        mine = to_float(np.asarray(ly["linear"].output)).reshape(-1)
        theirs = np.asarray(torch_outputs[ly["path"]], dtype=np.float64).reshape(-1)
        for k in np.flatnonzero((mine > 0) != (theirs > 0)):
            notes.append(f"{ly['path']} entry {k}: glassnet's pre-activation is {mine[k]:.3g}, torch's "
                         f"is {theirs[k]:.3g}: they sit on different sides of the ReLU kink, so the "
                         f"gradients through this unit differ (see the near-kink insight).")
    return notes
