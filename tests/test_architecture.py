"""The house's plan, enforced: one-way layers, no import circles, no patching from outside.

Reads every ``import`` in ``src/glassnet`` (function-level ones included) and checks them against
the layer order written in ``docs/ARCHITECTURE.md``.  A module may import from its own level or a
level below it, never above; no group of modules may import each other in a circle.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "glassnet"

#: The layers, bottom first.  A module belongs to the level of the longest prefix naming it.
LEVELS = [
    ("autograd core", ["glassnet.autograd.engine", "glassnet.autograd.function", "glassnet.autograd.broadcasting"]),
    ("primitives", ["glassnet.ops"]),
    ("tensor", ["glassnet.tensors", "glassnet.random"]),
    ("engine surface", ["glassnet.autograd", "glassnet.cuda", "glassnet.backends", "glassnet.amp",
                        "glassnet.accelerator"]),
    ("library", ["glassnet.nn", "glassnet.optim", "glassnet.data", "glassnet.utils",
                 "glassnet.serialization", "glassnet.onnx", "glassnet.distributed"]),
    ("public surface", ["glassnet"]),
    ("crossing and observation", ["glassnet.bridge", "glassnet.observe", "glassnet.viz"]),
    ("tools", ["glassnet.explain", "glassnet.doctor", "glassnet.training"]),
    ("applications", ["glassnet.lessons", "glassnet.playground", "glassnet.cli", "glassnet.compat",
                      "glassnet.__main__"]),
]

#: Top-level modules allowed beside the packages: torch has a module of the same name (so
#: ``import torch.random`` and the like keep working), or Python needs it.
LOOSE_MODULES = {"__init__", "__main__", "random"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The module a dotted import name lands in (the longest existing prefix)."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in MODULES:
            return ".".join(parts)
        parts.pop()
    return None


def _package_of(module: str) -> list[str]:
    return module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]


def _absolute(name: str, package: list[str]) -> str:
    """``..explain`` seen from package ``glassnet.ops`` is ``glassnet.explain``."""
    if not name.startswith("."):
        return name
    level = len(name) - len(name.lstrip("."))
    base = package[:len(package) - level + 1]
    return ".".join(base + ([name.lstrip(".")] if name.lstrip(".") else []))


def _import_calls(tree) -> set[str]:
    """The names a module calls to import dynamically: ``import_module`` (however imported or
    renamed, or as ``importlib.import_module``) and ``__import__``."""
    names = {"__import__", "import_module"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "importlib":
            names |= {a.asname or a.name for a in node.names if a.name == "import_module"}
    return names


def _scan(module: str, text: str | None = None, package: list[str] | None = None):
    """(static imports, dynamic imports) of ``module``: every glassnet module it imports with the
    line, top-level and inside functions; and the lines that import a computed name."""
    package = _package_of(module) if package is None else package
    tree = ast.parse(MODULES[module].read_text() if text is None else text)
    callers = _import_calls(tree)
    found, dynamic = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(_resolve(a.name), node.lineno) for a in node.names if a.name.split(".")[0] == "glassnet"]
        elif isinstance(node, ast.ImportFrom):
            full = _absolute("." * node.level + (node.module or ""), package)
            if full.split(".")[0] != "glassnet":
                continue
            for alias in node.names:
                sub = f"{full}.{alias.name}"
                found.append((sub if sub in MODULES else _resolve(full), node.lineno))
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called not in callers or not node.args:
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                name = arg.value
                if name.startswith("."):        # import_module(".x", __name__ or __package__)
                    name = _absolute(name, package)
                if name.split(".")[0] == "glassnet":
                    found.append((_resolve(name), node.lineno))
            else:
                dynamic.append(node.lineno)
    return [(t, line) for t, line in found if t and t != module], dynamic


def imports_of(module: str) -> list[tuple[str, int]]:
    """Every glassnet module ``module`` imports, with the line: top-level and inside functions."""
    return _scan(module)[0]


def level_of(module: str) -> int:
    """The level of the longest prefix naming ``module`` (``glassnet`` itself names only the root)."""
    best, best_len = None, -1
    for index, (_, prefixes) in enumerate(LEVELS):
        for prefix in prefixes:
            below = module.startswith(prefix + ".") and prefix != "glassnet"
            if (module == prefix or below) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    if best is None:
        raise AssertionError(f"{module} belongs to no layer: add it to LEVELS and docs/ARCHITECTURE.md")
    return best


GRAPH = {module: imports_of(module) for module in MODULES}
DYNAMIC = {module: _scan(module)[1] for module in MODULES}

#: The modules allowed to import a computed name, and what that name can be.  Everything else
#: imports by a name written in the code, so that this test can read it.
ALLOWED_DYNAMIC = {
    "glassnet": "glassnet.nn, glassnet.explain, ... on first attribute access (import glassnet as "
                "torch; torch.nn): the one place a lower floor reaches up, by name, at run time",
    "glassnet.bridge": "its own submodules, for its lazily loaded public names",
    "glassnet.lessons": "its own submodules, one per lesson, loaded by the lesson's name",
    "glassnet.compat": "the glassnet module a torch program's `import torch.X` names (the top floor)",
}


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the groups of modules that import each other in a circle."""
    index, low, stack, on_stack, groups, counter = {}, {}, [], set(), [], 0
    for root in sorted(graph):
        if root in index:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(sorted(graph[root])))]
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
    return groups


