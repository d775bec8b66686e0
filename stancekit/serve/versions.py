"""Model versions of a served model: ``<model dir>/versions/<version>/``, one model folder each.

The version string is the folder name and what Label Studio shows as ``model_version``:
``<name>@<fingerprint 8>`` for the model given to ``stancekit serve`` and
``<name>-r<N>@<fingerprint 8>`` for the N-th retraining. ``versions/current.json`` names the
version being served, so that a restarted server serves the last accepted one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from stancekit.models.manifest import MANIFEST, Manifest
from stancekit.errors import ConfigError
from stancekit.io import atomic_write

CURRENT = "current.json"
_RETRAINED = re.compile(r"-r(\d+)@[0-9a-f]{8}$")


@dataclass(frozen=True)
class Version:
    name: str
    path: Path


def base_version(model_dir: Path) -> Version:
    """The version string of the model folder given to ``stancekit serve``."""
    return Version(f"{model_dir.name}@{Manifest.read(model_dir).fingerprint[:8]}", model_dir)


class VersionStore:
    """The versions folder of one served model: which version is current, what the next one is called."""

    def __init__(self, model_dir: Path, root: Path | None = None):
        self.model_dir = Path(model_dir)
        self.root = Path(root) if root is not None else self.model_dir / "versions"

    def current(self) -> Version:
        """The version named in current.json, else the given model."""
        path = self.root / CURRENT
        if not path.is_file():
            return base_version(self.model_dir)
        try:
            name = json.loads(path.read_text(encoding="utf-8"))["version"]
        except (json.JSONDecodeError, KeyError):
            raise ConfigError(f"{path}: broken version pointer; delete it to serve {self.model_dir} again") from None
        folder = self.root / name
        if not (folder / MANIFEST).is_file():
            raise ConfigError(f"{path} names version {name!r}, but {folder} is not a model folder; "
                              f"delete {path} to serve {self.model_dir} again")
        return Version(name, folder)

    def set_current(self, version: Version) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        with atomic_write(self.root / CURRENT) as handle:
            json.dump({"version": version.name}, handle)

    def next_number(self) -> int:
        numbers = [int(m.group(1)) for p in self.root.glob("*@*") if (m := _RETRAINED.search(p.name))]
        return max(numbers, default=0) + 1

    def name_for(self, number: int, fingerprint: str) -> str:
        return f"{self.model_dir.name}-r{number}@{fingerprint[:8]}"
