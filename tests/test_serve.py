"""The ML backend's parts in process: control names from a config, certainty, tasks with and without
mentions, request checks, basic auth, version store. The real server process and Label Studio are in
test_serve_studio.py."""

from __future__ import annotations

import base64
import json
import os
import shutil
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from stancekit.actors import ActorDictionary
from stancekit.errors import ConfigError, OutputError
from stancekit.serve.app import Backend, build_app
from stancekit.serve.config import ServeConfig, TrainingSettings
from stancekit.studio.controls import controls_from_config
from stancekit.serve.predictor import prediction_certainty
from stancekit.serve.versions import Version, VersionStore
from stancekit.studio.config import LabelingConfig
from stancekit.studio.server import free_port

SENTENCE = "Azerbaijan accused Armenia of shelling, and Russia called for calm."


@pytest.fixture(scope="module")
def labeling_xml(seed_actors_path: Path) -> str:
    return LabelingConfig(ActorDictionary.load(seed_actors_path)).xml()


@pytest.fixture(scope="module")
def client(tiny_stance_model_dir: Path, seed_actors_path: Path, tmp_path_factory) -> TestClient:
    config = ServeConfig(model=tiny_stance_model_dir, actors=seed_actors_path,
                         versions_dir=tmp_path_factory.mktemp("versions"))
    return TestClient(build_app(Backend(config)))


def renamed(xml: str) -> str:
    """The same config with every control and the Text object renamed, as a user may do."""
    for old, new in (('name="text"', 'name="sentence"'), ('toName="text"', 'toName="sentence"'),
                     ('name="actor"', 'name="who"'), ('name="stance"', 'name="position"'),
                     ('name="sentiment"', 'name="tone"')):
        xml = xml.replace(old, new)
    return xml


def test_controls_come_from_the_config(labeling_xml: str) -> None:
    own = controls_from_config(labeling_xml)
    assert (own.text, own.text_key, own.actor, own.stance, own.sentiment) == ("text", "text", "actor", "stance",
                                                                               "sentiment")
    assert {"azerbaijan", "armenia", "other"} <= own.actor_values
    assert own.stance_values == {"favor", "against", "neutral", "unclear"}
    other = controls_from_config(renamed(labeling_xml))
    assert (other.text, other.text_key, other.actor, other.stance, other.sentiment) == ("sentence", "text", "who",
                                                                                       "position", "tone")
    with pytest.raises(ConfigError, match="no <Labels"):
        controls_from_config('<View><Text name="t" value="$text"/><Choices name="c" toName="t"/></View>')
    with pytest.raises(ConfigError, match="not valid XML"):
        controls_from_config("<View>")


def test_certainty_is_the_smallest_top_two_margin() -> None:
    assert prediction_certainty([]) == 1.0
    assert prediction_certainty([{"favor": 0.7, "against": 0.2, "neutral": 0.1},
                                 {"favor": 0.4, "against": 0.35, "neutral": 0.25}]) == pytest.approx(0.05)


def test_text_only_task_gets_dictionary_spans_in_the_configs_names(client: TestClient, labeling_xml: str) -> None:
    body = {"tasks": [{"id": 7, "data": {"text": SENTENCE}}], "label_config": renamed(labeling_xml), "project": "3.1"}
    response = client.post("/predict", json=body)
    assert response.status_code == 200, response.text
    (pred,) = response.json()["results"]
    spans = [r for r in pred["result"] if r["from_name"] == "who"]
    stances = [r for r in pred["result"] if r["from_name"] == "position"]
    assert [(s["value"]["text"], s["value"]["labels"]) for s in spans] == [
        ("Azerbaijan", ["azerbaijan"]), ("Armenia", ["armenia"]), ("Russia", ["russia"])]
    assert [s["id"] for s in stances] == [s["id"] for s in spans]  # one stance per span, linked by region id
    assert {r["to_name"] for r in pred["result"]} == {"sentence"}
    assert all(s["value"]["choices"][0] in ("favor", "against", "neutral") for s in stances)
    margins = []
    for s in stances:  # the score is the least certain mention's margin, below each stance's own probability
        margins.append(s["score"])
    assert 0.0 <= pred["score"] <= min(margins)
    assert pred["model_version"] == client.get("/health").json()["model_version"]


