"""Shared fixtures: the seed coverage, the actor dictionary and the real data in ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SEED_ARTICLE = SEEDS / "000_cae259164d53c011.txt"
SEED_ACTORS = SEEDS / "nagorno-karabakh.actors.yaml"
pytest_plugins = ["model_fixtures", "studio_server"]  # tiny trained models; the real Label Studio server

SHARED = Path(os.environ.get("STANCEKIT_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED_ARTICLE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_actors_path() -> Path:
    return SEED_ACTORS


@pytest.fixture(scope="session")
def newsmtsc_dir() -> Path:
    path = SHARED / "datasets" / "newsmtsc"
    if not (path / "train.jsonl").is_file():
        pytest.fail(f"NewsMTSC not found at {path}: put ../shared beside the repository or set STANCEKIT_SHARED")
    return path
