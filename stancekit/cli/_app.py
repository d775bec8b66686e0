"""The typer application and the one place where errors become exit codes."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from stancekit.errors import StanceKitError

app = typer.Typer(
    name="stancekit",
    help="Measure the stance of news coverage toward each actor of an armed conflict.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])

EXIT_ERROR = 1  # a StanceKitError: bad input, bad configuration, a failing service
# typer/click use exit code 2 for usage errors (unknown option, missing argument)


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
