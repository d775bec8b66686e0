"""The library call behind the demo's Label Studio step, against the real server."""

from __future__ import annotations

import pytest

from stancekit.demo.studio import push_seed
from stancekit.errors import ConfigError

pytestmark = pytest.mark.slow


def test_demo_pushes_the_seed_and_returns_the_project_url(studio, seed_actors_path, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", studio.token)
    seed = seed_actors_path.parent / "000_cae259164d53c011.txt"
    options = {"inputs": [seed], "actors": seed_actors_path, "url": studio.url, "project": "stancekit demo test"}
    first = push_seed(mode="start", **options)  # a server answers: nothing is started
    again = push_seed(mode="auto", **options)
    assert first.project_url.startswith(f"{studio.url}/projects/") and first.project_url == again.project_url
    assert (first.pushed, again.pushed, again.already_there) == (53, 0, 53)
    assert first.login is None


def test_demo_without_token_says_what_to_do(studio, seed_actors_path, monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    options = {"inputs": [seed_actors_path], "actors": seed_actors_path, "url": studio.url}
    assert "LABEL_STUDIO_API_KEY" in push_seed(mode="auto", **options).note
    with pytest.raises(ConfigError, match="LABEL_STUDIO_API_KEY"):
        push_seed(mode="start", **options)


def test_demo_modes_without_a_server(seed_actors_path):
    options = {"inputs": [seed_actors_path], "actors": seed_actors_path, "url": "http://127.0.0.1:9"}
    assert push_seed(mode="off", **options).note == "skipped (--studio off)"
    assert "--studio start" in push_seed(mode="auto", **options).note
