"""The package's shape: no import cycles (imports inside functions count), and a light command line."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import stancekit
from cli_commands import commands, groups

PACKAGE = Path(stancekit.__file__).resolve().parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the stancekit modules it imports anywhere in its body (TYPE_CHECKING blocks excepted)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
        targets: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                base = node.module if node.level == 0 else ".".join(
                    name.split(".")[: len(name.split(".")) - node.level + (path.name == "__init__.py")]
                    + [node.module])
                for alias in node.names:  # `from package import module` imports the module
                    targets.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    graph = import_graph()
    assert len(graph) > 30 and "stancekit.models.base" in graph["stancekit.models.loading"]
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_help_imports_torch_numpy_or_the_label_studio_sdk() -> None:
    """`stancekit --help`, `--version` and every command's --help stay light (lazy imports)."""
    code = ("import sys; from cli_commands import commands, groups; from stancekit.cli import app; "
            "from typer.testing import CliRunner; "
            "paths = [p for p, _ in groups()] + [p for p, _ in commands()]; "
            "assert all(CliRunner().invoke(app, [*p, '--help']).exit_code == 0 for p in paths); "
            "assert CliRunner().invoke(app, ['--version']).exit_code == 0; "
            "print(len(paths), sorted(m for m in ('torch', 'transformers', 'label_studio_sdk', 'numpy', 'datasets', "
            "'sklearn', 'pandas', 'rich') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).parent).stdout
    assert loaded.strip() == f"{len(list(groups())) + len(list(commands()))} []"
