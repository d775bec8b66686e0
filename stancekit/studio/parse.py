"""A full Label Studio JSON export -> annotation records (one per task x annotator x actor span).

Only the full JSON export keeps the link between a stance choice and its span (both carry
the same result ``id``); JSON_MIN and CSV lose it, so only full JSON is parsed.

Record kinds (JSONL, one per line)::

    stance       per (task, annotator, actor span): actor, start, end, text, label (None: no choice),
                 origin ("prediction" kept as pre-annotated; "edited" overlaps a pre-annotated span that was
                 relabelled, moved or removed; "added" anything else; see span_origins)
    sentiment    per (task, annotator): label (None: no choice)
    skipped      the annotator skipped (cancelled) the task
    span_deleted a pre-annotated span the annotator removed

Every record has task_key, doc_id, sent_idx, annotator, annotation_id and lead_time (seconds).
When the task was pushed with a model, stance (of a pre-annotated span) and sentiment records also
have ``model_label`` (the model's answer) and ``model_shown`` (whether it pre-filled the task).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stancekit.actors import ActorDictionary, DictionaryMatcher
from stancekit.annotation.origins import span_origins
from stancekit.errors import InputError
from stancekit.labels import LabelScheme
from stancekit.studio.config import OTHER_ACTOR
from stancekit.studio.controls import DEFAULT_CONTROLS, Controls
from stancekit.studio.tasks import MODEL_ANSWERS_FIELD, key_matches, task_key


@dataclass
class ParsedExport:
    """The tasks (sentence records with their key), annotation records, and spans no dictionary knows."""

    tasks: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    unknown_actors: list[dict[str, Any]] = field(default_factory=list)
    superseded: int = 0  # older annotations of an annotator who annotated a task twice


def load_export(path: Path) -> list[dict[str, Any]]:
    """Read a full JSON export; a broken or truncated file is an InputError, never partial data."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "no such export file") from None
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 text (byte {exc.start})", hint="pull the export again") from None
    try:
        tasks = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"broken or truncated JSON export ({exc.msg} at line {exc.lineno} column {exc.colno})",
                         hint="pull again: stancekit ls pull keeps earlier exports and the server's data is "
                              "untouched") from None
    if not isinstance(tasks, list):
        raise InputError(path, f"expected a full JSON export (a list of tasks), found a JSON {type(tasks).__name__}",
                         hint="export as JSON, not JSON_MIN or CSV")
    return tasks


def parse_export(path: Path, *, users: dict[int, str] | None = None, dictionary: ActorDictionary | None = None,
                 scheme: LabelScheme | None = None, controls: Controls = DEFAULT_CONTROLS) -> ParsedExport:
    """Parse a saved export into records; ``users`` names annotators (id -> e-mail); ``controls``: the control
    names of the project's labeling config (:func:`stancekit.studio.controls.controls_from_config`)."""
    return ExportParser(path, users or {}, dictionary, scheme or LabelScheme(), controls).parse(load_export(path))


