"""Pushing with or without the model's answers pre-filled, and how often annotators kept them."""

from __future__ import annotations

import json
import secrets

from typer.testing import CliRunner

from stancekit.actors import ActorDictionary, DictionaryMatcher
from stancekit.annotation.agreement import agreement
from stancekit.cli import app
from stancekit.records import Sentence
from stancekit.studio.parse import parse_export
from stancekit.studio.push import ModelAnswers, PushSummary, build_tasks

TEXT = "Turkey armed Azerbaijan with drones."


def sentence(seed_actors_path) -> Sentence:
    matcher = DictionaryMatcher(ActorDictionary.load(seed_actors_path))
    return Sentence(doc_id="d1", sent_idx=0, start=0, end=len(TEXT), text=TEXT, mentions=tuple(matcher.find(TEXT)))


def answered(task: dict, stances: list[str], sentiment: str, annotator: int) -> dict:
    """The task as exported with one annotator's answer: the pre-annotated spans with these stances."""
    spans = [r for r in task["predictions"][0]["result"] if r["from_name"] == "actor"]
    result = list(spans)
    for span, label in zip(spans, stances):
        result.append({"id": span["id"], "from_name": "stance", "to_name": "text", "type": "choices",
                       "value": {**{k: span["value"][k] for k in ("start", "end", "text")}, "choices": [label]}})
    result.append({"id": "s", "from_name": "sentiment", "to_name": "text", "type": "choices",
                   "value": {"choices": [sentiment]}})
    return {"id": annotator, "data": task["data"],
            "annotations": [{"id": annotator, "completed_by": annotator, "result": result}]}


def test_kept_and_unprompted_model_answers_are_counted(seed_actors_path, baseline_stance_model_dir, tmp_path):
    model = ModelAnswers(baseline_stance_model_dir, None)
    exported = []
    for annotator, prefill in ((1, True), (2, False)):
        (task,) = build_tasks([sentence(seed_actors_path)], on_server=set(), summary=PushSummary(), answers=model,
                              batch_size=10, prefill=prefill)
        kept = task["data"]["model_answers"]
        assert kept["shown"] is prefill and len(kept["stance"]) == 2 and kept["sentiment"] is None
        stances = [r for r in task["predictions"][0]["result"] if r["from_name"] == "stance"]
        assert len(stances) == (2 if prefill else 0)  # spans only: the model's stance is not in the task
        other = next(label for label in ("favor", "against", "neutral") if label != kept["stance"][1])
        exported.append(answered(task, [kept["stance"][0], other], "negative", annotator))
    export = tmp_path / "export.json"
    export.write_text(json.dumps(exported), encoding="utf-8")
    records = parse_export(export, users={1: "shown@x", 2: "hidden@x"}).records
    stance = sorted((r["annotator"], r["start"], r["model_shown"], r["label"] == r["model_label"])
                    for r in records if r["kind"] == "stance")
    assert stance == [("hidden@x", 0, False, True), ("hidden@x", 13, False, False),
                      ("shown@x", 0, True, True), ("shown@x", 13, True, False)]
    assert all("model_label" not in r for r in records if r["kind"] == "sentiment")  # no sentiment model
    people = agreement(records).annotators
    assert people["shown@x"]["model"] == {"stance": {"shown": 2, "kept": 1, "hidden": 0, "matched": 0,
                                                     "kept_share": 0.5, "matched_share": None}}
    assert people["hidden@x"]["model"]["stance"]["matched_share"] == 0.5
    (tmp_path / "annotations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    printed = CliRunner().invoke(app, ["agreement", str(tmp_path / "annotations.jsonl")])
    assert printed.exit_code == 0 and "The model's answers" in printed.stdout and "1 (50%)" in printed.stdout


def test_push_spans_only(studio, baseline_stance_model_dir, seed_actors_path, tmp_path):
    coverage = tmp_path / "one.jsonl"
    coverage.write_text(json.dumps({"id": "m1", "text": TEXT}) + "\n", encoding="utf-8")
    title = f"spans only {secrets.token_hex(3)}"
    result = CliRunner().invoke(app, ["ls", "push", str(coverage), "-a", str(seed_actors_path), "-p", title,
                                      "--model", str(baseline_stance_model_dir), "--spans-only",
                                      "--url", studio.url, "--token", studio.token])
    assert result.exit_code == 0, result.output
    with studio.client() as admin:
        project = admin.find_project(title)
        (task,) = admin.iter_tasks(project["id"])
        (prediction,) = [p.dict() for p in admin.sdk.predictions.list(task=task["id"])]
    assert project["model_version"] == prediction["model_version"] == "dictionary"
    assert [r["from_name"] for r in prediction["result"]] == ["actor", "actor"]
    assert task["data"]["model_answers"]["shown"] is False
    assert task["data"]["model_answers"]["version"].startswith("dictionary+baseline-stance@")
    refused = CliRunner().invoke(app, ["ls", "push", str(coverage), "-a", str(seed_actors_path), "-p", title,
                                       "--spans-only", "--url", studio.url, "--token", studio.token])
    assert refused.exit_code == 1 and "no --model was given" in refused.output
