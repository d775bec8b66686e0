"""Where the ONNX copies of a model folder live, and how they are checked and rebuilt.

The model folder stays the one format users see: its ONNX copies (:mod:`stancekit.models.onnx_graph`)
are a cache, built on first use and kept in ``<model>/.stancekit-cache/onnx-<key>-r<recipe>/`` (``key``: a digest of
the weights' fingerprint and of the folder's checked file digests, :func:`model_key`),
or, when the model folder is read-only, in the user's cache folder (``STANCEKIT_CACHE_DIR``, else the
platform's, e.g. ``~/.cache/stancekit``) under the same name. ``onnx.json`` in the cache folder records
the model key and the export recipe it was built from, the tokenizer's input names and every
file's size and SHA-256; a cache that does not match (damaged, cut short, from another model or an
older recipe) is rebuilt, with a note on stderr. A cache is written into a temporary folder beside
its place and renamed into it, so a killed export or two processes exporting at once leave no half
cache; superseded caches of the same model folder are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stancekit.errors import ModelError
from stancekit.io import file_sha256
from stancekit.models.manifest import CACHE_FOLDER, TRANSFORMER_FILES, Manifest

RECIPE = 6  # bump when the export or the int8 rewrite changes: older caches are then rebuilt
META = "onnx.json"
FP32, INT8, PROBE_FP32, PROBE_INT8 = "fp32.onnx", "int8.onnx", "probe-fp32.onnx", "probe-int8.onnx"
FILES = (FP32, INT8, PROBE_FP32, PROBE_INT8)


@dataclass(frozen=True)
class OnnxCache:
    """A checked cache folder: the graphs' input names, the tokenizer's (``model_input_names``) and its pad id."""

    folder: Path
    inputs: tuple[str, ...]
    tokenizer_inputs: tuple[str, ...]
    pad_token_id: int

    def file(self, name: str) -> Path:
        return self.folder / name


def model_key(manifest: Manifest) -> str:
    """What the copies are made from: the weights' fingerprint, the digests of the folder's files (checked
    against the folder on every load) and how they are read."""
    made_from = {"fingerprint": manifest.fingerprint, "files": {name: manifest.files.get(name) for name in
                                                                  TRANSFORMER_FILES},
                 "labels": manifest.labels, "input_scheme": manifest.input_scheme, "max_length": manifest.max_length}
    return hashlib.sha256(json.dumps(made_from, sort_keys=True).encode()).hexdigest()


def cache_name(manifest: Manifest) -> str:
    return f"onnx-{model_key(manifest)[:16]}-r{RECIPE}"


def user_cache_root() -> Path:
    """``STANCEKIT_CACHE_DIR``, else the platform's user cache folder for stancekit."""
    if os.environ.get("STANCEKIT_CACHE_DIR"):
        return Path(os.environ["STANCEKIT_CACHE_DIR"])
    import platformdirs

    return Path(platformdirs.user_cache_dir("stancekit"))


def places(model: Path, manifest: Manifest) -> list[Path]:
    """Where a model's cache may be, in order of preference: inside the model folder, then the user's cache."""
    return [model / CACHE_FOLDER / cache_name(manifest), user_cache_root() / cache_name(manifest)]


def check(folder: Path, manifest: Manifest) -> tuple[OnnxCache | None, str]:
    """The cache in ``folder`` if it is whole and was built from this model by this recipe; else (None, why).

    ``why`` is empty when there is no cache there at all.
    """
    meta_path = folder / META
    if not meta_path.is_file():
        return None, ""
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("model_key") != model_key(manifest) or meta.get("recipe") != RECIPE:
            return None, "built from another model or by an older stancekit"
        for name in FILES:
            expected, path = meta["files"][name], folder / name
            if not path.is_file() or path.stat().st_size != expected["size"]:
                return None, f"{name} is missing or cut short"
            if file_sha256(path) != expected["sha256"]:
                return None, f"{name} is altered"
        return OnnxCache(folder, tuple(meta["inputs"]), tuple(meta["tokenizer_inputs"]), int(meta["pad_token_id"])), ""
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return None, f"{META} is unreadable ({exc})"


Builder = Callable[[Path], dict[str, Any]]  # writes FILES into a folder; returns the rest of META


def find_or_build(model: Path, manifest: Manifest, build: Builder) -> OnnxCache:
    """The model's checked cache, built (or rebuilt) with ``build`` where none is usable."""
    notes = []
    for folder in places(model, manifest):
        found, why = check(folder, manifest)
        if found is not None:
            return found
        if why:
            notes.append(f"{folder}: {why}")
    if notes:
        print(f"note: rebuilding the ONNX copy of {model} ({'; '.join(notes)})", file=sys.stderr)
    failures = []
    for i, folder in enumerate(places(model, manifest)):
        try:
            return _build_into(folder, manifest, build, in_model_folder=i == 0)
        except OSError as exc:
            failures.append(f"{folder.parent}: {exc.strerror or exc}")
    raise ModelError(model, f"no writable place for its ONNX copy ({'; '.join(failures)})", file=CACHE_FOLDER)


def _build_into(folder: Path, manifest: Manifest, build: Builder, *, in_model_folder: bool) -> OnnxCache:
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        extra = build(work)
        meta = {"model_key": model_key(manifest), "recipe": RECIPE, **extra,
                "files": {name: {"size": (work / name).stat().st_size, "sha256": file_sha256(work / name)}
                          for name in FILES}}
        (work / META).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        if folder.exists():  # a damaged or stale cache under the same name
            shutil.rmtree(folder)
        try:
            os.rename(work, folder)
        except OSError:
            found, _ = check(folder, manifest)  # another process published the same cache first
            if found is None:
                raise
            return found
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    if in_model_folder:  # superseded copies of this model folder (retrained in place, older recipes)
        for other in folder.parent.glob("onnx-*"):
            if other != folder:
                shutil.rmtree(other, ignore_errors=True)
    found, why = check(folder, manifest)
    if found is None:
        raise ModelError(folder, f"the ONNX copy just written does not check out ({why})", file=META)
    return found
