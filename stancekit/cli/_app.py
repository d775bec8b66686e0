"""The typer application, its command groups, and the one place where errors become exit codes.

Commands are listed in the order a project follows them (read -> annotate -> learn -> tag -> report ->
loop), under a heading each (:data:`PANELS`). Before any command runs, the root callback reads the
project file (``stancekit.toml``) and makes its settings the defaults of the options that have one.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup

from stancekit.errors import EXIT_ERROR, StanceKitError

# Help texts are shown as written: no rich markup, so "[env ...]" or "stancekit[ray]" stay visible (and
# `--help` does not import rich). Shell completion: --install-completion / --show-completion.
SETTINGS: dict[str, Any] = {"no_args_is_help": True, "rich_markup_mode": None}

# The headings of `stancekit --help`, in workflow order; each command names its own (``panel=``).
READ, ANNOTATE, LEARN, TAG, REPORT, LOOP, PROJECT = (
    "Read coverage", "Annotate in Label Studio", "Learn from the labels", "Tag coverage", "Report",
    "Model in the loop", "Project")
PANELS = (READ, ANNOTATE, LEARN, TAG, REPORT, LOOP, PROJECT)
# and the commands in the order a project runs them (typer lists groups after plain commands otherwise)
WORKFLOW = ("sentences", "mentions", "actors", "studio", "ls", "agreement", "dataset", "train", "evaluate", "tag",
            "report", "serve", "init", "config", "demo")

F = TypeVar("F", bound=Callable[..., Any])

# EXIT_ERROR (1): a StanceKitError: bad input, bad configuration, a path that is not what its option expects, a
# failing service. typer uses exit code 2 for usage errors (unknown option, missing argument, a value not among
# the choices or out of its range).


class StanceKitCommand(TyperCommand):
    """A command whose usage line and argument list show metavars as Unix tools do (``PATH...``, ``[FILE]``)."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = param.metavar or param.name.upper()
                name = name if name.endswith("...") or param.nargs == 1 else f"{name}..."
                pieces.append(name if param.required else f"[{name}]")
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append((param.metavar or param.name.upper(), record[1]))
            else:
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


class StanceKitGroup(TyperGroup):
    """The application and its groups: commands under workflow headings; old option spellings rewritten."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        return sorted(names, key=lambda n: (WORKFLOW.index(n) if n in WORKFLOW else len(WORKFLOW), names.index(n)))

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        commands = [(name, cmd) for name in self.list_commands(ctx)
                    if (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden]
        if not commands:
            return
        width = max(len(name) for name, _ in commands)
        limit = formatter.width - 6 - width
        panel = {name: getattr(cmd, "rich_help_panel", None) for name, cmd in commands}
        for title in [*PANELS, None]:
            rows = [(name.ljust(width), cmd.get_short_help_str(limit)) for name, cmd in commands
                    if panel[name] == title or (title is None and panel[name] not in PANELS)]
            if rows:
                with formatter.section(title or "Commands"):
                    formatter.write_dl(rows)

    def main(self, args: Sequence[str] | None = None, *pos: Any, **kwargs: Any) -> Any:
        from stancekit.cli._deprecated import rewrite

        groups = {name: set(getattr(cmd, "commands", {})) for name, cmd in self.commands.items()
                  if hasattr(cmd, "commands")}
        args = rewrite(sys.argv[1:] if args is None else args, groups, self._options_with_a_value)
        return super().main(args, *pos, **kwargs)

    def _options_with_a_value(self, path: tuple[str, ...]) -> set[str]:
        """The option strings of the command at ``path`` that take a value (``--actors``; not ``--skip-bad``)."""
        command: Any = self
        for name in path:
            command = getattr(command, "commands", {}).get(name)
            if command is None:
                return set()
        return {opt for param in command.params if param.param_type_name == "option" and not param.is_flag
                for opt in (*param.opts, *param.secondary_opts)}


app = typer.Typer(
    name="stancekit",
    add_completion=True,
    pretty_exceptions_enable=False,
    cls=StanceKitGroup,
    **SETTINGS,
)


def command(group: typer.Typer = app, name: str | None = None, *, panel: str | None = None) -> Callable[[F], F]:
    """Register a command of ``group`` (under heading ``panel`` of the top-level help)."""
    return group.command(name, cls=StanceKitCommand, rich_help_panel=panel)


def command_group(name: str, help: str, *, panel: str) -> typer.Typer:
    """A group of subcommands (``stancekit NAME ...``) with the application's settings."""
    group = typer.Typer(help=help, cls=StanceKitGroup, **SETTINGS)
    app.add_typer(group, name=name, rich_help_panel=panel)
    return group


def _print_version(value: bool) -> None:
    if value:
        from stancekit import __version__

        print(f"stancekit {__version__}")
        raise typer.Exit()


def _quiet_on_closed_pipe() -> None:
    """Standard output's reader went away (``stancekit mentions ... | head``): stop quietly, as Unix tools do.

    Standard output is pointed at /dev/null so that the interpreter's final flush does not fail again.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (captured output): nothing left to flush
        pass
    raise typer.Exit(0)


def cli_errors(func: F) -> F:
    """Turn a StanceKitError into a one-line reason on stderr and exit code 1; a closed pipe into exit 0."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:
            _quiet_on_closed_pipe()
        except StanceKitError as err:
            print(f"error: {err}", file=sys.stderr)
            raise typer.Exit(EXIT_ERROR) from None

    return wrapper  # type: ignore[return-value]


@app.callback()
@cli_errors
def root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Measure the stance of news coverage toward each actor of an armed conflict.

    Defaults for every command can live in a project file, stancekit.toml (`stancekit init` writes one;
    `stancekit config` shows what is in force).
    """
    from stancekit.cli._options import PROJECT_META, project_defaults
    from stancekit.project import current_project

    project = current_project()
    ctx.meta[PROJECT_META] = project
    if project.values:
        ctx.default_map = project_defaults(ctx.command, project.values)
