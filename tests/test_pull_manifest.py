"""`ls adjudicate` defaults to the actor dictionary the pull used (recorded in the pulled folder's manifest)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancekit.cli import app
from stancekit.errors import ConfigError
from stancekit.studio.adjudicate import AdjudicateConfig
from stancekit.studio.pull import MANIFEST_FILE, parse_saved

SEED_GOLD = Path(__file__).resolve().parent.parent / "datasets" / "seed-gold"


@pytest.fixture()
def export() -> Path:
    (raw,) = [p for p in (SEED_GOLD / "raw").glob("export-*.json") if not p.name.endswith(".users.json")]
    return raw


@pytest.fixture()
def actors(seed_actors_path, tmp_path) -> Path:
    copy = tmp_path / "dictionary" / "actors.yaml"
    copy.parent.mkdir()
    shutil.copy(seed_actors_path, copy)
    return copy


def test_adjudicate_uses_the_dictionary_of_the_pull(export, actors, tmp_path):
    pulled = tmp_path / "pulled"
    parse_saved(export, pulled, actors=actors)  # what ls pull does after the download
    manifest = json.loads((pulled / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["actors"]["path"] == "../dictionary/actors.yaml"  # relative: the folders may move together
    assert AdjudicateConfig(project="p", pulled_dir=pulled).actors.resolve() == actors.resolve()
    other = tmp_path / "other.yaml"
    shutil.copy(actors, other)
    assert AdjudicateConfig(project="p", pulled_dir=pulled, actors=other).actors == other  # an explicit one wins


def test_adjudicate_refuses_a_dictionary_changed_since_the_pull(export, actors, tmp_path):
    pulled = tmp_path / "pulled"
    parse_saved(export, pulled, actors=actors)
    actors.write_text(actors.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="changed since"):
        AdjudicateConfig(project="p", pulled_dir=pulled)
    result = CliRunner().invoke(app, ["ls", "adjudicate", "-p", "p", "--pulled", str(pulled)])
    assert result.exit_code == 1 and "changed since" in result.stderr and "pull again" in result.stderr


def test_adjudicate_without_a_dictionary_anywhere(export, tmp_path):
    pulled = tmp_path / "pulled"
    parse_saved(export, pulled)
    with pytest.raises(ConfigError, match="pulled without an actor dictionary; pass --actors"):
        AdjudicateConfig(project="p", pulled_dir=pulled)
