"""The ``stancekit`` command line: thin commands that parse options and call library functions."""

from stancekit.cli import actors, agreement, coverage, dataset, demo, ls, report, serve, studio, tag, train  # noqa: F401  (registers the commands)
from stancekit.cli._app import app


def main() -> None:
    app(prog_name="stancekit")


__all__ = ["app", "main"]
