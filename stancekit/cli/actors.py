"""``stancekit actors``: validate and list actor dictionaries."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from stancekit.cli._app import cli_errors, command_group

actors_app = command_group("actors", "Validate and inspect actor dictionaries.")

DictionaryPath = Annotated[Path, typer.Argument(help="Actor dictionary (YAML).")]


@actors_app.command("check")
@cli_errors
def check(path: DictionaryPath) -> None:
    """Validate a dictionary: duplicate aliases, missing parents, parent cycles, bad dates."""
    from stancekit.actors import ActorDictionary

    dictionary = ActorDictionary.load(path)
    for warning in dictionary.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    aliases = sum(1 for actor in dictionary for _ in actor.surface_forms())
    print(f"{path}: OK, {len(dictionary)} actors, {aliases} surface forms")


@actors_app.command("list")
@cli_errors
def list_actors(path: DictionaryPath) -> None:
    """Print the actors of a dictionary with their type, parent chain and aliases."""
    from rich.console import Console
    from rich.table import Table

    from stancekit.actors import ActorDictionary

    dictionary = ActorDictionary.load(path)
    table = Table("id", "name", "type", "parents", "aliases")
    for actor in dictionary:
        forms = sorted({alias.text for alias in actor.surface_forms()})
        table.add_row(actor.id, actor.name, actor.type, " > ".join(dictionary.ancestors(actor.id)), ", ".join(forms))
    Console().print(table)