def test_the_import_reader_sees_function_level_imports():
    """The reader must not miss the imports that hide inside functions: ``glassnet.cli.commands``
    imports the training pipeline inside the command that needs it (so ``glassnet --help`` starts
    fast), and the reader must see that import."""
    tree = ast.parse(MODULES["glassnet.cli.commands"].read_text())
    inside = {node.lineno for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)
              for node in ast.walk(fn) if isinstance(node, (ast.Import, ast.ImportFrom))}
    lines = {line for target, line in GRAPH["glassnet.cli.commands"] if target == "glassnet.training"}
    assert lines and lines <= inside, (lines, inside)


def test_the_import_reader_sees_dynamic_and_relative_forms():
    """``import_module`` under another name, with a relative name, ``__import__``, and a computed
    name (which must be listed as dynamic) are all read."""
    text = ("from importlib import import_module as im\n"
            "import importlib\n"
            "def f(name):\n"
            "    im('glassnet.explain')\n"
            "    importlib.import_module('..doctor', __package__)\n"
            "    __import__('glassnet.training')\n"
            "    importlib.import_module('glassnet.' + name)\n")
    static, dynamic = _scan("glassnet.ops.reduce", text, package=["glassnet", "ops"])
    assert {t for t, _ in static} == {"glassnet.explain", "glassnet.doctor", "glassnet.training"}
    assert dynamic == [7]


def test_no_dynamic_import_outside_the_list():
    unlisted = [f"{MODULES[m].relative_to(SRC.parent)}:{line} imports a computed name"
                for m, lines in DYNAMIC.items() for line in lines if m not in ALLOWED_DYNAMIC]
    assert not unlisted, "\n".join(unlisted) + "\n(import by a written name, or list it in ALLOWED_DYNAMIC)"


def test_a_new_package_is_placed_by_hand():
    """``glassnet`` names only the root: a new package (``glassnet/models/``) belongs to no layer
    until someone places it."""
    with pytest.raises(AssertionError, match="belongs to no layer"):
        level_of("glassnet.models.resnet")
    assert LEVELS[level_of("glassnet")][0] == "public surface"


def test_every_module_has_a_layer():
    unplaced = []
    for module in MODULES:
        try:
            level_of(module)
        except AssertionError as err:
            unplaced.append(str(err))
    assert not unplaced, "\n".join(unplaced)


def test_no_import_runs_up_the_layers():
    upward = []
    for module, targets in GRAPH.items():
        for target, line in targets:
            if level_of(target) > level_of(module):
                upward.append(f"{MODULES[module].relative_to(SRC.parent)}:{line} {module} "
                              f"({LEVELS[level_of(module)][0]}) imports {target} "
                              f"({LEVELS[level_of(target)][0]})")
    assert not upward, "imports against the layer order:\n" + "\n".join(sorted(upward))


def test_no_import_circles():
    graph = defaultdict(set)
    for module, targets in GRAPH.items():
        graph[module] |= {target for target, _ in targets}
        for target, _ in targets:
            graph[target]
    circles = strongly_connected(graph)
    assert not circles, "modules that import each other in a circle:\n" + "\n".join(map(str, circles))


