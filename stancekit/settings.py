"""Each project setting as it is in force here and where it came from (``stancekit config``), and a fresh
commented project file (``stancekit init``).

The sources, strongest first: the environment (Label Studio's address and token, read by
:mod:`stancekit.studio.connection`), the project file (:mod:`stancekit.project`), the built-in default.
A command's own flags override all of them for that command.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stancekit.errors import ConfigError
from stancekit.options import ACTORS, OUTPUT_FILE, PROJECT, STUDIO_URL, check_fields, option
from stancekit.project import PROJECT_FILE, SETTINGS, ProjectFile, current_project, parse_project_file, template, tomllib
from stancekit.studio.connection import TOKEN_ENV, URL_SETTING, studio_token, studio_url, url_and_source


@dataclass(frozen=True)
class InForce:
    """A setting's value here (None: not set; each command then uses its own default) and its source."""

    key: str
    value: Any
    source: str
    used_by: str


def settings_in_force(project: ProjectFile | None = None) -> list[InForce]:
    """Every setting of the project file, the Label Studio token's presence, and their sources."""
    project = project if project is not None else current_project()
    found = []
    for key, setting in SETTINGS.items():
        if key == URL_SETTING:
            value, source = url_and_source()
        elif project.get(key) is not None:
            value, source = project.get(key), project.source
        else:
            value, source = None, "not set"
        found.append(InForce(key, str(value) if value is not None and setting.kind == "path" else value, source,
                             setting.used_by))
    token = studio_token()
    found.append(InForce("label_studio.token", "(set)" if token else None, f"${TOKEN_ENV}" if token else "not set",
                         "--token: the Label Studio API token (never shown, never in a file)"))
    return found


def as_json(project: ProjectFile, settings: list[InForce]) -> dict[str, Any]:
    """What ``stancekit config --json`` prints."""
    return {"project_file": str(project.path) if project.path else None,
            "settings": {s.key: {k: v for k, v in asdict(s).items() if k != "key"} for s in settings}}


@dataclass
class InitConfig:
    """The project file ``stancekit init`` writes, and the values it sets (every other setting stays a comment)."""

    output: Path = OUTPUT_FILE(Path(PROJECT_FILE))
    actors: Path | None = ACTORS(None, project_default=False)
    project: str | None = PROJECT(None, project_default=False)
    url: str | None = STUDIO_URL(None, show_default=False)
    force: bool = option(False, help="Replace an existing project file.", flags=("--force",))

    def __post_init__(self) -> None:
        check_fields(self)
        if self.output.exists() and not self.force:
            raise ConfigError(f"{self.output} exists; edit it, or pass --force to replace it with a fresh one")

    def values(self) -> dict[str, Any]:
        """The settings to write uncommented, paths relative to the file's folder."""
        here = self.output.absolute().parent
        values: dict[str, Any] = {}
        if self.actors is not None:  # relative to the file when below its folder, so the project can move
            relative = os.path.relpath(self.actors.absolute(), here)
            values["actors"] = str(self.actors.absolute()) if relative.startswith("..") else relative
        if self.project is not None:
            values["label_studio.project"] = self.project
        if self.url is not None:
            values["label_studio.url"] = studio_url(self.url)
        return values


def write_project_file(config: InitConfig) -> Path:
    """Write the commented project file (atomically) and return its path."""
    from stancekit.io import atomic_write

    text = template(config.values())
    parse_project_file(config.output, tomllib.loads(text))  # what is written must read back
    with atomic_write(config.output) as handle:
        handle.write(text)
    return config.output
