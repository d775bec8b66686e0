"""Scoring a classifier on labelled examples: macro-F1, accuracy, per-class scores, confusion, per actor."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stancekit.errors import ConfigError
from stancekit.examples import DATA_FORMATS, DataFormat, Split, load_examples, require_labels
from stancekit.models.options import InferenceOptions
from stancekit.options import MODEL, check_fields, nested, option
from stancekit.paths import PathRule
from stancekit.records import Example

if TYPE_CHECKING:
    from stancekit.models.base import Predictor
    from stancekit.models.heldout import LabelledPredictions


def score(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Macro-F1, accuracy, n, per-class precision/recall/F1/support and the confusion matrix (rows = gold)."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    labels = list(labels)
    if not gold:
        return {"f1_macro": 0.0, "accuracy": 0.0, "n": 0, "per_class": {}, "confusion": {"labels": labels,
                                                                                      "matrix": []}}
    precision, recall, f1, support = precision_recall_fscore_support(gold, predicted, labels=labels, zero_division=0)
    return {
        "f1_macro": float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)),
        "accuracy": float(accuracy_score(gold, predicted)),
        "n": len(gold),
        "per_class": {label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
                      for label, p, r, f, s in zip(labels, precision, recall, f1, support)},
        "confusion": {"labels": labels, "matrix": confusion_matrix(gold, predicted, labels=labels).tolist()},
    }


def score_labelled(scored: LabelledPredictions, *, per_actor: bool) -> dict[str, Any]:
    """Metrics of already scored items (per actor too when asked and the items are mentions)."""
    predicted = scored.predicted
    result = score(scored.gold, predicted, scored.labels)
    if per_actor and any(scored.actors):
        by_actor: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for actor, gold, pred in zip(scored.actors, scored.gold, predicted):
            by_actor[actor].append((gold, pred))
        result["per_actor"] = {actor: {k: v for k, v in score([g for g, _ in pairs], [p for _, p in pairs],
                                                           scored.labels).items() if k != "confusion"}
                               for actor, pairs in sorted(by_actor.items())}
    return result


def evaluate_examples(classifier: Predictor, examples: Sequence[Example], *, per_actor: bool) -> dict[str, Any]:
    """Score ``classifier`` on the labelled items of ``examples`` (per actor too when asked)."""
    from stancekit.models.heldout import score_examples

    return score_labelled(score_examples(classifier, examples), per_actor=per_actor)


@dataclass
class EvaluateConfig:
    """Which model to score on which labelled data."""

    model: Path = MODEL()
    data: list[Path] = option(help="Labelled data: NewsMTSC file/folder or gold dataset folder/parquet; "
                              "repeat to pool.", flags=("--data", "-d"),
                              path=PathRule("file-or-folder", "labelled data: NewsMTSC or a gold dataset"))
    data_format: DataFormat = option("auto", help="auto (by extension/contents), newsmtsc or gold.", flags=("--format",))
    split: Split = option("test", help="Split to read from folders: test, validation or train.")
    inference: InferenceOptions = nested(InferenceOptions)

    def __post_init__(self) -> None:
        if not self.data:
            raise ConfigError("no evaluation data given: pass --data with a NewsMTSC file/folder or a gold dataset")
        if self.data_format not in DATA_FORMATS:
            raise ConfigError(f"unknown data format {self.data_format!r}: expected auto, newsmtsc or gold")
        if self.split not in ("train", "validation", "test"):
            raise ConfigError(f"unknown split {self.split!r}: expected train, validation or test")
        check_fields(self)


def evaluate(config: EvaluateConfig) -> dict[str, Any]:
    """Load the model and the data, and score; gold data adds a per-actor breakdown."""
    from stancekit.models.loading import load_model

    classifier = load_model(config.model, config.inference)
    data = load_examples(config.data, split=config.split, data_format=config.data_format)  # type: ignore[arg-type]
    require_labels(data, classifier.task, what="evaluation")  # type: ignore[arg-type]
    result = evaluate_examples(classifier, data.examples, per_actor="gold" in data.formats)
    result["model"] = classifier.name
    result["task"] = classifier.task
    result["data"] = [s.to_dict() for s in data.sources]
    return result
