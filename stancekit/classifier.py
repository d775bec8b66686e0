"""The public model API: ``load_model(path)`` and the :class:`Classifier` every stage predicts with.

A model directory (``models/<name>/``) holds ``stancekit.json`` (task, labels, input scheme, base
model, data fingerprints, metrics, versions), a model card ``README.md`` and either a transformer
(``save_pretrained`` weights and tokenizer plus ``head.safetensors``) or the scikit-learn baseline
(``baseline.json`` + ``baseline.npz``, no pickles).
"""

from __future__ import annotations

import json
import sys
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stancekit.errors import ConfigError
from stancekit.examples import TASK_LABELS
from stancekit.records import Sentence

MANIFEST = "stancekit.json"
FORMAT_VERSION = 1
KINDS = ("transformer", "baseline")


class Classifier(ABC):
    """A trained stance (per mention) or sentiment (per sentence) classifier."""

    def __init__(self, path: Path, manifest: dict[str, Any]):
        self.path = path
        self.manifest = manifest
        self.task: str = manifest["task"]
        self.labels: tuple[str, ...] = tuple(manifest["labels"])
        self.name: str = f"{path.name}@{manifest['fingerprint'][:8]}"

    def predict_stance(self, sentences: Sequence[Sentence]) -> list[list[dict[str, float]]]:
        """For each sentence, one {label: probability} per mention, in the order of ``sentence.mentions``."""
        self._require_task("stance")
        return [[self._as_dict(row) for row in probs] for probs in self.mention_probabilities(sentences)]

    def predict_sentiment(self, sentences: Sequence[Sentence]) -> list[dict[str, float]]:
        """For each sentence, {label: probability} of its overall sentiment."""
        self._require_task("sentiment")
        return [self._as_dict(row) for row in self.sentence_probabilities(sentences)]

    @abstractmethod
    def mention_probabilities(self, sentences: Sequence[Sentence]) -> list[np.ndarray]:
        """Per sentence, an array (mentions x labels) of probabilities in ``self.labels`` order."""

    @abstractmethod
    def sentence_probabilities(self, sentences: Sequence[Sentence]) -> np.ndarray:
        """An array (sentences x labels) of probabilities in ``self.labels`` order."""

    def _require_task(self, task: str) -> None:
        if self.task != task:
            other = "predict_sentiment" if self.task == "sentiment" else "predict_stance"
            raise ConfigError(f"{self.path} is a {self.task} model, asked for {task}; use {other} or load a "
                              f"{task} model")

    def _as_dict(self, row: np.ndarray) -> dict[str, float]:
        return {label: float(p) for label, p in zip(self.labels, row)}


def read_manifest(path: Path) -> dict[str, Any]:
    """Read and check ``stancekit.json``; a missing/partial/mismatched directory is a ConfigError."""
    if not path.is_dir():
        raise ConfigError(f"model directory {path} does not exist; train one with 'stancekit train' "
                          "or pass the folder it wrote")
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise ConfigError(f"{path} is not a stancekit model: {MANIFEST} is missing (a partial or foreign "
                          "directory?); retrain with 'stancekit train' or pass the right folder")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{manifest_path}: broken JSON ({exc.msg}); the model directory is damaged, retrain it")
    missing = [key for key in ("format_version", "kind", "task", "labels", "fingerprint") if key not in manifest]
    if missing:
        raise ConfigError(f"{manifest_path}: missing {', '.join(missing)}; the model directory is damaged, retrain it")
    if manifest["format_version"] != FORMAT_VERSION:
        raise ConfigError(f"{manifest_path}: model format {manifest['format_version']}, this stancekit reads "
                          f"format {FORMAT_VERSION}; use the stancekit version that trained it, or retrain")
    if manifest["kind"] not in KINDS:
        raise ConfigError(f"{manifest_path}: unknown model kind {manifest['kind']!r}, expected one of {KINDS}")
    task, labels = manifest["task"], tuple(manifest["labels"])
    if task not in TASK_LABELS:
        raise ConfigError(f"{manifest_path}: unknown task {task!r}, expected one of {tuple(TASK_LABELS)}")
    if set(labels) != set(TASK_LABELS[task]):
        raise ConfigError(f"{manifest_path}: label-scheme mismatch: the model's {task} labels are {list(labels)}, "
                          f"this stancekit uses {list(TASK_LABELS[task])}; retrain the model")
    return manifest


def require_files(path: Path, names: Sequence[str]) -> None:
    """A model directory missing any of ``names`` is partial: say which files and what to do."""
    missing = [name for name in names if not (path / name).is_file()]
    if missing:
        raise ConfigError(f"{path} is a partial model directory: {', '.join(missing)} missing; "
                          "retrain with 'stancekit train' (an interrupted run leaves no partial output)")


def warn_versions(manifest: dict[str, Any], current: dict[str, str]) -> None:
    """Warn (stderr) when a library's major version differs from the one that saved the model."""
    for lib, now in current.items():
        then = manifest.get("versions", {}).get(lib)
        if then and then.split(".")[0] != now.split(".")[0]:
            print(f"warning: model saved with {lib} {then}, running {lib} {now}; predictions may differ",
                  file=sys.stderr)


def load_model(path: str | Path, *, device: str = "auto", batch_size: int = 64) -> Classifier:
    """Load a trained model directory (transformer or baseline, as its ``stancekit.json`` says)."""
    path = Path(path)
    if batch_size < 1:
        raise ConfigError(f"batch size must be at least 1, got {batch_size}")
    manifest = read_manifest(path)
    if manifest["kind"] == "baseline":
        from stancekit.baseline import BaselineClassifier

        return BaselineClassifier.load(path, manifest)
    from stancekit.transformer_model import TransformerClassifier

    return TransformerClassifier.load(path, manifest, device=device, batch_size=batch_size)
