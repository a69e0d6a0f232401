"""glassnet's public functions take torch's parameters: same names, positions and defaults.

The walk covers the ``glassnet``/``torch`` namespace, ``Tensor`` methods, ``nn.functional``,
``nn`` layers and losses, ``nn.init``, optimizers, LR schedulers and ``utils.data``; every
difference is listed in the failure message.  See ``signatures.py`` for what counts.
"""
import inspect

import pytest

import glassnet
import glassnet.nn
import glassnet.nn.functional
import glassnet.nn.init
import glassnet.optim
import glassnet.optim.lr_scheduler
import glassnet.utils.data

from .signatures import compare, differences, parse_doc_signature, torch_signatures

torch = pytest.importorskip("torch")

#: glassnet names that share a torch name but deliberately mean something else, with the reason.
NOT_TORCH = {
    "glassnet.load": "reads safetensors (no pickle); torch.load's pickle_module/mmap do not apply",
    "glassnet.save": "writes safetensors (no pickle); torch.save's pickle_module/protocol do not apply",
}


def _pairs():
    """(label, glassnet callable, torch callable, name, is_method) for everything both have."""
    pairs = []

    def functions(label, gmod, tmod, names=None):
        for name in names or sorted(dir(gmod)):
            if name.startswith("_"):
                continue
            g = getattr(gmod, name, None)
            t = getattr(tmod, name, None)
            if t is None or not callable(g) or inspect.ismodule(g) or inspect.isclass(g):
                continue
            pairs.append((f"{label}.{name}", g, t, name, False))

    def classes(label, gmod, tmod):
        for name in sorted(dir(gmod)):
            g, t = getattr(gmod, name, None), getattr(tmod, name, None)
            if name.startswith("_") or not inspect.isclass(g) or not inspect.isclass(t):
                continue
            pairs.append((f"{label}.{name}", g.__init__, t.__init__, "__init__", True))

    functions("glassnet", glassnet, torch)
    functions("F", glassnet.nn.functional, torch.nn.functional)
    functions("nn.init", glassnet.nn.init, torch.nn.init)
    classes("nn", glassnet.nn, torch.nn)
    classes("optim", glassnet.optim, torch.optim)
    classes("lr_scheduler", glassnet.optim.lr_scheduler, torch.optim.lr_scheduler)
    classes("data", glassnet.utils.data, torch.utils.data)
    for name in sorted(dir(glassnet.Tensor)):
        if name.startswith("_") or not hasattr(torch.Tensor, name):
            continue
        g = inspect.getattr_static(glassnet.Tensor, name)
        if isinstance(g, (property, type)) or not callable(getattr(glassnet.Tensor, name)):
            continue
        pairs.append((f"Tensor.{name}", getattr(glassnet.Tensor, name), getattr(torch.Tensor, name), name, True))
    return [p for p in pairs if p[0] not in NOT_TORCH]


def test_every_public_function_takes_torchs_parameters():
    found = []
    for label, g, t, name, method in _pairs():
        owner = label.split(".")[0]
        found += [f"{label}{d[len(name):]}" for d in compare(g, t, name, method, owner)]
    assert not found, f"{len(found)} differences from torch's signatures:\n" + "\n".join(found)


def test_the_walk_covers_the_api():
    labels = {p[0] for p in _pairs()}
    assert len(labels) > 150
    for expected in ("glassnet.matmul", "glassnet.sum", "Tensor.sum", "F.cross_entropy", "nn.Linear",
                     "optim.Adam", "glassnet.multinomial", "F.one_hot", "nn.Embedding"):
        assert expected in labels


# -- the comparison itself can fail ---------------------------------------------------------------
def test_a_renamed_or_missing_parameter_is_listed():
    torch_sig = parse_doc_signature("matmul(input, other, *, out=None) -> Tensor")

    def wrong(a, b):
        return a @ b

    found = differences(compare_params(wrong), torch_sig)
    assert "missing parameter 'input'" in found and "missing parameter 'other'" in found


def test_a_different_default_and_an_extra_requirement_are_listed():
    torch_sig = parse_doc_signature("sum(input, dim, keepdim=False, *, dtype=None) -> Tensor")

    def wrong(input, dim, keepdim=True, *, scale, dtype=None):
        pass

    found = differences(compare_params(wrong), torch_sig)
    assert "'keepdim' defaults to False in torch, True in glassnet" in found
    assert "glassnet requires 'scale', which torch does not have" in found


def test_builtin_signatures_come_from_the_docstrings():
    overloads = torch_signatures(torch.max, "max")
    assert [[p.name for p in o] for o in overloads] == [["input", "out"], ["input", "dim", "keepdim", "out"],
                                                       ["input", "other", "out"]]


def test_the_corrections_to_torchs_docstrings_are_what_torch_accepts():
    from .signatures import CORRECTED
    t = torch.ones(2, 2)
    for (owner, name), text in CORRECTED.items():
        keyword = parse_doc_signature(text)[0].name
        getattr(t.clone(), name)(**{keyword: t.clone()})  # raises TypeError if torch has no such keyword


def compare_params(fn):
    from .signatures import from_inspect
    return from_inspect(inspect.signature(fn))
