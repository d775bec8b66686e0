"""Typer options generated from a job's config dataclass (fields declared with ``stancekit.options.option``).

``@config_command(TagConfig)`` gives a command one option per field with help (nested option
dataclasses flattened), builds the config from them and passes it as the command's ``config``
argument; the command's other parameters (output switches such as ``--json``) stay its own.
A field typed with a ``Literal`` (or an ``Enum``) becomes a choice: typer lists and completes its
values and refuses any other as a usage error (exit 2); the dataclass still checks it for Python callers.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import typer


def _fields(config_cls: type) -> Iterator[tuple[dataclasses.Field, Any, type | None]]:
    """(field, resolved type, owning nested class or None) for every command-line field, nested ones flattened."""
    hints = typing.get_type_hints(config_cls)
    for f in dataclasses.fields(config_cls):
        if f.metadata.get("nested"):
            for sub, hint, _ in _fields(hints[f.name]):
                yield sub, hint, hints[f.name]
        elif "help" in f.metadata:
            yield f, hints[f.name], None


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return inspect.Parameter.empty


def _parameter(f: dataclasses.Field, hint: Any) -> inspect.Parameter:
    meta = f.metadata
    if meta["argument"]:
        info = typer.Argument(help=meta["help"], show_default=meta["show_default"])
    else:
        info = typer.Option(*meta["flags"], help=meta["help"], envvar=meta["envvar"],
                            show_default=meta["show_default"])
    return inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=_default(f),
                             annotation=Annotated[hint, info])


def config_command(config_cls: type) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a command taking ``config: config_cls`` (and maybe other options) to take the fields instead."""
    fields = list(_fields(config_cls))
    nested_names = [f.name for f in dataclasses.fields(config_cls) if f.metadata.get("nested")]

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
               for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "config"]
        generated = [_parameter(f, hint) for f, hint, _ in fields]
        arguments = [p for p, (f, _, _) in zip(generated, fields) if f.metadata["argument"]]
        options = [p for p in generated if p not in arguments]

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            grouped: dict[type, dict[str, Any]] = {}
            top: dict[str, Any] = {}
            for f, _, owner in fields:
                value = kwargs.pop(f.name)
                (grouped.setdefault(owner, {}) if owner else top)[f.name] = value
            hints = typing.get_type_hints(config_cls)
            for name in nested_names:
                top[name] = hints[name](**grouped.get(hints[name], {}))
            return command(config=config_cls(**top), **kwargs)

        parameters = [*arguments, *options, *own]
        wrapper.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        del wrapper.__wrapped__  # typer must read the generated signature, not the command's
        return wrapper

    return decorate
