"""The typer application, its command groups, and the one place where errors become exit codes."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from stancekit.errors import StanceKitError

# Help texts are shown as written: no rich markup, so "[env ...]" or "stancekit[ray]" stay visible (and
# `--help` does not import rich). Shell completion: --install-completion / --show-completion.
SETTINGS: dict[str, Any] = {"no_args_is_help": True, "rich_markup_mode": None}

app = typer.Typer(
    name="stancekit",
    add_completion=True,
    pretty_exceptions_enable=False,
    **SETTINGS,
)

F = TypeVar("F", bound=Callable[..., Any])

EXIT_ERROR = 1  # a StanceKitError: bad input, bad configuration, a failing service
# typer/click use exit code 2 for usage errors (unknown option, missing argument, a value not among the choices)


def command_group(name: str, help: str) -> typer.Typer:
    """A group of subcommands (``stancekit NAME ...``) with the application's settings."""
    group = typer.Typer(help=help, **SETTINGS)
    app.add_typer(group, name=name)
    return group


def _print_version(value: bool) -> None:
    if value:
        from stancekit import __version__

        print(f"stancekit {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Measure the stance of news coverage toward each actor of an armed conflict."""


def cli_errors(func: F) -> F:
    """Turn a StanceKitError into a one-line reason on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except StanceKitError as err:
            print(f"error: {err}", file=sys.stderr)
            raise typer.Exit(EXIT_ERROR) from None

    return wrapper  # type: ignore[return-value]
