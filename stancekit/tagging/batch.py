"""The per-batch tagging function shared by the local and the Ray engines.

No work is wasted: sentences without mentions never reach the stance model, model batches
hold sentences of similar length (so dynamic padding pads little) and are cut by mention
count; how the models run (ONNX Runtime or torch, fp32 or int8) is decided when they are loaded
(:mod:`stancekit.models.runtime`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from stancekit.batching import cut_batches, map_batches
from stancekit.models.options import InferenceOptions
from stancekit.records import Sentence

SCORE_DIGITS = 6  # probabilities are rounded so that outputs are compact and stable


class StanceModel(Protocol):
    """Anything that scores each mention of a sentence (a :class:`stancekit.models.Predictor`)."""

    def predict_stance(self, sentences: Sequence[Sentence]) -> list[list[dict[str, float]]]: ...


class SentimentModel(Protocol):
    """Anything that scores the sentiment of whole sentences."""

    def predict_sentiment(self, sentences: Sequence[Sentence]) -> list[dict[str, float]]: ...


def plan_batches(sentences: Sequence[Sentence], batch_size: int) -> list[list[int]]:
    """Group the indices of sentences with mentions into model batches of similar length.

    Sentences are sorted by length (ties by position, so the plan is deterministic) and a
    batch is closed once it holds ``batch_size`` mentions (a single long sentence may exceed it).
    """
    order = sorted((i for i, s in enumerate(sentences) if s.mentions), key=lambda i: (len(sentences[i].text), i))
    return cut_batches(order, [len(s.mentions) for s in sentences], batch_size)


def _rounded(scores: dict[str, float]) -> dict[str, float]:
    return {label: round(float(p), SCORE_DIGITS) for label, p in scores.items()}


def _best(scores: dict[str, float]) -> str:
    return max(scores, key=scores.__getitem__)  # first label wins a tie: model output order


def tag_batch(sentences: Sequence[Sentence], stance_model: StanceModel) -> list[list[dict[str, Any]]]:
    """Stance of every mention of ``sentences`` (all with mentions): per sentence, per mention,
    ``{"stance": label, "scores": {label: p}}``."""
    predictions = stance_model.predict_stance(sentences)
    if len(predictions) != len(sentences):
        raise RuntimeError(f"stance model returned {len(predictions)} results for {len(sentences)} sentences")
    out = []
    for sentence, per_mention in zip(sentences, predictions):
        if len(per_mention) != len(sentence.mentions):
            raise RuntimeError(f"stance model returned {len(per_mention)} scores for "
                               f"{len(sentence.mentions)} mentions in {sentence.doc_id}:{sentence.sent_idx}")
        out.append([{"stance": _best(s), "scores": _rounded(s)} for s in per_mention])
    return out


def sentiment_batch(sentences: Sequence[Sentence], sentiment_model: SentimentModel) -> list[dict[str, Any]]:
    """Sentiment of each sentence: ``{"sentiment": label, "sentiment_scores": {label: p}}``."""
    predictions = sentiment_model.predict_sentiment(sentences)
    return [{"sentiment": _best(s), "sentiment_scores": _rounded(s)} for s in predictions]


Batch = tuple[str, list[Sentence]]  # ("stance" | "sentiment", sentences)


@dataclass(frozen=True)
class Models:
    """The models a tagging job runs: always a stance model, optionally a sentiment model."""

    stance: StanceModel
    sentiment: SentimentModel | None = None


def load_models(model: Path, sentiment_model: Path | None, options: InferenceOptions) -> Models:
    """Load the stance (and sentiment) model as the inference options say."""
    from stancekit.models.loading import load_model

    stance = load_model(model, options, task="stance")
    sentiment = load_model(sentiment_model, options, task="sentiment") if sentiment_model is not None else None
    return Models(stance=stance, sentiment=sentiment)


def run_batch(batch: Batch, models: Models) -> list[Any]:
    """The per-batch function every engine runs (locally, or inside Ray actors)."""
    task, sentences = batch
    if task == "stance":
        return tag_batch(sentences, models.stance)
    if models.sentiment is None:
        raise RuntimeError("a sentiment batch was planned but no sentiment model is loaded")
    return sentiment_batch(sentences, models.sentiment)


class Engine(Protocol):
    """Runs planned batches and returns their results in the same order."""

    def run(self, batches: list[Batch]) -> list[list[Any]]: ...


class LocalEngine:
    """Runs the batches in this process, as many at once as the models allow (``parallel_batches``: ONNX
    Runtime models run one batch per thread, torch models one batch at a time on all threads)."""

    def __init__(self, models: Models):
        self.models = models
        loaded = [m for m in (models.stance, models.sentiment) if m is not None]
        self.workers = min(getattr(m, "parallel_batches", 1) for m in loaded)

    def run(self, batches: list[Batch]) -> list[list[Any]]:
        return map_batches(lambda batch: run_batch(batch, self.models), batches, self.workers)


def plan_chunk(sentences: Sequence[Sentence], *, batch_size: int, sentiment: bool) -> list[tuple[str, list[int]]]:
    """The batches (task, sentence indices) that tag one chunk of sentences."""
    plan = [("stance", batch) for batch in plan_batches(sentences, batch_size)]
    if sentiment:
        order = sorted(range(len(sentences)), key=lambda i: (len(sentences[i].text), i))
        plan += [("sentiment", order[lo:lo + batch_size]) for lo in range(0, len(order), batch_size)]
    return plan


def tag_sentences(sentences: Sequence[Sentence], *, engine: Engine, batch_size: int = 64,
                  sentiment: bool = False) -> list[dict[str, Any]]:
    """Tag one chunk of sentences; return their records (with stance, scores...) in input order."""
    plan = plan_chunk(sentences, batch_size=batch_size, sentiment=sentiment)
    results = engine.run([(task, [sentences[i] for i in idx]) for task, idx in plan])
    records = [s.to_dict() for s in sentences]
    for (task, idx), result in zip(plan, results):
        for i, tagged in zip(idx, result):
            if task == "stance":
                for mention, extra in zip(records[i]["mentions"], tagged):
                    mention.update(extra)
            else:
                records[i].update(tagged)
    return records
