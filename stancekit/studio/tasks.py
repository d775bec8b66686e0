"""Sentence records as Label Studio tasks: a stable task key, context, and pre-annotations.

Task ids are reused by Label Studio's SQLite after deletes, so every task carries its own
key in its data: ``<doc_id>:<sent_idx>:<first 12 hex of sha1(text)>``. The data key of the sentence
and the names of the controls come from the project's labeling config (:class:`Controls`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from stancekit.records import Mention, Sentence
from stancekit.studio.controls import DEFAULT_CONTROLS, Controls

DICTIONARY_VERSION = "dictionary"
MODEL_ANSWERS_FIELD = "model_answers"


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def task_key(doc_id: str, sent_idx: int, text: str) -> str:
    """The stable key of a sentence task (never the Label Studio task id)."""
    return f"{doc_id}:{sent_idx}:{text_hash(text)}"


def key_matches(key: str, text: str) -> bool:
    """Whether ``text`` is still the text the key was made from."""
    return key.rsplit(":", 1)[-1] == text_hash(text)


def byline(sentence: Sentence) -> str:
    """The outlet, date and title shown above the sentence, and the document it comes from."""
    parts = [str(sentence.meta[k]) for k in ("outlet", "date", "title") if sentence.meta.get(k)]
    return " · ".join([*parts, f"document {sentence.doc_id}"])


def with_context(sentences: Iterable[Sentence]) -> Iterator[tuple[Sentence, str, str]]:
    """Each sentence with the previous and next sentence of the same document (streams)."""
    previous: Sentence | None = None
    current: Sentence | None = None
    for sentence in sentences:
        if current is not None:
            same_doc = sentence.doc_id == current.doc_id
            yield current, _text_if_same(previous, current), sentence.text if same_doc else ""
        previous, current = current, sentence
    if current is not None:
        yield current, _text_if_same(previous, current), ""


def _text_if_same(previous: Sentence | None, sentence: Sentence) -> str:
    return previous.text if previous is not None and previous.doc_id == sentence.doc_id else ""


def task_data(sentence: Sentence, before: str, after: str, *, controls: Controls = DEFAULT_CONTROLS) -> dict[str, Any]:
    """The task's data: what annotators see plus what ``pull`` needs to rebuild the record."""
    return {
        controls.text_key: sentence.text,
        "before": before,
        "after": after,
        "byline": byline(sentence),
        "answers": "",
        "task_key": task_key(sentence.doc_id, sentence.sent_idx, sentence.text),
        "doc_id": sentence.doc_id,
        "sent_idx": sentence.sent_idx,
        "start": sentence.start,
        "end": sentence.end,
        "mentions": [m.to_dict() for m in sentence.mentions],
        "meta": json.dumps(sentence.meta, ensure_ascii=False, sort_keys=True),
    }


def model_answers(version: str, stances: list[dict[str, float]] | None, sentiment: dict[str, float] | None, *,
                  shown: bool) -> dict[str, Any]:
    """The model's answers, kept in the task's data whether or not they pre-fill it (``shown``), so that
    the agreement report can say how often annotators kept them (or, unprompted, gave the same answer).
    ``stance`` follows the order of the task's ``mentions``."""
    return {"version": version, "shown": shown,
            "stance": [max(s, key=s.__getitem__) for s in stances] if stances is not None else None,
            "sentiment": max(sentiment, key=sentiment.__getitem__) if sentiment is not None else None}


def region_id(index: int, mention: Mention) -> str:
    return f"m{index}-{mention.start}-{mention.end}"


def span_result(rid: str, mention: Mention, *, controls: Controls = DEFAULT_CONTROLS) -> dict[str, Any]:
    return {"id": rid, "from_name": controls.actor, "to_name": controls.text, "type": "labels",
            "value": {"start": mention.start, "end": mention.end, "text": mention.text, "labels": [mention.actor]}}


def stance_result(rid: str, mention: Mention, label: str, score: float | None = None, *,
                  controls: Controls = DEFAULT_CONTROLS) -> dict[str, Any]:
    result = {"id": rid, "from_name": controls.stance, "to_name": controls.text, "type": "choices",
              "value": {"start": mention.start, "end": mention.end, "text": mention.text, "choices": [label]}}
    if score is not None:
        result["score"] = score
    return result


def sentiment_result(label: str, score: float | None = None, *, controls: Controls = DEFAULT_CONTROLS
                     ) -> dict[str, Any]:
    result = {"id": "sentiment", "from_name": controls.sentiment, "to_name": controls.text, "type": "choices",
              "value": {"choices": [label]}}
    if score is not None:
        result["score"] = score
    return result


def prediction(sentence: Sentence, *, model_version: str, stances: list[dict[str, float]] | None = None,
               sentiment: dict[str, float] | None = None, controls: Controls = DEFAULT_CONTROLS) -> dict[str, Any]:
    """The pre-annotation: every dictionary span, plus a model's stance and sentiment when given (each only where
    the config has a control for it).

    ``score`` is the model's confidence in its weakest answer (1.0 for dictionary spans alone).
    """
    results: list[dict[str, Any]] = []
    confidences: list[float] = []
    stances = stances if controls.stance is not None else None
    sentiment = sentiment if controls.sentiment is not None else None
    for index, mention in enumerate(sentence.mentions):
        rid = region_id(index, mention)
        results.append(span_result(rid, mention, controls=controls))
        if stances is not None:
            label, prob = max(stances[index].items(), key=lambda kv: kv[1])
            results.append(stance_result(rid, mention, label, round(prob, 4), controls=controls))
            confidences.append(prob)
    if sentiment is not None:
        label, prob = max(sentiment.items(), key=lambda kv: kv[1])
        results.append(sentiment_result(label, round(prob, 4), controls=controls))
        confidences.append(prob)
    score = round(min(confidences), 4) if confidences else 1.0
    return {"model_version": model_version, "score": score, "result": results}
