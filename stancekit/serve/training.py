"""Background retraining for the server: one run at a time, in a child process, requests coalesced.

A request while a run is going marks one more run (however many arrive); the run after it starts
from whatever version is served then. A run that fails, crashes or is killed leaves the served
model as it is; its error shows in ``/health`` until the next run succeeds.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from stancekit.errors import ConfigError, StanceKitError
from stancekit.io import atomic_write
from stancekit.serve.config import TrainingSettings
from stancekit.serve.retrain import ERROR_FILE, JOB_FILE, LOG_FILE, RESULT_FILE, RetrainJob
from stancekit.serve.versions import Version, VersionStore
from stancekit.studio.connection import TOKEN_ENV, url_and_source, studio_token, token_environment
from stancekit.studio.server import is_healthy


@dataclass
class StudioLink:
    """Where Label Studio is and the token to read it with (from /setup, else stancekit.studio.connection's)."""

    url: str = ""
    token: str = field(default="", repr=False)
    fixed_url: bool = False  # --url given: /setup's hostname does not replace it
    url_flag: str = "--url"  # serve's option that fixes the URL (named in errors)

    def update(self, hostname: Any, access_token: Any) -> None:
        if isinstance(hostname, str) and hostname.startswith(("http://", "https://")) and not self.fixed_url:
            self.url = hostname.rstrip("/")
        if isinstance(access_token, str) and access_token:
            self.token = access_token

    def resolve(self) -> tuple[str, str, str]:
        """(URL, token, where the URL came from) for a retraining run; ConfigError saying how to connect.

        The address /setup sent (or the one serve was started with), else what stancekit.studio.connection
        finds ($LABEL_STUDIO_URL, the project file); the token /setup sent, else $LABEL_STUDIO_API_KEY."""
        connect = (f"connect this backend from Label Studio (Settings > Model; it sends its address and a token), "
                   f"or start stancekit serve with {self.url_flag} URL")
        if self.url:
            url, source = self.url, self.url_flag if self.fixed_url else "Label Studio's /setup"
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise ConfigError(f"{source} gives {url!r}, not a Label Studio URL like http://127.0.0.1:8080; "
                                  f"{connect}")
        else:
            try:
                found, source = url_and_source(None, fallback=False)
            except ConfigError as err:
                raise ConfigError(f"{err}; {connect}") from None
            url = found or ""
        if not url:
            raise ConfigError(f"no Label Studio address known to pull the labels from; {connect}")
        token = studio_token(self.token or None)
        if not token:
            raise ConfigError(f"no Label Studio API token to pull the labels from {url} with; connect this backend "
                              f"from Label Studio (its /setup sends one) or set {TOKEN_ENV} where stancekit serve runs")
        return url, token, source


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


class Retrainer:
    """Starts retraining runs and reports their state; ``on_version`` gets each accepted version."""

    def __init__(self, *, store: VersionStore, settings: TrainingSettings, studio: StudioLink,
                 actors: Path | None, served: Callable[[], Version], on_version: Callable[[Version], None]):
        self.store, self.settings, self.studio, self.actors = store, settings, studio, actors
        self.served, self.on_version = served, on_version
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._active = False  # a loop thread owns the runs (set and cleared under the lock)
        self._process: subprocess.Popen | None = None
        self._pending: str | None = None  # the project title of the run to start next
        self._stopped = False  # the server is shutting down: no child starts or outlives it
        self._counts: dict[str, int] = {}
        self._state: dict[str, Any] = {"state": "idle", "runs": 0, "last_error": None,
                                       "last_result": None, "started": None, "pid": None}

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {**self._state, "queued": self._pending is not None and self._state["state"] == "running"}

    def request(self, project_title: str) -> str:
        """Start a run, or mark one more after the current one: 'started' or 'queued'."""
        if not project_title:
            raise ConfigError("the training request named no project (expected the webhook's project.title)")
        try:
            self.studio.resolve()
        except ConfigError as err:  # refused before any run (and any job folder): /health shows it too
            with self._lock:
                self._state["last_error"] = f"retraining for project {project_title!r} not started: {err}"
            raise
        with self._lock:
            self._pending = project_title
            if self._active:
                return "queued"
            self._active = True
            self._state["state"] = "running"
            self._thread = threading.Thread(target=self._loop, name="stancekit-retrain", daemon=True)
            self._thread.start()
            return "started"

    def annotation_changed(self, project_title: str) -> str | None:
        """Count a new or updated annotation; with --train-every N, request a run at every N-th."""
        if not self.settings.train_every or not project_title:
            return None
        with self._lock:
            self._counts[project_title] = self._counts.get(project_title, 0) + 1
            due = self._counts[project_title] >= self.settings.train_every
            if due:
                self._counts[project_title] = 0
        return self.request(project_title) if due else None

    def wait(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def stop(self) -> None:
        """Stop a running child (server shutdown)."""
        with self._lock:
            self._pending, self._stopped = None, True
            process = self._process
        if process is not None and process.poll() is None:
            process.terminate()

    def _loop(self) -> None:
        while True:
            with self._lock:
                title, self._pending = self._pending, None
                if title is None or self._stopped:
                    self._active = False
                    self._state.update(state="idle", pid=None)
                    return
                self._state.update(state="running", started=dt.datetime.now(dt.timezone.utc).isoformat(
                    timespec="seconds"), runs=self._state["runs"] + 1)
            try:
                result = self._run_one(title)
            # Any error, expected or not: this thread owns the runs, and dying here would leave the server
            # 'running' forever. The served model stays; /health tells (and an unexpected one's traceback is logged).
            except Exception as err:
                if not isinstance(err, (StanceKitError, OSError)):
                    logging.getLogger(__name__).exception("retraining for project %r failed", title)
                with self._lock:
                    self._state["last_error"] = str(err) if isinstance(err, StanceKitError) else \
                        f"retraining for project {title!r} failed: {type(err).__name__}: {err}"
                continue
            with self._lock:
                self._state.update(last_error=None, last_result=result)

    def _run_one(self, title: str) -> dict[str, Any]:
        served = self.served()
        try:
            url, token, source = self.studio.resolve()
        except ConfigError as err:
            raise ConfigError(f"retraining for project {title!r} not started: {err}") from None
        if not is_healthy(url, timeout=5.0):
            raise ConfigError(f"retraining for project {title!r} not started: no Label Studio answers at {url} "
                              f"(from {source}); start it, or point the backend at it (connect it from Label Studio, "
                              f"or start stancekit serve with {self.studio.url_flag} URL)")
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        job_dir = self.store.root / "jobs" / stamp
        job = RetrainJob(studio_url=url, project_title=title,
                         model_dir=self.store.model_dir, versions_root=self.store.root, served_version=served.name,
                         served_path=served.path, job_dir=job_dir, actors=self.actors, training=self.settings)
        job_dir.mkdir(parents=True)  # only once the job is known to be valid: no empty job folders
        with atomic_write(job_dir / JOB_FILE) as handle:
            json.dump(job.to_json(), handle, indent=2)
        env = token_environment(token)
        env.setdefault("HF_HUB_OFFLINE", "1")
        log_path = job_dir / LOG_FILE
        started = time.perf_counter()
        with log_path.open("ab") as log:
            process = subprocess.Popen([sys.executable, "-m", "stancekit.serve.retrain", str(job_dir)], env=env,
                                       stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        with self._lock:
            self._process = process
            self._state["pid"] = process.pid
            if self._stopped:  # stop() ran between the check and the start
                process.terminate()
        code = process.wait()
        with self._lock:
            self._process = None
            self._state["pid"] = None
        if code != 0:
            error_file = job_dir / ERROR_FILE
            if error_file.is_file():
                reason = json.loads(error_file.read_text(encoding="utf-8"))["error"]
            elif code < 0:
                reason = f"the training process was killed (signal {-code})"
            else:
                reason = f"the training process exited with code {code}: {_tail(log_path)}"
            raise StanceKitError(f"retraining for project {title!r} failed, still serving {served.name}: {reason} "
                                 f"(log: {log_path})")
        result = json.loads((job_dir / RESULT_FILE).read_text(encoding="utf-8"))
        result["wall_seconds"] = round(time.perf_counter() - started, 1)
        if result["accepted"]:
            self.on_version(Version(result["version"], Path(result["path"])))
        return result
