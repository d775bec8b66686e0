"""Options shared by the commands that talk to Label Studio (the token is never shown).

``--url`` and ``--token`` default to None: stancekit.studio.connection resolves them (flag, then
$LABEL_STUDIO_URL / $LABEL_STUDIO_API_KEY, then the default URL).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

Url = Annotated[Optional[str], typer.Option("--url", show_default=False,
                                            help="Label Studio base URL (default: $LABEL_STUDIO_URL, else "
                                                 "http://127.0.0.1:8080).")]
Actors = Annotated[Path, typer.Option("--actors", "-a", help="Actor dictionary (YAML).")]
Project = Annotated[str, typer.Option("--project", "-p", help="Label Studio project title.")]
Token = Annotated[Optional[str], typer.Option("--token", show_default=False,
                                              help="API token, legacy or personal access token (default: "
                                                   "$LABEL_STUDIO_API_KEY; prefer the env var).")]
