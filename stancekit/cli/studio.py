"""``stancekit studio start|stop``: a local Label Studio for annotators, without prompts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from stancekit.cli._app import cli_errors, command_group
from stancekit.studio.connection import TOKEN_ENV, URL_ENV, studio_token
from stancekit.studio.server import ServerConfig, start_server, stop_recorded, write_state

studio_app = command_group("studio", "Run a local Label Studio (127.0.0.1, SQLite, data kept in one folder).")

DataDir = Annotated[Path, typer.Option("--data-dir", help="Where the server keeps its database and files.")]


@studio_app.command("start")
@cli_errors
def start(
    data_dir: DataDir = Path(".studio"),
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port).")] = 8080,
    username: Annotated[str, typer.Option(envvar="LABEL_STUDIO_USERNAME", help="Admin e-mail.")] =
        "admin@stancekit.local",
) -> None:
    """Start Label Studio in the background and wait until it answers; `studio stop` ends it.

    The admin password and API token come from LABEL_STUDIO_PASSWORD and LABEL_STUDIO_API_KEY, or are
    generated at the first start and printed once here (never written to a file).
    """
    fresh = not any(Path(data_dir).glob("*.sqlite3"))
    config = ServerConfig(data_dir=data_dir, port=port, username=username,
                          password=os.environ.get("LABEL_STUDIO_PASSWORD", ""),
                          token=studio_token())
    server = start_server(config)
    write_state(server)
    print(f"Label Studio is up at {server.url} (pid {server.pid}, log {server.log_path})")
    if fresh and not studio_token():
        print(f"log in as {config.username} with password {config.password}\n"
              f"export {URL_ENV}={server.url} {TOKEN_ENV}={config.token}")
    elif not fresh:
        print("existing data dir: log in and use the token from its first start "
              "(Account & Settings > Access Token)")
    else:
        print(f"export {URL_ENV}={server.url}")


@studio_app.command("stop")
@cli_errors
def stop(data_dir: DataDir = Path(".studio")) -> None:
    """Stop the server that `studio start` recorded in DATA_DIR (by its PID)."""
    state = stop_recorded(data_dir)
    print(f"stopped Label Studio at {state['url']} (pid {state['pid']})" if state["was_running"]
          else f"Label Studio (pid {state['pid']}) was not running; record removed")
