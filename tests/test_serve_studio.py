"""``stancekit serve`` as a real process connected to a real Label Studio: connect, predict for tasks
imported by hand with only their text, annotate as a second user, retrain through Label Studio's
Start Training, a killed training and bad requests that leave the server up."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stancekit.actors import ActorDictionary, DictionaryMatcher
from stancekit.models.manifest import describe_files
from stancekit.pipeline import iter_sentences
from stancekit.records import Document
from stancekit.studio.client import StudioClient
from stancekit.studio.config import LabelingConfig
from stancekit.studio.server import free_port
from studio_helpers import create_annotation

pytestmark = pytest.mark.slow

AUTH = ("label-studio", secrets.token_urlsafe(12))
STANCES = ("favor", "against", "neutral")


# -- Label Studio calls these tests make -------------------------------------------------------
def connect_backend(client: StudioClient, project_id: int, url: str) -> dict:
    """POST /api/ml as the Model settings page does (Label Studio then calls /health and /setup)."""
    return client.connect_ml_backend(project_id, url, "stancekit", basic_auth=AUTH)


def retrieve_predictions(client: StudioClient, project_id: int, task_ids: list[int]) -> None:
    """The Data Manager action 'Retrieve Predictions' on the given tasks."""
    client.retrieve_predictions(project_id, task_ids)


def stored_predictions(client: StudioClient, task_id: int) -> list[dict]:
    return [p.model_dump(mode="json") for p in client.sdk.predictions.list(task=task_id)]


def start_training(studio, backend_id: int) -> None:
    """The Model settings page's 'Start Training' (Label Studio sends START_TRAINING to /webhook)."""
    with studio.client() as client:
        client.train_ml_backend(backend_id)


def task_ids(client: StudioClient, project_id: int) -> list[int]:
    return sorted(t["id"] for t in client.iter_tasks(project_id))


# -- the backend process ---------------------------------------------------------------------
class BackendProcess:
    def __init__(self, url: str, process: subprocess.Popen, log: Path, versions: Path):
        self.url, self.process, self.log, self.versions = url, process, log, versions
        self.http = httpx.Client(base_url=url, auth=AUTH, timeout=60)

    def health(self) -> dict:
        return self.http.get("/health").json()

    def wait_idle(self, runs: int, timeout: float = 400) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.health()["training"]
            if state["state"] == "idle" and state["runs"] >= runs:
                return state
            time.sleep(0.5)
        raise AssertionError(f"training did not finish in {timeout} s: {self.health()}; log:\n{self.log.read_text()}")


@pytest.fixture(scope="module")
def backend(tiny_stance_model_dir: Path, seed_actors_path: Path, tmp_path_factory) -> Iterator[BackendProcess]:
    port, folder = free_port(), tmp_path_factory.mktemp("serve")
    log = folder / "serve.log"
    env = {**os.environ, "STANCEKIT_BASIC_AUTH_USER": AUTH[0], "STANCEKIT_BASIC_AUTH_PASSWORD": AUTH[1],
           "HF_HUB_OFFLINE": "1"}
    env.pop("LABEL_STUDIO_API_KEY", None)  # the token must come from Label Studio's /setup
    command = [sys.executable, "-c", "from stancekit.cli import main; main()", "serve", "--model",
               str(tiny_stance_model_dir), "--actors", str(seed_actors_path), "--port", str(port), "--versions-dir",
               str(folder / "versions"), "--train-max-steps", "4", "--threads", "1"]
    with log.open("wb") as handle:
        process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    server = BackendProcess(f"http://127.0.0.1:{port}", process, log, folder / "versions")
    deadline = time.monotonic() + 120
    while True:
        try:
            if server.http.get("/health").status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"stancekit serve did not start:\n{log.read_text()}")
        time.sleep(0.5)
    try:
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


@pytest.fixture(scope="module")
def sentences(seed_text: str, seed_actors_path: Path) -> list[str]:
    """Ten sentences of the seed article with actor mentions: what a user would import by hand."""
    matcher = DictionaryMatcher(ActorDictionary.load(seed_actors_path))
    found = [s.text for s in iter_sentences([Document("seed", seed_text)], matcher=matcher) if s.mentions]
    assert len(found) >= 10
    return found[:10]


@pytest.fixture(scope="module")
def project(studio, backend: BackendProcess, seed_actors_path: Path, sentences: list[str]) -> dict:
    """A project with stancekit's labeling config, text-only tasks, and the backend connected."""
    with studio.client() as admin:
        xml = LabelingConfig(ActorDictionary.load(seed_actors_path)).xml()
        created = admin.create_project({"title": "serve " + secrets.token_hex(3), "label_config": xml})
        assert admin.import_tasks(created["id"], [{"text": s} for s in sentences]) == len(sentences)
        ml = connect_backend(admin, created["id"], backend.url)
        return {**created, "ml_id": ml["id"], "ml": ml}


