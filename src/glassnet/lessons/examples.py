"""The seed lessons' worked examples, recorded with ``glassnet.explain`` and ready to explain.

* ``diagonal_flip`` — seed 002: the 4-3-4 DiagonalFlipNet (ReLU hidden layer, MSE), one SGD
  step with η = 0.1 on x = [1, 0, 1, 1], target [1, 1, 0, 1].  In exact arithmetic it
  reproduces every number of the seed's tables; in float32 it equals PyTorch.
* ``xor_worked_example`` — seed 003: the trained 2-2-1 sigmoid XOR net (w = 5, b = [−2.5, −7.5],
  v = [10, −10], b_out = −5), input [1, 0], target 1, binary cross-entropy.

``explain_text(example, fmt, exact, entry)`` is what ``glassnet explain`` prints.
"""
from __future__ import annotations

import importlib.util
from fractions import Fraction

import numpy as np

from .. import exact as EXACT, float32, float64, tensor
from .. import nn, optim
from ..nn import functional as F
from ..explain import record, render, torch_module_outputs
from ..explain.compare import backward
from .seedcheck import diagonal_flip_checks, xor_checks

#: Seed 002's weights, in torch's layout (out_features, in_features).
DIAGONAL_FLIP = {
    "layer1.weight": [[0.2, -0.3, 0.1, -0.4], [-0.5, 0.4, 0.3, 0.2], [0.1, -0.2, 0.5, -0.1]],
    "layer1.bias": [0.1, -0.1, 0.0],
    "layer2.weight": [[0.3, -0.1, 0.2], [-0.2, 0.5, -0.4], [0.4, -0.3, 0.1], [0.1, 0.2, -0.5]],
    "layer2.bias": [0.0, 0.1, -0.1, 0.0],
}
DIAGONAL_FLIP_X, DIAGONAL_FLIP_T = [1.0, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 1.0]

#: Seed 003's trained XOR weights: w₁₁ = w₁₂ = w₂₁ = w₂₂ = 5 (row = hidden unit, as torch).
XOR = {"hidden.weight": [[5.0, 5.0], [5.0, 5.0]], "hidden.bias": [-2.5, -7.5],
       "output.weight": [[10.0, -10.0]], "output.bias": [-5.0]}
XOR_X, XOR_T = [1.0, 0.0], [1.0]


class DiagonalFlipNet(nn.Module):
    """Seed 002's network: ``layer2(relu(layer1(x)))``, 4 → 3 → 4."""

    def __init__(self):
        super().__init__()
        self.layer1 = nn.Linear(4, 3)
        self.layer2 = nn.Linear(3, 4)

    def forward(self, x):
        return self.layer2(F.relu(self.layer1(x)))


class XORNet(nn.Module):
    """Seed 003's network: ``σ(output(σ(hidden(x))))``, 2 → 2 → 1."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(2, 2)
        self.output = nn.Linear(2, 1)

    def forward(self, x):
        return F.sigmoid(self.output(F.sigmoid(self.hidden(x))))


def load(model, weights: dict, dtype):
    """Put ``weights`` (decimal lists) into ``model`` as ``dtype``; exact reads 0.1 as 1/10.

    ``model.to(glassnet.exact)`` alone would convert the float32 initial values' binary
    expansions (0.2 → 0.20000000298…), so the decimals are loaded after the cast.
    """
    model.to(dtype)
    model.load_state_dict({k: tensor(v, dtype=dtype) for k, v in weights.items()})
    return model


def run_step(model, x, target, loss_fn, lr, title: str, names=None):
    """Record forward, backward and one SGD step of ``model`` on (x, target)."""
    opt = optim.SGD(model.parameters(), lr=lr)
    with record(model, opt, title=title, names=names) as step:
        loss = loss_fn(model(x), target)
        opt.zero_grad()
        backward(loss)
        opt.step()
    return step


def diagonal_flip(exact: bool = False, rows: int = 1, checks: bool = True):
    """Seed 002's step, recorded.

    Parameters
    ----------
    exact : bool
        Compute with ``glassnet.exact`` (no rounding: the seed's hand arithmetic) instead of float32.
    rows : int
        1: x is the seed's vector.  More: x is a batch of that many identical rows (the same
        mathematics; in float32 a matrix-multiply kernel adds in another order, see the insights).
    checks : bool
        Check the seed's printed numbers (adds ``step.claims`` and notes).

    Returns
    -------
    Recording
    """
    dtype = EXACT if exact else float32
    model = load(DiagonalFlipNet(), DIAGONAL_FLIP, dtype)
    x, t = np.array(DIAGONAL_FLIP_X), np.array(DIAGONAL_FLIP_T)
    if rows > 1:
        x, t = np.tile(x, (rows, 1)), np.tile(t, (rows, 1))
    lr = Fraction(1, 10) if exact else 0.1
    kind = "exact arithmetic" if exact else "float32"
    title = f"Seed 002: DiagonalFlipNet 4-3-4, one SGD step (η = 0.1), {kind}"
    step = run_step(model, tensor(x.tolist(), dtype=dtype), tensor(t.tolist(), dtype=dtype),
                    F.mse_loss, lr, title)
    if checks:
        runs = [diagonal_flip(exact=False, rows=r, checks=False) for r in (1, 2)] if exact else ()
        diagonal_flip_checks(step, runs, torch_z0s=_torch_z0s() if exact else None)
    return step


def torch_z0(model, x):
    """PyTorch's z₀ (the first unit of ``layer1``) for the same weights and input, computed now on
    this machine, or None without torch."""
    try:
        return float(np.ravel(torch_module_outputs(model, x)["layer1"])[0])
    except ImportError:
        if importlib.util.find_spec("torch") is not None:
            raise  # torch is there: the failure is glassnet's, not a missing optional oracle
        return None


def _torch_z0s():
    """PyTorch's z₀ of seed 002 for x as a vector and as two rows, run now (None without torch)."""
    model = load(DiagonalFlipNet(), DIAGONAL_FLIP, float32)
    z0s = [torch_z0(model, tensor(x, dtype=float32)) for x in (DIAGONAL_FLIP_X, [DIAGONAL_FLIP_X] * 2)]
    return None if None in z0s else z0s


