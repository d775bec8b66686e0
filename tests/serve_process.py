"""``stancekit serve`` as a real process for the tests: started through the users' own command line, on a
free port, its output in a log file; stopped by its process group."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from stancekit.studio.server import free_port


class ServeProcess:
    """A running server: its URL, process, log and versions folder, and an HTTP client for it."""

    def __init__(self, url: str, process: subprocess.Popen, log: Path, versions: Path,
                 auth: tuple[str, str] | None):
        self.url, self.process, self.log, self.versions = url, process, log, versions
        self.http = httpx.Client(base_url=url, auth=auth, timeout=120)

    def health(self) -> dict:
        return self.http.get("/health").json()

    def wait_idle(self, runs: int, timeout: float = 400) -> dict:
        """The training state once ``runs`` runs have ended."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.health()["training"]
            if state["state"] == "idle" and state["runs"] >= runs:
                return state
            time.sleep(0.5)
        raise AssertionError(f"training did not finish in {timeout} s: {self.health()}; log:\n{self.log.read_text()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.http.close()
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        self.process.wait(60)


def serve_command(model: Path, *options: str, port: int) -> list[str]:
    return [sys.executable, "-c", "from stancekit.cli import main; main()", "serve", "--model", str(model),
            "--port", str(port), "--threads", "1", *options]


def serve_env(auth: tuple[str, str] | None = None, **extra: str) -> dict[str, str]:
    """The environment of a test server: offline, no Label Studio address or token unless given."""
    env = {k: v for k, v in os.environ.items() if k not in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY")}
    env["HF_HUB_OFFLINE"] = "1"
    if auth:
        env.update(STANCEKIT_BASIC_AUTH_USER=auth[0], STANCEKIT_BASIC_AUTH_PASSWORD=auth[1])
    return {**env, **extra}


def start_serve(model: Path, folder: Path, *options: str, versions: Path | None = None,
                auth: tuple[str, str] | None = None, env: dict[str, str] | None = None,
                name: str = "serve") -> ServeProcess:
    """Start ``stancekit serve`` (versions in ``versions``, else ``folder/versions``) and wait until it answers."""
    port, log = free_port(), folder / f"{name}.log"
    versions = versions if versions is not None else folder / "versions"
    command = serve_command(model, "--versions-dir", str(versions), *options, port=port)
    with log.open("wb") as handle:
        process = subprocess.Popen(command, env=env if env is not None else serve_env(auth), stdout=handle,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = ServeProcess(f"http://127.0.0.1:{port}", process, log, versions, auth)
    deadline = time.monotonic() + 180
    while True:
        try:
            if server.http.get("/health").status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop(signal.SIGKILL)
            raise AssertionError(f"stancekit serve did not start:\n{log.read_text()}")
        time.sleep(0.3)
