"""Label Studio tasks -> pre-annotations, with the models loaded once per process.

A task pushed by ``stancekit ls push`` carries its sentence's actor mentions in ``data.mentions``;
a task imported by hand has only its text, so the actor dictionary (``--actors``) finds the spans:
the text is split into sentences (stancekit's news segmenter, in the language detected in the whole
text), each sentence's mentions are found by the dictionary matcher in that language, and the stance
model reads each sentence on its own. The result is
exactly what ``ls push --model`` pre-annotates with (:func:`stancekit.studio.tasks.prediction`),
in the project's own control names (:mod:`stancekit.studio.controls`).

``score`` is certainty, low = label me first: the BreakingTies margin (top-1 minus top-2
probability) of the sentence's least certain mention (:func:`prediction_certainty`).
"""

from __future__ import annotations

import reprlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from stancekit.active.strategies import certainty
from stancekit.actors import ActorDictionary, DictionaryMatcher
from stancekit.errors import StanceKitError
from stancekit.models import InferenceOptions, load_model
from stancekit.models import Predictor
from stancekit.models.runtime import describe
from stancekit.records import Mention, Sentence
from stancekit.languages import detect_language
from stancekit.segment import NewsSegmenter
from stancekit.studio.config import OTHER_ACTOR
from stancekit.studio.controls import Controls
from stancekit.studio.tasks import prediction


class TaskError(StanceKitError):
    """A task in a /predict request cannot be read (what was expected, what was found)."""


def load_classifier(path: Path, *, task: str, options: InferenceOptions) -> Predictor:
    """The one place the backend loads a model folder (a model of another task is refused at load; the path it
    takes is named on stderr)."""
    model = load_model(path, options, task=task)
    print(f"model {describe(model)}", file=sys.stderr, flush=True)
    return model


def prediction_certainty(stances: Sequence[dict[str, float]]) -> float:
    """Certainty of a sentence (:func:`stancekit.active.strategies.certainty`): min over its mentions of
    (p_top1 - p_top2); 1.0 without mentions."""
    rows = np.array([list(probs.values()) for probs in stances], dtype=float)
    return round(certainty(rows.reshape(len(stances), -1) if stances else np.empty((0, 3))), 4)


@dataclass(frozen=True)
class TaskText:
    """A task's text as one Sentence (mentions in task-text offsets) and the sentences the model reads."""

    whole: Sentence
    parts: tuple[Sentence, ...]  # each with its own mentions; mentions in order across parts = whole.mentions


def task_name(task: dict[str, Any], index: int) -> str:
    """How an error names a task: its Label Studio id when that is a number or a short string, else its place."""
    task_id = task.get("id")
    if (isinstance(task_id, int) and not isinstance(task_id, bool)) or (isinstance(task_id, str) and
                                                                         0 < len(task_id) <= 64):
        return f"task {task_id}"
    return f"task #{index + 1} of the request"


def _offset(item: dict[str, Any], key: str) -> int | None:
    value = item.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _given_mentions(raw: Any, text: str, where: str) -> tuple[Mention, ...]:
    """The mentions ``stancekit ls push`` put in ``data.mentions``, checked against the task's text."""
    if not isinstance(raw, list):
        raise TaskError(f"{where}: data.mentions must be a list of {{actor, start, end, text}}, found "
                        f"{type(raw).__name__}")
    mentions: dict[tuple[str, int, int], Mention] = {}
    for number, item in enumerate(raw, start=1):
        what = f"{where}: data.mentions[{number - 1}]"
        if not isinstance(item, dict):
            raise TaskError(f"{what} must be an object {{actor, start, end, text}}, found {type(item).__name__}")
        actor, start, end = item.get("actor"), _offset(item, "start"), _offset(item, "end")
        if not isinstance(actor, str) or not actor.strip() or start is None or end is None:
            raise TaskError(f"{what} needs a non-empty string 'actor' and whole-number 'start' and 'end' "
                            f"(character offsets), found {shown(item)}")
        if not 0 <= start < end <= len(text):
            raise TaskError(f"{what}: mention {shown(actor)} [{start}, {end}) lies outside the text "
                            f"({len(text)} chars)")
        given = item.get("text")
        if given is not None and given != text[start:end]:
            raise TaskError(f"{what}: mention {shown(actor)} says {shown(given)}, but the text has "
                            f"{text[start:end]!r} at [{start}, {end}) (offsets must count characters of data.text)")
        key = (actor, start, end)
        if key in mentions:
            raise TaskError(f"{what}: mention {shown(actor)} [{start}, {end}) is listed twice")
        mentions[key] = Mention(actor, start, end, text[start:end])
    return tuple(sorted(mentions.values(), key=lambda m: (m.start, m.end)))


def shown(value: Any, limit: int = 80) -> str:
    """A request's value as an error message shows it: its repr, a few levels deep, cut short."""
    short = reprlib.Repr()
    short.maxlevel, short.maxstring, short.maxother = 3, limit, limit
    text = short.repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


