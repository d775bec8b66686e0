"""Faults against the real server: killed mid-push and mid-pull (then resumed), a wrong token, no server;
the generated labeling config accepted by Label Studio; pre-annotation with a real trained model."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancekit.cli import app
from stancekit.studio.client import StudioClient, StudioError
from stancekit.studio.pull import PullConfig, pull
from stancekit.studio.push import PushConfig, push
from stancekit.studio.server import free_port

pytestmark = pytest.mark.slow

SENTENCES_PER_DOC = 3


@pytest.fixture(scope="module")
def many_docs(tmp_path_factory) -> Path:
    """25 documents x 3 sentences, each naming actors of the seed dictionary: 75 tasks."""
    path = tmp_path_factory.mktemp("coverage") / "many.jsonl"
    lines = []
    for i in range(25):
        text = (f"Armenia reported {i} new clashes. Azerbaijan denied report {i}. "
                f"Russia called for talks on day {i}.")
        lines.append(json.dumps({"id": f"doc{i:02d}", "text": text, "date": "2020-10-20"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class KillingClient(StudioClient):
    """A real client; the server is killed for real after ``after`` imports, or when users are listed."""

    def __init__(self, studio, *, after_imports: int | None = None, kill_on_users: bool = False):
        super().__init__(studio.url, studio.token)
        self.studio, self.after, self.kill_on_users, self.imports = studio, after_imports, kill_on_users, 0

    def import_tasks(self, project_id, tasks):
        created = super().import_tasks(project_id, tasks)
        self.imports += 1
        if self.imports == self.after:
            self.studio.kill()
        return created

    def users(self):
        if self.kill_on_users:
            self.studio.kill()
        return super().users()


def task_keys(studio, project_id: int) -> list[str]:
    with studio.client() as client:
        return [t["data"]["task_key"] for t in client.iter_tasks(project_id)]


def test_push_killed_midway_resumes_without_loss_or_duplicates(studio, many_docs, seed_actors_path):
    config = PushConfig(project=f"killed push {secrets.token_hex(3)}", inputs=[many_docs], actors=seed_actors_path,
                        batch_size=10)
    client = KillingClient(studio, after_imports=2)
    try:
        with pytest.raises(StudioError, match="cannot reach Label Studio"):
            push(config, client, quiet=True)
    finally:
        studio.restart()
    with studio.client() as admin:
        project = admin.find_project(config.project)
        assert len(task_keys(studio, project["id"])) == 20  # the two batches that went through
        resumed = push(config, admin, quiet=True)
    keys = task_keys(studio, project["id"])
    assert (resumed.already_there, resumed.pushed) == (20, 55)
    assert len(keys) == len(set(keys)) == 25 * SENTENCES_PER_DOC


def test_pull_killed_midway_leaves_nothing_half_written(studio, many_docs, seed_actors_path, tmp_path):
    title = f"killed pull {secrets.token_hex(3)}"
    with studio.client() as admin:
        push(PushConfig(project=title, inputs=[many_docs], actors=seed_actors_path), admin, quiet=True)
    out = tmp_path / "pulled"
    try:
        with pytest.raises(StudioError):
            pull(PullConfig(project=title, out_dir=out), KillingClient(studio, kill_on_users=True))
    finally:
        studio.restart()
    assert list((out / "raw").iterdir()) == [] and not (out / "tasks.jsonl").exists()
    with studio.client() as admin:
        result = pull(PullConfig(project=title, out_dir=out), admin)
    assert len(result.parsed.tasks) == 25 * SENTENCES_PER_DOC
    assert sorted(p.name for p in (out / "raw").iterdir()) == sorted(
        result.raw_path.with_name(result.raw_path.stem + suffix).name for suffix in (".json", ".users.json",
                                                                                     ".config.xml"))


def test_wrong_token_is_refused_and_never_printed(studio):
    wrong = "wrong" + secrets.token_hex(16)
    with pytest.raises(StudioError, match="refused the API token") as err:
        StudioClient(studio.url, wrong).users()
    assert wrong not in str(err.value)
    result = CliRunner().invoke(app, ["ls", "pull", "--project", "anything", "--url", studio.url,
                                      "--token", wrong])
    assert result.exit_code == 1
    assert "refused the API token" in result.output and wrong not in result.output


def test_no_server_is_a_clear_error():
    token = secrets.token_hex(20)
    with pytest.raises(StudioError, match="cannot reach Label Studio") as err:
        StudioClient(f"http://127.0.0.1:{free_port()}", token).users()
    assert token not in str(err.value) and "studio start" in str(err.value)


def test_generated_configs_are_accepted_by_label_studio(studio, seed_actors_path):
    from stancekit.actors import ActorDictionary
    from stancekit.studio.config import LabelingConfig

    labeling = LabelingConfig(ActorDictionary.load(seed_actors_path))
    with studio.client() as admin:
        for adjudication in (False, True):
            admin.validate_label_config(labeling.xml(adjudication=adjudication))
    html = labeling.instructions()
    assert "<table>" in html and "opposite portrayals" in html.lower()


def test_push_with_a_trained_model_prefills_stance_with_scores(studio, baseline_stance_model_dir,
                                                               seed_actors_path, tmp_path):
    coverage = tmp_path / "one.jsonl"
    coverage.write_text(json.dumps({"id": "m1", "text": "Turkey armed Azerbaijan with drones."}) + "\n",
                        encoding="utf-8")
    title = f"model push {secrets.token_hex(3)}"
    with studio.client() as admin:
        push(PushConfig(project=title, inputs=[coverage], actors=seed_actors_path,
                        model=baseline_stance_model_dir), admin, quiet=True)
        project = admin.find_project(title)
        assert project["model_version"].startswith("dictionary+baseline-stance@")
        task = next(admin.iter_tasks(project["id"]))
        predictions = [p.dict() for p in admin.sdk.predictions.list(task=task["id"])]
    (prediction,) = predictions
    stances = [r for r in prediction["result"] if r["from_name"] == "stance"]
    spans = {r["id"]: r for r in prediction["result"] if r["from_name"] == "actor"}
    assert [(spans[s["id"]]["value"]["text"], s["value"]["choices"][0] in ("favor", "against", "neutral"))
            for s in stances] == [("Turkey", True), ("Azerbaijan", True)]
    assert prediction["model_version"] == project["model_version"]
    assert 0 < prediction["score"] == pytest.approx(min(s["score"] for s in stances))
