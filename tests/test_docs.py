"""The documentation stays true: docs/cli.md is what the commands say about themselves today, and every
page the README and docs/ link to exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REGENERATE = "make docs"


def test_the_cli_reference_is_current(tmp_path: Path) -> None:
    fresh = tmp_path / "cli.md"
    subprocess.run([sys.executable, "-m", "typer", "stancekit.cli", "utils", "docs", "--name", "stancekit",
                    "--title", "stancekit command reference", "--output", str(fresh)], check=True, capture_output=True,
                   cwd=REPO)
    written = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert fresh.read_text(encoding="utf-8") == written, (
        f"docs/cli.md is stale (the commands changed since it was generated): regenerate it with `{REGENERATE}`")
    assert "## `stancekit tag`" in written and "## `stancekit ls push`" in written


def test_every_local_link_of_the_readme_and_docs_resolves() -> None:
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if not re.match(r"[a-z]+://|mailto:", target) and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(REPO)} -> {target}")
    assert broken == []
