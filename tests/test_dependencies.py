"""pyproject.toml declares every package stancekit imports, and says why it declares one it never imports."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

import stancekit

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

PACKAGE = Path(stancekit.__file__).resolve().parent
PYPROJECT = PACKAGE.parent / "pyproject.toml"


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    return normalize(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement).group(0))


def imported_modules() -> dict[str, str]:
    """Top-level third-party module -> a file of stancekit that imports it (importlib.resources.files too)."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "files" and node.args
                  and isinstance(node.args[0], ast.Constant)):  # data read from another package
                names = [node.args[0].value]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != "stancekit" and top not in sys.stdlib_module_names:
                    found.setdefault(top, str(path.relative_to(PACKAGE.parent)))
    return found


def declared() -> tuple[set[str], set[str]]:
    """(runtime dependencies, those plus every extra's), normalized."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    runtime = {requirement_name(r) for r in project["dependencies"]}
    extras = {requirement_name(r) for rs in project.get("optional-dependencies", {}).values() for r in rs}
    return runtime, runtime | extras


def test_every_imported_package_is_declared():
    distributions = packages_distributions()
    _, everything = declared()
    missing = {}
    for module, where in imported_modules().items():
        names = {normalize(d) for d in distributions.get(module, [module])}
        if not names & everything:
            missing[module] = (sorted(names), where)
    assert missing == {}, f"imported but not in pyproject.toml (module: distribution, importing file): {missing}"


def test_a_dependency_never_imported_says_why():
    distributions = packages_distributions()
    runtime, _ = declared()
    imported = {normalize(d) for module in imported_modules() for d in distributions.get(module, [module])}
    lines = {requirement_name(line.strip().strip('",')): line for line in PYPROJECT.read_text(encoding="utf-8")
             .splitlines() if re.match(r'\s+"[A-Za-z]', line)}
    silent = sorted(name for name in runtime - imported if "#" not in lines[name])
    assert silent == [], f"declared, never imported, and no comment saying why: {silent}"


def module_level_imports(tree: ast.Module) -> list[tuple[str, int]]:
    """Top-level modules imported when the file is imported (not inside a function; TYPE_CHECKING blocks skipped)."""
    found = []
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, (ast.If, ast.Try)):
            pending += node.body + node.orelse + getattr(node, "finalbody", [])
            pending += [n for handler in getattr(node, "handlers", []) for n in handler.body]
        elif isinstance(node, ast.Import):
            found += [(alias.name.split(".")[0], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module.split(".")[0], node.lineno))
    return found


def test_the_packages_of_an_extra_are_imported_only_where_needed():
    """A module-level import of a package only an extra brings would break every command of the core
    (pip install .): those imports belong inside the function that needs them, after require_extra()."""
    distributions = packages_distributions()
    runtime, everything = declared()
    extra_only = everything - runtime
    misplaced = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for module, line in module_level_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if module == "stancekit" or module in sys.stdlib_module_names:
                continue
            names = {normalize(d) for d in distributions.get(module, [module])}
            if names & extra_only and not names & runtime:
                misplaced.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {module}")
    assert misplaced == [], f"imported at module level but only an extra installs it: {misplaced}"


def test_every_extra_is_known_to_require_extra():
    from stancekit.extras import PURPOSE

    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    assert set(PURPOSE) == set(project["optional-dependencies"]) - {"all", "dev"}
