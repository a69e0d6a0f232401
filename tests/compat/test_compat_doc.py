"""docs/torch-compatibility.md stays true: what it says glassnet has exists, what it says glassnet
deliberately does not have is absent (or raises NotImplementedError)."""
import re
from pathlib import Path

import pytest

import glassnet
import glassnet.serialization.checkpoint
import glassnet.nn.init
import glassnet.optim.lr_scheduler
import glassnet.utils.data

DOC = Path(__file__).resolve().parents[2] / "docs" / "torch-compatibility.md"
HAS = ("has:", "math", "reductions:", "shape:", "in place", "`nn.functional`:")
NAME = re.compile(r"`([A-Za-z_][\w.]*)`")


def _paragraphs(starts):
    for paragraph in DOC.read_text().split("\n\n"):
        if paragraph.startswith(starts):
            yield from NAME.findall(paragraph)


def _resolve(name):
    obj = glassnet
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def test_the_page_lists_many_names():
    assert len(list(_paragraphs(HAS))) > 200 and len(list(_paragraphs(("does not have:",)))) > 15


@pytest.mark.parametrize("name", sorted(set(_paragraphs(HAS))))
def test_what_the_page_says_glassnet_has_exists(name):
    if name in ("autograd.function.once_differentiable",):
        import glassnet.autograd.function  # noqa: F401
    _resolve(name)


@pytest.mark.parametrize("name", sorted(set(_paragraphs(("does not have:",)))))
def test_what_the_page_says_glassnet_does_not_have_is_absent(name):
    try:
        obj = _resolve(name)
    except AttributeError:
        return
    with pytest.raises(NotImplementedError):
        obj()


def test_the_page_never_says_glassnet_lacks_a_name_it_has():
    for name in re.findall(r"glassnet has no `([A-Za-z_][\w.]*)`", DOC.read_text()):
        for where in (glassnet, glassnet.nn, glassnet.nn.functional):
            assert not hasattr(where, name), f"the page says glassnet has no {name}, but it has"


@pytest.mark.parametrize("name, call, shape", [
    ("group_norm", lambda F, x: F.group_norm(x, 2), (2, 4, 3)),
    ("instance_norm", lambda F, x: F.instance_norm(x), (2, 3, 4, 4)),
    ("pixel_shuffle", lambda F, x: F.pixel_shuffle(x, 2), (1, 8, 2, 3)),
    ("pixel_unshuffle", lambda F, x: F.pixel_unshuffle(x, 2), (1, 2, 4, 6)),
    ("unfold", lambda F, x: F.unfold(x, 2, padding=1, stride=2), (1, 2, 5, 5)),
    ("fold", lambda F, x: F.fold(x, (4, 4), 2), (1, 8, 9)),
])
def test_the_double_backward_list_is_true(name, call, shape):
    torch = pytest.importorskip("torch")
    import numpy as np
    import glassnet.nn.functional
    import torch.nn.functional
    assert re.search(rf"\b{name}\b", DOC.read_text().split("double backward (`create_graph")[1].split("\n\n")[0])
    rng = np.random.default_rng(0)
    a, v = rng.standard_normal(shape), rng.standard_normal(shape)
    hvps = []
    for lib in (torch, glassnet):
        x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
        g, = lib.autograd.grad((call(lib.nn.functional, x) ** 3).sum(), x, create_graph=True)
        hv, = lib.autograd.grad((g * lib.tensor(v, dtype=lib.float64)).sum(), x)
        hvps.append(hv.numpy())
    np.testing.assert_allclose(hvps[1], hvps[0], rtol=1e-9, atol=1e-9)
