"""The label-studio-sdk adapter against the real server: personal access tokens whose access tokens expire
mid-run, a refused access token refreshed once, URL/token lookup, and the model-in-the-loop calls."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from studio_helpers import create_annotation
from studio_server import ACCESS_TOKEN_SECONDS

from stancekit.errors import ConfigError
from stancekit.studio.client import StudioClient, StudioError
from stancekit.studio.connection import DEFAULT_URL, studio_token, studio_url
from stancekit.studio.pull import PullConfig, pull
from stancekit.studio.push import PushConfig, push
from stancekit.studio.tasks import sentiment_result

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def coverage(tmp_path_factory) -> Path:
    """6 documents x 2 sentences naming actors of the seed dictionary: 12 tasks."""
    path = tmp_path_factory.mktemp("coverage") / "six.jsonl"
    path.write_text("".join(json.dumps({"id": f"pat{i}", "text": f"Armenia reported clash {i}. Russia urged talks {i}."})
                            + "\n" for i in range(6)), encoding="utf-8")
    return path


class SlowClient(StudioClient):
    """A real client whose push pauses after its first import until the access token has expired."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.imports = 0

    def import_tasks(self, project_id, tasks):
        created = super().import_tasks(project_id, tasks)
        self.imports += 1
        if self.imports == 1:
            time.sleep(ACCESS_TOKEN_SECONDS + 1)
        return created


def test_a_personal_access_token_outlives_its_access_tokens(studio, personal_access_token, coverage,
                                                            seed_actors_path, tmp_path):
    # The server really expires access tokens: a token exchanged once (what stancekit did before) stops working.
    access = httpx.post(f"{studio.url}/api/token/refresh/", json={"refresh": personal_access_token}).json()["access"]
    time.sleep(ACCESS_TOKEN_SECONDS + 1)
    assert httpx.get(f"{studio.url}/api/projects", headers={"Authorization": f"Bearer {access}"}).status_code == 401

    title = f"pat push {secrets.token_hex(3)}"
    config = PushConfig(project=title, inputs=[coverage], actors=seed_actors_path, batch_size=4)
    with SlowClient(studio.url, personal_access_token) as client:
        pushed = push(config, client, quiet=True)  # the access token expires between its imports
        time.sleep(ACCESS_TOKEN_SECONDS + 1)
        pulled = pull(PullConfig(project=title, out_dir=tmp_path / "pulled"), client)
    assert (pushed.pushed, client.imports) == (12, 3)
    assert len(pulled.parsed.tasks) == 12
    for path in (tmp_path / "pulled").rglob("*"):
        assert path.is_dir() or personal_access_token not in path.read_text(encoding="utf-8")


def test_a_refused_access_token_is_refreshed_once(studio, personal_access_token, monkeypatch):
    # A 401 for an access token the client holds as unexpired (clocks apart) cannot be caused for real:
    # the transport answers 401 to the first request carrying a Bearer token.
    real = httpx.HTTPTransport.handle_request
    refused: list[str] = []

    def refuse_first_bearer(transport, request):
        if request.headers.get("Authorization", "").startswith("Bearer") and not refused:
            refused.append(request.url.path)
            return httpx.Response(401, json={"detail": "Given token not valid for any token type"}, request=request)
        return real(transport, request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", refuse_first_bearer)
    with StudioClient(studio.url, personal_access_token) as client:
        users = client.users()
        # refresh, GET users (refused), refresh again, GET users
        assert client.requests == 4
    assert refused == ["/api/users/"] and studio.server.config.username in users.values()


def test_a_legacy_token_refused_is_not_retried(studio):
    wrong = secrets.token_hex(20)
    with StudioClient(studio.url, wrong) as client:
        with pytest.raises(StudioError, match=r"refused the API token for GET /api/users/ \(HTTP 401\)") as err:
            client.users()
        assert client.requests == 1
    assert wrong not in str(err.value)


def test_an_expired_personal_access_token_is_a_clear_error(studio):
    import jwt

    expired = jwt.encode({"token_type": "refresh", "exp": int(time.time()) - 60, "jti": "x", "user_id": 1},
                         "not-the-server-key", algorithm="HS256")
    with pytest.raises(StudioError, match="personal access token .* was refused before any request") as err:
        StudioClient(studio.url, expired)
    assert expired not in str(err.value)


def test_url_and_token_come_from_flag_then_environment(monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    assert (studio_url(), studio_token()) == (DEFAULT_URL, "")
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://studio.example:9000/")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "from-env")
    assert (studio_url(), studio_token()) == ("http://studio.example:9000", "from-env")
    assert (studio_url("https://flag.example"), studio_token("from-flag")) == ("https://flag.example", "from-flag")
    with pytest.raises(ConfigError, match="expected a Label Studio URL"):
        studio_url("studio.example:8080")
    monkeypatch.delenv("LABEL_STUDIO_API_KEY")
    with pytest.raises(StudioError, match="no Label Studio API token"):
        StudioClient("http://127.0.0.1:1")


class ModelServer(BaseHTTPRequestHandler):
    """A minimal model server (Label Studio's ML backend protocol) that answers "negative" to every task."""

    calls: list[tuple[str, dict]] = []

    def do_GET(self):  # noqa: N802
        self.calls.append((self.path, {}))
        self._answer({"status": "UP", "model_class": "Stub"})

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        self.calls.append((self.path, body))
        if self.path == "/predict":
            self._answer({"results": [{"model_version": "stub-1", "score": 0.25,
                                       "result": [sentiment_result("negative")]} for _ in body.get("tasks", [])]})
        else:
            self._answer({"model_version": "stub-1"})

    def _answer(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def model_server() -> Iterator[str]:
    ModelServer.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), ModelServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_model_in_the_loop_calls(studio, model_server, coverage, seed_actors_path):
    title = f"ml loop {secrets.token_hex(3)}"
    with studio.client() as admin:
        pushed = push(PushConfig(project=title, inputs=[coverage], actors=seed_actors_path), admin, quiet=True)
        project_id = pushed.project_id
        ids = [t["id"] for t in admin.iter_tasks(project_id)]
        create_annotation(admin, ids[0], [sentiment_result("positive")], lead_time=2.0)
        create_annotation(admin, ids[1], [], was_cancelled=True)
        assert sorted(t["id"] for t in admin.iter_unannotated_tasks(project_id)) == sorted(ids[2:])

        backend = admin.connect_ml_backend(project_id, model_server, "stub model")
        assert [b["id"] for b in admin.list_ml_backends(project_id)] == [backend["id"]]
        admin.retrieve_predictions(project_id, ids[2:4])
        predicted = {i: [p.model_version for p in admin.sdk.predictions.list(task=i)] for i in ids[2:5]}
        assert predicted[ids[2]].count("stub-1") == predicted[ids[3]].count("stub-1") == 1
        assert "stub-1" not in predicted[ids[4]]
        admin.train_ml_backend(backend["id"])
        admin.set_label_stream(project_id, sampling="Uncertainty sampling", model_version="stub-1")
        assert (admin.project(project_id)["sampling"], admin.project(project_id)["model_version"]) == (
            "Uncertainty sampling", "stub-1")
        with pytest.raises(StudioError, match="unknown sampling"):
            admin.set_label_stream(project_id, sampling="random")
    paths = [path for path, _ in ModelServer.calls]
    assert "/health" in paths and "/setup" in paths and paths.count("/predict") >= 1
    assert any(path in ("/train", "/webhook") for path in paths)
