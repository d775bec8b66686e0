"""The project file: defaults for every command, so that a walk-through repeats nothing.

``stancekit.toml`` (or a ``[tool.stancekit]`` table in ``pyproject.toml``), found from the working
folder upwards (the nearest wins), holds what a project's commands share::

    actors = "seeds/nagorno-karabakh.actors.yaml"
    model = "models/stance-v1"

    [label_studio]
    url = "http://127.0.0.1:8080"
    project = "NK 2020"

Relative paths are relative to the file's folder, so the commands work from any folder below it.
The command line overrides the file; for Label Studio's address the environment does too
(``$LABEL_STUDIO_URL``, read by :mod:`stancekit.studio.connection`). ``$STANCEKIT_PROJECT_FILE``
names the file to use instead of searching (``/dev/null``: none). The API token never lives here:
it is a secret, kept in ``$LABEL_STUDIO_API_KEY``.

``stancekit config`` shows each setting's value and where it came from; ``stancekit init`` writes a
commented file. Light on purpose (the command line reads it before every command).
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stancekit.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PROJECT_FILE = "stancekit.toml"
PYPROJECT = "pyproject.toml"
PROJECT_FILE_ENV = "STANCEKIT_PROJECT_FILE"


@dataclass(frozen=True)
class Setting:
    """A key of the project file: its type (``path``, ``text``, ``count``) and what it is the default of."""

    key: str  # dotted: "label_studio.url"
    kind: str
    used_by: str


SETTINGS: dict[str, Setting] = {s.key: s for s in (
    Setting("actors", "path", "--actors/-a: the actor dictionary (YAML) of mentions, tag, report, ls, serve, "
            "demo; the FILE of actors check/list"),
    Setting("model", "path", "--model/-m: the stance model folder of tag, evaluate, ls rank, serve (ls push "
            "pre-fills answers only with a --model given on its line)"),
    Setting("sentiment_model", "path", "--sentiment-model: the sentiment model folder of tag, serve"),
    Setting("threads", "count", "--threads: CPU threads of train, tag, serve"),
    Setting("device", "text", "--device: auto, cpu, cuda or cuda:N for train, evaluate, tag"),
    Setting("label_studio.url", "text", "--url: Label Studio's address (after $LABEL_STUDIO_URL)"),
    Setting("label_studio.project", "text", "--project/-p: the Label Studio project title of ls push/pull/"
            "adjudicate/rank"),
    Setting("label_studio.data_dir", "path", "--data-dir: the folder of `stancekit studio start/stop`"),
)}
SECRETS = {"token", "api_key", "label_studio.token", "label_studio.api_key"}


@dataclass(frozen=True)
class ProjectFile:
    """The settings found (dotted key -> value, paths made absolute) and the file they came from."""

    path: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        return self.values.get(key)

    @property
    def source(self) -> str:
        """How ``stancekit config`` names this file as a value's source."""
        return str(self.path) if self.path is not None else "(no project file)"


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


def _value(path: Path, key: str, value: Any) -> Any:
    setting = SETTINGS[key]
    if setting.kind == "count":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{path}: {key} must be a whole number of at least 1, found {value!r}")
        return value
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{path}: {key} must be a non-empty string, found {value!r}")
    if setting.kind == "path":
        return Path(os.path.normpath(path.parent / Path(value).expanduser()))
    return value.strip()


def parse_project_file(path: Path, table: dict[str, Any]) -> ProjectFile:
    """Validate the settings of ``path`` (its stancekit table): known keys and types, no secrets."""
    values: dict[str, Any] = {}
    for key, value in _flatten(table).items():
        if key in SECRETS:
            raise ConfigError(f"{path}: {key} does not belong in a project file (it may be committed or shared); "
                              "set the token in $LABEL_STUDIO_API_KEY and remove the line")
        if key not in SETTINGS:
            close = difflib.get_close_matches(key, SETTINGS, n=1)
            hint = f"did you mean {close[0]}?" if close else f"known settings: {', '.join(SETTINGS)}"
            raise ConfigError(f"{path}: unknown setting {key!r} ({hint})")
        values[key] = _value(path, key, value)
    return ProjectFile(path, values)


def load_project_file(path: str | Path) -> ProjectFile:
    """Read a ``stancekit.toml``, or the ``[tool.stancekit]`` table of a ``pyproject.toml``."""
    path = Path(path).absolute()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"project file {path} not found (${PROJECT_FILE_ENV} names it); create it with "
                          "`stancekit init`, or unset the variable") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"project file {path} cannot be read: {exc}") from None
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the line or run `stancekit init` for a fresh "
                          "commented file") from None
    if path.name == PYPROJECT:
        table = table.get("tool", {}).get("stancekit", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.stancekit] must be a table")
    return parse_project_file(path, table)


def _has_stancekit_table(pyproject: Path) -> bool:
    try:
        return "stancekit" in tomllib.loads(pyproject.read_text(encoding="utf-8-sig")).get("tool", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # someone else's broken pyproject.toml is not ours to judge


def find_project_file(start: str | Path | None = None) -> Path | None:
    """The nearest ``stancekit.toml`` (or ``pyproject.toml`` with ``[tool.stancekit]``) from ``start`` upwards."""
    folder = Path(start if start is not None else Path.cwd()).absolute()
    for candidate in (folder, *folder.parents):
        if (candidate / PROJECT_FILE).is_file():
            return candidate / PROJECT_FILE
        if (candidate / PYPROJECT).is_file() and _has_stancekit_table(candidate / PYPROJECT):
            return candidate / PYPROJECT
    return None


def current_project(start: str | Path | None = None) -> ProjectFile:
    """The project file in force here: ``$STANCEKIT_PROJECT_FILE``, else the nearest one, else none."""
    named = os.environ.get(PROJECT_FILE_ENV)
    if named:
        return load_project_file(named)
    found = find_project_file(start)
    return load_project_file(found) if found is not None else ProjectFile()


def _toml(value: Any) -> str:
    """A TOML value: a basic string (JSON's escapes are TOML's) or a number."""
    return str(value) if isinstance(value, int) else json.dumps(str(value), ensure_ascii=False)


def template(values: dict[str, Any]) -> str:
    """A commented project file with ``values`` (dotted keys) set and every other setting commented out.

    Written by hand rather than with a TOML writer: the point of the file is its comments.
    """
    examples = {"actors": "seeds/nagorno-karabakh.actors.yaml", "model": "models/stance-v1",
                "sentiment_model": "models/sentiment-v1", "threads": 1, "device": "cpu",
                "label_studio.url": "http://127.0.0.1:8080", "label_studio.project": "NK 2020",
                "label_studio.data_dir": ".studio"}
    lines = ["# stancekit project file: defaults for every stancekit command run in this folder or below it.",
             "# The command line overrides each one; `stancekit config` shows what is in force and why.",
             "# Relative paths are relative to this file's folder. The Label Studio API token is not kept",
             "# here: set LABEL_STUDIO_API_KEY in the environment.", ""]
    section = ""
    for key, setting in SETTINGS.items():
        table, _, name = key.rpartition(".")
        if table != section:
            lines += ["", f"[{table}]"]
            section = table
        lines.append(f"# {setting.used_by}")
        value = values.get(key)
        lines.append(f"{name} = {_toml(value)}" if value is not None else f"# {name} = {_toml(examples[key])}")
    return "\n".join(lines) + "\n"

