"""One gradient, followed file by file: from ``loss.backward()`` to a ``Linear`` weight's ``.grad``.

docs/ARCHITECTURE.md walks a learner through these files; this test runs the walk under a profiler
and checks that backward really passes through them and no others.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import glassnet
import glassnet.nn.functional as F
from glassnet import nn

#: The files of the walk, in the order a gradient meets them (as docs/ARCHITECTURE.md lists them).
WALK = ["tensors/tensor.py", "autograd/engine.py", "ops/loss.py", "ops/linalg.py"]
ARCHITECTURE = Path(__file__).resolve().parents[2] / "docs" / "ARCHITECTURE.md"


def glassnet_files_run_by(action) -> list[str]:
    """The glassnet source files whose functions ``action`` calls, in order of first call."""
    root = str(Path(glassnet.__file__).parent) + "/"
    seen: list[str] = []

    def profile(frame, event, arg):
        name = frame.f_code.co_filename
        if event == "call" and name.startswith(root) and name[len(root):] not in seen:
            seen.append(name[len(root):])

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return seen


def _step():
    glassnet.manual_seed(0)
    model = nn.Linear(4, 3)
    x = glassnet.tensor(np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4))
    loss = F.cross_entropy(model(x), glassnet.tensor([0, 2]))
    return model, loss


def test_backward_from_the_loss_to_a_linear_weight_passes_through_the_four_files():
    model, loss = _step()
    files = glassnet_files_run_by(loss.backward)
    assert files == WALK, f"backward ran code in {files}; docs/ARCHITECTURE.md lists {WALK}"
    assert model.weight.grad is not None and model.bias.grad is not None


def test_the_profiler_sees_a_file_outside_the_walk():
    """The check can fail: a ReLU between the layer and the loss adds ops/elementwise.py."""
    glassnet.manual_seed(0)
    model = nn.Linear(4, 3)
    loss = F.cross_entropy(model(glassnet.ones(2, 4)).relu(), glassnet.tensor([0, 2]))
    assert "ops/elementwise.py" in glassnet_files_run_by(loss.backward)


def test_the_architecture_page_lists_the_walk_in_order():
    text = ARCHITECTURE.read_text()
    positions = [text.find(f"`src/glassnet/{f}`") for f in WALK]
    assert all(p >= 0 for p in positions), f"docs/ARCHITECTURE.md must name each of {WALK}"
    assert positions == sorted(positions)
