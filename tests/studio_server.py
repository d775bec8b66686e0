"""A real Label Studio for the tests: one per test session, on a free port, in a temp data dir.

Registered in conftest.py (pytest_plugins). Started only when a test asks for it, through the
users' own command (``stancekit studio start``), and stopped by PID (``stancekit studio stop``)
at the end of the session. Concurrent sessions on one machine never share a port or a data dir.
Its access tokens live ACCESS_TOKEN_SECONDS instead of 5 minutes (tests/label_studio_short_tokens.py),
so that a personal access token's expiry happens within a test.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancekit.cli import app
from stancekit.studio.client import StudioClient
from stancekit.studio.server import RunningServer, ServerConfig, free_port, start_server, write_state
from studio_helpers import sign_up

HERE = Path(__file__).resolve().parent
ACCESS_TOKEN_SECONDS = 3  # how long the test server's access tokens live (Label Studio's default: 5 minutes)


@dataclass
class Studio:
    """The running server, its admin token, and a way to kill and restart it (fault tests)."""

    server: RunningServer

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def token(self) -> str:
        return self.server.config.token

    def client(self, token: str | None = None) -> StudioClient:
        return StudioClient(self.url, token or self.token)

    def kill(self) -> None:
        self.server.stop(timeout=10)

    def restart(self) -> None:
        """Start again on the same port and data dir (a restart takes seconds, not a minute)."""
        self.server = start_server(self.server.config, progress=False)
        write_state(self.server)


@pytest.fixture(scope="session")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    data_dir: Path = tmp_path_factory.mktemp("label-studio")
    token, password, port = secrets.token_hex(20), secrets.token_urlsafe(12), free_port()
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as env:  # for every (re)start in the session: short-lived access tokens
        env.setenv("DJANGO_SETTINGS_MODULE", "label_studio_short_tokens")
        env.setenv("STANCEKIT_TEST_ACCESS_SECONDS", str(ACCESS_TOKEN_SECONDS))
        env.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])))
        started = runner.invoke(app, ["studio", "start", "--data-dir", str(data_dir), "--port", str(port)],
                                env={"LABEL_STUDIO_API_KEY": token, "LABEL_STUDIO_PASSWORD": password})
        if started.exit_code != 0:
            pytest.fail(f"stancekit studio start failed: {started.output}")
        assert token not in started.output and password not in started.output
        state = json.loads((data_dir / "server.json").read_text(encoding="utf-8"))
        config = ServerConfig(data_dir=data_dir, port=port, token=token, password=password)
        studio = Studio(RunningServer(config, int(state["pid"]), Path(state["log"])))
        try:
            yield studio
        finally:
            stopped = runner.invoke(app, ["studio", "stop", "--data-dir", str(data_dir)])
            assert stopped.exit_code == 0, stopped.output


@pytest.fixture(scope="session")
def annotator_tokens(studio: Studio) -> dict[str, str]:
    """Two annotators who signed up through an invite link, as real annotators do: e-mail -> token."""
    with studio.client() as admin:
        invite = admin.invite_url()
    people = ("ana@stancekit.test", "ben@stancekit.test")
    return {email: sign_up(invite, email, secrets.token_urlsafe(12)) for email in people}


@pytest.fixture(scope="session")
def personal_access_token(studio: Studio) -> str:
    """A personal access token (JWT refresh token) of the admin, made as in Account & Settings."""
    with studio.client() as admin:
        return admin.sdk.tokens.create().token
