"""The layer contract: imports point down the layers, and no module imports itself back through others.

Every import counts, at module level or inside a function (a lazy import is still an arrow). The
layers, lowest first, are the folders of src/pedcomm (docs/architecture.md explains each):

    _base -> standard -> files -> validation -> analysis -> studies
          -> reproduce, synth, interop, sites, federated -> commands, docsgen, cli, the package root

A module may import its own layer and the layers below. The test fails on an arrow pointing up and
on any cycle between modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .conftest import REPO

SRC = REPO / "src"
LAYERS = [
    {"pedcomm._base"},
    {"pedcomm.standard"},
    {"pedcomm.files"},
    {"pedcomm.validation"},
    {"pedcomm.analysis"},
    {"pedcomm.studies"},
    {"pedcomm.reproduce", "pedcomm.synth", "pedcomm.interop", "pedcomm.sites", "pedcomm.federated"},
    {"pedcomm.commands", "pedcomm.docsgen", "pedcomm.cli", "pedcomm"},
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((SRC / "pedcomm").rglob("*.py"))}


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The pedcomm modules ``name`` imports (a name imported from a package counts as its submodule
    when there is one)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names]
        else:
            continue
        out |= {t for t in targets if t in known and t != name}
    return out


def layer_of(name: str) -> int:
    best = None
    for i, layer in enumerate(LAYERS):
        for top in layer:
            if name == top or name.startswith(top + "."):
                if best is None or len(top) > len(best[1]):
                    best = (i, top)
    assert best is not None, f"{name} is in no layer: add its folder to LAYERS (and to docs/architecture.md)"
    return best[0]


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports(name, path, known) for name, path in mods.items()}


def upward(g: dict[str, set[str]]) -> list[str]:
    return sorted(f"{a} -> {b}" for a, targets in g.items() for b in targets if layer_of(b) > layer_of(a))


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    import sys

    sys.setrecursionlimit(10000)
    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_every_module_is_in_a_layer():
    for name in modules():
        layer_of(name)


def test_no_import_points_up_a_layer():
    assert upward(graph()) == []


def test_no_import_cycle():
    assert cycles(graph()) == []


@pytest.mark.parametrize("edge", [("pedcomm.validation.run", "pedcomm.sites.pool"),
                                  ("pedcomm.standard.targets", "pedcomm.studies.record")])
def test_the_contract_sees_an_upward_arrow(edge):
    g = {edge[0]: {edge[1]}, edge[1]: set()}
    assert upward(g) == [f"{edge[0]} -> {edge[1]}"]


def test_the_contract_sees_a_cycle():
    g = {"pedcomm.analysis.a": {"pedcomm.analysis.b"}, "pedcomm.analysis.b": {"pedcomm.analysis.c"},
         "pedcomm.analysis.c": {"pedcomm.analysis.a"}, "pedcomm.analysis.d": {"pedcomm.analysis.a"}}
    assert cycles(g) == [["pedcomm.analysis.a", "pedcomm.analysis.b", "pedcomm.analysis.c"]]


def test_lazy_imports_count(tmp_path):
    """An import inside a function is an arrow too."""
    p = SRC / "pedcomm" / "validation" / "run.py"
    assert "pedcomm.standard.studies" in imports("pedcomm.validation.run", p, set(modules()))
