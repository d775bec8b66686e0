"""The checkout is not the package: a wheel installed into a fresh venv works from another folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the stancekit wheel installed; its dependencies come from this environment."""
    root = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(root / "dist"), str(REPO)], check=True, capture_output=True)
    (wheel,) = (root / "dist").glob("stancekit-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-deps",
                    "-q", str(wheel)], check=True, capture_output=True)
    site = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # the dependencies (torch, transformers...) from this environment; its editable stancekit is not activated
    # by a path entry (only site directories process .pth files)
    (Path(site) / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    return venv


def run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(venv / "bin" / "stancekit"), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_wheel_carries_the_templates_and_runs_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run([str(installed / "bin" / "python"), "-c", "import stancekit; print(stancekit.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(installed)), where  # the installed copy, not the checkout
    config = run(installed, "ls", "config", "-a", str(SEEDS / "nagorno-karabakh.actors.yaml"), cwd=tmp_path)
    assert config.returncode == 0, config.stderr
    assert '<Label value="russia-gov"' in config.stdout and '<Choice value="unclear"' in config.stdout
    mentions = run(installed, "mentions", str(SEEDS / "000_cae259164d53c011.txt"), "-a",
                   str(SEEDS / "nagorno-karabakh.actors.yaml"), cwd=tmp_path)
    assert mentions.returncode == 0, mentions.stderr
    records = [json.loads(line) for line in mentions.stdout.splitlines()]
    assert len(records) == 58 and sum(len(r["mentions"]) for r in records) == 151
