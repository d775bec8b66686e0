"""``stancekit ls pull``: the full JSON export saved verbatim first, then parsed into records.

Layout of ``datasets/<project>/``::

    raw/export-<UTC time>.json        the export, byte for byte as Label Studio sent it
    raw/export-<UTC time>.users.json  annotator ids -> e-mails at that time
    raw/export-<UTC time>.config.xml  the project's labeling config then (its control names are read back)
    tasks.jsonl                       one sentence record per task, with its task_key
    annotations.jsonl                 annotation records (see stancekit.studio.parse)
    unknown-actors.jsonl              annotated spans the actor dictionary does not know
    stancekit-pull.json               which export was parsed, with which actor dictionary (path, sha256)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from stancekit.actors import ActorDictionary
from stancekit.errors import ConfigError
from stancekit.io import atomic_write, file_sha256, write_jsonl
from stancekit.options import ACTORS, OUTPUT_DIR, PROJECT, check_fields, nested, option
from stancekit.paths import PathRule
from stancekit.studio.client import StudioClient, StudioError
from stancekit.studio.connection import StudioConnection
from stancekit.studio.controls import DEFAULT_CONTROLS, Controls, controls_from_config
from stancekit.studio.parse import ParsedExport, parse_export

TASKS_FILE = "tasks.jsonl"
ANNOTATIONS_FILE = "annotations.jsonl"
UNKNOWN_FILE = "unknown-actors.jsonl"
MANIFEST_FILE = "stancekit-pull.json"
PULLED = PathRule("folder", "a folder written by `stancekit ls pull` (tasks.jsonl, annotations.jsonl)")


def slug(title: str) -> str:
    """A folder name for a project title."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "project"


@dataclass
class PullConfig:
    """Which project to export, where to keep it, and the dictionary for annotator-added spans."""

    project: str = PROJECT()
    out_dir: Path | None = OUTPUT_DIR(None)  # default: datasets/<slug of project>
    actors: Path | None = ACTORS(None)
    studio: StudioConnection = nested(StudioConnection)

    def __post_init__(self) -> None:
        if not self.project.strip():
            raise ConfigError("no project given: expected the Label Studio project title")
        check_fields(self)
        if self.out_dir is None:
            self.out_dir = Path("datasets") / slug(self.project)


@dataclass
class ParseConfig:
    """Which saved export to parse again (offline), into which folder, with which dictionary."""

    export: Path = option(help="A saved full JSON export (raw/export-*.json of a pulled folder).", argument=True,
                          metavar="FILE", path=PathRule("file", "a full JSON export of Label Studio", stream=True))
    out_dir: Path = OUTPUT_DIR()
    actors: Path | None = ACTORS(None)

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass
class PullResult:
    raw_path: Path
    parsed: ParsedExport
    out_dir: Path


def users_path(raw: Path) -> Path:
    return raw.with_name(raw.stem + ".users.json")


def config_path(raw: Path) -> Path:
    """Where the project's labeling config is kept beside an export."""
    return raw.with_name(raw.stem + ".config.xml")


class SnapshotProgress:
    """The snapshot's build (time waited) and download (bytes) on stderr: tqdm bars, on a terminal only."""

    FORMATS = {"building": "building the export snapshot: {elapsed}",
               "downloading": "downloading the export: {n_fmt}B [{elapsed}, {rate_fmt}]"}

    def __init__(self) -> None:
        self.stage: str | None = None
        self.bar: Any = None

    def __call__(self, stage: str, amount: float) -> None:
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(bar_format=self.FORMATS[stage], unit="B", unit_scale=True, disable=None)
        self.bar.n = amount
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> SnapshotProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def download(client: StudioClient, project: dict[str, Any], raw_dir: Path, *,
             progress: Callable[[str, float], None] | None = None) -> Path:
    """Save the export verbatim (atomically: a killed download leaves no file), the users map and the project's
    labeling config."""
    project_id = project["id"]
    raw_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    raw = raw_dir / f"export-{stamp}.json"
    partial = raw.with_name(f".{raw.name}.partial")
    try:
        client.export_snapshot(project_id, partial, progress=progress)
        users = client.users()
        os.replace(partial, raw)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    with atomic_write(users_path(raw)) as handle:
        json.dump({str(k): v for k, v in sorted(users.items())}, handle, indent=1)
    if project.get("label_config"):
        with atomic_write(config_path(raw)) as handle:
            handle.write(project["label_config"])
    return raw


def read_users(raw: Path) -> dict[int, str]:
    """The users map saved beside an export (empty when there is none: annotators become user-<id>)."""
    path = users_path(raw)
    if not path.is_file():
        return {}
    return {int(k): v for k, v in json.loads(path.read_text(encoding="utf-8")).items()}


def read_controls(raw: Path) -> Controls:
    """The control names of the labeling config saved beside an export (stancekit's own when there is none)."""
    path = config_path(raw)
    if not path.is_file():
        return DEFAULT_CONTROLS
    try:
        return controls_from_config(path.read_text(encoding="utf-8"))
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None


def parse_saved(raw: Path, out_dir: Path, *, actors: Path | None = None) -> ParsedExport:
    """Parse a saved export and write tasks, annotation records, unknown actors and the manifest (atomically)."""
    dictionary = ActorDictionary.load(actors) if actors is not None else None
    parsed = parse_export(raw, users=read_users(raw), dictionary=dictionary, controls=read_controls(raw))
    write_jsonl(parsed.tasks, out_dir / TASKS_FILE)
    write_jsonl(parsed.records, out_dir / ANNOTATIONS_FILE)
    write_jsonl(parsed.unknown_actors, out_dir / UNKNOWN_FILE)
    here = Path(out_dir).resolve()  # paths relative to the folder: it may be moved or committed with its sources
    used = None if actors is None else {"path": os.path.relpath(Path(actors).resolve(), here),
                                        "sha256": file_sha256(actors)}
    with atomic_write(out_dir / MANIFEST_FILE) as handle:
        json.dump({"export": os.path.relpath(Path(raw).resolve(), here), "actors": used}, handle, indent=1)
    return parsed


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


def pull(config: PullConfig, client: StudioClient, *,
         progress: Callable[[str, float], None] | None = None) -> PullResult:
    """Export the project, keep the raw export, and parse it into records (``progress``: see export_snapshot)."""
    project = client.find_project(config.project)
    if project is None:
        raise StudioError(f"no project titled {config.project!r} on {client.url}; check the title "
                          "(stancekit ls push creates it)")
    raw = download(client, project, config.out_dir / "raw", progress=progress)
    parsed = parse_saved(raw, config.out_dir, actors=config.actors)
    return PullResult(raw, parsed, config.out_dir)
