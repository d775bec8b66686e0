"""``stancekit ls pull``: the full JSON export saved verbatim first, then parsed into records.

The folder it writes (``datasets/<project>/`` by default) is described in :mod:`stancekit.studio.pulled`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from stancekit.actors import ActorDictionary
from stancekit.errors import ConfigError
from stancekit.io import atomic_write, file_sha256, write_jsonl
from stancekit.labels import LabelScheme
from stancekit.studio.client import StudioClient, StudioError
from stancekit.studio.controls import DEFAULT_CONTROLS, Controls, controls_from_config
from stancekit.studio.options import PullConfig
from stancekit.studio.parse import ExportParser, ParsedExport, load_export
from stancekit.studio.pulled import ANNOTATIONS_FILE, MANIFEST_FILE, TASKS_FILE, UNKNOWN_FILE

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
    tasks = load_export(raw)
    controls = read_controls(raw) if tasks else DEFAULT_CONTROLS  # a project without tasks: its config is moot
    parsed = ExportParser(raw, read_users(raw), dictionary, LabelScheme(), controls).parse(tasks)
    write_jsonl(parsed.tasks, out_dir / TASKS_FILE)
    write_jsonl(parsed.records, out_dir / ANNOTATIONS_FILE)
    write_jsonl(parsed.unknown_actors, out_dir / UNKNOWN_FILE)
    here = Path(out_dir).resolve()  # paths relative to the folder: it may be moved or committed with its sources
    used = None if actors is None else {"path": os.path.relpath(Path(actors).resolve(), here),
                                        "sha256": file_sha256(actors)}
    with atomic_write(out_dir / MANIFEST_FILE) as handle:
        json.dump({"export": os.path.relpath(Path(raw).resolve(), here), "actors": used}, handle, indent=1)
    return parsed


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
