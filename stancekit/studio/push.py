"""``stancekit ls push``: coverage -> one Label Studio task per sentence with actors, pre-annotated.

Idempotent and resumable: the tasks already in the project are found by their task key and
never pushed again, so re-running after an interruption pushes exactly what is missing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stancekit.actors import ActorDictionary
from stancekit.deprecation import deprecated
from stancekit.errors import ConfigError
from stancekit.extract import ExtractConfig, ExtractSummary, iter_records
from stancekit.records import Sentence
from stancekit.studio.client import StudioClient
from stancekit.studio.config import LabelingConfig
from stancekit.studio.controls import DEFAULT_CONTROLS, Controls, controls_from_config
from stancekit.studio.options import PushConfig
from stancekit.studio.tasks import (DICTIONARY_VERSION, MODEL_ANSWERS_FIELD, model_answers, prediction, task_data,
                                   with_context)


@dataclass
class PushSummary:
    project_id: int = 0
    project_url: str = ""
    pushed: int = 0
    already_there: int = 0
    duplicates: int = 0
    sentences: int = 0
    requests: int = 0
    extract: ExtractSummary = field(default_factory=ExtractSummary)


def ensure_project(client: StudioClient, title: str, labeling: LabelingConfig, *, overlap: int,
                   model_version: str, adjudication: bool = False) -> dict[str, Any]:
    """Create the project, or bring an existing one with this title up to date."""
    settings = {
        "title": title,
        "label_config": labeling.xml(adjudication=adjudication),
        "expert_instruction": labeling.instructions(),
        "show_instruction": True,
        "maximum_annotations": overlap,
        "model_version": model_version,
        "show_skip_button": True,
        "show_collab_predictions": True,
        "sampling": "Sequential sampling",
    }
    project = client.find_project(title)
    if project is None:
        return client.create_project(settings)
    return client.update_project(project["id"], settings)


def existing_keys(client: StudioClient, project_id: int) -> set[str]:
    """The task keys already in the project (tasks without a key are not stancekit's)."""
    return {t["data"]["task_key"] for t in client.iter_tasks(project_id) if "task_key" in t.get("data", {})}


def import_new(client: StudioClient, project_id: int, tasks: Iterable[dict[str, Any]], *, batch_size: int,
               progress: Callable[[int], None] | None = None) -> int:
    """Import tasks in batches; each batch is one request, committed whole or not at all."""
    pushed = 0
    batch: list[dict[str, Any]] = []
    for task in tasks:
        batch.append(task)
        if len(batch) >= batch_size:
            pushed += client.import_tasks(project_id, batch)
            batch = []
            if progress is not None:
                progress(pushed)
    if batch:
        pushed += client.import_tasks(project_id, batch)
        if progress is not None:
            progress(pushed)
    return pushed


class ModelAnswers:
    """Stance and/or sentiment answers from trained stancekit models, for pre-annotation."""

    def __init__(self, stance: Path | None, sentiment: Path | None):
        from stancekit.models import load_model

        self.stance = self.sentiment = None
        for path, wanted in ((stance, "stance"), (sentiment, "sentiment")):
            if path is None:
                continue
            model = load_model(path)
            if model.task != wanted:  # `ls push -m STANCE -m SENTIMENT` in either order, until 0.3
                deprecated(f"{path} is a {model.task} model given as the {wanted} model; pass the stance model with "
                           "--model and the sentiment model with --sentiment-model")
            if getattr(self, model.task) is not None:
                raise ConfigError(f"two {model.task} models given ({path} and another); give at most one per task")
            setattr(self, model.task, model)
        names = [m.name for m in (self.stance, self.sentiment) if m is not None]
        self.version = "+".join([DICTIONARY_VERSION, *names])

    def answers(self, sentences: list[Sentence]) -> list[tuple[list[dict[str, float]] | None, dict[str, float] | None]]:
        """(stance probabilities per mention, sentiment probabilities) for each sentence; None without that model."""
        stances = self.stance.predict_stance(sentences) if self.stance is not None else [None] * len(sentences)
        sentiments = (self.sentiment.predict_sentiment(sentences) if self.sentiment is not None
                      else [None] * len(sentences))
        return list(zip(stances, sentiments))


def build_tasks(sentences: Iterable[Sentence], *, on_server: set[str], summary: PushSummary,
                answers: ModelAnswers | None, batch_size: int, prefill: bool = True,
                controls: Controls = DEFAULT_CONTROLS) -> Iterator[dict[str, Any]]:
    """Tasks for the sentences with actors not yet on the server (model answers computed per batch), in the
    data key and control names of the project's labeling config (``controls``).

    With ``prefill`` the model's answers pre-fill the task; without, only the actor spans do. Either
    way the answers are kept in the task's data (``model_answers``) for the agreement report.
    """
    seen: set[str] = set()
    pending: list[tuple[Sentence, dict[str, Any]]] = []

    def flush() -> Iterator[dict[str, Any]]:
        if answers is None:
            for sentence, data in pending:
                yield {"data": data, "predictions": [prediction(sentence, model_version=DICTIONARY_VERSION,
                                                                controls=controls)]}
        else:
            for (sentence, data), (stances, sentiment) in zip(pending, answers.answers([s for s, _ in pending])):
                data[MODEL_ANSWERS_FIELD] = model_answers(answers.version, stances, sentiment, shown=prefill)
                pred = (prediction(sentence, model_version=answers.version, stances=stances, sentiment=sentiment,
                                   controls=controls)
                        if prefill else prediction(sentence, model_version=DICTIONARY_VERSION, controls=controls))
                yield {"data": data, "predictions": [pred]}
        pending.clear()

    for sentence, before, after in with_context(sentences):
        if not sentence.mentions:
            continue
        summary.sentences += 1
        data = task_data(sentence, before, after, controls=controls)
        key = data["task_key"]
        if key in seen:
            summary.duplicates += 1
            continue
        seen.add(key)
        if key in on_server:
            summary.already_there += 1
            continue
        pending.append((sentence, data))
        if len(pending) >= batch_size:
            yield from flush()
    if pending:
        yield from flush()


def push(config: PushConfig, client: StudioClient, *, quiet: bool = False) -> PushSummary:
    """Run the push job against a connected client; returns what was pushed and skipped."""
    dictionary = ActorDictionary.load(config.actors)
    labeling = LabelingConfig(dictionary)
    answers = ModelAnswers(config.model, config.sentiment_model) if config.models else None
    version = answers.version if answers is not None and config.prefill else DICTIONARY_VERSION
    summary = PushSummary()
    requests_before = client.requests
    project = ensure_project(client, config.project, labeling, overlap=config.overlap, model_version=version)
    summary.project_id, summary.project_url = project["id"], client.project_url(project["id"])
    skip = existing_keys(client, project["id"])
    extract_config = ExtractConfig(inputs=config.inputs, actors=config.actors, skip_bad=config.skip_bad)
    sentences = iter_records(extract_config, summary.extract,
                             on_bad=None if quiet else lambda err: print(f"skipped: {err}", file=sys.stderr))

    def progress(done: int) -> None:
        if not quiet:
            print(f"pushed {done} task(s) to project {project['id']}", file=sys.stderr)

    summary.pushed = import_new(client, project["id"],
                                build_tasks(sentences, on_server=skip, summary=summary, answers=answers,
                                            batch_size=config.batch_size, prefill=config.prefill,
                                            controls=controls_from_config(labeling.xml())),
                                batch_size=config.batch_size, progress=progress)
    summary.requests = client.requests - requests_before
    return summary
