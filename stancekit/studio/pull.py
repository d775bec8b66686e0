"""``stancekit ls pull``: the full JSON export saved verbatim first, then parsed into records.

Layout of ``datasets/<project>/``::

    raw/export-<UTC time>.json        the export, byte for byte as Label Studio sent it
    raw/export-<UTC time>.users.json  annotator ids -> e-mails at that time
    tasks.jsonl                       one sentence record per task, with its task_key
    annotations.jsonl                 annotation records (see stancekit.studio.parse)
    unknown-actors.jsonl              annotated spans the actor dictionary does not know
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from stancekit.actors import ActorDictionary
from stancekit.errors import ConfigError
from stancekit.io import atomic_write, write_jsonl
from stancekit.studio.client import StudioClient, StudioError
from stancekit.studio.parse import ParsedExport, parse_export

TASKS_FILE = "tasks.jsonl"
ANNOTATIONS_FILE = "annotations.jsonl"
UNKNOWN_FILE = "unknown-actors.jsonl"


def slug(title: str) -> str:
    """A folder name for a project title."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "project"


@dataclass
class PullConfig:
    """Which project to export, where to keep it, and the dictionary for annotator-added spans."""

    project: str
    out_dir: Path | None = None  # default: datasets/<slug of project>
    actors: Path | None = None

    def __post_init__(self) -> None:
        if not self.project.strip():
            raise ConfigError("no project given: expected the Label Studio project title")
        self.out_dir = Path(self.out_dir) if self.out_dir is not None else Path("datasets") / slug(self.project)
        if self.actors is not None:
            self.actors = Path(self.actors)


@dataclass
class PullResult:
    raw_path: Path
    parsed: ParsedExport
    out_dir: Path


def users_path(raw: Path) -> Path:
    return raw.with_name(raw.stem + ".users.json")


def download(client: StudioClient, project_id: int, raw_dir: Path) -> Path:
    """Save the export verbatim (atomically: a killed download leaves no file) and the users map."""
    raw_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    raw = raw_dir / f"export-{stamp}.json"
    partial = raw.with_name(f".{raw.name}.partial")
    try:
        client.export_snapshot(project_id, partial)
        users = client.users()
        os.replace(partial, raw)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    with atomic_write(users_path(raw)) as handle:
        json.dump({str(k): v for k, v in sorted(users.items())}, handle, indent=1)
    return raw


def read_users(raw: Path) -> dict[int, str]:
    """The users map saved beside an export (empty when there is none: annotators become user-<id>)."""
    path = users_path(raw)
    if not path.is_file():
        return {}
    return {int(k): v for k, v in json.loads(path.read_text(encoding="utf-8")).items()}


def parse_saved(raw: Path, out_dir: Path, *, actors: Path | None = None) -> ParsedExport:
    """Parse a saved export and write tasks, annotation records and unknown actors (atomically)."""
    dictionary = ActorDictionary.load(actors) if actors is not None else None
    parsed = parse_export(raw, users=read_users(raw), dictionary=dictionary)
    write_jsonl(parsed.tasks, out_dir / TASKS_FILE)
    write_jsonl(parsed.records, out_dir / ANNOTATIONS_FILE)
    write_jsonl(parsed.unknown_actors, out_dir / UNKNOWN_FILE)
    return parsed


def pull(config: PullConfig, client: StudioClient) -> PullResult:
    """Export the project, keep the raw export, and parse it into records."""
    project = client.find_project(config.project)
    if project is None:
        raise StudioError(f"no project titled {config.project!r} on {client.url}; check the title "
                          "(stancekit ls push creates it)")
    raw = download(client, project["id"], config.out_dir / "raw")
    parsed = parse_saved(raw, config.out_dir, actors=config.actors)
    return PullResult(raw, parsed, config.out_dir)
