"""The ``stancekit`` command line: thin commands that parse options and call library functions.

The modules are imported in workflow order: the commands are listed in that order under their headings.
"""

from stancekit.cli import coverage, actors, studio, ls, agreement, dataset, train, tag, report, serve, project, demo  # noqa: F401,E501  (registers the commands)
from stancekit.cli._app import app


def main() -> None:
    app(prog_name="stancekit")


__all__ = ["app", "main"]
