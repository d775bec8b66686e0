"""The Label Studio API through label-studio-sdk: one thin adapter, counted, with stancekit's errors.

``StudioClient`` makes every call through label-studio-sdk's generated client and adds what stancekit
needs around it: errors mapped to ``StudioError`` with what to do, the HTTP requests counted (for
the benchmark), the export snapshot streamed to disk, and a personal access token that keeps working
on long runs. The token is never part of an error message, a log line or a file.

Authentication: a legacy API token is sent as ``Token ...``; a personal access token (a JWT refresh
token) is exchanged by the SDK for an access token that Label Studio lets live 5 minutes. The SDK
refreshes it when its ``exp`` has passed; when the server refuses it anyway (HTTP 401, e.g. clocks
apart), the call is retried once after a refresh.

Transient failures (HTTP 502/503/504 from a proxy or a restarting server, a connection reset or dropped
mid-answer) are retried with exponential backoff and jitter (tenacity), ATTEMPTS tries in all, each retry
noted on stderr. Not retried: a refused connection (no server there: said at once) and a timeout (the
server may still be busy with the request).
Calls that create something are retried only where a retry cannot create it twice: a task import first
asks which of its task keys the failed attempt already created and imports only the others; a project
is looked up by title before it is created again. Prediction imports, ML backend connections and
training requests are not retried (a retry could duplicate them; re-running the command is safe).

Hand-written, because label-studio-sdk 2.1 lacks them: validating a labeling config without a
project (``POST /api/projects/validate``; the SDK only validates a project's own config), and the
tests' label stream (``GET /api/projects/<id>/next``, in tests/studio_helpers.py).

The SDK and httpx are imported when a client is made, never when this module is imported, so that
the CLI modules that import it stay light.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from stancekit.errors import StanceKitError
from stancekit.extras import require_extra
from stancekit.studio.connection import TOKEN_ENV, studio_token, studio_url

if TYPE_CHECKING:
    import httpx
    from label_studio_sdk.base_client import LabelStudioBase

INSTALL_HINT = "start one with `stancekit studio start` or pass --url"
SAMPLINGS = ("Sequential sampling", "Uniform sampling", "Uncertainty sampling")
TRANSIENT_STATUS = frozenset({502, 503, 504})  # a proxy or gateway without its server, a server restarting
ATTEMPTS = 5  # tries of a call that fails transiently (backoff 0.5, 1, 2, 4 s, with jitter: about 8 s in all)
BACKOFF_SECONDS = 0.5
T = TypeVar("T")
Recover = Callable[[], "T | None"]  # before a retry: the result if the failed attempt did the work after all


class StudioError(StanceKitError):
    """Label Studio is unreachable, refused a request, or returned something unexpected."""


def _plain(model: Any) -> dict[str, Any]:
    """An SDK response model as the JSON object the server sent (dates as strings)."""
    return model.model_dump(mode="json", by_alias=True)


class StudioClient:
    """The Label Studio calls stancekit makes; ``requests`` counts the HTTP requests (token refreshes included).

    ``url`` and ``token`` default to $LABEL_STUDIO_URL and $LABEL_STUDIO_API_KEY (stancekit.studio.connection).
    """

    def __init__(self, url: str | None = None, token: str | None = None, *, timeout: float = 120.0):
        require_extra("studio")
        import httpx

        # LabelStudioBase, the generated client that label_studio_sdk.LabelStudio extends: the same calls, without
        # the extensions stancekit does not use (pandas exports, label interfaces), which cost 2.3 s more to import.
        from label_studio_sdk.base_client import LabelStudioBase
        from label_studio_sdk.core.api_error import ApiError

        self.url = studio_url(url)
        self._token = studio_token(token)
        if not self._token:
            raise StudioError(f"no Label Studio API token: set {TOKEN_ENV} or pass --token "
                              "(Account & Settings > Access Token in Label Studio)")
        self.requests = 0
        self._last_request = "a request"
        self._api_error, self._timeout_error, self._transport_error = (ApiError, httpx.TimeoutException,
                                                                       httpx.TransportError)
        self._refused_connection = httpx.ConnectError
        self.retries = 0  # transient failures retried (for the tests and the benchmark)
        self._http = httpx.Client(timeout=timeout, event_hooks={"request": [self._count]})
        # max_retries=0: the SDK would repeat any call, an import too (its tasks created twice); _run retries only
        # what is safe to repeat.
        self.sdk: LabelStudioBase = self._run(lambda: LabelStudioBase(base_url=self.url, api_key=self._token,
                                                                     httpx_client=self._http, max_retries=0))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "StudioClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _count(self, request: "httpx.Request") -> None:
        self.requests += 1
        self._last_request = f"{request.method} {request.url.path}"

    # -- the one place calls are made: transient failures retried, errors mapped, a refused access token
    # -- refreshed once ------------------------------------------------------------------------------------
    def _run(self, call: Callable[[], T], *, retry: bool | Recover = True) -> T:
        """Make ``call``; ``retry``: True (safe to repeat), False (never repeated), or a function that, before
        a retry, returns the result if the failed attempt did the work after all (None: try again)."""
        try:
            return self._retrying(call, retry) if retry is not False else self._refreshing(call)
        except self._api_error as exc:
            if exc.status_code == 404 or (exc.status_code or 0) < 400:  # no such API, or an answer not its JSON
                self._require_label_studio()
            raise self._refused(exc) from None
        except ValueError as exc:  # the SDK could not read the answer (HTML, not JSON; pydantic's errors too)
            self._require_label_studio()
            raise StudioError(f"Label Studio at {self.url} answered {self._last_request} with something unexpected "
                              f"({type(exc).__name__}); is it a Label Studio 1.20 or later?") from None
        except self._timeout_error:
            raise StudioError(f"Label Studio at {self.url} did not answer {self._last_request} in time; it may be "
                              "overloaded: retry (the command resumes where it stopped)") from None
        except self._transport_error as exc:
            raise StudioError(f"cannot reach Label Studio at {self.url} ({type(exc).__name__}); {INSTALL_HINT}; "
                              "re-running the command resumes where it stopped") from None

    def _require_label_studio(self) -> None:
        """A StudioError when the server at the URL is not a Label Studio (asked when a call goes wrong in a way
        Label Studio's API would not: an unknown address, an answer that is not its JSON)."""
        failed = self._last_request
        try:
            answer = self._http.get(f"{self.url}/api/version", timeout=10.0)
            release = answer.json().get("release") if answer.status_code == 200 else None
        except (self._transport_error, ValueError, AttributeError):
            release = None
        if not release:
            raise StudioError(f"{self.url} is not a Label Studio: {failed} did not answer as Label Studio's API and "
                              f"GET /api/version has no Label Studio release; check --url / $LABEL_STUDIO_URL "
                              "(the server's base address, e.g. http://127.0.0.1:8080)") from None

    def _refreshing(self, call: Callable[[], T]) -> T:
        """``call``, made again once after refreshing an access token the server refused (HTTP 401)."""
        try:
            return call()
        except self._api_error as exc:
            if exc.status_code == 401 and self._refresh_access_token():
                return call()
            raise

    def _transient(self, exc: BaseException) -> bool:
        if isinstance(exc, self._api_error):
            return exc.status_code in TRANSIENT_STATUS
        return isinstance(exc, self._transport_error) and not isinstance(
            exc, (self._timeout_error, self._refused_connection))  # no server at all: say so at once

    def _retrying(self, call: Callable[[], T], retry: bool | Recover) -> T:
        import tenacity

        recover = retry if callable(retry) else None
        attempts = 0

        def attempt() -> T:
            nonlocal attempts
            attempts += 1
            if attempts > 1 and recover is not None:
                done = recover()
                if done is not None:
                    return done
            return self._refreshing(call)

        def note(state: tenacity.RetryCallState) -> None:
            self.retries += 1
            exc = state.outcome.exception() if state.outcome else None
            what = f"HTTP {exc.status_code}" if isinstance(exc, self._api_error) else type(exc).__name__
            print(f"note: Label Studio at {self.url}: {self._last_request} failed ({what}); retrying in "
                  f"{state.upcoming_sleep:.1f} s (attempt {state.attempt_number + 1} of {ATTEMPTS})", file=sys.stderr)

        backoff = (tenacity.wait_exponential(multiplier=BACKOFF_SECONDS, max=8.0)
                   + tenacity.wait_random(0, BACKOFF_SECONDS))
        return tenacity.Retrying(retry=tenacity.retry_if_exception(self._transient), wait=backoff,
                                 stop=tenacity.stop_after_attempt(ATTEMPTS), before_sleep=note, reraise=True)(attempt)

    def _refresh_access_token(self) -> bool:
        """Exchange the personal access token for a fresh access token; False for a legacy token."""
        # The SDK refreshes only when the access token's own expiry time has passed; it has no public way to
        # drop a token the server refused, so its cached one is cleared here and the next call fetches another.
        if not hasattr(self, "sdk"):  # refused while connecting: nothing to refresh yet
            return False
        tokens = self.sdk._client_wrapper._tokens_client
        if tokens._use_legacy_token:
            return False
        tokens._access_token = None
        return True

    def _refused(self, exc: Any) -> StudioError:
        status = exc.status_code
        if not hasattr(self, "sdk"):  # the SDK checks a personal access token's expiry before any request
            return StudioError(f"the personal access token for Label Studio at {self.url} was refused before any "
                               f"request (expired, or not a refresh token); make a new one (Account & Settings > "
                               f"Personal Access Token) and set {TOKEN_ENV} / --token")
        body = exc.body if isinstance(exc.body, str) else json.dumps(exc.body, ensure_ascii=False)
        if status in (401, 403):
            said = f": {self._redact(body[:300])}" if status == 403 else ""  # 403 may be a refused setting too
            return StudioError(f"Label Studio at {self.url} refused the API token for {self._last_request} "
                               f"(HTTP {status}{said}); check {TOKEN_ENV} / --token (Account & Settings > Access Token)")
        return StudioError(f"Label Studio at {self.url}: {self._last_request} failed with HTTP {status}: "
                           f"{self._redact(body[:500])}")

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "<token>")

    def _raw(self, method: str, path: str, **kwargs: Any) -> Any:
        """A call the SDK has no method for, through the SDK's own HTTP client (auth, base URL); JSON or None."""
        response = self.sdk._client_wrapper.httpx_client.request(path.lstrip("/"), method=method, **kwargs)
        if response.status_code >= 400:
            try:
                body: Any = response.json()
            except ValueError:
                body = response.text
            raise self._api_error(status_code=response.status_code, body=body)
        return response.json() if response.content else None

    # -- projects ------------------------------------------------------------------------
    def find_project(self, title: str) -> dict[str, Any] | None:
        """The project with exactly this title (the first one, if several), or None."""
        return self._run(lambda: self._project_titled(title))

    def _project_titled(self, title: str) -> dict[str, Any] | None:
        projects = self.sdk.projects.list(title=title, page_size=100)  # the first page; a 404 here: no API
        try:
            for project in projects:  # further pages on demand
                if project.title == title:
                    return _plain(project)
        except self._api_error as exc:
            if exc.status_code != 404:  # 404: past the last page
                raise
        return None

    def create_project(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Create a project; a retry first looks for the one a failed attempt may have created."""
        return self._run(lambda: _plain(self.sdk.projects.create(**settings)),
                         retry=lambda: self._project_titled(settings["title"]) if settings.get("title") else None)

    def update_project(self, project_id: int, settings: dict[str, Any]) -> dict[str, Any]:
        return self._run(lambda: _plain(self.sdk.projects.update(project_id, **settings)))

    def validate_label_config(self, xml: str) -> None:
        """Ask the server whether a labeling config is valid (StudioError with its reasons if not)."""
        self._run(lambda: self._raw("POST", "/api/projects/validate", json={"label_config": xml}))

    def project_url(self, project_id: int) -> str:
        return f"{self.url}/projects/{project_id}/data"

    def project(self, project_id: int) -> dict[str, Any]:
        return self._run(lambda: _plain(self.sdk.projects.get(project_id)))

    def set_label_stream(self, project_id: int, *, sampling: str, model_version: str | None = None) -> None:
        """How the label stream picks the next task: sequential, uniform, or uncertainty (the lowest prediction
        score of the project's ``model_version`` first)."""
        if sampling not in SAMPLINGS:
            raise StudioError(f"unknown sampling {sampling!r}; expected one of {', '.join(SAMPLINGS)}")
        version = {"model_version": model_version} if model_version is not None else {}
        self._run(lambda: self.sdk.projects.update(project_id, sampling=sampling, **version))

    # -- tasks ---------------------------------------------------------------------------
    def iter_tasks(self, project_id: int, *, page_size: int = 1000, query: dict[str, Any] | None = None
                   ) -> Iterator[dict[str, Any]]:
        """Every task of a project as {"id", "data"}, page by page (``query``: a Data Manager filter)."""
        encoded = json.dumps(query) if query is not None else None
        page = 1
        while True:
            tasks = self._run(lambda: self._task_page(project_id, page, page_size, encoded))
            yield from tasks
            if len(tasks) < page_size:
                return
            page += 1

    def _task_page(self, project_id: int, page: int, page_size: int, query: str | None) -> list[dict[str, Any]]:
        try:
            pager = self.sdk.tasks.list(project=project_id, page=page, page_size=page_size, fields="task_only",
                                        include="id,data", query=query)
        except self._api_error as exc:
            if page > 1 and exc.status_code == 404:  # past the last page
                return []
            raise
        return [{"id": t.id, "data": t.data} for t in pager.items or []]

    def _task_keys(self, project_id: int, page_size: int = 1000) -> set[str]:
        """Every task key in the project (one attempt: for use inside a retried call)."""
        keys: set[str] = set()
        page = 1
        while True:
            tasks = self._task_page(project_id, page, page_size, None)
            keys |= {t["data"]["task_key"] for t in tasks if "task_key" in (t["data"] or {})}
            if len(tasks) < page_size:
                return keys
            page += 1

    def iter_unannotated_tasks(self, project_id: int) -> Iterator[dict[str, Any]]:
        """The tasks nobody has annotated (nor skipped) yet, as {"id", "data"}."""
        query = {"filters": {"conjunction": "and", "items": [
            {"filter": "filter:tasks:total_annotations", "operator": "equal", "type": "Number", "value": 0},
            {"filter": "filter:tasks:cancelled_annotations", "operator": "equal", "type": "Number", "value": 0}]}}
        return self.iter_tasks(project_id, query=query)

    def import_predictions(self, project_id: int, predictions: list[dict[str, Any]]) -> int:
        """Attach predictions ({"task", "result", "score", "model_version"}) to existing tasks in one request (never
        retried: a retry could attach a prediction twice)."""
        body = self._run(lambda: self.sdk.projects.import_predictions(project_id, request=predictions), retry=False)
        return int(body.created or 0)

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> int:
        """Import tasks (with their predictions) in one request; returns how many were created.

        Each task's ``data.task_key`` makes a retry safe: after a transient failure (the server may have
        imported the batch before the answer was lost) the tasks whose keys are now in the project count as
        created and only the others are imported again. A batch with a task without a key is not retried.
        """
        pending, created = list(tasks), 0

        def import_pending() -> int:
            return created + int(self.sdk.projects.import_tasks(project_id, request=pending).task_count or 0)

        def recover() -> int | None:
            nonlocal pending, created
            present = self._task_keys(project_id)
            left = [t for t in pending if t["data"]["task_key"] not in present]
            created += len(pending) - len(left)
            pending = left
            return created if not pending else None

        keyed = all("task_key" in (t.get("data") or {}) for t in tasks)
        return self._run(import_pending, retry=recover if keyed else False)

    # -- export --------------------------------------------------------------------------
    def export_snapshot(self, project_id: int, dest: Path, *, poll_seconds: float = 1.0, timeout: float = 3600.0,
                        progress: Callable[[str, float], None] | None = None) -> Path:
        """Create a full JSON export snapshot and stream it, byte for byte, to ``dest``.

        ``progress(stage, amount)`` hears ("building", seconds waited) while Label Studio builds the
        snapshot, then ("downloading", bytes written so far).
        """
        note = progress or (lambda stage, amount: None)
        exports = self.sdk.projects.exports
        snapshot = self._run(lambda: exports.create(project_id, title="stancekit pull",
                                                    task_filter_options={"only_with_annotations": False}))
        export_id, status = snapshot.id, snapshot.status
        started = time.monotonic()
        while status not in ("completed", "failed"):
            if time.monotonic() - started > timeout:
                raise StudioError(f"export snapshot {export_id} of project {project_id} not ready after "
                                  f"{timeout:.0f} s; retry later")
            time.sleep(poll_seconds)
            note("building", time.monotonic() - started)
            status = self._run(lambda: exports.get(project_id, export_id).status)
        if status == "failed":
            raise StudioError(f"Label Studio failed to build export snapshot {export_id} of project {project_id}; "
                              "see the server log")

        def download() -> None:
            written = 0
            note("downloading", written)
            with Path(dest).open("wb") as handle:
                for chunk in exports.download(project_id, export_id, export_type="JSON",
                                              request_options={"chunk_size": 1 << 20}):
                    handle.write(chunk)
                    written += len(chunk)
                    note("downloading", written)

        self._run(download)
        return dest

    # -- users ---------------------------------------------------------------------------
    def users(self) -> dict[int, str]:
        """User id -> e-mail, for naming annotators in annotation records."""
        users = self._run(self.sdk.users.list)
        return {int(u.id): u.email or u.username or str(u.id) for u in users}

    def invite_url(self) -> str:
        """The link a new annotator signs up with."""
        return self.url + self._run(self.sdk.organizations.invites.get_invite_link).invite_url

    # -- ML backends (model in the loop) ---------------------------------------------------
    def connect_ml_backend(self, project_id: int, url: str, title: str, *, interactive: bool = False,
                           timeout: float = 100.0, basic_auth: tuple[str, str] | None = None) -> dict[str, Any]:
        """Connect a model server to the project (Label Studio checks that it answers, and waits up to ``timeout``
        seconds for each of its answers); ``interactive``: it pre-annotates as annotators work; ``basic_auth``:
        (user, password) Label Studio sends to it. Returns the backend."""
        auth = ({"auth_method": "BASIC_AUTH", "basic_auth_user": basic_auth[0], "basic_auth_pass": basic_auth[1]}
                if basic_auth else {})
        return self._run(lambda: _plain(self.sdk.ml.create(project=project_id, url=url, title=title,
                                                           is_interactive=interactive, timeout=timeout, **auth)),
                         retry=False)  # a retry could connect it twice

    def list_ml_backends(self, project_id: int) -> list[dict[str, Any]]:
        return self._run(lambda: [_plain(b) for b in self.sdk.ml.list(project=project_id)])

    def train_ml_backend(self, backend_id: int) -> None:
        """Ask the model server to train on the project's annotations (it answers at once, trains on its side)."""
        self._run(lambda: self.sdk.ml.train(backend_id), retry=False)  # a retry could start a second training

    def retrieve_predictions(self, project_id: int, task_ids: list[int]) -> None:
        """Have the connected model servers predict these tasks (the Data Manager action)."""
        self._run(lambda: self.sdk.actions.create(id="retrieve_tasks_predictions", project=project_id,
                                                  selected_items={"all": False, "included": list(task_ids)}))
