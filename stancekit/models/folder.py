"""The one writer of model folders: weights, held-out predictions, ``stancekit.json`` and the model card.

A folder is built beside its target and moved in only when complete, so a failed or killed run
leaves the previous model as it was (:func:`write_model_folder`). Later facts about a saved model
(serve's retraining comparison) go through :func:`amend_manifest`, which rewrites the manifest and
the card together.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stancekit.io import FILE_MODE, file_sha256
from stancekit.models.heldout import HELDOUT_FILE
from stancekit.models.manifest import Manifest, describe_files

if TYPE_CHECKING:
    from stancekit.models.base import Classifier
    from stancekit.models.heldout import LabelledPredictions


def replace_dir(source: Path, target: Path) -> None:
    """Move ``source`` to ``target``, replacing an older ``target`` only once the new one is in place."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    source.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def heldout_summary(heldout: LabelledPredictions, split: str) -> dict[str, Any]:
    """What the manifest says of the held-out predictions: file, split, size."""
    return {"file": HELDOUT_FILE, "split": split, "items": len(heldout),
            "documents": len(set(heldout.doc_ids))}


def write_model_folder(output: Path, classifier: Classifier, *, heldout: LabelledPredictions | None,
                       heldout_split: str = "validation", **manifest_fields: Any) -> Manifest:
    """Save ``classifier`` with its held-out predictions, manifest and card as the folder ``output``.

    ``manifest_fields`` are the :class:`Manifest` fields the caller knows (task, labels, created, data,
    training, metrics, versions); kind, input scheme, fingerprint, the file list and the model's own
    fields (:meth:`Classifier.manifest_fields`) are filled in here.
    """
    from stancekit.model_card import write_model_card

    output.parent.mkdir(parents=True, exist_ok=True)
    staging = output.with_name(f".{output.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        classifier.save(staging)
        for written in staging.rglob("*"):  # safetensors writes 0600; every file gets the umask's mode
            if written.is_file():
                written.chmod(FILE_MODE)
        summary: dict[str, Any] = {}
        if heldout is not None and len(heldout):
            heldout.write(staging / HELDOUT_FILE)
            summary = heldout_summary(heldout, heldout_split)
        manifest = Manifest(
            kind=classifier.kind, input_scheme=classifier.input_scheme,
            fingerprint=file_sha256(*(staging / name for name in classifier.weight_files)),
            files=describe_files(staging), heldout=summary, **manifest_fields, **classifier.manifest_fields())
        manifest.write(staging)
        write_model_card(staging, manifest)
        replace_dir(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def amend_manifest(folder: Path, **extra: Any) -> Manifest:
    """Add facts (``extra`` keys) to a saved model's manifest and rewrite its card to match."""
    from stancekit.model_card import write_model_card

    manifest = Manifest.read(folder)
    manifest.extra.update(extra)
    manifest.write(folder)
    write_model_card(folder, manifest)
    return manifest