def test_connect_predict_annotate_retrain(studio, annotator_tokens, backend: BackendProcess, project: dict,
                                          sentences: list[str]) -> None:
    served = backend.health()["model_version"]
    assert project["ml"]["readable_state"] == "Connected" and project["ml"]["model_version"] == served
    with studio.client() as admin:
        ids = task_ids(admin, project["id"])
        retrieve_predictions(admin, project["id"], ids)
        predictions = {i: stored_predictions(admin, i) for i in ids}
    matcher = DictionaryMatcher(ActorDictionary.load(Path(__file__).parent.parent / "seeds" /
                                                     "nagorno-karabakh.actors.yaml"))
    by_text = {}
    for task_id, text in zip(ids, sentences):
        (pred,) = predictions[task_id]
        assert pred["model_version"] == served
        spans = [r for r in pred["result"] if r["from_name"] == "actor"]
        stances = {r["id"]: r["value"]["choices"][0] for r in pred["result"] if r["from_name"] == "stance"}
        assert [(s["value"]["start"], s["value"]["end"], s["value"]["labels"][0]) for s in spans] == \
            [(m.start, m.end, m.actor) for m in matcher.find(text)]
        assert set(stances) == {s["id"] for s in spans} and set(stances.values()) <= set(STANCES)
        assert 0 <= pred["score"] <= 1
        by_text[task_id] = pred

    # a second user labels every task, each stance unlike the served model's (so the old model scores 0)
    ana = StudioClient(studio.url, annotator_tokens["ana@stancekit.test"])
    for task_id, pred in by_text.items():
        result = []
        for item in pred["result"]:
            if item["from_name"] == "stance":
                wrong = next(s for s in STANCES if s != item["value"]["choices"][0])
                item = {**item, "value": {**item["value"], "choices": [wrong]}}
            result.append({k: v for k, v in item.items() if k != "score"})
        result.append({"id": "s", "from_name": "sentiment", "to_name": "text", "type": "choices",
                       "value": {"choices": ["negative"]}})
        create_annotation(ana, task_id, result, lead_time=3.0)
    ana.close()

    # Start Training through Label Studio; /predict keeps answering while it runs
    answered, stop = [], threading.Event()

    def keep_predicting() -> None:
        while not stop.is_set():
            response = backend.http.post("/predict", json={"tasks": [{"id": 1, "data": {"text": sentences[0]}}]})
            answered.append(response.status_code)
            time.sleep(0.2)

    poller = threading.Thread(target=keep_predicting)
    poller.start()
    try:
        start_training(studio, project["ml_id"])
        state = backend.wait_idle(runs=1)
    finally:
        stop.set()
        poller.join()
    assert state["last_error"] is None, state
    assert answered and set(answered) == {200}
    result = state["last_result"]
    assert result["accepted"] and result["held_out"]["previous"] == 0.0
    new = backend.health()["model_version"]
    assert new != served and new.startswith(f"{Path(backend.health()['model_dir']).name.split('@')[0]}")
    assert "-r1@" in new
    manifest = json.loads((Path(backend.health()["model_dir"]) / "stancekit.json").read_text(encoding="utf-8"))
    assert manifest["retraining"]["held_out"]["new"] >= manifest["retraining"]["held_out"]["previous"]
    assert manifest["files"] == describe_files(Path(backend.health()["model_dir"]))  # the new version, fully listed
    assert Path(manifest["retraining"]["raw_export"]).is_file()  # the export kept verbatim
    ranking = result["ranking"]  # every task is annotated here: nothing left to rank, nothing applied
    assert ranking == {"model_version": ranking["model_version"], "tasks": 0, "applied": False}
    assert ranking["model_version"].startswith(new) and "breaking-ties" in ranking["model_version"]

    # Label Studio now stores predictions of the new version
    with studio.client() as admin:
        retrieve_predictions(admin, project["id"], ids[:2])
        versions = {p["model_version"] for p in stored_predictions(admin, ids[0])}
    assert new in versions


def test_killed_and_failing_training_keep_the_served_version(studio, backend: BackendProcess, project: dict) -> None:
    served = backend.health()["model_version"]
    before = backend.health()["training"]["runs"]
    start_training(studio, project["ml_id"])
    deadline = time.monotonic() + 60
    while (pid := backend.health()["training"]["pid"]) is None:
        assert time.monotonic() < deadline, backend.health()
        time.sleep(0.1)
    os.killpg(pid, signal.SIGKILL)
    state = backend.wait_idle(runs=before + 1)
    assert "killed (signal 9)" in state["last_error"] and served in state["last_error"]
    assert backend.health()["model_version"] == served

    with studio.client() as admin:  # a project without annotations: the run fails and says why
        empty = admin.create_project({"title": "empty " + secrets.token_hex(3)})
    response = backend.http.post("/webhook", json={"action": "START_TRAINING", "project": empty})
    assert response.status_code == 201 and response.json()["status"] == "started"
    state = backend.wait_idle(runs=before + 2)
    assert "no annotated task" in state["last_error"]
    assert backend.health()["model_version"] == served


def test_requests_during_a_run_coalesce(backend: BackendProcess, project: dict) -> None:
    before = backend.health()["training"]["runs"]
    answers = [backend.http.post("/webhook", json={"action": "START_TRAINING", "project": project}).json()["status"]
               for _ in range(3)]
    assert answers == ["started", "queued", "queued"]
    state = backend.wait_idle(runs=before + 2)
    assert state["runs"] == before + 2  # three requests, two runs


def test_bad_requests_leave_the_server_up(backend: BackendProcess) -> None:
    for body in ({}, {"tasks": [{"data": {}}]}, {"tasks": [{"data": {"text": "x"}}], "extra": 1},
                 {"tasks": [{"data": {"text": "y" * 2_000_000}}]}):
        response = backend.http.post("/predict", json=body)
        assert 400 <= response.status_code < 500 and "error" in response.json()
    assert backend.http.post("/predict", content=b"{not json").status_code == 400
    assert httpx.post(f"{backend.url}/predict", json={"tasks": []}).status_code == 401  # no basic auth
    assert backend.process.poll() is None and backend.health()["status"] == "UP"


def test_the_token_is_never_written(studio, backend: BackendProcess, project: dict) -> None:
    written = [backend.log, *backend.versions.glob("jobs/*/*")]
    assert len(written) > 3
    for path in written:
        assert studio.token not in path.read_text(encoding="utf-8", errors="replace"), path
