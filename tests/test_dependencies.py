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
