"""What every stage predicts with: a :class:`Predictor` (stance per mention, or sentiment per sentence),
and the :class:`Classifier` kinds that are fitted, saved and loaded (a Predictor with a model folder)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from stancekit.errors import ConfigError
from stancekit.models.manifest import Manifest
from stancekit.models.options import InferenceOptions
from stancekit.records import Sentence


class Predictor(ABC):
    """Scores the mentions (stance) or the sentences (sentiment) of sentences.

    ``name`` identifies the model in outputs (Label Studio's ``model_version``, tag job fingerprints);
    ``runtime`` says how a loaded model runs (JSON-serialisable; see :mod:`stancekit.models.runtime`);
    ``parallel_batches`` is how many of its batches may run at once, each on its own thread (more than one
    only where each batch computes on one core without holding the GIL: ONNX Runtime; see
    :func:`stancekit.batching.map_batches`).
    """

    parallel_batches: int = 1

    def __init__(self, *, task: str, labels: Sequence[str], name: str, path: Path | None = None,
                 manifest: Manifest | None = None):
        self.task = task
        self.labels: tuple[str, ...] = tuple(labels)
        self.name = name
        self.path = path
        self.manifest = manifest
        self.runtime: dict[str, Any] = {}

    @abstractmethod
    def mention_probabilities(self, sentences: Sequence[Sentence]) -> list[np.ndarray]:
        """Per sentence, an array (mentions x labels) of probabilities in ``self.labels`` order."""

    @abstractmethod
    def sentence_probabilities(self, sentences: Sequence[Sentence]) -> np.ndarray:
        """An array (sentences x labels) of probabilities in ``self.labels`` order."""

    def predict_stance(self, sentences: Sequence[Sentence]) -> list[list[dict[str, float]]]:
        """For each sentence, one {label: probability} per mention, in the order of ``sentence.mentions``."""
        self._require_task("stance")
        return [[self._as_dict(row) for row in probs] for probs in self.mention_probabilities(sentences)]

    def predict_sentiment(self, sentences: Sequence[Sentence]) -> list[dict[str, float]]:
        """For each sentence, {label: probability} of its overall sentiment."""
        self._require_task("sentiment")
        return [self._as_dict(row) for row in self.sentence_probabilities(sentences)]

    def _require_task(self, task: str) -> None:
        if self.task != task:
            other = "predict_sentiment" if self.task == "sentiment" else "predict_stance"
            raise ConfigError(f"{self.path or self.name} is a {self.task} model, asked for {task}; use {other} or "
                              f"load a {task} model")

    def _as_dict(self, row: np.ndarray) -> dict[str, float]:
        return {label: float(p) for label, p in zip(self.labels, row)}


class Classifier(Predictor):
    """A model kind with ``fit`` (a classmethod of each kind), ``save`` and ``load`` side by side.

    A fitted classifier is unsaved (``path`` None, ``name`` ``unsaved-<kind>``); one loaded from its
    folder is named ``<folder name>@<fingerprint[:8]>``.
    """

    kind: ClassVar[str]
    weight_files: ClassVar[tuple[str, ...]]  # the weights :meth:`save` writes, fingerprinted in the manifest
    required_files: ClassVar[tuple[str, ...]]  # every file :meth:`load` needs (checked before loading)

    def __init__(self, *, task: str, labels: Sequence[str], input_scheme: str):
        super().__init__(task=task, labels=labels, name=f"unsaved-{self.kind}")
        self.input_scheme = input_scheme

    def _loaded_from(self, path: Path, manifest: Manifest) -> None:
        self.path, self.manifest = path, manifest
        self.name = f"{path.name}@{manifest.fingerprint[:8]}"

    @classmethod
    @abstractmethod
    def load(cls, path: Path, manifest: Manifest, options: InferenceOptions) -> "Classifier":
        """The classifier saved in ``path`` (whose manifest and files have been read and checked)."""

    @abstractmethod
    def save(self, path: Path) -> None:
        """Write :attr:`weight_files` into the folder ``path`` (the manifest is the caller's)."""

    @abstractmethod
    def manifest_fields(self) -> dict[str, Any]:
        """What the manifest records about this model: ``base_model``, ``max_length``, ``hyperparameters``."""
