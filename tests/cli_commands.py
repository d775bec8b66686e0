"""Every command of the ``stancekit`` application and its options, found by walking the typer app."""

from __future__ import annotations

import enum
import inspect
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import typer
from typer.models import ArgumentInfo, OptionInfo

from stancekit.cli import app


@dataclass
class Param:
    name: str
    flag: str | None  # None: a positional argument
    annotation: Any  # without Annotated and Optional
    help: str | None
    envvar: str | None = None
    flags: tuple[str, ...] = ()  # every declaration, e.g. ("--actors", "-a"); () for an argument
    metavar: str | None = None

    @property
    def choices(self) -> tuple[str, ...]:
        """The fixed values of a Literal- or Enum-typed option (empty for any other type)."""
        if typing.get_origin(self.annotation) is Literal:
            return tuple(str(v) for v in typing.get_args(self.annotation))
        if isinstance(self.annotation, type) and issubclass(self.annotation, enum.Enum):
            return tuple(str(m.value) for m in self.annotation)
        return ()


def _name(info: Any, callback: Callable[..., Any]) -> str:
    return info.name or callback.__name__.replace("_", "-")


def commands(group: typer.Typer = app, path: tuple[str, ...] = ()) -> Iterator[tuple[list[str], Callable[..., Any]]]:
    """(path of subcommand names, callback) for every command, e.g. (["ls", "pull"], pull)."""
    for info in group.registered_commands:
        yield [*path, _name(info, info.callback)], info.callback
    for info in group.registered_groups:
        yield from commands(info.typer_instance, (*path, info.name))


def groups(group: typer.Typer = app, path: tuple[str, ...] = ()) -> Iterator[tuple[list[str], typer.Typer]]:
    """(path, Typer) of the application ([]) and every command group."""
    yield list(path), group
    for info in group.registered_groups:
        yield from groups(info.typer_instance, (*path, info.name))


def params(callback: Callable[..., Any]) -> list[Param]:
    """A command's parameters as typer sees them (config_command's generated ones included)."""
    found = []
    for p in inspect.signature(callback, eval_str=True).parameters.values():
        annotation, info = p.annotation, p.default
        if typing.get_origin(annotation) is Annotated:
            annotation, *extras = typing.get_args(annotation)
            info = next((e for e in extras if isinstance(e, (OptionInfo, ArgumentInfo))), info)
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if typing.get_origin(annotation) in (typing.Union, types.UnionType):
            annotation = args[0] if len(args) == 1 else annotation
        flag, declared = None, []
        if not isinstance(info, ArgumentInfo):
            # in Annotated[..., typer.Option("--flag", "-f")] the first declaration lands in .default
            first = [info.default] if isinstance(getattr(info, "default", None), str) else []
            declared = [*first, *(getattr(info, "param_decls", None) or ())]
            decls = [d.split("/")[0] for d in declared if d.startswith("--")]
            flag = decls[0] if decls else "--" + p.name.replace("_", "-")
        found.append(Param(p.name, flag, annotation, getattr(info, "help", None), getattr(info, "envvar", None),
                           tuple(declared), getattr(info, "metavar", None)))
    return found
