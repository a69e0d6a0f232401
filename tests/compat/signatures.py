"""Compare glassnet's public callables with torch's signatures, parameter by parameter.

torch's Python functions have an ``inspect.signature``; its builtins (``torch.sum``,
``torch.Tensor.view``) do not, so their signatures are read from the lines their docstrings
start with (``sum(input, dim, keepdim=False, *, dtype=None) -> Tensor``; every overload listed
there is checked).  A *difference* is a call torch documents that glassnet would reject or read
differently:

* a torch parameter glassnet has not (by name), apart from ``IGNORED``;
* a positional parameter at another position;
* a parameter optional in torch but required in glassnet, or with another default;
* a parameter glassnet requires that torch does not have;
* a default this module cannot compare (it says so, rather than letting it pass).
"""
from __future__ import annotations

import ast
import enum
import inspect
import keyword
import numbers
import re

#: Parameters that only make sense for torch's memory model; glassnet does not take them.
IGNORED = {"out", "layout", "pin_memory", "memory_format", "names", "non_blocking"}
#: Names torch's docs give a positional argument that no one passes by keyword (a number ``self``).
POSITION_ONLY = {"self"}

REQUIRED = object()


class TorchName:
    """A default torch's docs write as a name in torch (``dtype=torch.int64``, ``layout=torch.strided``)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"


class Unparsed:
    """A default in torch's docs that is neither a Python literal nor a torch name."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return f"<unparsed {self.text!r}>"


class Param:
    def __init__(self, name, kind, default):
        self.name, self.kind, self.default = name, kind, default  # kind: 'pos', 'var', 'kw'

    def __repr__(self):
        return f"{self.name}:{self.kind}"


def _literal(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        if re.fullmatch(r"torch\.\w+", text):
            return TorchName(text[len("torch."):])
        return Unparsed(text)


def parse_doc_signature(text: str):
    """'sum(input, dim, keepdim=False, *, dtype=None)' → [Param]."""
    start, depth = text.index("("), 0
    for end in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[end], 0)
        if depth == 0:
            break
    inner = text[start + 1:end]
    params, kwonly = [], False
    parts, depth, current = [], 0, ""
    for ch in inner.replace("\\*", "*"):
        depth += {"[": 1, "(": 1, "]": -1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if part == "*":
            kwonly = True
            continue
        if part.startswith("**"):
            continue
        if part.startswith("*"):
            params.append(Param(part[1:], "var", REQUIRED))
            kwonly = True
            continue
        name, _, default = part.partition("=")
        name = name.split(":")[0].strip()
        params.append(Param(name, "kw" if kwonly else "pos", _literal(default.strip()) if default else REQUIRED))
    return params


#: Where a torch docstring names a parameter other than torch's parser does (checked in
#: test_signatures.py by calling torch with these keywords).
CORRECTED = {
    ("Tensor", "mul"): "mul(other)", ("Tensor", "mul_"): "mul_(other)",
    ("Tensor", "div"): "div(other, *, rounding_mode=None)",
    ("Tensor", "div_"): "div_(other, *, rounding_mode=None)",
    ("Tensor", "matmul"): "matmul(other)",
    ("Tensor", "remainder"): "remainder(other)", ("Tensor", "fmod"): "fmod(other)",
    ("Tensor", "bitwise_and"): "bitwise_and(other)", ("Tensor", "bitwise_or"): "bitwise_or(other)",
    ("Tensor", "bitwise_xor"): "bitwise_xor(other)",
    ("Tensor", "bitwise_and_"): "bitwise_and_(other)", ("Tensor", "bitwise_or_"): "bitwise_or_(other)",
    ("Tensor", "bitwise_xor_"): "bitwise_xor_(other)",
}


def torch_signatures(obj, name: str, owner: str = ""):
    """Every documented overload of a torch callable, as lists of ``Param``."""
    if (owner, name) in CORRECTED:
        return [parse_doc_signature(CORRECTED[owner, name])]
    try:
        sig = inspect.signature(obj)
    except (ValueError, TypeError):
        doc = obj.__doc__ or ""
        lines = re.findall(r"^(?:\.\. (?:function|method):: )?" + re.escape(name) + r"\(.*\)", doc, re.M)
        return [parse_doc_signature(line) for line in lines]
    return [from_inspect(sig, drop_self=True)]


def from_inspect(sig, drop_self=False):
    params = []
    for p in sig.parameters.values():
        if p.kind is p.VAR_KEYWORD:
            continue
        kind = {p.VAR_POSITIONAL: "var", p.KEYWORD_ONLY: "kw"}.get(p.kind, "pos")
        default = REQUIRED if p.default is p.empty else p.default
        params.append(Param(p.name, kind, default))
    if drop_self and params and params[0].name == "self":
        params = params[1:]
    return params


class Undecided(Exception):
    """Two defaults this module has no rule to compare."""


def _as_torch_name(value):
    """``torch.int64`` (the object, from an inspected signature) → ``TorchName('int64')``."""
    if type(value).__module__.split(".")[0] == "torch" and repr(value).startswith("torch."):
        return TorchName(repr(value)[len("torch."):])
    return value


def _same_default(a, b) -> bool:
    """Whether torch's default ``a`` and glassnet's default ``b`` mean the same call.

    Compared: None, bools, numbers (an int and a float of the same value agree: ``std=1`` and
    ``std=1.0``), strings, tuples and lists (item by item), enums (by class name and member), and
    torch's names (``torch.int64`` agrees with glassnet's ``glassnet.int64``, nothing else), and
    functions (``torch.nn.functional.relu`` agrees with ``glassnet.nn.functional.relu``).  Any
    other pair raises ``Undecided``: add a rule here rather than letting it pass.
    """
    a, b = _as_torch_name(a), _as_torch_name(b)
    if isinstance(a, Unparsed):
        raise Undecided("torch's docs write it as neither a Python literal nor a torch name")
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, TorchName):
        return (isinstance(b, TorchName) and a.name == b.name) or repr(b) == f"glassnet.{a.name}"
    if isinstance(b, TorchName):
        return False  # glassnet defaults to a torch object that torch does not default to
    if isinstance(a, enum.Enum) or isinstance(b, enum.Enum):
        return (isinstance(a, enum.Enum) and isinstance(b, enum.Enum)
                and type(a).__name__ == type(b).__name__ and a.name == b.name)
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real):
        return bool(a == b)
    if isinstance(a, (str, bytes)) or isinstance(b, (str, bytes)):
        return type(a) is type(b) and a == b
    if inspect.isfunction(a) or inspect.isfunction(b):  # torch.nn.functional.relu ~ glassnet's
        return (callable(a) and callable(b) and a.__name__ == b.__name__
                and a.__module__.split(".")[1:] == b.__module__.split(".")[1:])
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return (type(a) is type(b) and len(a) == len(b)
                and all(_same_default(x, y) for x, y in zip(a, b)))
    raise Undecided(f"no rule compares {type(a).__name__} {a!r} with {type(b).__name__} {b!r}")


