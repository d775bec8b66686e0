"""``stancekit serve``: the Label Studio ML backend protocol over stancekit's models.

Routes (as HumanSignal/label-studio-ml-backend's ``label_studio_ml/api.py`` and what Label Studio
1.23 sends): ``GET /health`` and ``/``, ``POST /setup``, ``POST /predict``, ``POST /webhook``
(``START_TRAINING``, ``ANNOTATION_CREATED``/``UPDATED``, ``ANNOTATIONS_DELETED``; other events are
answered and ignored) and ``GET /versions``.

Web framework: Starlette served by uvicorn. Neither Flask nor an ASGI stack comes with the project
or Label Studio's venv (Django does, but is far too heavy for five routes); Starlette and uvicorn are
small (two packages, their dependencies anyio and h11 already installed), well kept, and async:
``/health`` and ``/setup`` run on the event loop and answer at once while a prediction runs in a
worker thread and a retraining runs in a child process (Label Studio gives them 1 s and 3 s).

The models are loaded once, when the server starts, and replaced only when a retraining is
accepted. Predictions run one batch at a time (a fast tokenizer must not be shared between threads).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import json
import re
import threading
from collections.abc import AsyncIterator
from typing import Any

from stancekit.actors import ActorDictionary
from stancekit.errors import ConfigError, StanceKitError
from stancekit.extras import require_extra
from stancekit.io import invalid_unicode
from stancekit.models.manifest import MANIFEST
from stancekit.models.runtime import set_threads
from stancekit.options import flag
from stancekit.serve.config import ServeConfig
from stancekit.serve.predictor import Preannotator, TaskError, load_classifier, shown, task_name
from stancekit.studio.controls import DEFAULT_CONTROLS, Controls, controls_from_config
from stancekit.serve.training import Retrainer, StudioLink
from stancekit.serve.versions import Version, VersionStore

PREDICT_FIELDS = frozenset({"tasks", "project", "label_config", "params",  # what Label Studio 1.23 sends
                            "model_version", "force_reload", "try_fetch"})  # what upstream backends also accept
# The JSON type of each field the routes read (absent or null is always allowed): a field of another type is a
# 422 naming it, never a value guessed at.
PREDICT_TYPES = {"tasks": list, "project": (str, int), "label_config": str, "params": dict, "model_version": str,
                 "force_reload": bool, "try_fetch": bool}
SETUP_TYPES = {"project": (str, int), "schema": str, "hostname": str, "access_token": str,
               "extra_params": dict, "model_version": str}
WEBHOOK_TYPES = {"action": str, "project": dict}
MODEL_CLASS = "stancekit"
MAX_TITLE_CHARS = 1000  # Label Studio 1.23 allows 50 (PROJECT_TITLE_MAX_LEN); room for a later limit
MAX_NUMBER_DIGITS = 100  # a longer number in a body is refused (Python would spend time on it, or refuse it itself)
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")  # in text decoded strictly, the only way to a lone surrogate
JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean",
              type(None): "null"}


class RequestError(StanceKitError):
    """A request the backend refuses: HTTP status and a message saying what was expected."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Backend:
    """The served models (swapped whole on an accepted retraining), the projects' controls, the retrainer."""

    def __init__(self, config: ServeConfig):
        self.config = config
        self.store = VersionStore(config.model, config.versions_dir, root_flag=flag(ServeConfig, "versions_dir"))
        self._held = contextlib.ExitStack()  # the versions folder, this server's until close()
        self._held.enter_context(self.store.claim())  # before any model loads: a second server is refused at once
        try:
            self.dictionary = ActorDictionary.load(config.actors) if config.actors is not None else None
            self.sentiment = (load_classifier(config.sentiment_model, task="sentiment", options=config.inference)
                              if config.sentiment_model is not None else None)
            self.version = self.store.current()
            self.predictor = self._current_predictor()
        except BaseException:
            self._held.close()
            raise
        self.controls: dict[str, Controls] = {}  # project id -> controls of its config (from /setup)
        self._predict_lock = threading.Lock()
        self.studio = StudioLink(url=config.studio_url or "", fixed_url=config.studio_url is not None,
                                 url_flag=flag(ServeConfig, "studio_url"))
        self.retrainer = Retrainer(store=self.store, settings=config.training, studio=self.studio,
                                   actors=config.actors, served=lambda: self.version, on_version=self.switch)

    def _current_predictor(self) -> Preannotator:
        """The predictor of the version current.json names; a version that no longer loads says how to go back."""
        try:
            return self._predictor(self.version)
        except StanceKitError as err:
            if self.version.path == self.config.model:
                raise
            raise ConfigError(f"{err} (the version {self.store.root / 'current.json'} names; delete that file to "
                              f"serve {self.config.model} again)") from None

    def close(self) -> None:
        """Stop a running retraining and give the versions folder up (server shutdown)."""
        self.retrainer.stop()
        self._held.close()

    def _predictor(self, version: Version) -> Preannotator:
        stance = load_classifier(version.path, task="stance", options=self.config.inference)
        return Preannotator(stance, version=version.name, sentiment=self.sentiment, dictionary=self.dictionary)

    def switch(self, version: Version) -> None:
        """Serve an accepted version: load it beside the current one, record it, then swap (requests never wait).

        A version that does not load, or a pointer that cannot be written, leaves the served one as it is
        (a restarted server serves what current.json names: always the version being served)."""
        predictor = self._predictor(version)
        self.store.set_current(version)
        self.predictor, self.version = predictor, version

    def health(self) -> dict[str, Any]:
        return {"status": "UP", "model_class": MODEL_CLASS, "model_version": self.version.name,
                "model_dir": str(self.version.path), "training": self.retrainer.status()}

    def setup(self, body: dict[str, Any]) -> dict[str, Any]:
        _check_types(body, SETUP_TYPES, "/setup")
        project = str(body.get("project") or "").split(".")[0]
        schema = body.get("schema")
        if isinstance(schema, str) and schema.strip():
            try:
                self.controls[project] = controls_from_config(schema)
            except ConfigError as err:
                raise RequestError(422, f"the project's labeling config does not fit stancekit: {err}") from None
        self.studio.update(body.get("hostname"), body.get("access_token"))
        return {"model_version": self.version.name}

    def predict(self, body: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(body) - PREDICT_FIELDS)
        if unknown:
            raise RequestError(422, f"unknown field(s) {shown(unknown)} in /predict; expected "
                                    f"{sorted(PREDICT_FIELDS)}")
        _check_types(body, PREDICT_TYPES, "/predict")
        tasks = body.get("tasks")
        if not isinstance(tasks, list) or not tasks or not all(isinstance(t, dict) for t in tasks):
            raise RequestError(422, "/predict needs 'tasks': a non-empty list of task objects "
                                    "({\"id\": ..., \"data\": {\"text\": ...}})")
        controls = self._controls(body)
        for index, task in enumerate(tasks):
            text = task.get("data", {}).get(controls.text_key) if isinstance(task.get("data"), dict) else None
            if isinstance(text, str) and len(text) > self.config.max_text_chars:
                raise RequestError(413, f"{task_name(task, index)}: text of {len(text)} characters, the limit is "
                                        f"{self.config.max_text_chars} (a task is one sentence or a short passage; "
                                        f"raise {flag(ServeConfig, 'max_text_chars')} if needed)")
        predictor = self.predictor
        try:
            with self._predict_lock:
                results = predictor.predict(tasks, controls)
        except TaskError as err:
            raise RequestError(422, str(err)) from None
        return {"results": results, "model_version": predictor.version}

    def _controls(self, body: dict[str, Any]) -> Controls:
        config = body.get("label_config")
        if config is not None:
            if not isinstance(config, str):
                raise RequestError(422, "label_config must be the labeling config XML (a string)")
            try:
                return controls_from_config(config)
            except ConfigError as err:
                raise RequestError(422, str(err)) from None
        return self.controls.get(str(body.get("project") or "").split(".")[0], DEFAULT_CONTROLS)

    def webhook(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        _check_types(body, WEBHOOK_TYPES, "a webhook")
        action = body.get("action")
        if not action:
            raise RequestError(422, "a webhook body needs 'action' (e.g. START_TRAINING, ANNOTATION_CREATED)")
        project = body.get("project") or {}
        title = project.get("title")
        if title is not None and not isinstance(title, str):
            raise RequestError(422, f"project.title must be a string (the project's title), found "
                                    f"{_json_type(title)}")
        title = (title or "").strip()
        if len(title) > MAX_TITLE_CHARS:
            raise RequestError(422, f"project.title of {len(title)} characters; a Label Studio project title has at "
                                    f"most {MAX_TITLE_CHARS}")
        try:
            if action == "START_TRAINING":
                if not title:
                    raise RequestError(422, "START_TRAINING needs 'project' with its 'title' (as Label Studio "
                                            "sends it)")
                return 201, {"status": self.retrainer.request(title), "model_version": self.version.name}
            if action in ("ANNOTATION_CREATED", "ANNOTATION_UPDATED"):
                counted = "counted" if self.config.training.train_every else "ignored"  # --train-every 0
                return 200, {"status": self.retrainer.annotation_changed(title) or counted}
        except ConfigError as err:  # no Label Studio to pull from: nothing started, nothing written
            raise RequestError(409, str(err)) from None
        if action == "ANNOTATIONS_DELETED":  # only ids: the next pull no longer sees them
            return 200, {"status": "noted"}
        return 200, {"status": "ignored", "action": action[:100]}

    def versions(self) -> dict[str, Any]:
        """The served version first, then every version folder (accepted or not)."""
        names = sorted(p.name for p in self.store.root.glob("*@*") if (p / MANIFEST).is_file()) \
            if self.store.root.is_dir() else []
        return {"versions": list(dict.fromkeys([self.version.name, *names]))}


def _error(status: int, message: str):
    from starlette.responses import JSONResponse

    return JSONResponse({"error": message}, status_code=status)


def _authorized(header: str, user: str, password: str) -> bool:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given_user, _, given_password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(given_user.encode(), user.encode()) & \
        hmac.compare_digest(given_password.encode(), password.encode())


def _json_type(value: Any) -> str:
    return JSON_TYPES.get(type(value), type(value).__name__)


def _check_types(body: dict[str, Any], types: dict[str, Any], route: str) -> None:
    """422 naming the first field whose JSON type is not the one the route reads."""
    for name, expected in types.items():
        value = body.get(name)
        wanted = expected if isinstance(expected, tuple) else (expected,)
        if value is not None and (not isinstance(value, wanted) or (isinstance(value, bool) and bool not in wanted)):
            names = " or ".join(dict.fromkeys(JSON_TYPES[t] for t in wanted))
            raise RequestError(422, f"{route}: '{name}' must be {names}, found {_json_type(value)}")


def _parse_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise ValueError(f"a number of {len(digits)} digits (at most {MAX_NUMBER_DIGITS} are read)")
    return int(digits)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON (a number must be finite)")


def _not_unicode(body: dict[str, Any]) -> str | None:
    """Where the body holds a lone surrogate (the check ``stancekit tag`` makes on coverage), naming the task."""
    tasks = body.get("tasks")
    if isinstance(tasks, list):
        for index, task in enumerate(tasks):
            if reason := invalid_unicode(task):
                return f"{task_name(task, index) if isinstance(task, dict) else f'task #{index + 1}'}: {reason}"
    return invalid_unicode(body)


async def _json_body(request: Any, limit: int) -> dict[str, Any]:
    """The request's JSON object; RequestError (4xx) for any other content type, size, syntax or text."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        raise RequestError(415, f"expected a JSON body (Content-Type: application/json), found "
                                f"{shown(media) if media else 'no Content-Type'}")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError(413, f"request body of {declared} bytes, the limit is {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(413, f"request body over {limit} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:  # strictly: json.loads would take UTF-16 and UTF-8-encoded surrogates from bytes
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RequestError(400, f"the body is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                                "send the JSON as UTF-8") from None
    try:
        body = json.loads(text or "null", parse_int=_parse_int, parse_constant=_no_constant)
    except RecursionError:
        raise RequestError(400, "the body is JSON nested too deeply to read (Label Studio's tasks are a few "
                                "levels deep)") from None
    except ValueError as exc:  # JSONDecodeError, and the two refusals above
        raise RequestError(400, f"the body is not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(body, dict):
        raise RequestError(400, f"expected a JSON object, found {_json_type(body)}")
    if _ESCAPED_SURROGATE.search(text) and (reason := _not_unicode(body)):  # only a \\u escape makes one
        raise RequestError(422, f"{reason}; send valid Unicode text (an escaped half of a UTF-16 pair cannot be "
                                "read or stored)")
    return body


def build_app(backend: Backend):
    """The Starlette application answering Label Studio."""
    require_extra("serve")
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException
    from starlette.middleware import Middleware
    from starlette.middleware.base import BaseHTTPMiddleware
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    config = backend.config

    async def check_auth(request: Any, call_next: Any) -> Any:
        if config.basic_auth_user and not _authorized(request.headers.get("authorization", ""),
                                                      config.basic_auth_user, config.basic_auth_password):
            response = _error(401, "basic auth required: set the user and password in Label Studio's model "
                                   "connection (Authentication method: Basic Authentication)")
            response.headers["WWW-Authenticate"] = 'Basic realm="stancekit"'
            return response
        return await call_next(request)

    def handler(method: Any, *, threaded: bool = False):
        async def endpoint(request: Any) -> Any:
            try:
                body = await _json_body(request, config.max_body_bytes)
                answer = await run_in_threadpool(method, body) if threaded else method(body)
            except RequestError as err:
                return _error(err.status, str(err))
            status, payload = answer if isinstance(answer, tuple) else (200, answer)
            return JSONResponse(payload, status_code=status)
        return endpoint

    async def health(request: Any) -> Any:
        return JSONResponse(backend.health())

    async def versions(request: Any) -> Any:
        return JSONResponse(backend.versions())

    routes = [
        Route("/", health, methods=["GET"]), Route("/health", health, methods=["GET"]),
        Route("/versions", versions, methods=["GET"]),
        Route("/setup", handler(backend.setup), methods=["POST"]),
        Route("/predict", handler(backend.predict, threaded=True), methods=["POST"]),
        Route("/webhook", handler(backend.webhook), methods=["POST"]),
    ]

    async def http_error(request: Any, exc: Any) -> Any:  # 404, 405 and any other the framework raises
        return _error(exc.status_code, f"{request.method} {request.url.path[:200]}: {exc.detail}")

    async def internal_error(request: Any, exc: Exception) -> Any:
        # The last resort, for a fault of the server itself (no request is meant to reach it): a JSON answer
        # Label Studio can show, and the traceback in the log (Starlette re-raises after answering).
        return _error(500, f"{request.method} {request.url.path[:200]}: internal error of stancekit serve "
                           f"({type(exc).__name__}); the server log has the details")

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        yield
        backend.close()  # a running child would otherwise outlive the server

    return Starlette(routes=routes, middleware=[Middleware(BaseHTTPMiddleware, dispatch=check_auth)],
                     exception_handlers={HTTPException: http_error, Exception: internal_error}, lifespan=lifespan)


def serve(config: ServeConfig) -> None:
    """Load the models once and answer Label Studio until stopped (Ctrl-C)."""
    require_extra("serve")
    import uvicorn

    set_threads(config.threads)  # before the models load: ONNX Runtime sessions take their threads then
    backend = Backend(config)
    print(f"stancekit serve: {backend.version.name} on http://{config.host}:{config.port} "
          f"(auth: {'basic' if config.basic_auth_user else 'none'}; versions in {backend.store.root})", flush=True)
    try:
        uvicorn.run(build_app(backend), host=config.host, port=config.port, log_level="warning")
    finally:
        backend.close()
