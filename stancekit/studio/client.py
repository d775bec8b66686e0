"""A small HTTP client for the Label Studio API: the calls stancekit makes, counted, with clear errors.

Authentication takes either a legacy API token (``Authorization: Token ...``) or a personal
access token (a JWT, exchanged for a short-lived access token). The token is never part of
an error message, a log line or a file.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from stancekit.errors import StanceKitError

INSTALL_HINT = "start one with `stancekit studio start` or pass --url"


class StudioError(StanceKitError):
    """Label Studio is unreachable, refused a request, or returned something unexpected."""


def _is_jwt(token: str) -> bool:
    return token.count(".") == 2 and len(token) > 40


class StudioClient:
    """The Label Studio API calls stancekit needs; ``requests`` counts the HTTP requests made."""

    def __init__(self, url: str, token: str, *, timeout: float = 120.0):
        if not url.startswith(("http://", "https://")):
            raise StudioError(f"expected a Label Studio URL like http://127.0.0.1:8080, found {url!r}")
        if not token:
            raise StudioError("no Label Studio API token: set LABEL_STUDIO_API_KEY or pass --token "
                              "(Account & Settings > Access Token in Label Studio)")
        self.url = url.rstrip("/")
        self.requests = 0
        self._http = httpx.Client(base_url=self.url, timeout=timeout)
        self._token = token
        self._http.headers["Authorization"] = self._authorization()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "StudioClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _authorization(self) -> str:
        if not _is_jwt(self._token):
            return f"Token {self._token}"
        response = self._send("POST", "/api/token/refresh", json={"refresh": self._token})
        return f"Bearer {response.json()['access']}"

    # -- the one place requests are made -------------------------------------------------
    def _send(self, method: str, path: str, *, stream_to: Path | None = None, **kwargs: Any) -> httpx.Response:
        self.requests += 1
        try:
            if stream_to is not None:
                with self._http.stream(method, path, **kwargs) as response:
                    if response.status_code < 400:
                        with stream_to.open("wb") as handle:
                            for chunk in response.iter_bytes(1 << 20):
                                handle.write(chunk)
                        return response
                    response.read()
            else:
                response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise StudioError(f"Label Studio at {self.url} did not answer {method} {path} in time; "
                              "it may be overloaded: retry (the command resumes where it stopped)") from None
        except httpx.TransportError as exc:
            raise StudioError(f"cannot reach Label Studio at {self.url} ({type(exc).__name__}); "
                              f"{INSTALL_HINT}; re-running the command resumes where it stopped") from None
        if response.status_code in (401, 403):
            raise StudioError(f"Label Studio at {self.url} refused the API token for {method} {path} "
                              f"(HTTP {response.status_code}); check LABEL_STUDIO_API_KEY / --token "
                              "(Account & Settings > Access Token)")
        if response.status_code >= 400:
            raise StudioError(f"Label Studio at {self.url}: {method} {path} failed with HTTP "
                              f"{response.status_code}: {self._redact(response.text[:500])}")
        return response

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "<token>") if self._token else text

    def get(self, path: str, **params: Any) -> Any:
        return self._send("GET", path, params=params).json()

    def post(self, path: str, payload: Any, **params: Any) -> Any:
        return self._send("POST", path, json=payload, params=params).json()

    def patch(self, path: str, payload: Any) -> Any:
        return self._send("PATCH", path, json=payload).json()

    # -- projects ------------------------------------------------------------------------
    def whoami(self) -> dict[str, Any]:
        return self.get("/api/current-user/whoami")

    def find_project(self, title: str) -> dict[str, Any] | None:
        """The project with exactly this title (the first one, if several), or None."""
        page = 1
        while True:
            body = self.get("/api/projects", title=title, page=page, page_size=100)
            for project in body.get("results", []):
                if project.get("title") == title:
                    return project
            if not body.get("next"):
                return None
            page += 1

    def create_project(self, settings: dict[str, Any]) -> dict[str, Any]:
        return self.post("/api/projects", settings)

    def update_project(self, project_id: int, settings: dict[str, Any]) -> dict[str, Any]:
        return self.patch(f"/api/projects/{project_id}", settings)

    def validate_label_config(self, xml: str) -> None:
        """Ask the server whether a labeling config is valid (StudioError with its reasons if not)."""
        self._send("POST", "/api/projects/validate", json={"label_config": xml})

    def project_url(self, project_id: int) -> str:
        return f"{self.url}/projects/{project_id}/data"

    # -- tasks ---------------------------------------------------------------------------
    def iter_tasks(self, project_id: int, *, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        """Every task of a project as {"id", "data"}, page by page."""
        page = 1
        while True:
            try:
                body = self._send("GET", "/api/tasks", params={"project": project_id, "page": page, "page_size": page_size,
                                                               "fields": "task_only", "include": "id,data"})
            except StudioError as err:
                if page > 1 and "HTTP 404" in str(err):  # past the last page
                    return
                raise
            tasks = body.json().get("tasks", [])
            yield from tasks
            if len(tasks) < page_size:
                return
            page += 1

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> int:
        """Import tasks (with their predictions) in one request; returns how many were created."""
        body = self.post(f"/api/projects/{project_id}/import", tasks)
        return int(body.get("task_count", 0))

    def create_annotation(self, task_id: int, result: list[dict[str, Any]], *, lead_time: float = 0.0,
                          was_cancelled: bool = False) -> dict[str, Any]:
        return self.post(f"/api/tasks/{task_id}/annotations",
                         {"result": result, "lead_time": lead_time, "was_cancelled": was_cancelled})

    def next_task(self, project_id: int) -> dict[str, Any] | None:
        """The next task of the label stream for this user, or None when none is left."""
        try:
            return self.get(f"/api/projects/{project_id}/next")
        except StudioError as err:
            if "HTTP 404" in str(err):
                return None
            raise

    # -- export --------------------------------------------------------------------------
    def export_snapshot(self, project_id: int, dest: Path, *, poll_seconds: float = 1.0,
                        timeout: float = 3600.0) -> Path:
        """Create a full JSON export snapshot and stream it, byte for byte, to ``dest``."""
        snapshot = self.post(f"/api/projects/{project_id}/exports",
                             {"title": "stancekit pull", "task_filter_options": {"only_with_annotations": False}})
        export_id = snapshot["id"]
        started = time.monotonic()
        while snapshot.get("status") not in ("completed", "failed"):
            if time.monotonic() - started > timeout:
                raise StudioError(f"export snapshot {export_id} of project {project_id} not ready after "
                                  f"{timeout:.0f} s; retry later")
            time.sleep(poll_seconds)
            snapshot = self.get(f"/api/projects/{project_id}/exports/{export_id}")
        if snapshot["status"] == "failed":
            raise StudioError(f"Label Studio failed to build export snapshot {export_id} of project {project_id}; "
                              "see the server log")
        self._send("GET", f"/api/projects/{project_id}/exports/{export_id}/download",
                   params={"exportType": "JSON"}, stream_to=dest)
        return dest

    # -- users ---------------------------------------------------------------------------
    def users(self) -> dict[int, str]:
        """User id -> e-mail, for naming annotators in annotation records."""
        body = self.get("/api/users")
        users = body if isinstance(body, list) else body.get("results", [])
        return {int(u["id"]): u.get("email") or u.get("username") or str(u["id"]) for u in users}

    def invite_url(self) -> str:
        return self.url + self.get("/api/invite")["invite_url"]

    # -- active learning (stancekit ls rank) ----------------------------------------------
    # Added for issue 14 part 3; keep these names when the class moves onto label-studio-sdk.
    def iter_unannotated_tasks(self, project_id: int, *, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        """Every task of a project with no annotation yet (neither submitted nor skipped), as {"id", "data"}."""
        page = 1
        while True:
            try:
                body = self._send("GET", "/api/tasks", params={
                    "project": project_id, "page": page, "page_size": page_size, "fields": "task_only",
                    "include": "id,data,total_annotations,cancelled_annotations"})
            except StudioError as err:
                if page > 1 and "HTTP 404" in str(err):  # past the last page
                    return
                raise
            tasks = body.json().get("tasks", [])
            for task in tasks:
                if not task.get("total_annotations") and not task.get("cancelled_annotations"):
                    yield {"id": task["id"], "data": task["data"]}
            if len(tasks) < page_size:
                return
            page += 1

    def import_predictions(self, project_id: int, predictions: list[dict[str, Any]]) -> int:
        """Attach predictions ({"task", "result", "score", "model_version"}) to existing tasks in one request."""
        body = self.post(f"/api/projects/{project_id}/import/predictions", predictions)
        return int(body.get("created", 0))

    def set_label_stream(self, project_id: int, *, sampling: str, model_version: str) -> dict[str, Any]:
        """Set how the label stream picks the next task ("Uncertainty sampling": lowest prediction score of
        ``model_version`` first) and the project's model version."""
        return self.update_project(project_id, {"sampling": sampling, "model_version": model_version})

    def project(self, project_id: int) -> dict[str, Any]:
        return self.get(f"/api/projects/{project_id}")