def differences(glassnet_params, torch_params, shared=None) -> list[str]:
    """What a torch call (one overload) would find different in glassnet.  ``shared[i]``: the
    names torch's overloads give positional parameter i (torch picks the overload by type, so
    glassnet may take any of them there, as long as it accepts the others by name)."""
    found = []
    shared = shared or {}
    g_by_name = {p.name: p for p in glassnet_params}
    g_positional = [p for p in glassnet_params if p.kind == "pos"]
    g_var = next((i for i, p in enumerate(glassnet_params) if p.kind == "var"), None)
    for index, tp in enumerate(p for p in torch_params if p.kind == "pos"):
        if tp.name in IGNORED:
            continue
        if index < len(g_positional) and g_positional[index].name in shared.get(index, {tp.name}):
            if tp.name in g_by_name:
                continue
        if g_var is not None and index >= g_var:
            continue
        if (keyword.iskeyword(tp.name) or tp.name in POSITION_ONLY) and index < len(g_positional):
            continue  # 'from', 'to': only ever passed by position
        where = g_positional[index].name if index < len(g_positional) else "nothing"
        found.append(f"positional parameter {index} is {tp.name!r} in torch, {where!r} in glassnet")
    for tp in torch_params:
        if tp.name in IGNORED or keyword.iskeyword(tp.name) or tp.name in POSITION_ONLY:
            continue
        gp = g_by_name.get(tp.name)
        if tp.kind == "var":
            if not any(p.kind == "var" for p in glassnet_params):
                found.append(f"torch takes *{tp.name}, glassnet does not")
            continue
        if gp is None or gp.kind == "var":
            found.append(f"missing parameter {tp.name!r}")
            continue
        if tp.default is not REQUIRED and gp.default is REQUIRED:
            found.append(f"{tp.name!r} is optional in torch (default {tp.default!r}), required in glassnet")
        elif tp.default is not REQUIRED:
            try:
                same = _same_default(tp.default, gp.default)
            except Undecided as why:
                found.append(f"cannot compare the defaults of {tp.name!r}: {tp.default!r} in torch, "
                             f"{gp.default!r} in glassnet ({why})")
                continue
            if not same:
                found.append(f"{tp.name!r} defaults to {tp.default!r} in torch, {gp.default!r} in glassnet")
    torch_names = {p.name for p in torch_params}
    for gp in glassnet_params:
        other_overloads = set().union(*shared.values()) if shared else set()
        if gp.default is REQUIRED and gp.kind != "var" and gp.name not in torch_names | other_overloads:
            found.append(f"glassnet requires {gp.name!r}, which torch does not have")
    return found


def compare(glassnet_obj, torch_obj, name: str, method: bool = False, owner: str = "") -> list[str]:
    """Differences against the torch overload glassnet matches best (none if it matches one).

    torch overloads are alternatives (``max(input)``, ``max(input, dim)``, ``max(input, other)``):
    a glassnet function must cover each of them, so differences from every overload are listed."""
    overloads = torch_signatures(torch_obj, name, owner)
    if not overloads or all(o and all(p.kind == "var" for p in o) for o in overloads):
        return []  # nothing documented, or torch's own signature is just (*args, **kwargs)
    try:
        g = from_inspect(inspect.signature(glassnet_obj), drop_self=method)
    except (ValueError, TypeError):
        return [f"{name}: glassnet's version has no signature"]
    shared = {}
    for overload in overloads:
        for index, p in enumerate(p for p in overload if p.kind == "pos"):
            shared.setdefault(index, set()).add(p.name)
    found = []
    for overload in overloads:
        found += [f"{name}: {d}" for d in differences(g, overload, shared) if f"{name}: {d}" not in found]
    return found
