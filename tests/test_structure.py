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


# -- one owner per decision --------------------------------------------------------------------------------
STUDIO_ENV = {"LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY"}
STUDIO_ENV_NAMES = {"URL_ENV", "TOKEN_ENV"}  # stancekit.studio.connection's names for them
CONNECTION = "stancekit.studio.connection"


def _names_env(node: ast.AST) -> bool:
    """Whether an expression is a Label Studio variable's name (the string, or connection's constant)."""
    if isinstance(node, ast.Constant):
        return node.value in STUDIO_ENV
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
    return name in STUDIO_ENV_NAMES


def _is_environ(node: ast.AST) -> bool:
    return ast.unparse(node) in ("os.environ", "environ")


def studio_env_readers(source: str) -> list[str]:
    """The places in ``source`` that read $LABEL_STUDIO_URL / $LABEL_STUDIO_API_KEY: os.environ[...],
    os.environ.get(...), os.getenv(...), `... in os.environ`, typer's envvar=..., or the bare variable name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Subscript) and _is_environ(node.value) and _names_env(node.slice):
            found.append(ast.unparse(node))
        elif isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            if func in ("os.environ.get", "environ.get", "os.getenv", "getenv") and node.args \
                    and _names_env(node.args[0]):
                found.append(ast.unparse(node))
            found += [ast.unparse(node) for k in node.keywords if k.arg == "envvar" and _names_env(k.value)]
        elif isinstance(node, ast.Compare) and any(_is_environ(c) for c in node.comparators) \
                and _names_env(node.left):
            found.append(ast.unparse(node))
        elif isinstance(node, ast.Constant) and node.value in STUDIO_ENV:
            found.append(repr(node.value))
    return found


def manifest_writers(source: str) -> list[str]:
    """Calls in ``source`` that write a file named stancekit.json (the literal, or models.manifest's MANIFEST)
    by hand: open(), atomic_write(), Path.write_text()/write_bytes(), json.dump()."""
    tree = ast.parse(source)
    imported = any(isinstance(n, ast.ImportFrom) and (n.module or "").startswith("stancekit.models")
                   and any(a.name == "MANIFEST" and a.asname is None for a in n.names) for n in ast.walk(tree))

    def names_manifest(node: ast.AST) -> bool:
        return any((isinstance(n, ast.Constant) and n.value == "stancekit.json")
                   or (imported and isinstance(n, ast.Name) and n.id == "MANIFEST") for n in ast.walk(node))

    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name in ("open", "atomic_write", "dump") and any(names_manifest(a) for a in node.args):
            found.append(ast.unparse(node))
        elif name in ("write_text", "write_bytes", "open") and isinstance(func, ast.Attribute) \
                and names_manifest(func.value):
            found.append(ast.unparse(node))
    return found


def test_one_reader_of_the_label_studio_environment_variables():
    """Only stancekit.studio.connection reads $LABEL_STUDIO_URL / $LABEL_STUDIO_API_KEY (flag > environment >
    project file > default, in one place); every other module asks it."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    readers = {name: hits for name, path in modules.items() if name != CONNECTION
               and (hits := studio_env_readers(path.read_text(encoding="utf-8")))}
    assert readers == {}
    assert studio_env_readers(modules[CONNECTION].read_text(encoding="utf-8"))  # the owner does read them


def test_the_env_reader_check_finds_readers():
    for source in ('import os\nos.environ.get("LABEL_STUDIO_URL", "")', "import os\nos.environ[TOKEN_ENV]",
                   'import os\nos.getenv("LABEL_STUDIO_API_KEY")', "import os\nif connection.URL_ENV in os.environ: x",
                   'typer.Option("--url", envvar="LABEL_STUDIO_URL")', 'NAME = "LABEL_STUDIO_API_KEY"'):
        assert studio_env_readers(source), source
    assert studio_env_readers('print(f"export {URL_ENV}={url}")\nx = "set $LABEL_STUDIO_URL"') == []


def test_one_writer_of_the_model_manifest():
    """stancekit.json is written only by stancekit.models.manifest (Manifest.write)."""
    owner = "stancekit.models.manifest"
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    writers = {name: hits for name, path in modules.items() if name != owner
               and (hits := manifest_writers(path.read_text(encoding="utf-8")))}
    assert writers == {}


def test_the_manifest_writer_check_finds_writers():
    for source in ('atomic_write(folder / "stancekit.json")', "from stancekit.models.manifest import MANIFEST\n"
                   "(folder / MANIFEST).write_text(text)", 'with open(path / "stancekit.json", "w") as f: pass',
                   "from stancekit.models import MANIFEST\njson.dump(data, open(folder / MANIFEST, 'w'))"):
        assert manifest_writers(source), source
    assert manifest_writers("from stancekit.models.manifest import MANIFEST\n(folder / MANIFEST).read_text()") == []
    assert manifest_writers("MANIFEST = 'stancekit-dataset.json'\natomic_write(out / MANIFEST)") == []
