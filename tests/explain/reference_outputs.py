"""explain's output on fixed recordings, written to a folder, to diff before/after a refactor.

Not a test (its numbers are float32 sums whose last digits depend on the CPU's BLAS kernel): run it
on the same machine against the tree before and the tree after, then ``diff -r`` the folders::

    git worktree add /tmp/before HEAD~1
    PYTHONPATH=/tmp/before/src python tests/explain/reference_outputs.py /tmp/out_before
    PYTHONPATH=src python tests/explain/reference_outputs.py /tmp/out_after
    diff -r /tmp/out_before /tmp/out_after

For each recording NAME it writes OUT_DIR/NAME/:
  full.json     to_json(detail="full")
  default.json  to_json()                 (the version and detail chosen by size)
  default.html  to_html()                 (and with.html: with derivations of ENTRIES)
  text.txt      to_text()                 (and with.txt: with derivations of ENTRIES)
  markdown.md, latex.tex                  (with derivations)
  effect.txt    the Effect's fields, every value with its dtype, full precision
  dot.txt       to_dot()
Recordings: seed 002 (DiagonalFlipNet 4-3-4) in float32 and exact; seed 003's spiral 2-16-8-1
(BCEWithLogits, Adam) in float32 and float64; a digits training step (64-128-64-10, cross-
entropy, Adam); a step with no optimizer; ops outside the model with names= (an extra parameter)
and SGD with momentum; no model (raw tensors and an optimizer).  Extra: seed 003's XOR worked
example (float32).  Every seed is fixed.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import glassnet
from glassnet import nn, optim
from glassnet.explain import record
from glassnet.nn import functional as F


def _spiral(dtype):
    from glassnet.lessons.spiral import NeuralNetwork
    glassnet.manual_seed(0)
    from glassnet.data import datasets         # (glassnet.datasets re-exports it)
    X, y = datasets.spiral(n_points=200, noise=0.2, seed=42)
    model = NeuralNetwork()
    if dtype is glassnet.float64:
        model.to(glassnet.float64)
        X, y = X.double(), y.double()
    criterion = nn.BCEWithLogitsLoss()
    opt = optim.Adam(model.parameters(), lr=0.01)
    with record(model, opt, title=f"seed 003 spiral ({dtype.name})") as step:
        loss = criterion(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step, ["network.0.weight[3, 1]", "network.4.bias[0]"]


def _digits():
    from glassnet.data import datasets         # (glassnet.datasets re-exports it)
    X, y = datasets.digits(standardize=True)
    x, t = X[:64], y[:64]
    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                          nn.Linear(64, 10))
    opt = optim.Adam(model.parameters(), lr=0.005)
    with record(model, opt, title="digits step") as step:
        loss = F.cross_entropy(model(x), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step, ["4.weight[3, 7]"]


def _no_optimizer():
    glassnet.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    rng = np.random.default_rng(1)
    x = glassnet.tensor(rng.standard_normal((5, 3)).astype(np.float32))
    t = glassnet.tensor(rng.standard_normal((5, 2)).astype(np.float32))
    with record(model, title="no optimizer") as step:
        loss = F.mse_loss(model(x), t)
        loss.backward()
    return step, ["0.weight[1, 2]", "2.bias[1]"]


def _outside_names_momentum():
    glassnet.manual_seed(2)
    model = nn.Sequential(nn.Linear(3, 3), nn.Sigmoid(), nn.Linear(3, 1))
    scale = glassnet.tensor([1.5, -0.5, 2.0], requires_grad=True)     # a parameter outside the model
    rng = np.random.default_rng(2)
    x = glassnet.tensor(rng.standard_normal((4, 3)).astype(np.float32))
    t = glassnet.tensor(rng.standard_normal((4, 1)).astype(np.float32))
    opt = optim.SGD([*model.parameters(), scale], lr=0.05, momentum=0.9)
    for _ in range(2):                                   # momentum buffers with a history
        opt.zero_grad()
        (((model(x * scale) - t) ** 2).mean()).backward()
        opt.step()
    with record(model, opt, names={"x": x, "t": t, "scale": scale},
                title="ops outside the model, names=, SGD momentum") as step:
        y = model(x * scale) * 2.0 + 0.25                # ops before and after the model
        loss = ((y - t) ** 2).mean() + 0.01 * (scale * scale).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step, ["scale[1]", "0.weight[2, 0]"]


def _no_model():
    rng = np.random.default_rng(3)
    w = glassnet.tensor(rng.standard_normal((3, 2)).astype(np.float32), requires_grad=True)
    b = glassnet.tensor(np.zeros(2, dtype=np.float32), requires_grad=True)
    x = glassnet.tensor(rng.standard_normal((4, 3)).astype(np.float32))
    t = glassnet.tensor(rng.standard_normal((4, 2)).astype(np.float32))
    opt = optim.Adam([w, b], lr=0.1)
    with record(None, opt, names={"w": w, "b": b, "x": x, "t": t}, title="no model") as step:
        loss = F.mse_loss((x @ w + b).relu(), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step, ["w[2, 1]", "b[0]"]


def _seed002(exact):
    from glassnet.lessons.examples import DEFAULT_ENTRIES, diagonal_flip
    return diagonal_flip(exact=exact), DEFAULT_ENTRIES["diagonal-flip"]


def _xor():
    from glassnet.lessons.examples import DEFAULT_ENTRIES, xor_worked_example
    return xor_worked_example(), DEFAULT_ENTRIES["xor-worked-example"]


RECORDINGS = {
    "seed002_float32": lambda: _seed002(False),
    "seed002_exact": lambda: _seed002(True),
    "seed003_spiral_float32": lambda: _spiral(glassnet.float32),
    "seed003_spiral_float64": lambda: _spiral(glassnet.float64),
    "digits_step": _digits,
    "no_optimizer": _no_optimizer,
    "outside_names_momentum": _outside_names_momentum,
    "no_model": _no_model,
    "extra_seed003_xor_float32": _xor,
}


def _value(v) -> str:
    if v is None:
        return "None"
    a = np.asarray(v)
    if a.dtype == object:
        return f"object{a.shape} {[repr(x) for x in a.ravel().tolist()]}"
    return f"{a.dtype}{a.shape} {a.tobytes().hex()} {np.array2string(a, precision=17, threshold=10**9)}"


def effect_text(step) -> str:
    e = step.effect
    if e is None:
        return "None\n"
    return "".join(f"{k}: {_value(getattr(e, k))}\n" for k in
                   ("loss_before", "loss_after", "predictions_before", "predictions_after",
                    "targets")) + f"note: {e.note!r}\n"


def main(out: Path) -> None:
    for name, make in RECORDINGS.items():
        step, entries = make()
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        files = {
            "full.json": lambda: step.to_json(detail="full"),
            "default.json": lambda: step.to_json(),
            "default.html": lambda: step.to_html(),
            "with.html": lambda: step.to_html(entries),
            "text.txt": lambda: step.to_text(),
            "with.txt": lambda: step.to_text(entries),
            "markdown.md": lambda: step.to_markdown(entries),
            "latex.tex": lambda: step.to_latex(entries),
            "effect.txt": lambda: effect_text(step),
            "dot.txt": lambda: step.to_dot(),
        }
        for filename, render in files.items():
            (folder / filename).write_text(render(), encoding="utf-8")
        print(name, repr(step))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
