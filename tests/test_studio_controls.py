"""A project whose labeling config uses other control names (and another data key) still round-trips through a
real Label Studio: annotated under the user's names, pulled and parsed into the same records."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancekit.cli import app
from stancekit.io import read_jsonl
from stancekit.studio.config import LabelingConfig
from stancekit.studio.push import PushConfig, push
from stancekit.actors import ActorDictionary
from studio_helpers import create_annotation

pytestmark = pytest.mark.slow
runner = CliRunner()
STANCES = {"russia": "favor", "nagorno-karabakh": "neutral", "turkey": "against", "azerbaijan": "neutral"}
COVERAGE = [{"id": "c1", "text": "Russia sent peacekeepers to Karabakh. Turkey armed Azerbaijan with drones.",
             "outlet": "Test Wire", "date": "2020-10-20"}]


def renamed(xml: str, *, data_key: str = "text") -> str:
    """The config with the Text object and every control renamed (and its data key, if asked), as a user may."""
    for old, new in (('name="text"', 'name="sentence"'), ('toName="text"', 'toName="sentence"'),
                     ('name="actor"', 'name="who"'), ('name="stance"', 'name="position"'),
                     ('name="sentiment"', 'name="tone"'), ('value="$text"', f'value="${data_key}"')):
        xml = xml.replace(old, new)
    return xml


def answer(text: str, spans: list[tuple[int, int, str, str]], tone: str) -> list[dict]:
    """What the editor sends for this config: spans ("who"), their stance ("position"), the sentiment ("tone")."""
    result = []
    for i, (start, end, actor, stance) in enumerate(spans):
        region = {"start": start, "end": end, "text": text[start:end]}
        result += [{"id": f"r{i}", "from_name": "who", "to_name": "sentence", "type": "labels",
                    "value": {**region, "labels": [actor]}},
                   {"id": f"r{i}", "from_name": "position", "to_name": "sentence", "type": "choices",
                    "value": {**region, "choices": [stance]}}]
    return result + [{"id": "s", "from_name": "tone", "to_name": "sentence", "type": "choices",
                      "value": {"choices": [tone]}}]


def pull_records(studio, title: str, out: Path, actors: Path) -> list[dict]:
    result = runner.invoke(app, ["ls", "pull", "-p", title, "-o", str(out), "-a", str(actors), "--url", studio.url],
                           env={"LABEL_STUDIO_API_KEY": studio.token})
    assert result.exit_code == 0, result.output
    return sorted(({k: r.get(k) for k in ("kind", "actor", "start", "end", "label", "origin")}
                   for r in read_jsonl(out / "annotations.jsonl")), key=json.dumps)


def test_a_pushed_project_whose_controls_were_renamed_pulls(studio, seed_actors_path, tmp_path):
    coverage = tmp_path / "coverage.jsonl"
    coverage.write_text("".join(json.dumps(d) + "\n" for d in COVERAGE), encoding="utf-8")
    title = f"renamed controls {secrets.token_hex(3)}"
    with studio.client() as admin:
        pushed = push(PushConfig(project=title, inputs=[coverage], actors=seed_actors_path), admin, quiet=True)
        project = admin.project(pushed.project_id)
        admin.update_project(pushed.project_id, {"label_config": renamed(project["label_config"])})
        tasks = list(admin.iter_tasks(pushed.project_id))
        expected = []
        for task in tasks:  # every pre-annotated span kept, with a stance; the sentiment
            spans = [(m["start"], m["end"], m["actor"], STANCES[m["actor"]]) for m in task["data"]["mentions"]]
            tone = "positive" if task["data"]["sent_idx"] == 0 else "negative"
            create_annotation(admin, task["id"], answer(task["data"]["text"], spans, tone))
            expected += [{"kind": "stance", "actor": actor, "start": start, "end": end, "label": stance,
                          "origin": "prediction"} for start, end, actor, stance in spans]
            expected.append({"kind": "sentiment", "actor": None, "start": None, "end": None, "label": tone,
                             "origin": None})
    assert len(tasks) == 2 and len(expected) >= 6
    records = pull_records(studio, title, tmp_path / "pulled", seed_actors_path)
    assert records == sorted(expected, key=json.dumps)
    # offline, the saved config beside the export gives the same names
    (raw,) = [p for p in (tmp_path / "pulled" / "raw").glob("export-*.json") if not p.name.endswith(".users.json")]
    assert 'name="position"' in raw.with_name(raw.stem + ".config.xml").read_text(encoding="utf-8")
    again = runner.invoke(app, ["ls", "parse", str(raw), "-o", str(tmp_path / "parsed"), "-a", str(seed_actors_path)])
    assert again.exit_code == 0, again.output
    assert (tmp_path / "parsed" / "annotations.jsonl").read_text() == \
        (tmp_path / "pulled" / "annotations.jsonl").read_text()


def test_a_hand_made_project_with_another_data_key_pulls(studio, seed_actors_path, tmp_path):
    """Tasks imported by hand as {"sentence": ...} under a config whose Text shows $sentence."""
    title = f"own data key {secrets.token_hex(3)}"
    text = "The Kremlin urged calm."
    config = renamed(LabelingConfig(ActorDictionary.load(seed_actors_path)).xml(), data_key="sentence")
    with studio.client() as admin:
        project = admin.create_project({"title": title, "label_config": config})
        admin.import_tasks(project["id"], [{"data": {"sentence": text}}])
        (task,) = admin.iter_tasks(project["id"])
        create_annotation(admin, task["id"], answer(text, [(0, 11, "russia-gov", "neutral")], "neutral"))
    records = pull_records(studio, title, tmp_path / "pulled", seed_actors_path)
    assert [r for r in records if r["kind"] == "stance"] == [
        {"kind": "stance", "actor": "russia-gov", "start": 0, "end": 11, "label": "neutral", "origin": "added"}]
    (task_record,) = read_jsonl(tmp_path / "pulled" / "tasks.jsonl")
    assert task_record["text"] == text and task_record["doc_id"] == f"ls-task-{task['id']}"
