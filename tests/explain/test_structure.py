"""glassnet.explain's structure: generic (no seed lessons inside), one-way layers inside it (the
recording's data at the bottom, the views, the renderers, then ``Recording`` with its methods, then
the producers), and no import cycles (module-level or deferred inside functions)."""
import ast
from pathlib import Path

import glassnet

SRC = Path(glassnet.__file__).parent

#: explain's layers, bottom first: a module imports only from its own layer or the ones below.
LAYERS = [
    ["_numbers", "naming"],                                     # no import of the package
    ["records"],                                                # the recording's data
    ["tape", "effect", "local", "derivation", "insights", "summary", "views", "detail",
     "graph", "receptive", "attention", "recurrent"],                                     # views of the data
    ["render"],                                                 # renderers (render/*)
    ["recording"],                                              # Recording: the views as methods
    ["torch_record", "recorder", "compare", "trace"],           # producers
    ["__init__"],
]


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path):
    """(target module, at module level?) for every import in the file, resolved to full names."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = set(map(id, tree.body))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        for t in targets:
            yield t, id(node) in top


def _graph(package: str, module_level_only: bool) -> dict:
    files = {_module_name(p): p for p in (SRC / package.split(".")[-1]).rglob("*.py")}
    graph = {}
    for name, path in files.items():
        edges = set()
        for target, at_top in _imports(path):
            if module_level_only and not at_top:
                continue
            if target in files and target != name and not name.startswith(target + "."):
                edges.add(target)       # (an enclosing package is always already importing)
        graph[name] = edges
    return graph


def _cycle(graph: dict):
    state, stack = {}, []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        stack.pop()
        return None

    for node in graph:
        if node not in state and (found := visit(node)):
            return found
    return None


def test_explain_has_no_import_cycles_even_deferred_ones():
    assert _cycle(_graph("glassnet.explain", module_level_only=True)) is None
    assert _cycle(_graph("glassnet.explain", module_level_only=False)) is None


def test_lessons_examples_and_seed_checks_do_not_import_each_other_in_a_cycle():
    assert _cycle(_graph("glassnet.lessons", module_level_only=False)) is None


def test_explain_is_generic_it_never_imports_the_lessons():
    for path in (SRC / "explain").rglob("*.py"):
        for target, _ in _imports(path):
            assert not target.startswith("glassnet.lessons"), f"{path.name} imports {target}"
    assert not (SRC / "explain" / "examples.py").exists()


def _layer(module: str) -> int:
    """The index in LAYERS of a ``glassnet.explain`` module."""
    rest = module.split(".")[2:] or ["__init__"]
    return next((i for i, names in enumerate(LAYERS) if rest[0] in names), None)


def test_every_explain_module_has_a_layer():
    for name in _graph("glassnet.explain", module_level_only=False):
        assert _layer(name) is not None, name


def test_explain_imports_run_one_way_down_its_layers():
    """Nothing reaches up, not even inside a function: a renderer never asks ``Recording`` for a
    view, the data never imports a view."""
    for name, targets in _graph("glassnet.explain", module_level_only=False).items():
        for target in targets:
            assert _layer(target) <= _layer(name), f"{name} imports {target}, a layer above it"


def test_the_recording_data_module_sits_at_the_bottom():
    targets = {t for t, _ in _imports(SRC / "explain" / "records.py")}
    inside = {t for t in targets if t.startswith("glassnet.")}
    assert {t.rsplit(".", 1)[0] if t.count(".") > 2 else t for t in inside} <= {
        "glassnet.explain._numbers", "glassnet.explain.naming"}
    for name in ("naming.py", "_numbers.py"):           # and these import nothing of the package
        assert not {t for t, _ in _imports(SRC / "explain" / name) if t.startswith("glassnet.")}
    # Recording's methods call the views and renderers it imports at module level
    assert not {t for t, at_top in _imports(SRC / "explain" / "recording.py")
                if not at_top and t.startswith("glassnet.")}
