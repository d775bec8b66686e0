"""``stancekit ls rank``: order a Label Studio project's unannotated tasks by a query strategy, and make
the label stream serve them in that order.

How the order reaches annotators in Community Edition (checked on Label Studio 1.23.2, see the
README "Active learning" section): the project setting ``sampling = "Uncertainty sampling"`` is
accepted through the API (the settings page hides it) and ``GET /api/projects/<id>/next`` then
serves, among the unannotated tasks that carry a prediction of the project's ``model_version``,
the one with the lowest prediction ``score`` first. :func:`apply_ranking` therefore imports one
prediction per ranked task under a fresh model version whose ``score`` follows the ranking (see
:func:`queue_scores`), and points the project's ``model_version`` at it.

:func:`rank_tasks` is the pure part (tasks + a classifier -> ranked tasks), shared with the ML
backend, which re-ranks after each retraining.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stancekit.active import DEFAULT_STRATEGY
from stancekit.active.options import RankConfig
from stancekit.active.strategies import certainty, make_strategy, spread_over_documents
from stancekit.errors import ConfigError
from stancekit.records import Mention, Sentence
from stancekit.studio.client import StudioClient
from stancekit.studio.controls import DEFAULT_CONTROLS, Controls, controls_from_config
from stancekit.studio.tasks import prediction

UNCERTAINTY_SAMPLING = "Uncertainty sampling"  # Label Studio's Project.UNCERTAINTY


@dataclass
class RankedTask:
    """One task in the ranking: its place, the model's certainty (low = label first) and the queue score."""

    position: int
    task_id: int
    task_key: str | None
    doc_id: str
    text: str
    certainty: float
    score: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RankResult:
    project_id: int
    model_version: str
    ranked: list[RankedTask]
    open_tasks: int
    applied: bool = False
    predictions_written: int = 0


def task_sentence(task: dict[str, Any], find_mentions: Callable[[str], list[Mention]] | None = None, *,
                  controls: Controls = DEFAULT_CONTROLS) -> Sentence:
    """The sentence of a Label Studio task: a task pushed by stancekit carries its mentions; a task imported
    by hand with only its text (the data key the config's Text shows) gets them from ``find_mentions`` (the
    actor dictionary), or none."""
    data = task.get("data") or {}
    text = data.get(controls.text_key)
    if not isinstance(text, str):
        raise ConfigError(f"task {task.get('id')} has no {controls.text_key!r} field (found {sorted(data)}); "
                          "stancekit ranks sentence tasks made by 'stancekit ls push' or imported as "
                          f"{{\"{controls.text_key}\": ...}}")
    if "mentions" in data:
        mentions = tuple(Mention(**{k: m[k] for k in ("actor", "start", "end", "text")}) for m in data["mentions"])
    else:
        mentions = tuple(find_mentions(text)) if find_mentions is not None else ()
    meta = data.get("meta") or {}
    if isinstance(meta, str):
        meta = json.loads(meta) if meta else {}
    return Sentence(str(data.get("doc_id", f"task-{task.get('id')}")), int(data.get("sent_idx", 0)),
                    int(data.get("start", 0)), int(data.get("end", len(text))), text, mentions, meta)


def queue_scores(certainties: Sequence[float], *, certainty_order: bool) -> list[float]:
    """The prediction ``score`` of each ranked task (given in ranking order) so that ascending score is the
    ranking: the certainty itself when the ranking is the certainty order (BreakingTies, not spread over
    documents), else the position as a fraction of the list (entropy, random, spread)."""
    if certainty_order:
        return [round(float(c), 6) for c in certainties]
    n = max(len(certainties), 1)
    return [round(i / n, 6) for i in range(len(certainties))]


