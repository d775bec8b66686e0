"""The library call behind the demo's Label Studio step, against the real server."""

from __future__ import annotations

import pytest

from stancekit.errors import ConfigError
from stancekit.studio.demo import StudioDemoConfig, push_seed_to_studio

pytestmark = pytest.mark.slow


def test_demo_pushes_the_seed_and_returns_the_project_url(studio, seed_actors_path, tmp_path):
    seed = seed_actors_path.parent / "000_cae259164d53c011.txt"
    config = StudioDemoConfig(inputs=[seed], actors=seed_actors_path, url=studio.url, token=studio.token,
                              project="stancekit demo test", data_dir=tmp_path / "unused")
    first = push_seed_to_studio(config)
    again = push_seed_to_studio(config)
    assert first.project_url.startswith(f"{studio.url}/projects/") and first.project_url == again.project_url
    assert (first.pushed, again.pushed, again.already_there) == (53, 0, 53)
    assert first.started is None and first.login is None
    assert not (tmp_path / "unused").exists()


def test_demo_without_token_says_what_to_do(studio, seed_actors_path, monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    config = StudioDemoConfig(inputs=[seed_actors_path], actors=seed_actors_path, url=studio.url)
    with pytest.raises(ConfigError, match="LABEL_STUDIO_API_KEY"):
        push_seed_to_studio(config)
