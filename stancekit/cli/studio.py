"""``stancekit studio start|stop``: a local Label Studio for annotators, without prompts."""

from __future__ import annotations

from pathlib import Path

from stancekit.cli._app import ANNOTATE, cli_errors, command, command_group
from stancekit.cli._options import config_command
from stancekit.studio.connection import TOKEN_ENV, URL_ENV
from stancekit.studio.server import ServerConfig, StudioFolder

studio_app = command_group("studio", "Run a local Label Studio (127.0.0.1, SQLite, data kept in one folder).",
                           panel=ANNOTATE)


@command(studio_app, "start")
@cli_errors
@config_command(ServerConfig)
def start(config: ServerConfig) -> None:
    """Start Label Studio in the background and wait until it answers; `studio stop` ends it.

    The admin password and API token come from LABEL_STUDIO_PASSWORD and LABEL_STUDIO_API_KEY, or are
    generated at the first start and printed once here (never written to a file).
    """
    from stancekit.studio.server import start_server, write_state

    fresh = not any(Path(config.data_dir).glob("*.sqlite3"))
    server = start_server(config)
    write_state(server)
    print(f"Label Studio is up at {server.url} (pid {server.pid}, log {server.log_path})")
    if fresh and config.generated_credentials:
        print(f"log in as {config.username} with password {config.password}\n"
              f"export {URL_ENV}={server.url} {TOKEN_ENV}={config.token}")
    elif not fresh:
        print("existing data dir: log in and use the token from its first start "
              "(Account & Settings > Access Token)")
    else:
        print(f"export {URL_ENV}={server.url}")


@command(studio_app, "stop")
@cli_errors
@config_command(StudioFolder)
def stop(config: StudioFolder) -> None:
    """Stop the server that `studio start` recorded in its --data-dir (by its PID)."""
    from stancekit.studio.server import stop_recorded

    state = stop_recorded(config.data_dir)
    print(f"stopped Label Studio at {state['url']} (pid {state['pid']})" if state["was_running"]
          else f"Label Studio (pid {state['pid']}) was not running; record removed")