class Preannotator:
    """Stance (and optional sentiment) models plus the actor dictionary, answering Label Studio tasks."""

    def __init__(self, stance: Predictor, *, version: str, sentiment: Predictor | None = None,
                 dictionary: ActorDictionary | None = None):
        self.stance = stance
        self.sentiment = sentiment
        self.version = version
        self.dictionary = dictionary
        self.matcher = DictionaryMatcher(dictionary) if dictionary is not None else None
        self.segmenter = NewsSegmenter()

    def task_text(self, task: dict[str, Any], text_key: str, index: int) -> TaskText:
        """The task's text and mentions: ``data.mentions`` when pushed by stancekit, else the dictionary's."""
        where = task_name(task, index)
        data = task.get("data")
        if not isinstance(data, dict):
            raise TaskError(f"{where}: expected a 'data' object, found {type(data).__name__}")
        text = data.get(text_key)
        if not isinstance(text, str) or not text.strip():
            found = "an empty text" if isinstance(text, str) else type(text).__name__
            raise TaskError(f"{where}: data.{text_key} must be a non-empty string (the sentence), found {found}")
        doc_id = data.get("doc_id") if isinstance(data.get("doc_id"), str) and data["doc_id"] else f"ls-task-{index}"
        if "mentions" in data and data["mentions"] is not None:
            given = self._served_actors(_given_mentions(data["mentions"], text, where))
            whole = Sentence(doc_id, 0, 0, len(text), text, given)
            return TaskText(whole, (whole,))
        if self.matcher is None:
            return TaskText(Sentence(doc_id, 0, 0, len(text), text), ())
        parts, found = [], []
        language = detect_language(text)  # the whole task's, not each sentence's: more text, a surer guess
        for idx, (start, end) in enumerate(self.segmenter.spans(text, language=language)):
            local = tuple(self.matcher.find(text[start:end], language=language))
            if local:
                parts.append(Sentence(doc_id, idx, start, end, text[start:end], local))
                found += [replace(m, start=m.start + start, end=m.end + start) for m in local]
        return TaskText(Sentence(doc_id, 0, 0, len(text), text, tuple(found)), tuple(parts))

    def _served_actors(self, mentions: tuple[Mention, ...]) -> tuple[Mention, ...]:
        """Pushed mentions whose actor the served dictionary lacks become 'other' spans.

        Label Studio stores a label the project's config lacks and then shows nothing for it, so an unknown
        actor is never sent as its own label: the annotator sees the span as 'other' (the config's label for an
        actor the dictionary lacks), with its stance, and relabels it; ``ls pull`` then resolves an 'other' span
        through the dictionary or reports it in unknown-actors.jsonl.
        """
        if self.dictionary is None:
            return mentions
        kept: dict[tuple[str, int, int], Mention] = {}
        for mention in mentions:
            if mention.actor not in self.dictionary:
                mention = replace(mention, actor=OTHER_ACTOR)
            kept.setdefault((mention.actor, mention.start, mention.end), mention)
        return tuple(kept.values())

    def predict(self, tasks: Sequence[dict[str, Any]], controls: Controls) -> list[dict[str, Any]]:
        """One prediction per task, in order (TaskError names the first unreadable task)."""
        texts = [self.task_text(task, controls.text_key, i) for i, task in enumerate(tasks)]
        parts = [p for t in texts for p in t.parts]
        part_stances = self.stance.predict_stance(parts) if parts and controls.stance else [[] for _ in parts]
        sentiments = (self.sentiment.predict_sentiment([t.whole for t in texts])
                      if self.sentiment is not None and controls.sentiment else [None] * len(texts))
        results, cursor = [], 0
        for text, sentiment in zip(texts, sentiments):
            stances = [row for rows in part_stances[cursor:cursor + len(text.parts)] for row in rows]
            cursor += len(text.parts)
            results.append(self._in_controls(text.whole, stances if controls.stance else None, sentiment, controls))
        return results

    def _in_controls(self, sentence: Sentence, stances: list[dict[str, float]] | None,
                     sentiment: dict[str, float] | None, controls: Controls) -> dict[str, Any]:
        if controls.actor_values:  # an actor the config does not list becomes 'other', or is left out
            kept = [(m if m.actor in controls.actor_values else replace(m, actor=OTHER_ACTOR), i)
                    for i, m in enumerate(sentence.mentions)
                    if m.actor in controls.actor_values or OTHER_ACTOR in controls.actor_values]
            sentence = replace(sentence, mentions=tuple(m for m, _ in kept))
            stances = [stances[i] for _, i in kept] if stances is not None else None
        if sentiment is not None and controls.sentiment_values:
            sentiment = {k: v for k, v in sentiment.items() if k in controls.sentiment_values} or None
        pred = prediction(sentence, model_version=self.version, stances=stances, sentiment=sentiment, controls=controls)
        if controls.stance_values:  # a stance the config does not offer is left out
            pred["result"] = [item for item in pred["result"] if item["from_name"] != controls.stance
                              or item["value"]["choices"][0] in controls.stance_values]
        pred["score"] = prediction_certainty(stances or [])
        return pred
