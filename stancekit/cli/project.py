"""``stancekit init`` and ``stancekit config``: the project file (stancekit.toml) and the settings in force."""

from __future__ import annotations

import json
from typing import Annotated

from stancekit.cli._app import PROJECT, cli_errors, command
from stancekit.cli._options import config_command, shared_option
from stancekit.options import JSON
from stancekit.settings import InitConfig


@command(panel=PROJECT)
@cli_errors
@config_command(InitConfig)
def init(config: InitConfig) -> None:
    """Write a commented project file (stancekit.toml): defaults for every command run in this folder or below.

    Values given here are set; every other setting is written as a commented example.
    """
    from stancekit.settings import write_project_file

    print(f"wrote {write_project_file(config)}; `stancekit config` shows what is in force")


@command(name="config", panel=PROJECT)
@cli_errors
def show_config(as_json: Annotated[bool, shared_option(JSON)] = False) -> None:
    """Show each project setting in force here and where it came from (environment, project file, default)."""
    from stancekit.project import current_project
    from stancekit.settings import as_json as settings_json, settings_in_force

    project = current_project()
    settings = settings_in_force(project)
    if as_json:
        print(json.dumps(settings_json(project, settings), indent=2, ensure_ascii=False))
        return
    print(f"project file: {project.path or 'none found here or above (`stancekit init` writes one)'}")
    rows = [(s.key, "-" if s.value is None else str(s.value), s.source) for s in settings]
    widths = [max(len(row[i]) for row in rows) for i in (0, 1)]
    for key, value, source in rows:
        print(f"{key:<{widths[0]}}  {value:<{widths[1]}}  {source}")
