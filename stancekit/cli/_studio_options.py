"""Options shared by the commands that talk to Label Studio (the token is never shown)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

Url = Annotated[str, typer.Option("--url", envvar="LABEL_STUDIO_URL", help="Label Studio base URL.")]
Actors = Annotated[Path, typer.Option("--actors", "-a", help="Actor dictionary (YAML).")]
Project = Annotated[str, typer.Option("--project", "-p", help="Label Studio project title.")]
Token = Annotated[str, typer.Option("--token", envvar="LABEL_STUDIO_API_KEY", show_default=False,
                                    help="API token (legacy or personal access token); prefer the env var.")]
DEFAULT_URL = "http://127.0.0.1:8080"