def _with_package_inits(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Importing ``a.b.c`` first runs ``a/b/__init__.py``: add that edge (glassnet's own
    ``__init__`` aside, which every import runs first and which reaches up only by name)."""
    full = defaultdict(set, {m: set(t) for m, t in graph.items()})
    for module in list(full):
        parent = module.rsplit(".", 1)[0]
        if "." in module and parent != "glassnet" and parent in MODULES:
            full[module].add(parent)
    return full


def test_no_circle_through_a_package_init():
    """A package's ``__init__`` that imports something which imports back into the package
    breaks ``import`` as soon as the order of the root's imports changes ('partially initialized
    module').  A circle through an ``__init__`` is fine only inside that package (the ``__init__``
    re-exporting its own submodules)."""
    graph = {m: {t for t, _ in ts} for m, ts in GRAPH.items()}
    bad = []
    for group in strongly_connected(_with_package_inits(graph)):
        inits = [m for m in group if MODULES[m].name == "__init__.py"]
        if not any(all(m == p or m.startswith(p + ".") for m in group) for p in inits):
            bad.append(group)
    assert not bad, "circles through a package's __init__ that leave the package:\n" + \
        "\n".join(map(str, bad))


def test_the_circle_finder_finds_a_circle():
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def imported_names(module: str) -> set[str]:
    """The local names under which ``module`` holds what other glassnet modules define: modules
    (``from . import x``, ``import glassnet.x as y``) and their classes and functions
    (``from ..tensors.tensor import Tensor``)."""
    package = _package_of(module)
    names = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.Import):
            names |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.split(".")[0] == "glassnet"}
        elif isinstance(node, ast.ImportFrom):
            full = _absolute("." * node.level + (node.module or ""), package)
            if full.split(".")[0] == "glassnet":
                names |= {a.asname or a.name for a in node.names if a.name != "*"}
    return names


def _root_name(target):
    while isinstance(target, ast.Attribute):
        target = target.value
    return target.id if isinstance(target, ast.Name) else None


def patches_in(module: str, text: str | None = None) -> list[str]:
    """Writes into another module's namespace or into a class it defines: ``function._Tensor =
    Tensor``, ``glassnet.autograd.engine.X = 1``, ``Tensor.backward = f``, ``setattr(Tensor, ...)``."""
    names = imported_names(module) if text is None else {"glassnet", "function", "Tensor"}
    found = []
    for node in ast.walk(ast.parse(MODULES[module].read_text() if text is None else text)):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("setattr", "delattr") \
                and node.args and _root_name(node.args[0]) in names:
            found.append(f"{module}:{node.lineno} calls {node.func.id} on {ast.unparse(node.args[0])}")
        for target in targets:
            namespace = isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute) \
                and target.value.attr == "__dict__"           # Tensor.__dict__["x"] = ...
            if (isinstance(target, ast.Attribute) or namespace) and \
                    _root_name(target.value if namespace else target) in names:
                found.append(f"{module}:{node.lineno} sets {ast.unparse(target)}")
    return found


def test_no_module_patches_another_from_outside():
    """``function._Tensor = Tensor`` hides a dependency from every reader: not allowed."""
    patches = [p for module in MODULES for p in patches_in(module)]
    assert not patches, "modules set names in other modules or their classes:\n" + "\n".join(patches)


def test_the_patch_reader_sees_the_forms():
    text = ("import glassnet\nfrom . import function\nfrom .tensor import Tensor\n"
            "function._Tensor = Tensor\nglassnet.autograd.engine.X = 1\nTensor.backward = None\n"
            "setattr(Tensor, 'step', None)\nTensor.__dict__['x'] = 1\nlocal = 1\n")
    assert len(patches_in("glassnet.ops.reduce", text)) == 5


def test_the_ground_floor_holds_only_torch_named_modules_and_packages():
    loose = {p.stem for p in SRC.glob("*.py")}
    assert loose <= LOOSE_MODULES, f"loose top-level modules {sorted(loose - LOOSE_MODULES)}: " \
                                   f"put them in the package named for what they are"


#: The engine proper (Tensor, the graph node and its apply, the backward walk): read in one sitting.
ENGINE_PROPER = ["tensors/tensor.py", "autograd/engine.py"]


def test_the_engine_proper_reads_in_one_sitting():
    lines = sum(len((SRC / f).read_text().splitlines()) for f in ENGINE_PROPER)
    assert lines <= 900, f"the engine proper is {lines} lines (goal: at most 900)"


@pytest.mark.parametrize("layer", [name for name, _ in LEVELS])
def test_every_layer_is_documented(layer):
    assert layer in (SRC.parents[1] / "docs" / "ARCHITECTURE.md").read_text()
