"""Label Studio for ``stancekit demo``: the seed coverage pushed to a reachable, or freshly started, server."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from stancekit.errors import ConfigError
from stancekit.studio.client import StudioClient, StudioError
from stancekit.studio.connection import TOKEN_ENV, studio_token, studio_url
from stancekit.studio.push import PushConfig, push
from stancekit.studio.server import RunningServer, ServerConfig, is_healthy, start_server, write_state


@dataclass
class StudioDemoConfig:
    """Which coverage goes to which server; whether to start one on 127.0.0.1 when none answers."""

    inputs: list[Path]
    actors: Path
    url: str | None = None  # default: $LABEL_STUDIO_URL, else http://127.0.0.1:8080
    token: str | None = field(default=None, repr=False)  # default: $LABEL_STUDIO_API_KEY
    start: bool = True
    data_dir: Path = Path(".studio")
    project: str = "stancekit demo"

    def __post_init__(self) -> None:
        self.inputs = [Path(p) for p in self.inputs]
        self.actors, self.data_dir = Path(self.actors), Path(self.data_dir)
        self.url, self.token = studio_url(self.url), studio_token(self.token)


@dataclass
class StudioDemoResult:
    project_url: str
    pushed: int
    already_there: int
    started: RunningServer | None = None  # set when this call started the server (stop it with .stop())

    @property
    def login(self) -> tuple[str, str] | None:
        """(user, password) of a server started here, to show the user once; None otherwise."""
        if self.started is None:
            return None
        return self.started.config.username, self.started.config.password


def push_seed_to_studio(config: StudioDemoConfig) -> StudioDemoResult:
    """Push the coverage to Label Studio and return the project URL (starting a local server if asked)."""
    started = None
    token = config.token
    if not is_healthy(config.url):
        parsed = urlparse(config.url)
        if not config.start or parsed.hostname not in ("127.0.0.1", "localhost"):
            raise StudioError(f"no Label Studio answers at {config.url}; start one with `stancekit studio start` "
                              "or let the demo start it on 127.0.0.1")
        if any(config.data_dir.glob("*.sqlite3")) and not token:
            raise ConfigError(f"{config.data_dir} holds an earlier Label Studio whose token was shown only at its "
                              f"first start: set {TOKEN_ENV} to it, or remove the folder to start afresh")
        started = start_server(ServerConfig(data_dir=config.data_dir, port=parsed.port or 8080, token=token))
        write_state(started)
        token = started.config.token
    elif not token:
        raise ConfigError(f"Label Studio answers at {config.url} but no API token was given: set "
                          f"{TOKEN_ENV} (Account & Settings > Access Token)")
    with StudioClient(started.url if started else config.url, token) as client:
        summary = push(PushConfig(project=config.project, inputs=config.inputs, actors=config.actors), client,
                       quiet=True)
    return StudioDemoResult(summary.project_url, summary.pushed, summary.already_there, started)
