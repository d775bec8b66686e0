"""Transient Label Studio failures are retried with backoff, and a retried import creates nothing twice.

A real HTTP proxy stands between the client and the real Label Studio. For the requests it is told to
spoil it answers 502 twice: the first time after forwarding the request (so that the server did the
work, as when a gateway loses the answer), the second time without forwarding; then it forwards as usual.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from stancekit.studio.client import ATTEMPTS, StudioClient, StudioError
from stancekit.studio.pull import PullConfig, pull
from stancekit.studio.push import PushConfig, push

pytestmark = pytest.mark.slow

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


class FlakyProxy:
    """Forwards every request to ``upstream``; the first ``times`` requests matching a spoiled (method, path
    pattern) get 502, the first of them after forwarding (unless ``forward_first`` is off)."""

    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.spoiled: dict[tuple[str, str], list[int]] = {}  # (method, regex) -> [502s so far, times, forward]
        self.log: list[tuple[str, str, int]] = []
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                status = proxy.answer(self.command, self.path)
                if status != 502 or proxy.forward_first(self.command, self.path):
                    upstream = httpx.request(self.command, proxy.upstream + self.path, content=body, timeout=120,
                                             headers={k: v for k, v in self.headers.items()
                                                      if k.lower() not in HOP_BY_HOP})
                if status == 502:
                    payload = b"<html><body>502 Bad Gateway</body></html>"
                    self.send_response(502)
                    self.send_header("content-type", "text/html")
                else:
                    payload, status = upstream.content, upstream.status_code
                    self.send_response(status)
                    for key, value in upstream.headers.items():
                        if key.lower() not in HOP_BY_HOP:
                            self.send_header(key, value)
                with proxy.lock:  # logged before the client can read the answer
                    proxy.log.append((self.command, self.path.split("?")[0], status))
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = relay

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def spoil(self, method: str, pattern: str, *, times: int = 2, forward_first: bool = True) -> None:
        self.spoiled[(method, pattern)] = [0, times, forward_first]

    def _rule(self, method: str, path: str) -> tuple[str, str] | None:
        return next((rule for rule in self.spoiled if rule[0] == method and re.search(rule[1], path)), None)

    def answer(self, method: str, path: str) -> int:
        with self.lock:
            rule = self._rule(method, path)
            if rule is None or self.spoiled[rule][0] >= self.spoiled[rule][1]:
                return 200
            self.spoiled[rule][0] += 1
            return 502

    def forward_first(self, method: str, path: str) -> bool:
        """The first spoiled answer of a rule is given after the server did the work."""
        with self.lock:
            answered, _, forward = self.spoiled[self._rule(method, path)]
            return bool(forward) and answered == 1

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def proxy(studio) -> Iterator[FlakyProxy]:
    flaky = FlakyProxy(studio.url)
    yield flaky
    flaky.close()


@pytest.fixture(scope="module")
def coverage(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("coverage") / "news.jsonl"
    path.write_text("".join(json.dumps({"id": f"d{i}", "text": f"Armenia reported clash {i}. Russia called for "
                                        f"talks on day {i}."}) + "\n" for i in range(10)), encoding="utf-8")
    return path


def test_a_push_through_502s_completes_with_no_task_twice(studio, proxy, coverage, seed_actors_path, capfd):
    title = f"flaky push {secrets.token_hex(3)}"
    proxy.spoil("POST", r"^/api/projects/?$")  # creating the project: the first attempt did create it
    proxy.spoil("POST", r"/api/projects/\d+/import")  # the first batch's import: the server imported it
    config = PushConfig(project=title, inputs=[coverage], actors=seed_actors_path, batch_size=8)
    with StudioClient(proxy.url, studio.token) as client:
        summary = push(config, client, quiet=True)
        # the creation's retry found the project (1); the first import's retry found its 8 tasks and imported
        # nothing more, the second import's (not forwarded) imported the batch again (2)
        assert client.retries == 3
    assert [status for _, path, status in proxy.log if re.search(r"/import", path)] == [502, 502, 201, 201]
    with studio.client() as admin:
        projects = [p for p in admin.sdk.projects.list(title=title, page_size=100).items if p.title == title]
        assert len(projects) == 1  # the retried creation found the project the lost answer had made
        keys = [t["data"]["task_key"] for t in admin.iter_tasks(projects[0].id)]
    assert summary.pushed == len(keys) == len(set(keys)) == 20
    assert "retrying in" in capfd.readouterr().err


def test_a_pull_through_502s_completes(studio, proxy, coverage, seed_actors_path, tmp_path):
    title = f"flaky pull {secrets.token_hex(3)}"
    with studio.client() as admin:
        push(PushConfig(project=title, inputs=[coverage], actors=seed_actors_path), admin, quiet=True)
    proxy.spoil("POST", r"/api/projects/\d+/exports")  # snapshot creation
    proxy.spoil("GET", r"/api/projects/\d+/exports/\d+/download")  # the download, cut twice
    proxy.spoil("GET", r"^/api/users")
    with StudioClient(proxy.url, studio.token) as client:
        result = pull(PullConfig(project=title, out_dir=tmp_path / "pulled"), client)
        assert client.retries == 6
    assert len(result.parsed.tasks) == 20
    assert len({t["task_key"] for t in result.parsed.tasks}) == 20
    assert [p.name for p in (tmp_path / "pulled" / "raw").iterdir() if p.name.endswith(".users.json")]


def test_a_prediction_import_is_not_retried_and_lasting_502s_end_the_call(studio, proxy):
    proxy.spoil("POST", r"/api/projects/\d+/import/predictions", times=1, forward_first=False)
    proxy.spoil("GET", r"^/api/users", times=100, forward_first=False)
    with StudioClient(proxy.url, studio.token) as client:
        with pytest.raises(StudioError, match="HTTP 502"):
            client.import_predictions(1, [{"task": 1, "result": [], "score": 0.5, "model_version": "x"}])
        assert client.retries == 0
        with pytest.raises(StudioError, match=r"GET /api/users/? failed with HTTP 502"):
            client.users()
        assert client.retries == ATTEMPTS - 1
    assert [path for _, path, status in proxy.log if status == 502].count("/api/users/") == ATTEMPTS
