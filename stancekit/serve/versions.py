"""Model versions of a served model: ``<model dir>/versions/<version>/``, one model folder each.

The version string is the folder name and what Label Studio shows as ``model_version``:
``<name>@<fingerprint 8>`` for the model given to ``stancekit serve`` and
``<name>-r<N>@<fingerprint 8>`` for the N-th retraining. ``versions/current.json`` names the
version being served (and the model it was retrained from), so that a restarted server serves
the last accepted one.

One server per versions folder: :meth:`VersionStore.claim` holds the project's output lock on the
folder for the server's life, and :meth:`VersionStore.retraining` holds a second one for the life
of a retraining process (which may outlive a killed server), so that two runs never number,
stage or switch versions in one folder at once.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stancekit.errors import ConfigError, OutputError
from stancekit.io import atomic_write, output_lock
from stancekit.models.manifest import MANIFEST, Manifest

CURRENT = "current.json"
RETRAINING = "retraining"  # what the retraining lock guards: numbering, staging and renaming versions
_RETRAINED = re.compile(r"-r(\d+)@[0-9a-f]{8}$")
_STAGING = re.compile(r"^\.r\d+\.training$")


@dataclass(frozen=True)
class Version:
    name: str
    path: Path


def base_version(model_dir: Path) -> Version:
    """The version string of the model folder given to ``stancekit serve``."""
    return Version(f"{model_dir.name}@{Manifest.read(model_dir).fingerprint[:8]}", model_dir)


class VersionStore:
    """The versions folder of one served model: which version is current, what the next one is called."""

    def __init__(self, model_dir: Path, root: Path | None = None, *, root_flag: str = "--versions-dir"):
        self.model_dir = Path(model_dir)
        self.root = Path(root) if root is not None else self.model_dir / "versions"
        self.root_flag = root_flag  # the option that gives a server its own folder (named in errors)

    @contextlib.contextmanager
    def claim(self) -> Iterator[None]:
        """Hold the versions folder for one server; OutputError naming the holder's pid if another has it."""
        with contextlib.ExitStack() as held:
            try:
                held.enter_context(output_lock(self.root))
            except OutputError as err:
                raise OutputError(self.root, err.reason, hint=f"{err.hint}; one stancekit serve per versions folder: "
                                  f"stop the other, or give this server its own with {self.root_flag} FOLDER") from None
            yield

    @contextlib.contextmanager
    def retraining(self) -> Iterator[None]:
        """Hold the right to number and stage new versions (a retraining process); stale staging folders go."""
        with contextlib.ExitStack() as held:
            try:
                held.enter_context(output_lock(self.root / RETRAINING))
            except OutputError as err:
                raise OutputError(self.root, f"cannot start a retraining: {err.reason}",
                                  hint="a run left going by an earlier, killed server keeps the folder until it "
                                       "ends: wait for it (or stop it), then start training again") from None
            for entry in self.root.iterdir():
                if _STAGING.match(entry.name) and entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)  # left by a killed run; nobody else may stage now
            yield

    def current(self) -> Version:
        """The version named in current.json, else the given model (ConfigError if the pointer is damaged)."""
        path = self.root / CURRENT
        if not path.exists():
            return base_version(self.model_dir)
        base = base_version(self.model_dir)
        fix = f"delete {path} to serve {self.model_dir} ({base.name}) again"
        try:
            pointer: Any = json.loads(path.read_bytes())
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the version pointer ({exc.strerror}); {fix}") from None
        except (ValueError, RecursionError):  # not JSON, not UTF-8
            raise ConfigError(f"{path}: the version pointer is not JSON; {fix}") from None
        name = pointer.get("version") if isinstance(pointer, dict) else None
        if not isinstance(name, str) or not _plain_name(name):
            raise ConfigError(f"{path}: expected {{\"version\": \"<folder name in {self.root}>\"}}, found "
                              f"{_short(pointer)}; {fix}")
        retrained_from = pointer.get("model")
        if retrained_from is not None and retrained_from != base.name:
            raise ConfigError(f"{path}: the versions in {self.root} were retrained from {_short(retrained_from)}, "
                              f"not from the model given ({base.name}); give this model its own folder with "
                              f"{self.root_flag} FOLDER, or {fix}")
        if name == base.name:
            return base
        folder = self.root / name
        if not (folder / MANIFEST).is_file():
            raise ConfigError(f"{path} names version {name!r}, but {folder} is not a model folder; {fix}")
        return Version(name, folder)

    def set_current(self, version: Version) -> None:
        with atomic_write(self.root / CURRENT) as handle:
            json.dump({"version": version.name, "model": base_version(self.model_dir).name}, handle)

    def next_number(self) -> int:
        numbers = [int(m.group(1)) for p in self.root.glob("*@*") if (m := _RETRAINED.search(p.name))]
        return max(numbers, default=0) + 1

    def name_for(self, number: int, fingerprint: str) -> str:
        return f"{self.model_dir.name}-r{number}@{fingerprint[:8]}"


def _plain_name(name: str) -> bool:
    """A version folder's name: one path component inside the versions folder, never '..' or a path."""
    return bool(name) and name not in (".", "..") and Path(name).name == name and "\\" not in name \
        and "\x00" not in name


def _short(value: Any, limit: int = 80) -> str:
    shown = repr(value)
    return shown if len(shown) <= limit else shown[:limit] + "..."