def rank_tasks(tasks: Sequence[dict[str, Any]], classifier: Any, *, strategy: str = DEFAULT_STRATEGY,
               spread_documents: bool = False, limit: int | None = None, seed: int = 0,
               find_mentions: Callable[[str], list[Mention]] | None = None, controls: Controls = DEFAULT_CONTROLS
               ) -> tuple[list[RankedTask], list[dict[str, Any]]]:
    """Rank ``tasks`` ({"id", "data"}) with a stance ``classifier``; returns the ranking and, in the same
    order, each task's pre-annotation (spans + stances, in the project's ``controls``) with ``score`` set to
    the queue score."""
    sentences = [task_sentence(task, find_mentions, controls=controls) for task in tasks]
    probabilities = classifier.mention_probabilities(sentences)
    order = make_strategy(strategy, seed=seed).rank(probabilities)
    if spread_documents:
        order = spread_over_documents(order, [s.doc_id for s in sentences])
    order = order[:limit] if limit is not None else order
    sure = [certainty(probabilities[i]) for i in order]
    scores = queue_scores(sure, certainty_order=strategy == "breaking-ties" and not spread_documents)
    ranked, predictions = [], []
    for position, (index, c, score) in enumerate(zip(order, sure, scores)):
        task, sentence, probs = tasks[index], sentences[index], probabilities[index]
        ranked.append(RankedTask(position + 1, int(task["id"]), task["data"].get("task_key"), sentence.doc_id,
                                 sentence.text, round(c, 6), score))
        stances = [dict(zip(classifier.labels, map(float, row))) for row in np.atleast_2d(probs)] \
            if sentence.mentions else None
        pre = prediction(sentence, model_version="", stances=stances, controls=controls)
        predictions.append({"task": int(task["id"]), "result": pre["result"], "score": score})
    return ranked, predictions


def ranking_version(classifier_name: str, strategy: str, now: dt.datetime | None = None) -> str:
    """A model version naming the model, the strategy and the time: each ranking gets its own."""
    stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    return f"{classifier_name} {strategy} {stamp}"


def apply_ranking(client: StudioClient, project_id: int, predictions: Sequence[dict[str, Any]], model_version: str,
                  *, batch_size: int = 500) -> int:
    """Import the ranking's predictions under ``model_version`` and make the label stream follow them
    (project ``sampling`` = Uncertainty sampling, ``model_version`` = this one); returns how many."""
    written = 0
    for at in range(0, len(predictions), batch_size):
        batch = [{**p, "model_version": model_version} for p in predictions[at: at + batch_size]]
        written += client.import_predictions(project_id, batch)
    client.set_label_stream(project_id, sampling=UNCERTAINTY_SAMPLING, model_version=model_version)
    return written


def load_stance_model(path: Path) -> Any:
    """The one place this package loads a model: the fast path tagging takes (named on stderr); a sentiment
    model is refused at load."""
    import sys

    from stancekit.models import load_model
    from stancekit.models.runtime import describe

    model = load_model(path, task="stance")
    print(f"model {describe(model)}", file=sys.stderr)
    return model


def rank(config: RankConfig, client: StudioClient) -> RankResult:
    """Rank the project's tasks without annotations; with ``apply``, make the label stream serve that order."""
    project = client.find_project(config.project)
    if project is None:
        raise ConfigError(f"no Label Studio project titled {config.project!r} at {client.url}; push tasks first "
                          "('stancekit ls push') or check the title")
    find_mentions = None
    if config.actors is not None:
        from stancekit.actors import ActorDictionary, DictionaryMatcher

        find_mentions = DictionaryMatcher(ActorDictionary.load(config.actors)).find
    classifier = load_stance_model(config.model)
    tasks = list(client.iter_unannotated_tasks(project["id"]))
    controls = controls_from_config(project["label_config"]) if project.get("label_config") else DEFAULT_CONTROLS
    ranked, predictions = rank_tasks(tasks, classifier, strategy=config.strategy,
                                     spread_documents=config.spread_documents, limit=config.limit, seed=config.seed,
                                     find_mentions=find_mentions, controls=controls)
    result = RankResult(project["id"], ranking_version(classifier.name, config.strategy), ranked, len(tasks))
    if config.apply and ranked:
        result.predictions_written = apply_ranking(client, project["id"], predictions, result.model_version)
        result.applied = True
    return result