def test_pushed_task_keeps_its_mentions_and_a_long_text_is_split(client: TestClient) -> None:
    pushed = {"id": 1, "data": {"text": SENTENCE, "mentions": [{"actor": "russia", "start": 44, "end": 50,
                                                                 "text": "Russia"}]}}
    two = "Azerbaijan shelled the town. " + "Later, Armenia answered."
    response = client.post("/predict", json={"tasks": [pushed, {"id": 2, "data": {"text": two}}]})
    first, second = response.json()["results"]
    assert [r["value"]["text"] for r in first["result"] if r["from_name"] == "actor"] == ["Russia"]
    spans = [r["value"] for r in second["result"] if r["from_name"] == "actor"]
    assert [(v["start"], v["end"]) for v in spans] == [(0, 10), (36, 43)]  # offsets in the task text
    assert [two[v["start"]:v["end"]] for v in spans] == ["Azerbaijan", "Armenia"]


@pytest.mark.parametrize(("body", "status", "says"), [
    ({}, 422, "needs 'tasks'"),
    ({"tasks": []}, 422, "needs 'tasks'"),
    ({"tasks": [{"id": 1, "data": {"title": "no text"}}]}, 422, "data.text must be a non-empty string"),
    ({"tasks": [{"id": 1, "data": {"text": "Russia."}}], "colour": "red"}, 422, "unknown field(s) ['colour']"),
    ({"tasks": [{"id": 1, "data": {"text": "Russia " * 300_000}}]}, 413, "the limit is 20000"),
    ({"tasks": [{"id": 1, "data": {"text": "Russia.", "mentions": [{"actor": "russia", "start": 3, "end": 99}]}}]},
     422, "outside the text"),
])
def test_malformed_predict_bodies_get_a_json_4xx(client: TestClient, body: dict, status: int, says: str) -> None:
    response = client.post("/predict", json=body)
    assert response.status_code == status
    assert says in response.json()["error"]


def test_setup_reads_the_schema_and_refuses_a_config_without_spans(client: TestClient, labeling_xml: str) -> None:
    answer = client.post("/setup", json={"project": "5.1700000000", "schema": renamed(labeling_xml),
                                         "hostname": "http://localhost:8080", "access_token": "x" * 40})
    assert answer.json() == {"model_version": client.get("/health").json()["model_version"]}
    task = {"tasks": [{"id": 1, "data": {"text": SENTENCE}}], "project": "5.1700000000"}  # no label_config: setup's
    assert {r["from_name"] for r in client.post("/predict", json=task).json()["results"][0]["result"]} == {"who",
                                                                                                         "position"}
    refused = client.post("/setup", json={"project": "6.1", "schema": '<View><Text name="t" value="$text"/></View>'})
    assert refused.status_code == 422 and "Labels" in refused.json()["error"]


def test_webhook_events(client: TestClient) -> None:
    assert client.post("/webhook", json={"action": "TASKS_CREATED", "project": {"id": 1}}).json()["status"] == \
        "ignored"
    assert client.post("/webhook", json={"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 3}]}).status_code \
        == 200
    assert client.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 1}}).status_code == 422
    assert client.post("/webhook", json={"no": "action"}).status_code == 422


def test_basic_auth(tiny_stance_model_dir: Path, tmp_path: Path) -> None:
    config = ServeConfig(model=tiny_stance_model_dir, versions_dir=tmp_path, basic_auth_user="ls",
                         basic_auth_password="s3cret-pass")
    client = TestClient(build_app(Backend(config)))
    assert client.get("/health").status_code == 401
    wrong = base64.b64encode(b"ls:nope").decode()
    assert client.get("/health", headers={"Authorization": f"Basic {wrong}"}).status_code == 401
    assert client.get("/health", auth=("ls", "s3cret-pass")).json()["status"] == "UP"
    with pytest.raises(ConfigError, match="both a user and a password"):
        ServeConfig(model=tiny_stance_model_dir, basic_auth_user="ls")


def test_version_store_serves_the_pointer(tiny_stance_model_dir: Path, tmp_path: Path) -> None:
    store = VersionStore(tiny_stance_model_dir, tmp_path)
    base = store.current()
    assert base.path == tiny_stance_model_dir and base.name.startswith(f"{tiny_stance_model_dir.name}@")
    assert store.next_number() == 1
    (tmp_path / store.name_for(1, "ab" * 20)).mkdir()
    assert store.next_number() == 2
    (tmp_path / "current.json").write_text(json.dumps({"version": "gone-r9@00000000"}), encoding="utf-8")
    with pytest.raises(ConfigError, match="not a model folder"):
        store.current()