def sign_up(invite_url: str, email: str, password: str) -> str:
    """Sign a new annotator up through an invite link; returns their API token.

    This is the only way Label Studio Community Edition makes a user who can log in: the
    admin's ``GET /api/invite`` gives the link, the signup form creates the account.
    """
    base = re.match(r"https?://[^/]+", invite_url)
    if base is None:
        raise StudioError(f"expected an invite URL like http://host/user/signup/?token=..., found {invite_url!r}")
    with httpx.Client(base_url=base.group(0), timeout=60, follow_redirects=False) as session:
        try:
            page = session.get(invite_url)
            csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            if page.status_code != 200 or csrf is None:
                raise StudioError(f"the invite link did not lead to a signup form (HTTP {page.status_code}); "
                                  "ask the admin for a fresh link (GET /api/invite)")
            response = session.post(invite_url, data={"csrfmiddlewaretoken": csrf.group(1), "email": email,
                                                      "password": password, "how_find_us": "",
                                                      "allow_newsletters": "false"},
                                    headers={"Referer": invite_url})
            if response.status_code != 302:
                raise StudioError(f"signing up {email} failed (HTTP {response.status_code}): the e-mail may be taken "
                                  "or the password too short (8+ characters)")
            token = session.get("/api/current-user/token")
        except httpx.TransportError as exc:
            raise StudioError(f"cannot reach Label Studio at {base.group(0)} ({type(exc).__name__})") from None
        if token.status_code != 200:
            raise StudioError(f"{email} was signed up but no API token was issued (HTTP {token.status_code}); "
                              "is LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true set on the server?")
        return token.json()["token"]
