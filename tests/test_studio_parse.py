"""Parsing the verbatim seed export (a real Label Studio export) and every way an export can be bad."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from stancekit.actors import ActorDictionary
from stancekit.annotation.agreement import agreement
from stancekit.gold.voting import gold_records
from stancekit.errors import InputError
from stancekit.io import read_jsonl
from stancekit.studio.parse import parse_export
from stancekit.studio.pull import parse_saved, read_users
from stancekit.studio.tasks import task_key

SEED_GOLD = Path(__file__).resolve().parent.parent / "datasets" / "seed-gold"


@pytest.fixture(scope="module")
def seed_export() -> Path:
    (raw,) = [p for p in (SEED_GOLD / "raw").glob("export-*.json") if not p.name.endswith(".users.json")]
    return raw


def write_export(tasks: list, path: Path) -> Path:
    path.write_text(json.dumps(tasks), encoding="utf-8")
    return path


def test_seed_export_parses_to_the_committed_records(seed_export, seed_actors_path, tmp_path):
    parsed = parse_saved(seed_export, tmp_path, actors=seed_actors_path)
    assert [r for r in read_jsonl(tmp_path / "annotations.jsonl")] == list(read_jsonl(SEED_GOLD / "annotations.jsonl"))
    kinds = {k: sum(r["kind"] == k for r in parsed.records) for k in ("stance", "sentiment", "skipped")}
    assert kinds == {"stance": 151, "sentiment": 53, "skipped": 0}
    assert {r["annotator"] for r in parsed.records} == {"seed-annotator@stancekit.local"}
    assert parsed.unknown_actors == [] and len(parsed.tasks) == 53
    # every stance record points at the exact text of its span in its sentence
    texts = {t["task_key"]: t["text"] for t in parsed.tasks}
    assert all(texts[r["task_key"]][r["start"]:r["end"]] == r["text"] for r in parsed.records if r["kind"] == "stance")


def test_seed_gold_examples_from_the_guidelines(seed_export):
    parsed = parse_export(seed_export, users=read_users(seed_export))
    gold = {r["sent_idx"]: r for r in gold_records(parsed.tasks, parsed.records)}
    stance = {(m["text"], m["start"]): m["stance"] for m in gold[34]["mentions"]}
    assert stance[("Turkey", 233)] == "favor" and stance[("Ankara", 347)] == "favor"
    assert stance[("Moscow", 281)] == stance[("Moscow", 362)] == "against"
    assert [m["stance"] for m in gold[21]["mentions"]] == [None]  # "unclear" is never a gold stance
    assert gold[6]["sentiment"] == "negative"


def test_truncated_export_is_an_error_naming_the_file(seed_export, tmp_path):
    cut = tmp_path / "cut.json"
    cut.write_bytes(seed_export.read_bytes()[:5000])
    with pytest.raises(InputError, match="broken or truncated JSON export") as err:
        parse_export(cut)
    assert str(cut) in str(err.value) and "pull again" in str(err.value)


def test_corrupted_export_and_wrong_format(tmp_path):
    with pytest.raises(InputError, match="not UTF-8"):
        bad = tmp_path / "bad.json"
        bad.write_bytes(b"[\xff\xfe]")
        parse_export(bad)
    with pytest.raises(InputError, match="expected a full JSON export"):
        parse_export(write_export({"tasks": []}, tmp_path / "obj.json"))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="no text in its data"):
        parse_export(write_export([{"id": 1, "data": {"image": "x.png"}}], tmp_path / "foreign.json"))


def test_task_imported_with_only_its_text_is_its_own_document(tmp_path):
    """Tasks imported by hand as {"text": ...} (labelled with a model in the loop) are read, keyed by task id."""
    annotation = {"id": 9, "completed_by": 2, "result": [
        {"id": "r", "from_name": "actor", "to_name": "text", "type": "labels",
         "value": {"start": 0, "end": 6, "text": "Russia", "labels": ["russia"]}},
        {"id": "r", "from_name": "stance", "to_name": "text", "type": "choices",
         "value": {"start": 0, "end": 6, "text": "Russia", "choices": ["neutral"]}}]}
    parsed = parse_export(write_export([{"id": 4, "data": {"text": "Russia urged calm."}, "annotations": [annotation]}],
                                       tmp_path / "by-hand.json"))
    (task,) = parsed.tasks
    assert (task["doc_id"], task["sent_idx"], task["mentions"]) == ("ls-task-4", 0, [])
    assert task["task_key"] == task_key("ls-task-4", 0, "Russia urged calm.")
    (stance,) = [r for r in parsed.records if r["kind"] == "stance"]
    assert (stance["actor"], stance["label"], stance["origin"]) == ("russia", "neutral", "added")


def _first_with(tasks: list, name: str) -> tuple[dict, dict]:
    for task in tasks:
        for annotation in task["annotations"]:
            if any(r["from_name"] == name for r in annotation["result"]):
                return task, annotation
    raise AssertionError(name)


def test_stance_choice_without_its_span(seed_export, tmp_path):
    tasks = json.loads(seed_export.read_text(encoding="utf-8"))
    task, annotation = _first_with(tasks, "stance")
    annotation["result"] = [r for r in annotation["result"] if r["from_name"] != "actor"]
    with pytest.raises(InputError, match="has no actor span") as err:
        parse_export(write_export(tasks, tmp_path / "x.json"))
    assert task["data"]["task_key"] in str(err.value)


def test_unknown_label(seed_export, tmp_path):
    tasks = json.loads(seed_export.read_text(encoding="utf-8"))
    for name, label in (("stance", "hostile"), ("sentiment", "angry")):
        broken = copy.deepcopy(tasks)
        task, annotation = _first_with(broken, name)
        next(r for r in annotation["result"] if r["from_name"] == name)["value"]["choices"] = [label]
        with pytest.raises(InputError, match=f"unknown {name} label '{label}'") as err:
            parse_export(write_export(broken, tmp_path / "x.json"))
        assert task["data"]["task_key"] in str(err.value)


def test_task_text_that_no_longer_matches_its_key(seed_export, tmp_path):
    tasks = json.loads(seed_export.read_text(encoding="utf-8"))
    tasks[3]["data"]["text"] = tasks[3]["data"]["text"].replace("Armenia", "Armenien")
    with pytest.raises(InputError, match="no longer matches its key") as err:
        parse_export(write_export(tasks, tmp_path / "x.json"))
    assert tasks[3]["data"]["task_key"] in str(err.value)


def test_annotator_edits_skips_and_added_spans(seed_export, seed_actors_path, tmp_path):
    """Spans moved, deleted and added (an 'other' span the dictionary knows, one it does not), a skip."""
    tasks = json.loads(seed_export.read_text(encoding="utf-8"))
    task = next(t for t in tasks if t["data"]["sent_idx"] == 4)  # the Soviet Union, Armenia, Azerbaijan
    (annotation,) = task["annotations"]
    result = annotation["result"]
    spans = {r["value"]["start"]: r for r in result if r["from_name"] == "actor"}
    soviet, armenia, azerbaijan = spans[22], spans[48], spans[60]
    result[:] = [r for r in result if r["id"] not in (soviet["id"], azerbaijan["id"])]  # spans and stances
    armenia["value"].update(start=44, text="in Armenia")  # boundaries moved
    text = task["data"]["text"]
    for rid, phrase in (("added-1", "Soviet Union"), ("added-2", "the area")):
        start = text.index(phrase)
        result.append({"id": rid, "from_name": "actor", "to_name": "text", "type": "labels",
                       "value": {"start": start, "end": start + len(phrase), "labels": ["other"]}})
    task["annotations"].append(dict(annotation, id=999, completed_by=77, was_cancelled=True, result=[]))
    parsed = parse_export(write_export(tasks, tmp_path / "x.json"), users=read_users(seed_export),
                          dictionary=ActorDictionary.load(seed_actors_path))
    mine = [r for r in parsed.records if r["task_key"] == task["data"]["task_key"]]
    got = sorted((r["annotator"], r["kind"], r.get("actor"), r.get("start"), r.get("origin"), r.get("label"))
                 for r in mine)
    me = "seed-annotator@stancekit.local"
    assert got == sorted([
        (me, "stance", "armenia", 44, "edited", "neutral"), (me, "stance", "soviet-union", 26, "edited", None),
        (me, "span_deleted", "azerbaijan", 60, None, None), (me, "sentiment", None, None, None, "negative"),
        ("user-77", "skipped", None, None, None, None)])
    assert [(u["text"], u["label"]) for u in parsed.unknown_actors] == [("the area", "other")]


def test_agreement_on_a_single_annotator_is_undefined_not_wrong(seed_export):
    report = agreement(parse_export(seed_export).records)
    assert report.alpha == {"stance": None, "sentiment": None}
    assert all("undefined" in w for w in report.warnings)
