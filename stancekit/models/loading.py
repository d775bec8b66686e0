"""``load_model(path, options)``: a model folder of any kind, ready to predict as the options say."""

from __future__ import annotations

from pathlib import Path

from stancekit.errors import ModelError
from stancekit.models.base import Classifier, Predictor
from stancekit.models.manifest import Manifest, verify_files
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
    With ``precision="int8"`` a transformer is quantized, and sentences it is unsure of are redone in
    fp32 (``recheck_margin``).
    """
    options = options or InferenceOptions()
    path = Path(path)
    manifest = Manifest.read(path)
    if task is not None and manifest.task != task:
        raise ModelError(path, f"a {manifest.task} model, where a {task} model is expected",
                         hint=f"pass a {task} model folder (stancekit train --task {task})")
    kind = classifier_class(manifest.kind)
    verify_files(path, manifest, kind.required_files, kind.weight_files)
    classifier = kind.load(path, manifest, options)
    if options.precision == "int8":
        from stancekit.models.quantization import int8_classifier

        return int8_classifier(classifier, recheck_margin=options.recheck_margin)
    return classifier
