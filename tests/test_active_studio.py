"""Active learning against a real Label Studio 1.23 server: the label stream serves the ranking's order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancekit.active.rank import UNCERTAINTY_SAMPLING, RankConfig, rank
from stancekit.cli import app
from stancekit.studio.push import PushConfig, push
from studio_helpers import create_annotation, next_task

pytestmark = pytest.mark.slow


SEED_ARTICLE = Path(__file__).resolve().parent.parent / "seeds" / "000_cae259164d53c011.txt"


def push_seed(studio, title: str, model: Path, actors: Path) -> str:
    """The seed article pushed with the tiny model's pre-annotations (label stream: Sequential sampling)."""
    with studio.client() as admin:
        summary = push(PushConfig(project=title, inputs=[SEED_ARTICLE], actors=actors, model=model), admin,
                       quiet=True)
    assert summary.pushed >= 8
    return title


@pytest.fixture(scope="module")
def pushed(studio, tiny_stance_model_dir: Path, seed_actors_path: Path) -> str:
    return push_seed(studio, "Active learning order", tiny_stance_model_dir, seed_actors_path)


@pytest.fixture(scope="module")
def cli_project(studio, tiny_stance_model_dir: Path, seed_actors_path: Path) -> str:
    return push_seed(studio, "Active learning CLI", tiny_stance_model_dir, seed_actors_path)


def test_the_label_stream_serves_the_ranking_order(studio, annotator_tokens, pushed, tiny_stance_model_dir):
    ana, ben = (studio.client(token) for token in annotator_tokens.values())
    with studio.client() as admin:
        project_id = admin.find_project(pushed)["id"]
        # Ana labels the first two tasks of the sequential stream: they must leave the ranking
        done = []
        for _ in range(2):
            task = next_task(ana, project_id)
            create_annotation(ana, task["id"], [], lead_time=1.0)
            done.append(task["id"])
        open_ids = {t["id"] for t in admin.iter_unannotated_tasks(project_id)}
        assert not open_ids & set(done) and len(open_ids) >= 6

        result = rank(RankConfig(project=pushed, model=tiny_stance_model_dir, apply=True), admin)
        ranked = [r.task_id for r in result.ranked]
        assert set(ranked) == open_ids and result.predictions_written == len(ranked)
        assert ranked != sorted(ranked)  # the model's order, not the import order Label Studio served before
        certainties = [r.certainty for r in result.ranked]
        assert certainties == sorted(certainties) and certainties[0] < certainties[-1]
        project = admin.project(project_id)
        assert project["sampling"] == UNCERTAINTY_SAMPLING and project["model_version"] == result.model_version

    # Ben works through the stream; every task served is the next one of the ranking
    served = []
    while (task := next_task(ben, project_id)) is not None:
        served.append(task["id"])
        assert "Active learning" in task["queue"]  # Label Studio's name for the uncertainty-sampling queue
        current = [p for p in task.get("predictions", []) if p["model_version"] == result.model_version]
        assert len(current) == 1 and current[0]["score"] == pytest.approx(result.ranked[len(served) - 1].score)
        create_annotation(ben, task["id"], current[0]["result"], lead_time=2.0)  # accepts the pre-annotation
        assert len(served) <= len(ranked)
    assert served == ranked
    ana.close()
    ben.close()


def test_rank_cli_prints_the_ranking_as_json_lines(studio, cli_project, tiny_stance_model_dir):
    pushed = cli_project
    with studio.client() as admin:
        project_id = admin.find_project(pushed)["id"]
        before = admin.project(project_id)
    result = CliRunner().invoke(app, ["ls", "rank", "--project", pushed, "--model", str(tiny_stance_model_dir),
                                      "--strategy", "entropy", "--limit", "3", "--url", studio.url],
                                env={"LABEL_STUDIO_API_KEY": studio.token})
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert studio.token not in result.output
    with studio.client() as admin:
        open_ids = {t["id"] for t in admin.iter_unannotated_tasks(project_id)}
        after = admin.project(project_id)
    assert len(open_ids) >= 8 and [line["position"] for line in lines] == [1, 2, 3]
    assert {line["task_id"] for line in lines} <= open_ids
    assert [line["score"] for line in lines] == pytest.approx([0, 1 / 3, 2 / 3], abs=1e-5)  # entropy: the position
    assert after["model_version"] == before["model_version"]  # without --apply nothing changes on the server

    missing = CliRunner().invoke(app, ["ls", "rank", "--project", "No such project", "--model",
                                       str(tiny_stance_model_dir), "--url", studio.url],
                                 env={"LABEL_STUDIO_API_KEY": studio.token})
    assert missing.exit_code == 1 and "no Label Studio project titled 'No such project'" in missing.output
    bad = CliRunner().invoke(app, ["ls", "rank", "--project", pushed, "--model", str(tiny_stance_model_dir),
                                   "--strategy", "margin", "--url", studio.url],
                             env={"LABEL_STUDIO_API_KEY": studio.token})
    assert bad.exit_code == 2 and "'margin' is not one of breaking-ties, entropy, random" in bad.output
