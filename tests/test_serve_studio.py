"""``stancekit serve`` as a real process connected to a real Label Studio: connect, predict for tasks
imported by hand with only their text, annotate as a second user, retrain through Label Studio's
Start Training, a killed training and bad requests that leave the server up."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from stancekit.actors import ActorDictionary, DictionaryMatcher
from stancekit.models.manifest import describe_files
from stancekit.pipeline import iter_sentences
from stancekit.records import Document
from stancekit.studio.client import StudioClient
from stancekit.studio.config import LabelingConfig
from serve_process import ServeProcess, start_serve
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
@pytest.fixture(scope="module")
def backend(tiny_stance_model_dir: Path, seed_actors_path: Path, tmp_path_factory) -> Iterator[ServeProcess]:
    """The token must come from Label Studio's /setup: none in the server's environment."""
    server = start_serve(tiny_stance_model_dir, tmp_path_factory.mktemp("serve"), "--actors", str(seed_actors_path),
                         "--train-max-steps", "4", auth=AUTH)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def sentences(seed_text: str, seed_actors_path: Path) -> list[str]:
    """Ten sentences of the seed article with actor mentions: what a user would import by hand."""
    matcher = DictionaryMatcher(ActorDictionary.load(seed_actors_path))
    found = [s.text for s in iter_sentences([Document("seed", seed_text)], matcher=matcher) if s.mentions]
    assert len(found) >= 10
    return found[:10]


@pytest.fixture(scope="module")
def project(studio, backend: ServeProcess, seed_actors_path: Path, sentences: list[str]) -> dict:
    """A project with stancekit's labeling config, text-only tasks, and the backend connected."""
    with studio.client() as admin:
        xml = LabelingConfig(ActorDictionary.load(seed_actors_path)).xml()
        created = admin.create_project({"title": "serve " + secrets.token_hex(3), "label_config": xml})
        assert admin.import_tasks(created["id"], [{"text": s} for s in sentences]) == len(sentences)
        ml = connect_backend(admin, created["id"], backend.url)
        return {**created, "ml_id": ml["id"], "ml": ml}


def test_connect_predict_annotate_retrain(studio, annotator_tokens, backend: ServeProcess, project: dict,
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


def test_killed_and_failing_training_keep_the_served_version(studio, backend: ServeProcess, project: dict) -> None:
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


def test_requests_during_a_run_coalesce(backend: ServeProcess, project: dict) -> None:
    """Six START_TRAINING requests at once (Label Studio's button pressed again and again): one run starts,
    the others mark one more run after it."""
    before = backend.health()["training"]["runs"]
    barrier = threading.Barrier(6)

    def press() -> str:
        barrier.wait()
        return backend.http.post("/webhook", json={"action": "START_TRAINING", "project": project}).json()["status"]

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: press(), range(6)))
    assert sorted(answers) == ["queued"] * 5 + ["started"]
    state = backend.wait_idle(runs=before + 2)
    assert state["runs"] == before + 2 and state["last_error"] is None  # six requests, two runs
    names = sorted(p.name for p in backend.versions.glob("*-r*@*"))
    assert len(names) == len({re.search(r"-r(\d+)@", n).group(1) for n in names})  # no version number twice


def _ended(pid: int) -> bool:
    """True once ``pid`` has exited (gone, or a zombie nobody has reaped yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (FileNotFoundError, ProcessLookupError):
        return True


def test_a_server_restarted_mid_training_never_shares_the_folder_with_the_old_run(
        studio, tiny_stance_model_dir: Path, seed_actors_path: Path, project: dict, tmp_path: Path) -> None:
    """The server is killed while its retraining runs (the run, in its own process, goes on); the restarted
    server's run is refused, naming the old run's pid, until that run ends; then the next run numbers after it."""
    def connect(server: ServeProcess) -> None:  # what Label Studio's /setup sends
        answer = server.http.post("/setup", json={"project": f"{project['id']}.1", "schema": project["label_config"],
                                                  "hostname": studio.url, "access_token": studio.token})
        assert answer.status_code == 200, answer.text

    options = ("--actors", str(seed_actors_path), "--train-max-steps", "4")
    first = start_serve(tiny_stance_model_dir, tmp_path, *options, auth=AUTH, name="first")
    connect(first)
    assert first.http.post("/webhook", json={"action": "START_TRAINING", "project": project}).status_code == 201
    deadline = time.monotonic() + 120
    while not any("pulled" in log.read_text() for log in first.versions.glob("jobs/*/job.log")):
        assert time.monotonic() < deadline, first.health()
        time.sleep(0.2)
    orphan = first.health()["training"]["pid"]
    (job_dir,) = first.versions.glob("jobs/*")
    os.kill(orphan, signal.SIGSTOP)  # hold the run mid-way, deterministically
    try:
        first.stop(signal.SIGKILL)  # the server dies; its run lives on, in its own session
        second = start_serve(tiny_stance_model_dir, tmp_path, *options, auth=AUTH, versions=first.versions,
                             name="second")
        connect(second)
        served = second.health()["model_version"]
        assert second.http.post("/webhook", json={"action": "START_TRAINING", "project": project}).status_code == 201
        state = second.wait_idle(runs=1)
        assert f"pid {orphan}" in state["last_error"] and "cannot start a retraining" in state["last_error"]
        assert second.health()["model_version"] == served
    finally:
        os.kill(orphan, signal.SIGCONT)
    deadline = time.monotonic() + 400
    while not _ended(orphan):
        assert time.monotonic() < deadline, (job_dir / "job.log").read_text()
        time.sleep(0.5)
    orphaned = json.loads((job_dir / "result.json").read_text(encoding="utf-8"))  # the old run finished its work
    assert "-r1@" in orphaned["version"]
    try:
        assert second.http.post("/webhook", json={"action": "START_TRAINING", "project": project}).status_code == 201
        state = second.wait_idle(runs=2)
        assert state["last_error"] is None, state
        assert "-r2@" in state["last_result"]["version"]  # numbered after the old run's version, never over it
        assert not list(first.versions.glob(".r*.training"))  # no staging folder left behind
    finally:
        second.stop()


def test_bad_requests_leave_the_server_up(backend: ServeProcess) -> None:
    for body in ({}, {"tasks": [{"data": {}}]}, {"tasks": [{"data": {"text": "x"}}], "extra": 1},
                 {"tasks": [{"data": {"text": "y" * 2_000_000}}]}):
        response = backend.http.post("/predict", json=body)
        assert 400 <= response.status_code < 500 and "error" in response.json()
    assert backend.http.post("/predict", content=b"{not json", headers={"Content-Type": "application/json"}
                             ).status_code == 400
    assert httpx.post(f"{backend.url}/predict", json={"tasks": []}).status_code == 401  # no basic auth
    assert backend.process.poll() is None and backend.health()["status"] == "UP"


def test_the_token_is_never_written(studio, backend: ServeProcess, project: dict) -> None:
    written = [backend.log, *backend.versions.glob("jobs/*/*")]
    assert len(written) > 3
    for path in written:
        assert studio.token not in path.read_text(encoding="utf-8", errors="replace"), path
