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
    ("autograd core", ["glassnet.autograd.engine", "glassnet.autograd.function"]),
    ("primitives", ["glassnet.ops"]),
    ("tensor", ["glassnet.tensors", "glassnet.random"]),
    ("engine surface", ["glassnet.autograd", "glassnet.cuda", "glassnet.backends"]),
    ("library", ["glassnet.nn", "glassnet.optim", "glassnet.data", "glassnet.utils",
                 "glassnet.serialization"]),
    ("public surface", ["glassnet"]),
    ("crossing and observation", ["glassnet.bridge", "glassnet.observe", "glassnet.viz"]),
    ("tools", ["glassnet.explain", "glassnet.doctor", "glassnet.training"]),
    ("applications", ["glassnet.lessons", "glassnet.playground", "glassnet.cli", "glassnet.compat",
                      "glassnet.__main__"]),
]

#: Top-level modules allowed beside the packages: torch has a module of the same name (so
#: ``import torch.random`` and the like keep working), or Python needs it.
LOOSE_MODULES = {"__init__", "__main__", "random", "cuda"}


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


def imports_of(module: str) -> list[tuple[str, int]]:
    """Every glassnet module ``module`` imports, with the line: top-level and inside functions."""
    path = MODULES[module]
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(_resolve(a.name), node.lineno) for a in node.names if a.name.split(".")[0] == "glassnet"]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            full = ".".join(base + ([node.module] if node.module else []))
            if full.split(".")[0] != "glassnet":
                continue
            for alias in node.names:
                sub = f"{full}.{alias.name}"
                found.append((sub if sub in MODULES else _resolve(full), node.lineno))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module":
            arg = node.args[0] if node.args else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                name = arg.value
                if name.startswith("."):
                    name = ".".join(package) + name
                if name.split(".")[0] == "glassnet" and "{" not in name:
                    found.append((_resolve(name), node.lineno))
    return [(target, line) for target, line in found if target and target != module]


def level_of(module: str) -> int:
    best, best_len = None, -1
    for index, (_, prefixes) in enumerate(LEVELS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    if best is None:
        raise AssertionError(f"{module} belongs to no layer: add it to LEVELS and docs/ARCHITECTURE.md")
    return best


GRAPH = {module: imports_of(module) for module in MODULES}


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
    """The reader must not miss the imports that hide inside functions (a test that cannot fail
    otherwise): glassnet.autograd.gradcheck imports the tensor inside its function."""
    targets = {target for target, _ in GRAPH["glassnet.autograd.gradcheck"]}
    assert any(t.startswith("glassnet.tensors") for t in targets), targets


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


def test_the_circle_finder_finds_a_circle():
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def module_names(module: str) -> set[str]:
    """The local names under which ``module`` holds other glassnet modules (``from . import x``,
    ``import glassnet.x as y``)."""
    path = MODULES[module]
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.split(".")[0] == "glassnet"}
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            full = ".".join(base + ([node.module] if node.module else []))
            names |= {a.asname or a.name for a in node.names if f"{full}.{a.name}" in MODULES}
    return names


def test_no_module_patches_another_from_outside():
    """``function._Tensor = Tensor`` hides a dependency from every reader: not allowed."""
    patches = []
    for module, path in MODULES.items():
        names = module_names(module)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
            calls_setattr = isinstance(node, ast.Call) and getattr(node.func, "id", "") == "setattr" \
                and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id in names
            if calls_setattr:
                patches.append(f"{module}:{node.lineno} calls setattr on the module {node.args[0].id}")
            for target in targets:
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                        and target.value.id in names:
                    patches.append(f"{module}:{node.lineno} sets {target.value.id}.{target.attr}")
    assert not patches, "modules set names in other modules:\n" + "\n".join(patches)


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
