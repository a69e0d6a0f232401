"""glassnet's public functions take torch's parameters: same names, positions and defaults.

The walk covers the ``glassnet``/``torch`` namespace, ``Tensor`` methods, ``nn.functional``,
``nn`` layers and losses, ``nn.init``, optimizers, LR schedulers and ``utils.data``; every
difference is listed in the failure message.  See ``signatures.py`` for what counts.
"""
import enum
import inspect

import pytest

import glassnet
import glassnet.nn
import glassnet.nn.functional
import glassnet.nn.init
import glassnet.optim
import glassnet.optim.lr_scheduler
import glassnet.utils.data

from .signatures import TorchName, _same_default, compare, differences, parse_doc_signature, torch_signatures

torch = pytest.importorskip("torch")

#: glassnet names that share a torch name but deliberately mean something else, with the reason.
NOT_TORCH = {
    "glassnet.load": "reads safetensors (no pickle); torch.load's pickle_module/mmap do not apply",
    "glassnet.save": "writes safetensors (no pickle); torch.save's pickle_module/protocol do not apply",
    "Tensor.histogram": "torch's docstring lists the function's `input` first for the method too; it is "
                        "called x.histogram(bins, ...)",
}


#: Pairs the walk cannot check: torch's callable has no inspectable signature and its docstring
#: starts with no signature line (empty, or prose), so there is nothing to compare against.
UNDOCUMENTED_IN_TORCH = {"glassnet.index_fill", "glassnet.masked_scatter", "Tensor.clamp_max_",
                         "Tensor.clamp_min_", "Tensor.relu_", "glassnet.detach", "glassnet.log_softmax",
                         "glassnet.masked_fill", "glassnet.relu", "Tensor.detach", "Tensor.detach_",
                         "Tensor.log_softmax", "Tensor.relu",
                         "F.scaled_dot_product_attention"}  # a builtin with no text signature in torch
#: torch's in-place function forms (torch.sin_(x), ...) have no docstring (but relu_)
UNDOCUMENTED_IN_TORCH |= {f"glassnet.{n}" for n in glassnet.tensors.functions.METHODS
                          if n.endswith("_") and n != "relu_"}


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


def test_what_the_walk_cannot_check_is_named():
    unchecked = {label for label, _, t, name, _ in _pairs() if not torch_signatures(t, name, label.split(".")[0])}
    assert unchecked == UNDOCUMENTED_IN_TORCH


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


SAME_DEFAULTS = [(None, None), (False, False), (0, 0.0), (1, 1.0), (0.5, 0.5), ("mean", "mean"),
                 ((1, 2), (1, 2)), ("torch.int64", glassnet.int64)]
DIFFERENT_DEFAULTS = [(None, False), (False, None), (0, None), (True, False), (True, 1), (0, False),
                      (1, 2), (1e-3, 1e-2), ("mean", "sum"), ("1", 1), ((1, 2), (1, 3)), ((1, 2), [1, 2]),
                      ((1, 2), (1, 2, 3)), ("torch.int64", None), ("torch.int64", glassnet.float32),
                      ("torch.int64", "int64")]


def _doc(default):
    """torch's side as its docstrings give it: ``'torch.int64'`` is read as a name, the rest as literals."""
    text = default if isinstance(default, str) and default.startswith("torch.") else repr(default)
    return parse_doc_signature(f"f(x={text})")


@pytest.mark.parametrize("torch_default, ours", SAME_DEFAULTS, ids=repr)
def test_equal_defaults_are_not_listed(torch_default, ours):
    def f(x=ours):
        pass

    assert differences(compare_params(f), _doc(torch_default)) == []


@pytest.mark.parametrize("torch_default, ours", DIFFERENT_DEFAULTS, ids=repr)
def test_different_defaults_are_listed(torch_default, ours):
    def f(x=ours):
        pass

    assert differences(compare_params(f), _doc(torch_default)) == [
        f"'x' defaults to {_doc(torch_default)[0].default!r} in torch, {ours!r} in glassnet"]


def test_torchs_objects_compare_by_name_and_enums_by_member():
    class Mode(enum.Enum):
        MIN, MAX = 1, 2

    assert _same_default(torch.int64, glassnet.int64) and not _same_default(torch.int64, glassnet.float32)
    assert _same_default(torch.float32, TorchName("float32"))
    assert _same_default(Mode.MIN, Mode.MIN) and not _same_default(Mode.MIN, Mode.MAX)
    assert not _same_default(Mode.MIN, 1) and not _same_default(1, Mode.MIN)


@pytest.mark.parametrize("torch_text, ours", [("object()", None), ("1", object()), ("math.inf", float("inf"))],
                         ids=["unreadable-vs-None", "1-vs-an-object", "math.inf-vs-inf"])
def test_defaults_that_cannot_be_compared_are_listed_not_passed(torch_text, ours):
    def f(x=ours):
        pass

    found = differences(compare_params(f), parse_doc_signature(f"f(x={torch_text})"))
    assert len(found) == 1 and found[0].startswith("cannot compare the defaults of 'x'"), found


def test_a_glassnet_method_that_requires_what_torchs_takes_no_arguments_for_is_listed():
    def abs_(self, x):
        pass

    found = compare(abs_, torch.Tensor.abs, "abs", method=True, owner="Tensor")
    assert found == ["abs: glassnet requires 'x', which torch does not have"]


def test_builtin_signatures_come_from_the_docstrings():
    overloads = torch_signatures(torch.max, "max")
    assert [[p.name for p in o] for o in overloads] == [["input", "out"], ["input", "dim", "keepdim", "out"],
                                                       ["input", "other", "out"]]


def test_the_corrections_to_torchs_docstrings_are_what_torch_accepts():
    from .signatures import CORRECTED
    for (owner, name), text in CORRECTED.items():
        t = torch.ones(2, 2, dtype=torch.long if name.startswith("bitwise") else torch.float32)
        keyword = parse_doc_signature(text)[0].name
        getattr(t.clone(), name)(**{keyword: t.clone()})  # raises TypeError if torch has no such keyword


def compare_params(fn):
    from .signatures import from_inspect
    return from_inspect(inspect.signature(fn))
