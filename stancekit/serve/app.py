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
import threading
from collections.abc import AsyncIterator
from typing import Any

from stancekit.actors import ActorDictionary
from stancekit.errors import ConfigError, StanceKitError
from stancekit.extras import require_extra
from stancekit.models.manifest import MANIFEST
from stancekit.serve.config import ServeConfig
from stancekit.serve.controls import DEFAULT_CONTROLS, Controls, controls_from_config
from stancekit.serve.predictor import Predictor, TaskError, load_classifier
from stancekit.serve.training import Retrainer, StudioLink
from stancekit.serve.versions import Version, VersionStore

PREDICT_FIELDS = frozenset({"tasks", "project", "label_config", "params",  # what Label Studio 1.23 sends
                            "model_version", "force_reload", "try_fetch"})  # what upstream backends also accept
MODEL_CLASS = "stancekit"


class RequestError(StanceKitError):
    """A request the backend refuses: HTTP status and a message saying what was expected."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Backend:
    """The served models (swapped whole on an accepted retraining), the projects' controls, the retrainer."""

    def __init__(self, config: ServeConfig):
        self.config = config
        self.dictionary = ActorDictionary.load(config.actors) if config.actors is not None else None
        self.sentiment = (load_classifier(config.sentiment_model, task="sentiment", options=config.inference)
                          if config.sentiment_model is not None else None)
        self.store = VersionStore(config.model, config.versions_dir)
        self.version = self.store.current()
        self.predictor = self._predictor(self.version)
        self.controls: dict[str, Controls] = {}  # project id -> controls of its config (from /setup)
        self._predict_lock = threading.Lock()
        self.studio = StudioLink(url=config.studio_url or "", fixed_url=config.studio_url is not None)
        self.retrainer = Retrainer(store=self.store, settings=config.training, studio=self.studio,
                                   actors=config.actors, served=lambda: self.version, on_version=self.switch)

    def _predictor(self, version: Version) -> Predictor:
        stance = load_classifier(version.path, task="stance", options=self.config.inference)
        return Predictor(stance, version=version.name, sentiment=self.sentiment, dictionary=self.dictionary)

    def switch(self, version: Version) -> None:
        """Serve an accepted version: load it beside the current one, then swap (requests never wait)."""
        predictor = self._predictor(version)
        self.predictor, self.version = predictor, version
        self.store.set_current(version)

    def health(self) -> dict[str, Any]:
        return {"status": "UP", "model_class": MODEL_CLASS, "model_version": self.version.name,
                "model_dir": str(self.version.path), "training": self.retrainer.status()}

    def setup(self, body: dict[str, Any]) -> dict[str, Any]:
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
            raise RequestError(422, f"unknown field(s) {unknown} in /predict; expected {sorted(PREDICT_FIELDS)}")
        tasks = body.get("tasks")
        if not isinstance(tasks, list) or not tasks or not all(isinstance(t, dict) for t in tasks):
            raise RequestError(422, "/predict needs 'tasks': a non-empty list of task objects "
                                    "({\"id\": ..., \"data\": {\"text\": ...}})")
        controls = self._controls(body)
        for index, task in enumerate(tasks):
            text = task.get("data", {}).get(controls.text_key) if isinstance(task.get("data"), dict) else None
            if isinstance(text, str) and len(text) > self.config.max_text_chars:
                raise RequestError(413, f"task {task.get('id', index)}: text of {len(text)} characters, the limit is "
                                        f"{self.config.max_text_chars} (a task is one sentence or a short passage; "
                                        "raise --max-text-chars if needed)")
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
        action = body.get("action")
        if not isinstance(action, str):
            raise RequestError(422, "a webhook body needs 'action' (e.g. START_TRAINING, ANNOTATION_CREATED)")
        project = body.get("project")
        title = str(project.get("title") or "") if isinstance(project, dict) else ""
        if action == "START_TRAINING":
            if not title:
                raise RequestError(422, "START_TRAINING needs 'project' with its 'title' (as Label Studio sends it)")
            return 201, {"status": self.retrainer.request(title), "model_version": self.version.name}
        if action in ("ANNOTATION_CREATED", "ANNOTATION_UPDATED"):
            counted = "counted" if self.config.training.train_every else "ignored"  # --train-every 0: not counted
            return 200, {"status": self.retrainer.annotation_changed(title) or counted}
        if action == "ANNOTATIONS_DELETED":  # only ids: the next pull no longer sees them
            return 200, {"status": "noted"}
        return 200, {"status": "ignored", "action": action}

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


async def _json_body(request: Any, limit: int) -> dict[str, Any]:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError(413, f"request body of {declared} bytes, the limit is {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(413, f"request body over {limit} bytes")
        chunks.append(chunk)
    try:
        body = json.loads(b"".join(chunks) or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RequestError(400, f"the body is not JSON ({exc}); send Content-Type: application/json") from None
    if not isinstance(body, dict):
        raise RequestError(400, f"expected a JSON object, found {type(body).__name__}")
    return body


def build_app(backend: Backend):
    """The Starlette application answering Label Studio."""
    require_extra("serve")
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
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

    async def not_found(request: Any, exc: Any) -> Any:
        return _error(exc.status_code, f"{request.method} {request.url.path}: {exc.detail}")

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        yield
        backend.retrainer.stop()  # a running child would otherwise outlive the server

    return Starlette(routes=routes, middleware=[Middleware(BaseHTTPMiddleware, dispatch=check_auth)],
                     exception_handlers={404: not_found, 405: not_found}, lifespan=lifespan)


def serve(config: ServeConfig) -> None:
    """Load the models once and answer Label Studio until stopped (Ctrl-C)."""
    require_extra("serve")
    import uvicorn

    if config.threads is not None:
        import torch

        torch.set_num_threads(config.threads)
    backend = Backend(config)
    print(f"stancekit serve: {backend.version.name} on http://{config.host}:{config.port} "
          f"(auth: {'basic' if config.basic_auth_user else 'none'})", flush=True)
    uvicorn.run(build_app(backend), host=config.host, port=config.port, log_level="warning")
