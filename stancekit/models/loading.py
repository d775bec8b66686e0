"""``load_model(path, options)``: a model folder of any kind, ready to predict as the options say."""

from __future__ import annotations

from pathlib import Path

from stancekit.errors import ModelError
from stancekit.models.base import Classifier, Predictor
from stancekit.models.manifest import TRANSFORMER_FILES, TRANSFORMER_WEIGHTS, Manifest, verify_files
from stancekit.models.options import InferenceOptions


def classifier_class(kind: str) -> type[Classifier]:
    """The class of a model kind (imported on demand: the baseline needs no torch)."""
    if kind == "baseline":
        from stancekit.models.baseline import BaselineClassifier

        return BaselineClassifier
    from stancekit.models.transformer import TransformerClassifier

    return TransformerClassifier


def load_model(path: str | Path, options: InferenceOptions | None = None, *, task: str | None = None) -> Predictor:
    """Load a trained model folder (its ``stancekit.json`` says which kind) and apply ``options``.

    The folder's files are checked against the manifest first (:func:`verify_files`): a missing,
    truncated or altered file is a :class:`~stancekit.errors.ModelError`, and so is a model of another
    ``task`` than the one asked for ("stance" or "sentiment"; None: either), before any weights load.
    A transformer runs as :func:`stancekit.models.runtime.load_transformer` chooses (ONNX Runtime or
    torch, fp32 or int8); the predictor's ``runtime`` dict says how it runs.
    """
    options = options or InferenceOptions()
    path = Path(path)
    manifest = Manifest.read(path)
    if task is not None and manifest.task != task:
        raise ModelError(path, f"a {manifest.task} model, where a {task} model is expected",
                         hint=f"pass a {task} model folder (stancekit train --task {task})")
    if manifest.kind == "transformer":
        from stancekit.models.runtime import load_transformer

        verify_files(path, manifest, TRANSFORMER_FILES, TRANSFORMER_WEIGHTS)
        return load_transformer(path, manifest, options)
    kind = classifier_class(manifest.kind)
    verify_files(path, manifest, kind.required_files, kind.weight_files)
    model = kind.load(path, manifest, options)
    model.runtime = {"backend": "scikit-learn", "precision": "fp32", "chosen_by": f"a {manifest.kind} model"}
    return model