def xor_worked_example(dtype=float32, lr: float = 1.0, checks: bool = True):
    """Seed 003's worked example, recorded (one SGD step with the seed's learning rate 1.0).

    Sigmoid has no exact (rational) form, so ``dtype`` is float32 (as PyTorch) or float64.
    """
    if dtype is EXACT:
        raise TypeError("xor_worked_example: sigmoid has no exact (rational) form; use "
                        "dtype=glassnet.float64 for the most precise run")
    model = load(XORNet(), XOR, dtype)
    title = f"Seed 003: the XOR worked example, input [1, 0], target 1, BCE ({dtype.name})"
    x, y = tensor(XOR_X, dtype=dtype), tensor(XOR_T, dtype=dtype)
    step = run_step(model, x, y, F.binary_cross_entropy, lr, title, names={"x": x, "y": y})
    if checks:
        xor_checks(step)
    return step


EXAMPLES = {"diagonal-flip": "seed 002: DiagonalFlipNet 4-3-4, one SGD step",
            "xor-worked-example": "seed 003: the XOR network's forward and backward with numbers"}
DEFAULT_ENTRIES = {"diagonal-flip": ["layer1.weight[2, 0]", "layer2.weight[0, 2]"],
                   "xor-worked-example": ["output.weight[0, 0]", "output.weight[0, 1]",
                                          "hidden.weight[0, 0]", "hidden.weight[0, 1]",
                                          "hidden.weight[1, 0]"]}


def build_example(name: str, exact: bool = False):
    """The recording of example ``name`` (one of ``EXAMPLES``)."""
    if name == "diagonal-flip":
        return diagonal_flip(exact=exact)
    if name == "xor-worked-example":
        if exact:
            step = xor_worked_example(dtype=float64)
            step.notes.insert(0, "--exact was asked for, but this network uses sigmoid, which has "
                                 "no exact (rational) form (e^−z is irrational); it is computed in "
                                 "float64 instead.")
            return step
        return xor_worked_example()
    raise ValueError(f"unknown example {name!r}; choose one of: {', '.join(EXAMPLES)}")


def explain_text(example: str, fmt: str = "text", exact: bool = False, entry=None) -> str:
    """The explanation of an example as text, for ``glassnet explain``.

    Parameters
    ----------
    example : str
        ``"diagonal-flip"`` (seed 002) or ``"xor-worked-example"`` (seed 003).
    fmt : str
        ``"text"`` (rich tables), ``"markdown"``, ``"latex"``, ``"html"`` or ``"json"``.
    exact : bool
        Compute in exact rational arithmetic (``glassnet.exact``) where the network allows it.
    entry : str or list of str, optional
        Parameter entries to derive, e.g. ``"layer1.weight[2, 0]"``; by default the example's own.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        Unknown example, format, or a malformed or out-of-range entry.
    KeyError
        An entry naming a parameter the network does not have.

    Examples
    --------
    >>> print(explain_text("diagonal-flip", exact=True, entry="layer1.weight[2, 0]"))  # doctest: +SKIP
    """
    step = build_example(example, exact=exact)
    if entry is None:
        entries = DEFAULT_ENTRIES[example]
    else:
        entries = [entry] if isinstance(entry, str) else list(entry)
    try:
        return render(step, fmt, entries)
    except IndexError as err:        # an entry index out of range: a bad argument here
        raise ValueError(str(err)) from err
