"""Where tagged numbers come from: written by ``stancekit tag`` beside its output, read by ``stancekit report``.

``<output>.provenance.json`` (e.g. ``tags.jsonl.provenance.json``; a Parquet output also carries it in
its file metadata under :data:`PARQUET_KEY`) records the stancekit version, the model (folder, name,
fingerprint, held-out macro-F1), how it ran (precision, recheck), the actor dictionary's SHA-256, the
inputs (each file's size and SHA-256) and the start and end time. This module is its one owner.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stancekit.errors import InputError
from stancekit.io import atomic_write, file_sha256

if TYPE_CHECKING:
    from stancekit.models.base import Predictor

SUFFIX = ".provenance.json"
PARQUET_KEY = b"stancekit.provenance"
FORMAT_VERSION = 1


def provenance_path(output: str | Path) -> Path:
    """The provenance file of a tag output: ``tags.jsonl`` -> ``tags.jsonl.provenance.json``."""
    output = Path(output)
    return output.with_name(output.name + SUFFIX)


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def model_record(predictor: Predictor) -> dict[str, Any]:
    """What identifies a loaded model: folder, name, fingerprint, kind and its held-out figures."""
    manifest = predictor.manifest
    record: dict[str, Any] = {"path": str(Path(predictor.path).resolve()) if predictor.path else None,
                              "name": predictor.name, "task": predictor.task}
    if manifest is not None:
        validation = manifest.metrics.get("validation", {})
        record |= {"fingerprint": manifest.fingerprint, "kind": manifest.kind, "base_model": manifest.base_model,
                   "heldout_f1_macro": validation.get("f1_macro"), "heldout_items": validation.get("n"),
                   "heldout_predictions": manifest.heldout.get("file")}
    return record


def inputs_record(files: list[Path]) -> dict[str, Any]:
    """Each input file's path, size and SHA-256, and one digest over all of them."""
    listed = [{"path": str(p.resolve()), "size": p.stat().st_size, "sha256": file_sha256(p)} for p in files]
    digest = hashlib.sha256("".join(f"{f['sha256']} {f['size']}\n" for f in listed).encode()).hexdigest()
    return {"sha256": digest, "files": listed}


@dataclass
class Provenance:
    """The facts behind one tag output."""

    stancekit_version: str
    started: str
    finished: str
    model: dict[str, Any]
    runtime: dict[str, Any]
    actors: dict[str, Any]  # path, sha256
    inputs: dict[str, Any]  # sha256, files
    output: dict[str, Any]  # path, format, documents, sentences, mentions, skipped
    sentiment_model: dict[str, Any] | None = None
    format_version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {"format_version": data.pop("format_version"), **data, **data.pop("extra")}

    def to_json(self, *, timeless: bool = False) -> str:
        """The record as JSON; ``timeless`` leaves out the start and end time (for Parquet metadata, so
        that re-running a job writes the same bytes)."""
        data = self.to_dict()
        if timeless:
            del data["started"], data["finished"]
        return json.dumps(data, indent=1, ensure_ascii=False)

    def write(self, path: Path) -> None:
        with atomic_write(path) as handle:
            handle.write(self.to_json() + "\n")

    @classmethod
    def from_dict(cls, raw: Any, *, source: Path) -> "Provenance":
        required = ("stancekit_version", "model", "actors", "inputs", "output")
        if not isinstance(raw, dict) or any(key not in raw for key in required):
            found = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
            raise InputError(source, f"not a stancekit provenance record: expected keys {list(required)}, "
                             f"found {found}", hint="write the tags again with `stancekit tag`")
        if raw.get("format_version") != FORMAT_VERSION:
            raise InputError(source, f"provenance format {raw.get('format_version')!r}, this stancekit reads "
                             f"{FORMAT_VERSION}", hint="use the stancekit version that wrote it, or tag again")
        for key in ("model", "actors", "inputs", "output"):
            if not isinstance(raw[key], dict):
                raise InputError(source, f"provenance '{key}' must be an object, found {raw[key]!r}")
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        values = {k: v for k, v in raw.items() if k in known}
        values.setdefault("started", "")
        values.setdefault("finished", "")
        values.setdefault("runtime", {})
        return cls(**values, extra={k: v for k, v in raw.items() if k not in known})

    @classmethod
    def read(cls, path: Path) -> "Provenance":
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(path, f"broken provenance JSON ({exc})", hint="tag again to rewrite it") from None
        except OSError as exc:
            raise InputError(path, f"cannot be read ({exc.strerror})") from None
        return cls.from_dict(raw, source=path)


def read_for(tags: Path) -> Provenance | None:
    """The provenance of a tag output: its ``.provenance.json`` file, else Parquet metadata, else None."""
    path = provenance_path(tags)
    if path.is_file():
        return Provenance.read(path)
    if tags.suffix.lower() == ".parquet" and tags.is_file():
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            metadata = pq.read_schema(tags).metadata or {}
        except (pa.ArrowException, OSError):
            return None  # the tag reader names the damage
        if PARQUET_KEY in metadata:
            try:
                raw = json.loads(metadata[PARQUET_KEY].decode("utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise InputError(tags, f"broken provenance in the Parquet metadata ({exc})") from None
            return Provenance.from_dict(raw, source=tags)
    return None
