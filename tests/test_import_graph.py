"""The import graph, read from the source: no cycle between modules, and each layer imports only
what it may. Every import counts, including one inside a function: a lazy import hides a cycle,
it does not remove it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.paths import ROOT

PACKAGES = ("api", "registry", "media", "scripts")

# What each layer may import from the project (by module prefix). Anything not listed is refused.
ALLOWED: list[tuple[str, tuple[str, ...]]] = [
    ("media", ("media",)),
    ("registry.policy", ("registry.policy",)),
    ("registry.models", ("registry.models",)),
    ("registry.core", ("registry.core", "registry.models")),
    ("registry", ("registry", "media")),
    ("api", ("api", "registry", "media")),
    ("scripts", ("scripts", "api", "registry", "media")),
]


def module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_of(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> Iterator[tuple[str, int]]:
    """The project modules a file imports, each with the line it does so on."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield _known_prefix(alias.name, known), node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                yield (sub if sub in known else _known_prefix(node.module, known)), node.lineno


def _known_prefix(name: str, known: set[str]) -> str:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    edges: dict[str, set[str]] = {m: set() for m in found}
    for module, path in found.items():
        for target, _ in imports_of(path, known):
            if target and target != module and not module.startswith(target + "."):
                edges[module].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def allowed_for(module: str) -> tuple[str, ...]:
    for prefix, allowed in ALLOWED:
        if module == prefix or module.startswith(prefix + "."):
            return allowed
    raise AssertionError(f"{module} belongs to no layer")


def _within(target: str, prefixes: tuple[str, ...]) -> bool:
    return any(target == p or target.startswith(p + ".") for p in prefixes)


def test_no_module_imports_itself_back_through_others():
    assert cycles(graph()) == []


def test_each_layer_imports_only_what_it_may():
    violations = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        for target in sorted(targets)
        if not _within(target, allowed_for(module))
    ]
    assert violations == []


def test_the_graph_reader_sees_a_cycle_and_a_layer_violation():
    # The reader itself: a cycle of three is found, and media reaching into registry is refused.
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert not _within("registry.core.db", allowed_for("media.faces"))
    assert not _within("registry.clearances.service", allowed_for("registry.models.people"))
    assert _within("registry.models.base", allowed_for("registry.core.db"))


def test_every_project_package_is_in_the_graph():
    edges = graph()
    assert {"registry.core.db", "registry.models.base", "media.faces", "api.main", "scripts.cli"} <= set(edges)
    assert "registry.models.base" in edges["registry.core.files"] or any(
        t.startswith("registry.models") for t in edges["registry.core.files"]
    )
