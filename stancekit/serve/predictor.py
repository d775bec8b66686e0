"""Label Studio tasks -> pre-annotations, with the models loaded once per process.

A task pushed by ``stancekit ls push`` carries its sentence's actor mentions in ``data.mentions``;
a task imported by hand has only its text, so the actor dictionary (``--actors``) finds the spans:
the text is split into sentences (stancekit's news segmenter), each sentence's mentions are found
by the dictionary matcher, and the stance model reads each sentence on its own. The result is
exactly what ``ls push --model`` pre-annotates with (:func:`stancekit.studio.tasks.prediction`),
moved into the project's own control names (:mod:`stancekit.serve.controls`).

``score`` is certainty, low = label me first: the BreakingTies margin (top-1 minus top-2
probability) of the sentence's least certain mention (:func:`prediction_certainty`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from stancekit.active.strategies import certainty
from stancekit.actors import ActorDictionary, DictionaryMatcher
from stancekit.errors import ConfigError, StanceKitError
from stancekit.models import InferenceOptions, load_model
from stancekit.models import Predictor as Model
from stancekit.models.runtime import describe
from stancekit.records import Mention, Sentence
from stancekit.segment import NewsSegmenter
from stancekit.serve.controls import Controls
from stancekit.studio.config import OTHER_ACTOR
from stancekit.studio.tasks import ACTOR_FIELD, SENTIMENT_FIELD, STANCE_FIELD, prediction


class TaskError(StanceKitError):
    """A task in a /predict request cannot be read (what was expected, what was found)."""


def load_classifier(path: Path, *, task: str, options: InferenceOptions) -> Model:
    """The one place the backend loads a model folder (the path it takes is named on stderr)."""
    model = load_model(path, options)
    if model.task != task:
        raise ConfigError(f"{path} is a {model.task} model, expected a {task} model here")
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


def _given_mentions(raw: Any, text: str, where: str) -> tuple[Mention, ...]:
    if not isinstance(raw, list):
        raise TaskError(f"{where}: data.mentions must be a list of {{actor, start, end, text}}, found "
                        f"{type(raw).__name__}")
    mentions = []
    for item in raw:
        try:
            start, end, actor = int(item["start"]), int(item["end"]), str(item["actor"])
        except (KeyError, TypeError, ValueError):
            raise TaskError(f"{where}: each of data.mentions needs actor, start and end, found {item!r}") from None
        if not 0 <= start < end <= len(text):
            raise TaskError(f"{where}: mention {actor} [{start}, {end}) lies outside the text ({len(text)} chars)")
        mentions.append(Mention(actor, start, end, text[start:end]))
    return tuple(sorted(mentions, key=lambda m: (m.start, m.end)))


class Predictor:
    """Stance (and optional sentiment) models plus the actor dictionary, answering Label Studio tasks."""

    def __init__(self, stance: Model, *, version: str, sentiment: Model | None = None,
                 dictionary: ActorDictionary | None = None):
        self.stance = stance
        self.sentiment = sentiment
        self.version = version
        self.matcher = DictionaryMatcher(dictionary) if dictionary is not None else None
        self.segmenter = NewsSegmenter()

    def task_text(self, task: dict[str, Any], text_key: str, index: int) -> TaskText:
        """The task's text and mentions: ``data.mentions`` when pushed by stancekit, else the dictionary's."""
        where = f"task {task.get('id', index)}"
        data = task.get("data")
        if not isinstance(data, dict):
            raise TaskError(f"{where}: expected a 'data' object, found {type(data).__name__}")
        text = data.get(text_key)
        if not isinstance(text, str) or not text.strip():
            found = "an empty text" if isinstance(text, str) else type(text).__name__
            raise TaskError(f"{where}: data.{text_key} must be a non-empty string (the sentence), found {found}")
        doc_id = str(data.get("doc_id") or f"ls-task-{task.get('id', index)}")
        if "mentions" in data and data["mentions"] is not None:
            whole = Sentence(doc_id, 0, 0, len(text), text, _given_mentions(data["mentions"], text, where))
            return TaskText(whole, (whole,))
        if self.matcher is None:
            return TaskText(Sentence(doc_id, 0, 0, len(text), text), ())
        parts, found = [], []
        for idx, (start, end) in enumerate(self.segmenter.spans(text)):
            local = tuple(self.matcher.find(text[start:end]))
            if local:
                parts.append(Sentence(doc_id, idx, start, end, text[start:end], local))
                found += [replace(m, start=m.start + start, end=m.end + start) for m in local]
        return TaskText(Sentence(doc_id, 0, 0, len(text), text, tuple(found)), tuple(parts))

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
        pred = prediction(sentence, model_version=self.version, stances=stances, sentiment=sentiment)
        names = {ACTOR_FIELD: controls.actor, STANCE_FIELD: controls.stance, SENTIMENT_FIELD: controls.sentiment}
        result = []
        for item in pred["result"]:
            if item["from_name"] == STANCE_FIELD and controls.stance_values \
                    and item["value"]["choices"][0] not in controls.stance_values:
                continue
            result.append({**item, "from_name": names[item["from_name"]], "to_name": controls.text})
        pred["result"] = result
        pred["score"] = prediction_certainty(stances or [])
        return pred