def test_training_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="held-out"):
        TrainingSettings(held_out=0.7)
    with pytest.raises(ConfigError, match="train-every"):
        TrainingSettings(train_every=-1)


def test_train_every_n_annotations_starts_a_run(tiny_stance_model_dir: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    backend = Backend(ServeConfig(model=tiny_stance_model_dir, versions_dir=tmp_path / "versions",
                                  training=TrainingSettings(train_every=2)))
    client = TestClient(build_app(backend))
    event = {"action": "ANNOTATION_CREATED", "project": {"id": 1, "title": "NK"}, "annotation": {"id": 1}}
    assert client.post("/webhook", json=event).json()["status"] == "counted"
    # the second is due, but no Label Studio is connected yet (no /setup, no LABEL_STUDIO_URL): refused, and why
    refused = client.post("/webhook", json={**event, "action": "ANNOTATION_UPDATED"})
    assert refused.status_code == 409 and "no Label Studio address" in refused.json()["error"]
    # from the environment: the run starts, finds no Label Studio there, and ends before writing anything
    monkeypatch.setenv("LABEL_STUDIO_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "t" * 40)
    assert client.post("/webhook", json=event).json()["status"] == "counted"
    assert client.post("/webhook", json=event).json()["status"] == "started"
    backend.retrainer.wait(60)
    state = client.get("/health").json()["training"]
    assert state["state"] == "idle" and state["runs"] == 1 and "no Label Studio answers" in state["last_error"]
    assert "$LABEL_STUDIO_URL" in state["last_error"]
    assert not (tmp_path / "versions" / "jobs").exists()
    assert client.get("/health").json()["model_version"] == backend.version.name
    backend.close()


def test_a_second_backend_on_one_versions_folder_is_refused_until_the_first_closes(
        tiny_stance_model_dir: Path, tmp_path: Path) -> None:
    config = ServeConfig(model=tiny_stance_model_dir, versions_dir=tmp_path / "versions")
    first = Backend(config)
    with pytest.raises(OutputError, match=rf"pid {os.getpid()}.*--versions-dir FOLDER"):
        Backend(config)
    first.close()
    Backend(config).close()


def test_switching_to_a_version_that_does_not_load_keeps_the_served_one(tiny_stance_model_dir: Path,
                                                                       tmp_path: Path) -> None:
    backend = Backend(ServeConfig(model=tiny_stance_model_dir, versions_dir=tmp_path / "versions"))
    served = backend.version
    broken = tmp_path / "versions" / "tiny-stance-r1@00000000"
    shutil.copytree(tiny_stance_model_dir, broken)
    (broken / "model.safetensors").write_bytes(b"not weights")
    with pytest.raises(ConfigError):
        backend.switch(Version(broken.name, broken))
    assert backend.version == served and not (tmp_path / "versions" / "current.json").exists()
    backend.close()
    # a current.json that names a version which no longer loads: the error says how to serve the model again
    (tmp_path / "versions" / "current.json").write_text(json.dumps({"version": broken.name}), encoding="utf-8")
    with pytest.raises(ConfigError, match="delete that file to serve"):
        Backend(ServeConfig(model=tiny_stance_model_dir, versions_dir=tmp_path / "versions"))
    (tmp_path / "versions" / "current.json").unlink()  # the refused backend gave the folder up
    Backend(ServeConfig(model=tiny_stance_model_dir, versions_dir=tmp_path / "versions")).close()


def test_a_baseline_model_is_served_too(baseline_stance_model_dir: Path, seed_actors_path: Path,
                                        tmp_path: Path) -> None:
    client = TestClient(build_app(Backend(ServeConfig(model=baseline_stance_model_dir, actors=seed_actors_path,
                                                      versions_dir=tmp_path))))
    (pred,) = client.post("/predict", json={"tasks": [{"id": 1, "data": {"text": SENTENCE}}]}).json()["results"]
    assert len([r for r in pred["result"] if r["from_name"] == "stance"]) == 3
    assert pred["model_version"].startswith(f"{baseline_stance_model_dir.name}@")
