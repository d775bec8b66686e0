"""Start and stop a local Label Studio server (SQLite, 127.0.0.1) without any prompt.

The admin user, its password and its legacy API token are applied from the environment
when the server first creates its database, so that a fresh data dir is usable at once.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from stancekit.errors import ConfigError
from stancekit.extras import require_extra
from stancekit.io import atomic_write
from stancekit.options import STUDIO_DATA, Range, check_fields, option
from stancekit.studio.client import StudioError
from stancekit.studio.connection import studio_token

PASSWORD_ENV = "LABEL_STUDIO_PASSWORD"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServerConfig:
    """Where a local Label Studio keeps its data, which port it listens on, who its admin is.

    The admin password and API token: given, else $LABEL_STUDIO_PASSWORD and $LABEL_STUDIO_API_KEY, else
    generated (``generated_credentials`` then says so, for the first start to print them once).
    """

    data_dir: Path = STUDIO_DATA(Path(".studio"))
    port: int = option(8080, help="Port on 127.0.0.1 (0: any free port).", range=Range(min=0, max=65535))
    username: str = option("admin@stancekit.local", help="Admin e-mail.", envvar="LABEL_STUDIO_USERNAME")
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    startup_timeout: float = 240.0
    executable: str = "label-studio"
    generated_credentials: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        check_fields(self)
        self.data_dir = Path(self.data_dir).resolve()
        if self.port == 0:
            self.port = free_port()
        if "@" not in self.username:
            raise ConfigError(f"the admin username must be an e-mail address, found {self.username!r}")
        self.password = self.password or os.environ.get(PASSWORD_ENV, "")
        self.token = studio_token(self.token or None)
        self.generated_credentials = not self.password or not self.token
        self.password = self.password or secrets.token_urlsafe(12)
        self.token = self.token or secrets.token_hex(20)
        if len(self.password) < 8:
            raise ConfigError("the admin password must have at least 8 characters")
        if self.startup_timeout <= 0:
            raise ConfigError(f"startup_timeout must be positive, found {self.startup_timeout}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class StudioFolder:
    """The folder of a local Label Studio that ``stancekit studio stop`` stops."""

    data_dir: Path = STUDIO_DATA(Path(".studio"))

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass
class RunningServer:
    """A server this process started: stop it by PID."""

    config: ServerConfig
    pid: int
    log_path: Path

    @property
    def url(self) -> str:
        return self.config.url

    def stop(self, timeout: float = 20.0) -> None:
        stop_pid(self.pid, timeout=timeout)


def _executable(name: str) -> str:
    beside_python = Path(sys.executable).with_name(name)
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if not found:
        raise StudioError(f"the {name!r} command was not found: install it with pip install 'label-studio>=1.20,<2' "
                          "(or pip install -e '.[dev]')")
    return found


def server_env(config: ServerConfig) -> dict[str, str]:
    """The environment that makes a first start non-interactive and keeps everything in ``data_dir``."""
    env = dict(os.environ)
    env.update({
        "LABEL_STUDIO_USERNAME": config.username,
        PASSWORD_ENV: config.password,
        "LABEL_STUDIO_USER_TOKEN": config.token,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "LABEL_STUDIO_BASE_DATA_DIR": str(config.data_dir),
        "LATEST_VERSION_CHECK": "false",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        # Label Studio 1.23 refuses ML backends and webhooks on 127.0.0.1 as "reserved network addresses"
        # (SSRF protection): with no default banned subnets, the connect check, the ML requests and the ML
        # webhook all accept a local `stancekit serve` (ML_BLOCK_LOCAL_IP=false alone would still drop the
        # webhook). The server itself listens on 127.0.0.1 only.
        "USE_DEFAULT_BANNED_SUBNETS": "false",
    })
    return env


def is_healthy(url: str, timeout: float = 2.0) -> bool:
    """True when ``GET /health`` answers ``UP``."""
    require_extra("studio")
    import httpx  # here, not at the top: the CLI imports this module

    try:
        response = httpx.get(f"{url}/health", timeout=timeout)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and "UP" in response.text


def start_server(config: ServerConfig, *, progress: bool = True) -> RunningServer:
    """Start ``label-studio`` in the background and wait until it is healthy.

    The server's output goes to ``<data_dir>/server.log``. On failure the process is
    stopped and the log's tail is part of the error.
    """
    if is_healthy(config.url):
        raise StudioError(f"something already answers at {config.url}; stop it (stancekit studio stop) or choose "
                          "another --port")
    config.data_dir.mkdir(parents=True, exist_ok=True)
    log_path = config.data_dir / "server.log"
    command = [_executable(config.executable), "start", "--data-dir", str(config.data_dir),
               "--internal-host", "127.0.0.1", "--port", str(config.port), "--no-browser"]
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, env=server_env(config), stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    server = RunningServer(config, process.pid, log_path)
    started = time.monotonic()
    next_note = started + 15
    while time.monotonic() - started < config.startup_timeout:
        if process.poll() is not None:
            raise StudioError(f"label-studio exited with code {process.returncode} while starting; "
                              f"last lines of {log_path}:\n{_tail(log_path)}")
        if is_healthy(config.url):
            return server
        if progress and time.monotonic() > next_note:
            print(f"waiting for Label Studio at {config.url} ({time.monotonic() - started:.0f} s)...", file=sys.stderr)
            next_note += 15
        time.sleep(1.0)
    server.stop()
    raise StudioError(f"Label Studio did not answer {config.url}/health within {config.startup_timeout:.0f} s; "
                      f"see {log_path}")


def stop_pid(pid: int, *, timeout: float = 20.0) -> bool:
    """Stop the server's process group by PID (SIGTERM, then SIGKILL); False if it was gone."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # not our child: poll for existence instead
            finished = 0 if _alive(pid) else pid
        if finished == pid:
            return True
        time.sleep(0.2)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return True
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


STATE_FILE = "server.json"


def write_state(server: RunningServer) -> Path:
    """Record a background server (url, pid, data dir; never the token) for ``studio stop``."""
    path = server.config.data_dir / STATE_FILE
    with atomic_write(path) as handle:
        json.dump({"url": server.url, "pid": server.pid, "data_dir": str(server.config.data_dir),
                   "username": server.config.username, "log": str(server.log_path)}, handle, indent=2)
    return path


def stop_recorded(data_dir: Path) -> dict:
    """Stop the server recorded in ``data_dir/server.json``; returns the record."""
    path = Path(data_dir) / STATE_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StudioError(f"{path}: no server recorded here; was it started with stancekit studio start "
                          f"--data-dir {data_dir}?") from None
    except json.JSONDecodeError as exc:
        raise StudioError(f"{path}: broken state file ({exc.msg}); stop the server by its PID yourself") from None
    state["was_running"] = stop_pid(int(state["pid"]))
    path.unlink()
    return state