class ExportParser:
    """Turns one export into records, with errors that name the file, task key and annotation."""

    def __init__(self, path: Path, users: dict[int, str], dictionary: ActorDictionary | None, scheme: LabelScheme,
                 controls: Controls = DEFAULT_CONTROLS):
        self.path = Path(path)
        self.controls = controls
        self.users = users
        self.dictionary = dictionary
        self.matcher = DictionaryMatcher(dictionary) if dictionary is not None else None
        self.stance_labels = set(scheme.stance) | set(scheme.annotator_only)
        self.sentiment_labels = set(scheme.sentiment)

    def fail(self, where: str, reason: str, hint: str = "") -> InputError:
        return InputError(self.path, f"{where}: {reason}", hint=hint)

    def parse(self, tasks: Iterable[Any]) -> ParsedExport:
        parsed = ParsedExport()
        for index, task in enumerate(tasks):
            if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
                raise self.fail(f"item {index}", "expected a task object with a 'data' object",
                                hint="is this a full JSON export of a stancekit project?")
            record = self.task_record(task, index)
            parsed.tasks.append(record)
            latest: dict[str, dict[str, Any]] = {}
            for annotation in task.get("annotations") or []:
                who = self.annotator(annotation)
                if who in latest:
                    parsed.superseded += 1
                    if str(annotation.get("updated_at", "")) < str(latest[who].get("updated_at", "")):
                        continue
                latest[who] = annotation
            for who, annotation in sorted(latest.items()):
                self.annotation_records(record, who, annotation, parsed)
        return parsed

    def task_record(self, task: dict[str, Any], index: int) -> dict[str, Any]:
        data = task["data"]
        where = f"task {task.get('id')} (item {index})"
        text_key = self.controls.text_key
        if not isinstance(data.get(text_key), str):
            raise self.fail(where, f"no text in its data (data.{text_key}, which the labeling config's Text shows): "
                            f"expected a sentence task (stancekit ls push, or imported by hand as "
                            f"{{\"{text_key}\": ...}})")
        text = data[text_key]
        key = data.get("task_key")
        if key is None and "id" in task:  # imported by hand with only its text: one task, one document
            data = {**data, "doc_id": f"ls-task-{task['id']}", "sent_idx": 0}
            key = task_key(data["doc_id"], 0, text)
        if not isinstance(key, str):
            raise self.fail(where, "no task_key in its data and no task id: not a Label Studio task export")
        if not key_matches(key, text):
            raise self.fail(f"{where}, key {key}", "the task text no longer matches its key (edited after the push?)",
                            hint="restore the sentence text in Label Studio or push the sentence again as a new task")
        try:
            meta = json.loads(data.get("meta") or "{}")
        except json.JSONDecodeError:
            raise self.fail(f"{where}, key {key}", "the 'meta' field is not JSON") from None
        return {"task_key": key, "doc_id": str(data["doc_id"]), "sent_idx": int(data["sent_idx"]),
                "start": int(data.get("start", 0)), "end": int(data.get("end", len(text))),
                "text": text, "mentions": list(data.get("mentions") or []), "meta": meta,
                "context": {k: str(data.get(k) or "") for k in ("before", "after", "byline")},
                "model_answers": data.get(MODEL_ANSWERS_FIELD)}

    def annotator(self, annotation: dict[str, Any]) -> str:
        who = annotation.get("completed_by")
        if isinstance(who, dict):
            return str(who.get("email") or who.get("id"))
        return self.users.get(int(who), f"user-{who}") if who is not None else "unknown"

    def annotation_records(self, task: dict[str, Any], who: str, annotation: dict[str, Any],
                           parsed: ParsedExport) -> None:
        base = {"task_key": task["task_key"], "doc_id": task["doc_id"], "sent_idx": task["sent_idx"],
                "annotator": who, "annotation_id": annotation.get("id"),
                "lead_time": float(annotation.get("lead_time") or 0.0)}
        where = f"task {task['task_key']}, annotation {annotation.get('id')} by {who}"
        if annotation.get("was_cancelled"):
            parsed.records.append({**base, "kind": "skipped"})
            return
        spans: dict[str, dict[str, Any]] = {}
        stances: dict[str, str] = {}
        sentiment: str | None = None
        for result in annotation.get("result") or []:
            name, value = result.get("from_name"), result.get("value") or {}
            if name == self.controls.actor:
                spans[result.get("id")] = value
            elif name is not None and name == self.controls.stance:
                stances[result.get("id")] = self.one_choice(value, self.stance_labels, "stance", where)
            elif name is not None and name == self.controls.sentiment:
                sentiment = self.one_choice(value, self.sentiment_labels, "sentiment", where)
        for rid in stances:
            if rid not in spans:
                raise self.fail(where, f"a stance choice for region {rid!r} has no actor span",
                                hint="open the task in Label Studio, mark the span again and re-pull")
        marked: list[tuple[str, tuple[str, int, int]]] = []
        for rid, value in spans.items():
            start, end = int(value["start"]), int(value["end"])
            text = task["text"][start:end]
            labels = value.get("labels") or []
            actor = self.actor_of(labels[0] if labels else "", text)
            if actor is None:
                parsed.unknown_actors.append({**base, "label": labels[0] if labels else None, "start": start,
                                              "end": end, "text": text})
                continue
            marked.append((rid, (actor, start, end)))
        predicted = [(m["actor"], m["start"], m["end"]) for m in task["mentions"]]
        origins, deleted = span_origins(predicted, [span for _, span in marked])
        for (rid, (actor, start, end)), origin in zip(marked, origins):
            record = {**base, "kind": "stance", "actor": actor, "start": start, "end": end,
                      "text": task["text"][start:end], "label": stances.get(rid), "origin": origin}
            if (actor, start, end) in predicted:
                record.update(_model_answer(task, "stance", predicted.index((actor, start, end))))
            parsed.records.append(record)
        for actor, start, end in deleted:
            parsed.records.append({**base, "kind": "span_deleted", "actor": actor, "start": start, "end": end,
                                   "text": task["text"][start:end]})
        parsed.records.append({**base, "kind": "sentiment", "label": sentiment,
                               **_model_answer(task, "sentiment", None)})

    def one_choice(self, value: dict[str, Any], allowed: set[str], what: str, where: str) -> str:
        choices = value.get("choices") or []
        if len(choices) != 1:
            raise self.fail(where, f"expected one {what} choice, found {choices}")
        if choices[0] not in allowed:
            raise self.fail(where, f"unknown {what} label {choices[0]!r}; the scheme has {sorted(allowed)}",
                            hint="the project's labeling config differs from stancekit's label scheme")
        return choices[0]

    def actor_of(self, label: str, text: str) -> str | None:
        """A span's actor: its label if the dictionary knows it; an 'other' span matched through the dictionary."""
        if label and label != OTHER_ACTOR:
            return label if self.dictionary is None or label in self.dictionary else None
        if self.matcher is None:
            return None
        found = self.matcher.find(text)
        whole = [m for m in found if m.start == 0 and m.end == len(text)]
        chosen = whole or (found if len({m.actor for m in found}) == 1 else [])
        return chosen[0].actor if chosen else None


def _model_answer(task: dict[str, Any], kind: str, index: int | None) -> dict[str, Any]:
    """The model's answer for a stance (mention ``index``) or the sentiment, when the push kept one."""
    answers = task.get("model_answers")
    if not isinstance(answers, dict) or answers.get(kind) is None:
        return {}
    if index is not None and not (isinstance(answers[kind], list) and index < len(answers[kind])):
        return {}
    label = answers[kind][index] if index is not None else answers[kind]
    return {"model_label": label, "model_shown": bool(answers.get("shown"))}
