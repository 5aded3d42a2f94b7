"""The package's shape, checked: no import circle, no file over 300 lines without a reason, docs that exist.

Why these are tests: a newcomer relies on them (docs/architecture.md states the rules), and
a rule only a reviewer remembers does not hold for long.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "wordinfo"
# an import inside a function whose line carries this is a stated exception (a notebook view, say)
MARKER = "# notebook convenience: lazy import (docs/architecture.md)"
MAX_LINES = 300


def modules() -> dict[str, Path]:
    out = {}
    for f in sorted(PACKAGE.rglob("*.py")):
        parts = f.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return out


def import_graph() -> tuple[dict[str, set[str]], list[str]]:
    """Module -> the package modules importing it runs (lazy imports in functions included, parent packages
    of what it imports included: ``import a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first)."""
    mods = modules()
    graph, excused = {}, []
    for name, path in mods.items():
        text = path.read_text()
        lines = text.splitlines()
        tree = ast.parse(text)
        is_package = path.name == "__init__.py"
        in_function = {id(n) for fn in ast.walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
                       for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))}
        deps = set()
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            if id(node) in in_function and any(MARKER in lines[n - 1] for n in {node.lineno, node.end_lineno}):
                excused.append(f"{name}:{node.lineno}")
                continue
            for target in _targets(name, node, is_package, mods):
                while target not in mods and "." in target:
                    target = target.rsplit(".", 1)[0]
                chain = target.split(".")
                for k in range(1, len(chain) + 1):          # the target and every package above it
                    step = ".".join(chain[:k])
                    if step in mods and step != name and not name.startswith(step + "."):
                        deps.add(step)
        graph[name] = deps
    return graph, excused


def _targets(current: str, node, is_package: bool, mods) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "wordinfo"]
    if node.level:
        base = current.split(".") if is_package else current.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        module = ".".join(base + ([node.module] if node.module else []))
    else:
        module = node.module or ""
    if module.split(".")[0] != "wordinfo":
        return []
    return [f"{module}.{a.name}" if f"{module}.{a.name}" in mods else module for a in node.names]


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
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
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_has_no_circle():
    graph, _ = import_graph()
    found = circles(graph)
    assert not found, "import circles: " + "; ".join(
        " <-> ".join(c) + " (" + ", ".join(f"{a} -> {sorted(d for d in graph[a] if d in c)}" for a in c) + ")"
        for c in found)


def test_the_graph_check_finds_a_circle():
    """The check itself can fail: a made-up graph with a circle is found."""
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_marked_lazy_imports_are_excused():
    _, excused = import_graph()
    for where in excused:
        name, line = where.rsplit(":", 1)
        text = modules()[name].read_text().splitlines()[int(line) - 1]
        assert MARKER in text


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_long_file_says_why_it_is_one_job(path):
    lines = path.read_text().count("\n")
    if lines <= MAX_LINES:
        return
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    assert "one job" in doc.lower(), \
        f"{path.name} has {lines} lines: split it, or say in its docstring why it is one job"


def test_every_doc_the_code_cites_exists():
    cited = set()
    for path in PACKAGE.rglob("*.py"):
        cited |= set(re.findall(r"docs/[\w/.-]+\.md", path.read_text()))
    missing = sorted(c for c in cited if not (ROOT / c).is_file())
    assert not missing, f"cited but missing: {missing}"
    assert "docs/method.md" in cited


def test_no_module_cites_the_method_outside_the_repository():
    for path in PACKAGE.rglob("*.py"):
        assert not re.search(r"(?<!docs/)\bMETHOD\.md", path.read_text()), f"{path}: cite docs/method.md"
