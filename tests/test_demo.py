"""`stancekit demo`: the whole loop on the seed coverage, with and without Label Studio."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancekit.cli import app
from stancekit.demo import DemoConfig
from stancekit.errors import ConfigError

pytestmark = pytest.mark.slow
runner = CliRunner()


@pytest.fixture(autouse=True)
def _repo_cwd(monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)


def test_demo_without_label_studio(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["demo", "-o", str(out), "--url", "http://127.0.0.1:9"],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "1 document(s), 58 sentences, 151 mentions of 46 actors" in result.stdout
    for name in ("Russia", "Armenia", "Azerbaijan", "Turkey", "Vladimir Putin", "Russian government"):
        assert name in result.stdout
    assert "no Label Studio at http://127.0.0.1:9" in result.stdout and "--studio start" in result.stdout
    # the stance step: every mention of the seed tagged, a report written
    records = [json.loads(line) for line in (out / "tags.jsonl").read_text(encoding="utf-8").splitlines()]
    mentions = [m for r in records for m in r["mentions"]]
    assert len(records) == 58 and len(mentions) == 151
    assert all(m["stance"] in ("favor", "against", "neutral") for m in mentions)
    assert (out / "report" / "report.html").is_file() and "net (95% interval)" in result.stdout
    russia = [line for line in result.stdout.splitlines() if line.startswith("│ Russia ")][-1]  # stance table
    assert "(25)" in russia  # direct mentions of Russia in the seed


def test_demo_pushes_the_seed_to_a_running_label_studio(studio, tmp_path, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", studio.token)
    result = runner.invoke(app, ["demo", "-o", str(tmp_path / "out"), "--url", studio.url],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"project: {studio.url}/projects/" in result.stdout
    assert "task(s) pushed" in result.stdout
    assert studio.token not in result.output


def test_demo_rejects_an_unknown_studio_mode():
    result = runner.invoke(app, ["demo", "--studio", "maybe"])
    assert result.exit_code == 2 and "'maybe' is not one of auto, start, off" in result.stderr
    with pytest.raises(ConfigError, match="--studio must be one of auto, start, off"):  # the Python API checks too
        DemoConfig(studio="maybe")  # type: ignore[arg-type]
