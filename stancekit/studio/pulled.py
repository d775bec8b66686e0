"""A folder written by ``stancekit ls pull``: its layout, where it goes by default, and the dictionary it was
parsed with. Light to import (the command line's settings use it)::

    raw/export-<UTC time>.json        the export, byte for byte as Label Studio sent it
    raw/export-<UTC time>.users.json  annotator ids -> e-mails at that time
    raw/export-<UTC time>.config.xml  the project's labeling config then (its control names are read back)
    tasks.jsonl                       one sentence record per task, with its task_key
    annotations.jsonl                 annotation records (see stancekit.studio.parse)
    unknown-actors.jsonl              annotated spans the actor dictionary does not know
    stancekit-pull.json               which export was parsed, with which actor dictionary (path, sha256)
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from stancekit.errors import ConfigError
from stancekit.io import file_sha256
from stancekit.paths import PathRule

TASKS_FILE = "tasks.jsonl"
ANNOTATIONS_FILE = "annotations.jsonl"
UNKNOWN_FILE = "unknown-actors.jsonl"
MANIFEST_FILE = "stancekit-pull.json"
PULLED = PathRule("folder", "a folder written by `stancekit ls pull` (tasks.jsonl, annotations.jsonl)")


def slug(title: str) -> str:
    """A folder name for a project title."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "project"


def require_pulled(folder: Path, project: str | None = None) -> None:
    """A ConfigError unless ``folder`` holds a pull's tasks and annotation records."""
    for name in (TASKS_FILE, ANNOTATIONS_FILE):
        if not (folder / name).is_file():
            do = (f"run stancekit ls pull --project {project!r} first" if project
                  else "expected a folder written by stancekit ls pull")
            raise ConfigError(f"{folder / name} not found; {do}")


def pulled_actors(pulled_dir: Path) -> Path:
    """The actor dictionary that the records in ``pulled_dir`` were parsed with, unchanged since."""
    manifest = pulled_dir / MANIFEST_FILE
    if not manifest.is_file():
        raise ConfigError(f"{manifest} not found: {pulled_dir} was pulled by an older stancekit; pass --actors, "
                          "or pull again")
    used = json.loads(manifest.read_text(encoding="utf-8"))["actors"]
    if used is None:
        raise ConfigError(f"{pulled_dir} was pulled without an actor dictionary; pass --actors FILE (and pull "
                          "again with it so that 'other' spans are mapped)")
    path = Path(os.path.normpath(pulled_dir / used["path"]))
    if not path.is_file():
        raise ConfigError(f"the actor dictionary {path} that {pulled_dir} was pulled with is gone; pass --actors")
    if file_sha256(path) != used["sha256"]:
        raise ConfigError(f"the actor dictionary {path} changed since {pulled_dir} was pulled; pull again (or "
                          f"stancekit ls parse the saved export with --actors {path}) so that the records match "
                          "it, or pass --actors to use it as it is")
    return path
