"""The labelled mentions a report measures the classifier's errors on: the model folder's held-out
predictions, or the user's own labelled file (``--calibration``) scored with the tags' model."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stancekit.errors import ConfigError
from stancekit.labels import STANCE_LABELS
from stancekit.models.heldout import HELDOUT_FILE, LabelledPredictions
from stancekit.models.manifest import Manifest

MIN_CALIBRATION = 30  # labelled mentions below which no correction is attempted
WARN_CALIBRATION = 150  # below this the report warns that the correction is rough


@dataclass
class Calibration:
    """Labelled mentions with the model's probabilities (in :data:`STANCE_LABELS` order), and where they came from."""

    items: LabelledPredictions
    source: str  # "heldout" (the model folder's) or "file"
    description: str  # for people: where the labels come from
    paths: list[str] = field(default_factory=list)
    f1_macro: float = 0.0
    label_counts: dict[str, int] = field(default_factory=dict)
    prior: tuple[float, ...] = ()  # the class prior the model learnt (its training labels), STANCE_LABELS order

    @property
    def size(self) -> int:
        return len(self.items)

    @property
    def documents(self) -> int:
        return len(set(self.items.doc_ids))

    def gold_index(self) -> np.ndarray:
        return self.items.gold_index()

    def answers(self, method: str) -> np.ndarray:
        """The answers the method's error rates are measured on: probabilities (pacc) or one-hot (acc)."""
        probabilities = self.items.probabilities
        if method == "pacc":
            return probabilities
        return np.eye(len(STANCE_LABELS))[probabilities.argmax(axis=1)]

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "description": self.description, "paths": self.paths,
                "mentions": self.size, "documents": self.documents, "f1_macro": round(self.f1_macro, 4),
                "label_counts": self.label_counts, "model_training_prior": [round(p, 4) for p in self.prior]}


def _in_stance_order(items: LabelledPredictions) -> LabelledPredictions:
    """The same items with probability columns in :data:`STANCE_LABELS` order."""
    if tuple(items.labels) == STANCE_LABELS:
        return items
    order = [items.labels.index(label) for label in STANCE_LABELS]
    return LabelledPredictions(STANCE_LABELS, items.gold, items.probabilities[:, order], items.doc_ids,
                               items.sent_idx, items.actors)


def training_prior(manifest: Manifest) -> tuple[float, ...]:
    """The share of each stance label in the model's training data (uniform when the manifest lacks counts)."""
    counts = manifest.data.get("train_label_counts") or {}
    values = [float(counts.get(label, 0)) for label in STANCE_LABELS]
    total = sum(values)
    return tuple(v / total for v in values) if total > 0 and all(values) else (1 / len(STANCE_LABELS),) * 3


def _finish(items: LabelledPredictions, *, source: str, description: str, paths: list[str],
            manifest: Manifest) -> Calibration:
    from stancekit.evaluation import score_labelled

    items = _in_stance_order(items)
    where = ", ".join(paths) or description
    if len(items) < MIN_CALIBRATION:
        raise ConfigError(f"{where}: {len(items)} labelled mention(s), expected at least {MIN_CALIBRATION} to measure "
                          "the classifier's errors; label more (the Label Studio loop) or leave --calibration out")
    counts = Counter(items.gold)
    missing = [label for label in STANCE_LABELS if not counts[label]]
    if missing:
        print(f"warning: {where} has no {', '.join(missing)} mention: the classifier's errors on "
              f"{', '.join(missing)} cannot be measured there and are taken as none", file=sys.stderr)
    if len(items) < WARN_CALIBRATION:
        print(f"warning: {where}: only {len(items)} labelled mentions: the correction is rough and the intervals "
              "are wide; label more to narrow them", file=sys.stderr)
    f1 = score_labelled(items, per_actor=False)["f1_macro"]
    return Calibration(items, source, description, paths, f1, {label: counts[label] for label in STANCE_LABELS},
                       training_prior(manifest))


def heldout_calibration(model_dir: Path) -> Calibration | str:
    """The model folder's own held-out predictions, or why they cannot serve (none: an older stancekit; too few)."""
    manifest = Manifest.read(model_dir)
    path = model_dir / HELDOUT_FILE
    if not manifest.heldout or not path.is_file():
        return "has no held-out predictions (trained by an older stancekit)"
    items = LabelledPredictions.read(path, manifest.labels)
    if len(items) < MIN_CALIBRATION:
        return f"has only {len(items)} held-out labelled mentions (at least {MIN_CALIBRATION} are needed)"
    split = manifest.heldout.get("split", "validation")
    return _finish(items, source="heldout", paths=[str(path)], manifest=manifest,
                   description=f"the model's own held-out {split} split ({len(items)} labelled mentions in "
                               f"{len(set(items.doc_ids))} documents the model did not train on)")


def file_calibration(paths: list[Path], *, model_dir: Path, data_format: str) -> Calibration:
    """The user's labelled mentions, scored with the model (in any format ``stancekit evaluate --data`` reads).

    Every split of a dataset folder is read except those the model was trained on (found by content in
    its manifest): labels the model learnt from would make its errors look smaller than they are.
    """
    from stancekit.examples import ExampleSet, detect_format, load_examples, split_names
    from stancekit.io import file_sha256
    from stancekit.models.heldout import score_examples
    from stancekit.models.loading import load_model

    manifest = Manifest.read(model_dir)
    trained_on = {source["sha256"] for source in manifest.data.get("train", []) if isinstance(source, dict)}
    examples = ExampleSet()
    for path in paths:
        if not path.exists():
            raise ConfigError(f"--calibration {path} does not exist; expected labelled mentions (a gold dataset "
                              "from `stancekit dataset build`, or a NewsMTSC file or folder)")
        fmt = detect_format(path) if data_format == "auto" else data_format
        if path.is_file():
            if file_sha256(path) in trained_on:
                raise ConfigError(f"--calibration {path}: the model {model_dir} was trained on this file; calibrate "
                                  "on labelled mentions it did not learn from (e.g. the test split)")
            examples.extend(load_examples([path], split="test", data_format=fmt))  # a file stands for itself
            continue
        for split in ("train", "validation", "test"):
            files = [path / name for name in split_names(split, fmt) if (path / name).is_file()]
            for file in files:
                if file_sha256(file) in trained_on:
                    print(f"note: --calibration skips {file}: the model was trained on it", file=sys.stderr)
                    continue
                examples.extend(load_examples([file], split=split, data_format=fmt))
    items = score_examples(load_model(model_dir, task="stance"), examples.examples)
    return _finish(items, source="file", paths=[s.path for s in examples.sources], manifest=manifest,
                   description=f"{len(items)} labelled mentions from {', '.join(str(p) for p in paths)}")
