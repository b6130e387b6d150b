"""The package's imports flow one way: down the stages, and never in a cycle.

Every import counts, the ones inside functions too: a lazy import hides a cycle from Python, not from
the reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

import edgenn

PACKAGE = Path(edgenn.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """The package's modules that `path` imports, each named as precisely as the import allows."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(path, name, known) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_finder_sees_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_holds_the_imports_it_should():
    graph = import_graph()
    assert "edgenn.graph.quant" in graph["edgenn.evaluate.runners"]
    assert "edgenn.toolchain" in graph["edgenn.evaluate.runners"]


def test_no_import_cycles():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


# The stages from the bottom up; a module may import from its own layer and the layers below it.
# The longest matching prefix places a module.
LAYERS = (
    (
        "edgenn",
        "edgenn.errors",
        "edgenn.fileio",
        "edgenn.console",
        "edgenn.clib",
        "edgenn.isolate",
        "edgenn.cfmt",
        "edgenn.recipe",
        "edgenn.schemas",
        "edgenn.layout",
        "edgenn.tfimport",
    ),
    ("edgenn.data", "edgenn.frontend.mfcc"),
    ("edgenn.graph",),
    ("edgenn.reference",),
    ("edgenn.export",),
    ("edgenn.toolchain", "edgenn.frontend"),
    ("edgenn.evaluate", "edgenn.analyze", "edgenn.profile", "edgenn.frontend.kws"),
    ("edgenn.train", "edgenn.convert"),
    ("edgenn.optimize",),
    ("edgenn.gate",),
    ("edgenn.pipeline", "edgenn.options"),
    ("edgenn.cli", "edgenn.__main__"),
)


def layer_of(module: str) -> int:
    found = [
        (len(prefix), i)
        for i, names in enumerate(LAYERS)
        for prefix in names
        if module == prefix or module.startswith(prefix + ".")
    ]
    assert found, f"{module} is in no layer: add it to LAYERS"
    return max(found)[1]


def test_the_layering_catches_a_reach_up():
    assert layer_of("edgenn.graph.tflite") < layer_of("edgenn.export.codegen") < layer_of("edgenn.pipeline")
    assert layer_of("edgenn.frontend.kws") > layer_of("edgenn.frontend.build")


def test_no_module_reaches_up():
    up = [
        f"{module} -> {target}"
        for module, targets in import_graph().items()
        for target in sorted(targets)
        if layer_of(target) > layer_of(module)
    ]
    assert not up, "imports from a higher layer: " + "; ".join(up)
