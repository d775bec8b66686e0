"""Options declared once: a job's config dataclass field carries its command-line help.

``option(default, help=..., flags=...)`` is a ``dataclasses.field`` whose metadata the CLI turns
into a typer option (see ``stancekit.cli._options.config_command``); a field without help is not
on the command line. A field whose type is itself such a dataclass (e.g. ``InferenceOptions``) is
flattened: its options appear under their own names.
"""

from __future__ import annotations

from dataclasses import MISSING, field, fields
from typing import Any


def option(default: Any = MISSING, *, help: str, flags: tuple[str, ...] = (), argument: bool = False,
           envvar: str | None = None, default_factory: Any = MISSING, show_default: bool = True) -> Any:
    """A config field that is also a command-line option (``argument=True``: a positional argument)."""
    metadata = {"help": help, "flags": flags, "argument": argument, "envvar": envvar, "show_default": show_default}
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def nested(factory: Any) -> Any:
    """A config field holding another options dataclass, whose options are flattened onto the command line."""
    return field(default_factory=factory, metadata={"nested": True})


def flag(config_cls: type, name: str) -> str:
    """The long command-line flag of a config field, for messages that tell the user which option to pass:
    its declared flag, else the one typer derives from the field's name (``versions_dir``: ``--versions-dir``)."""
    declared = next(f for f in fields(config_cls) if f.name == name).metadata.get("flags", ())
    return next((f for f in declared if f.startswith("--")), "--" + name.replace("_", "-"))
