"""Label Studio for ``stancekit demo``: the seed pushed to a reachable server, or to one started here.

:func:`push_seed` is the one place that decides what the demo does with Label Studio, from the
config's mode and one health check: ``off`` skips; ``auto`` pushes to a server that answers and
otherwise says how to get one; ``start`` also starts one on 127.0.0.1 when none answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from stancekit.errors import ConfigError, MissingExtraError, StanceKitError
from stancekit.extras import require_extra
from stancekit.studio.connection import TOKEN_ENV, studio_token, studio_url

STUDIO_DATA_DIR = Path(".studio")
PROJECT = "stancekit demo"


@dataclass
class StudioOutcome:
    """What the Label Studio step did: a project URL, or why it was skipped."""

    project_url: str | None = None
    pushed: int = 0
    already_there: int = 0
    login: tuple[str, str] | None = None  # set when the demo started the server
    note: str = ""


def push_seed(*, inputs: list[Path], actors: Path, mode: str, url: str, project: str = PROJECT) -> StudioOutcome:
    """Push the seed coverage to project ``project`` as ``mode`` (auto, start, off) says.

    The token comes from ``$LABEL_STUDIO_API_KEY``; a server started here gets a fresh one.
    """
    from stancekit.studio.server import is_healthy

    if mode == "off":
        return StudioOutcome(note="skipped (--studio off)")
    try:
        require_extra("studio")
    except MissingExtraError as err:
        if mode == "start":
            raise
        return StudioOutcome(note=f"skipped: {err}")
    url = studio_url(url)
    parsed = urlparse(url)
    token = studio_token()
    if is_healthy(url):
        try:
            if not token:
                raise ConfigError(f"Label Studio answers at {url} but no API token was given: set "
                                  f"{TOKEN_ENV} (Account & Settings > Access Token)")
            return _push(inputs, actors, url, token, project, login=None)
        except StanceKitError as err:
            if mode == "start":
                raise
            return StudioOutcome(note=f"not pushed: {err}")
    if mode == "auto":
        return StudioOutcome(note=f"no Label Studio at {url}: `stancekit demo --studio start` starts one on "
                                  "127.0.0.1 and pushes the seed")
    if parsed.hostname not in ("127.0.0.1", "localhost"):
        raise ConfigError(f"no Label Studio answers at {url}, and the demo starts one only on 127.0.0.1; start it "
                          "there yourself or use --url http://127.0.0.1:PORT")
    if any(STUDIO_DATA_DIR.glob("*.sqlite3")) and not token:
        raise ConfigError(f"{STUDIO_DATA_DIR} holds an earlier Label Studio whose token was shown only at its first "
                          f"start: set {TOKEN_ENV} to it, or remove the folder to start afresh")
    from stancekit.studio.server import ServerConfig, start_server, write_state

    started = start_server(ServerConfig(data_dir=STUDIO_DATA_DIR, port=parsed.port or 8080, token=token))
    write_state(started)
    return _push(inputs, actors, started.url, started.config.token, project,
                 login=(started.config.username, started.config.password))


def _push(inputs: list[Path], actors: Path, url: str, token: str, project: str, *,
          login: tuple[str, str] | None) -> StudioOutcome:
    from stancekit.studio.client import StudioClient
    from stancekit.studio.push import PushConfig, push

    with StudioClient(url, token) as client:
        summary = push(PushConfig(project=project, inputs=inputs, actors=actors), client, quiet=True)
    return StudioOutcome(summary.project_url, summary.pushed, summary.already_there, login)
