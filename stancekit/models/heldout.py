"""A model folder's held-out predictions: what is needed to correct its counts for its known errors.

``heldout-predictions.jsonl`` holds one line per labelled item of the split the model never trained on
(its validation split): the item's document and sentence, the mention's actor (stance models), the
human label and the model's probabilities. ``stancekit report`` fits its error correction on them
(:mod:`stancekit.reporting.calibration`); ``stancekit train`` and serve's retraining write them through
:func:`stancekit.models.folder.write_model_folder`, and the manifest lists the file like every other.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from stancekit.errors import InputError
from stancekit.io import atomic_write, read_numbered_jsonl

if TYPE_CHECKING:
    import numpy as np

    from stancekit.models.base import Predictor
    from stancekit.records import Example

HELDOUT_FILE = "heldout-predictions.jsonl"
PROBABILITY_SUM_TOLERANCE = 1e-3  # rounded probabilities sum to 1 within this


@dataclass
class LabelledPredictions:
    """Items with a human label and the model's probabilities (rows in ``labels`` order)."""

    labels: tuple[str, ...]
    gold: list[str]
    probabilities: np.ndarray  # (items x labels)
    doc_ids: list[str]
    sent_idx: list[int]
    actors: list[str]  # "" for sentence-level (sentiment) items

    def __post_init__(self) -> None:
        n = len(self.gold)
        if not (len(self.doc_ids) == len(self.sent_idx) == len(self.actors) == n
                and self.probabilities.shape == (n, len(self.labels))):
            raise ValueError("labelled predictions: every column must have one entry per item")

    def __len__(self) -> int:
        return len(self.gold)

    @property
    def predicted(self) -> list[str]:
        return [self.labels[i] for i in self.probabilities.argmax(axis=1)] if len(self) else []

    def gold_index(self) -> np.ndarray:
        import numpy as np

        index = {label: i for i, label in enumerate(self.labels)}
        return np.array([index[g] for g in self.gold], dtype=np.int64)

    def write(self, path: Path) -> None:
        """One JSON line per item, written atomically."""
        with atomic_write(path) as handle:
            for i in range(len(self)):
                handle.write(json.dumps({
                    "doc_id": self.doc_ids[i], "sent_idx": self.sent_idx[i], "actor": self.actors[i],
                    "gold": self.gold[i],
                    "scores": {label: round(float(p), 6) for label, p in zip(self.labels, self.probabilities[i])},
                }, ensure_ascii=False) + "\n")

    @classmethod
    def read(cls, path: Path, labels: Sequence[str]) -> "LabelledPredictions":
        """Read a file written by :meth:`write`; a malformed line is an InputError naming it."""
        import numpy as np

        labels = tuple(labels)
        gold, rows, doc_ids, sent_idx, actors = [], [], [], [], []
        for line, record in read_numbered_jsonl(path, whole_lines=True):
            scores = record.get("scores")
            problem = None
            if record.get("gold") not in labels:
                problem = f"'gold' must be one of {list(labels)}, found {record.get('gold')!r}"
            elif not isinstance(scores, dict) or set(scores) != set(labels):
                problem = f"'scores' must have exactly the labels {list(labels)}, found {scores!r}"
            elif not all(_is_probability(scores[label]) for label in labels):
                problem = f"'scores' must be numbers from 0 to 1, found {scores!r}"
            elif abs(sum(scores.values()) - 1) > PROBABILITY_SUM_TOLERANCE:
                problem = f"'scores' must sum to 1, found {sum(scores.values()):.6f}"
            elif not isinstance(record.get("doc_id"), str):
                problem = f"'doc_id' must be a string, found {record.get('doc_id')!r}"
            if problem:
                raise InputError(path, problem, line=line,
                                 hint="the model folder's held-out predictions are damaged; retrain the model")
            gold.append(record["gold"])
            rows.append([float(scores[label]) for label in labels])
            doc_ids.append(record["doc_id"])
            sent_idx.append(int(record.get("sent_idx", 0)))
            actors.append(str(record.get("actor") or ""))
        probabilities = np.array(rows, dtype=np.float64).reshape(len(rows), len(labels))
        return cls(labels, gold, probabilities, doc_ids, sent_idx, actors)


def _is_probability(value: object) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            and 0.0 <= value <= 1.0)


def score_examples(classifier: Predictor, examples: Sequence[Example]) -> LabelledPredictions:
    """The classifier's probabilities for every labelled item of its task in ``examples``."""
    import numpy as np

    gold, rows, doc_ids, sent_idx, actors = [], [], [], [], []
    if classifier.task == "stance":
        probabilities = classifier.mention_probabilities([ex.sentence for ex in examples])
        for ex, probs in zip(examples, probabilities):
            for mention, label, row in zip(ex.sentence.mentions, ex.stances, probs):
                if label is not None:
                    gold.append(label)
                    rows.append(row)
                    doc_ids.append(ex.sentence.doc_id)
                    sent_idx.append(ex.sentence.sent_idx)
                    actors.append(mention.actor)
    else:
        labelled = [ex for ex in examples if ex.sentiment is not None]
        rows = list(classifier.sentence_probabilities([ex.sentence for ex in labelled]))
        for ex in labelled:
            gold.append(ex.sentiment)
            doc_ids.append(ex.sentence.doc_id)
            sent_idx.append(ex.sentence.sent_idx)
            actors.append("")
    k = len(classifier.labels)
    matrix = np.array(rows, dtype=np.float64).reshape(len(rows), k)
    return LabelledPredictions(tuple(classifier.labels), gold, matrix, doc_ids, sent_idx, actors)
