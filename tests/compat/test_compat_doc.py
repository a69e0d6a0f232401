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
