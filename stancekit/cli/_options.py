"""Typer options generated from a job's config dataclass (fields declared with ``stancekit.options.option``).

``@config_command(TagConfig)`` gives a command one option per field with help (nested option
dataclasses flattened), builds the config from them and passes it as the command's ``config``
argument; the command's other parameters (output switches such as ``--json``) stay its own, declared
with :func:`shared_option` where they are shared. Every value is checked as it is parsed, before any
work, with a plain line:

- a ``Literal`` (or ``Enum``) field is a choice: typer lists and completes its values (a usage error,
  exit 2, names the choices);
- a number must parse and lie in the field's range (a usage error, exit 2);
- a path must be what the field's :class:`~stancekit.paths.PathRule` says (checked by stancekit.paths;
  ``error: ...`` and exit 1, as for a bad file found by a job).

A field with a ``setting`` takes its default from the project file (``stancekit.toml``): the
application's root callback puts those values into the context's ``default_map`` (see
:func:`project_defaults`), and the command line overrides them.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
import math
import sys
import types
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from stancekit.errors import EXIT_ERROR, ConfigError, PathError
from stancekit.options import Shared, check_value, option_name

SETTINGS_ATTRIBUTE = "__stancekit_settings__"  # on a command's callback: {parameter name: project setting}
PROJECT_META = "stancekit.project"  # ctx.meta key: the ProjectFile in force


def _fields(config_cls: type, exclude: frozenset[str] = frozenset()) -> Iterator[tuple[dataclasses.Field, Any, str | None]]:
    """(field, resolved type, name of the nested field holding it or None) for every command-line field."""
    hints = typing.get_type_hints(config_cls)
    for f in dataclasses.fields(config_cls):
        if f.name in exclude:
            continue
        if f.metadata.get("nested"):
            for sub, hint, _ in _fields(hints[f.name], exclude):
                yield sub, hint, f.name
        elif "help" in f.metadata:
            yield f, hints[f.name], None


def _parameter_names(fields: list[tuple[dataclasses.Field, Any, str | None]]) -> list[str]:
    """A parameter name per field: its own, or ``<nested field>_<name>`` where two fields share a name."""
    counts: dict[str, int] = {}
    for f, _, _ in fields:
        counts[f.name] = counts.get(f.name, 0) + 1
    return [f"{owner}_{f.name}" if owner and counts[f.name] > 1 else f.name for f, _, owner in fields]


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return inspect.Parameter.empty


def _optional_removed(hint: Any) -> Any:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and len(args) == 1:
        return args[0]
    return hint


def _bare(hint: Any) -> Any:
    """The type without Optional and without list (a repeated option's item type)."""
    hint = _optional_removed(hint)
    return typing.get_args(hint)[0] if typing.get_origin(hint) is list else hint


def _choices(hint: Any) -> tuple[str, ...]:
    if typing.get_origin(hint) is Literal:
        return tuple(str(v) for v in typing.get_args(hint))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return tuple(str(m.value) for m in hint)
    return ()


def metavar(f: dataclasses.Field, hint: Any) -> str | None:
    """The value's name in help: declared, else the choices, else N, NUMBER, TEXT or PATH (None: a flag)."""
    bare = _bare(hint)
    if f.metadata.get("metavar") is not None:
        return f.metadata["metavar"] or None
    if bare is bool:
        return None
    if choices := _choices(bare):
        return "[" + "|".join(choices) + "]"
    name = {int: "N", float: "NUMBER", str: "TEXT"}.get(bare, "PATH")
    repeated = f.metadata.get("argument") and typing.get_origin(_optional_removed(hint)) is list
    return f"{name}..." if repeated else name


def _parser(f: dataclasses.Field, hint: Any) -> Callable[[Any], Any] | None:
    """Turns one command-line string into the field's type, with a plain message when it cannot."""
    bare = _bare(hint)
    choices = _choices(bare)
    if bare is bool:
        return None

    def parse(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if choices:
            if value not in choices:
                raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}")
            return bare(value) if isinstance(bare, type) and issubclass(bare, enum.Enum) else value
        if bare is int:
            try:
                number: Any = int(value)
            except ValueError:
                raise typer.BadParameter(f"expected a whole number, found {value!r}") from None
        elif bare is float:
            try:
                number = float(value)
            except ValueError:
                raise typer.BadParameter(f"expected a number, found {value!r}") from None
            if not math.isfinite(number):
                raise typer.BadParameter(f"expected a finite number, found {value!r}")
        elif bare is str:
            return value
        else:
            return Path(value)
        try:
            return check_value(f, number)
        except ConfigError as err:
            raise typer.BadParameter(str(err).split(": ", 1)[-1]) from None

    return parse


def _path_check(f: dataclasses.Field) -> Callable[..., Any] | None:
    """The callback that checks a path value (given, or from the project file) before the command runs.

    A path that is not what the option expects is an error line and exit code 1, as when a job finds a bad
    file (not a usage error: the command line itself was well formed).
    """
    if f.metadata.get("path") is None:
        return None

    def check(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
        if value is None or ctx.resilient_parsing:
            return value
        try:
            return check_value(f, value)
        except PathError as err:
            source = ""
            if str(ctx.get_parameter_source(param.name or "")).endswith("DEFAULT_MAP"):
                project = ctx.meta.get(PROJECT_META)
                source = f" (set in the project file {project.source})" if project is not None else ""
            print(f"error: {err}{source}", file=sys.stderr)
            raise typer.Exit(EXIT_ERROR) from None

    return check


def _parameter(name: str, f: dataclasses.Field, hint: Any, required: bool = False) -> inspect.Parameter:
    meta = f.metadata
    common = dict(help=meta["help"], show_default=meta["show_default"], metavar=metavar(f, hint),
                  parser=_parser(f, hint), callback=_path_check(f))
    if meta["argument"]:
        info = typer.Argument(**common)
    else:
        info = typer.Option(*meta["flags"], envvar=meta["envvar"], show_envvar=meta["envvar"] is not None, **common)
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY,
                             default=inspect.Parameter.empty if required else _default(f),
                             annotation=Annotated[hint, info])


def shared_option(shared: Shared, **extra: Any) -> Any:
    """A typer option of a command's own parameter (not a config field) from a shared declaration."""
    return typer.Option(*shared.flags, help=shared.help, metavar=shared.metavar or None, **extra)


def config_command(config_cls: type, *, exclude: tuple[str, ...] = (),
                   require: tuple[str, ...] = ()) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a command taking ``config: config_cls`` (and maybe other options) to take the fields instead.

    ``exclude``: fields left off this command's line (they keep their defaults); ``require``: fields with a
    default that this command nevertheless requires (``mentions`` needs the ``--actors`` that is optional
    for the extraction job).
    """
    fields = list(_fields(config_cls, frozenset(exclude)))
    names = _parameter_names(fields)
    hints = typing.get_type_hints(config_cls)
    nested_names = [f.name for f in dataclasses.fields(config_cls) if f.metadata.get("nested")]

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
               for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "config"]
        generated = [_parameter(name, f, hint, f.name in require) for name, (f, hint, _) in zip(names, fields)]
        arguments = [p for p, (f, _, _) in zip(generated, fields) if f.metadata["argument"]]
        options = [p for p in generated if p not in arguments]

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            grouped: dict[str, dict[str, Any]] = {}
            top: dict[str, Any] = {}
            for name, (f, _, owner) in zip(names, fields):
                value = kwargs.pop(name)
                (grouped.setdefault(owner, {}) if owner else top)[f.name] = value
            for name in nested_names:
                top[name] = hints[name](**grouped.get(name, {}))
            return command(config=config_cls(**top), **kwargs)

        parameters = [*arguments, *options, *own]
        wrapper.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        setattr(wrapper, SETTINGS_ATTRIBUTE, {name: f.metadata["setting"] for name, (f, _, _) in zip(names, fields)
                                              if f.metadata.get("setting")})
        del wrapper.__wrapped__  # typer must read the generated signature, not the command's
        return wrapper

    return decorate


def project_defaults(command: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The ``default_map`` for a click command tree: each command's parameters that have a project setting."""
    if hasattr(command, "commands"):
        found = {name: project_defaults(sub, values) for name, sub in command.commands.items()}
        return {name: sub for name, sub in found.items() if sub}
    settings = getattr(command.callback, SETTINGS_ATTRIBUTE, {}) if command.callback is not None else {}
    return {param: values[key] for param, key in settings.items() if key in values}


__all__ = ["config_command", "metavar", "option_name", "project_defaults", "shared_option"]
