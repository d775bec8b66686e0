"""``stancekit actors``: validate and list actor dictionaries."""

from __future__ import annotations

import sys

from stancekit.actors import DictionaryConfig
from stancekit.cli._app import READ, cli_errors, command, command_group
from stancekit.cli._options import config_command

actors_app = command_group("actors", "Validate and inspect actor dictionaries.", panel=READ)


@command(actors_app, "check")
@cli_errors
@config_command(DictionaryConfig)
def check(config: DictionaryConfig) -> None:
    """Validate a dictionary: duplicate aliases, missing parents, parent cycles, bad dates; name the aliases whose
    language has no analyser (they match only as written)."""
    from stancekit.actors import ActorDictionary
    from stancekit.morphology import ANALYSERS

    dictionary = ActorDictionary.load(config.actors)
    for warning in dictionary.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for actor_id, alias in dictionary.exact_only_aliases():
        print(f"note: actor {actor_id!r}: alias {alias.text!r} (lang {alias.lang}) is matched only as written: "
              f"no analyser finds its inflected forms (languages with one: {', '.join(ANALYSERS)}); list the forms "
              "you need as aliases", file=sys.stderr)
    aliases = sum(1 for actor in dictionary for _ in actor.surface_forms())
    print(f"{config.actors}: OK, {len(dictionary)} actors, {aliases} surface forms")


@command(actors_app, "list")
@cli_errors
@config_command(DictionaryConfig)
def list_actors(config: DictionaryConfig) -> None:
    """Print the actors of a dictionary with their type, parent chain and aliases."""
    from rich.console import Console
    from rich.table import Table

    from stancekit.actors import ActorDictionary

    dictionary = ActorDictionary.load(config.actors)
    table = Table("id", "name", "type", "parents", "aliases")
    for actor in dictionary:
        forms = sorted({alias.text for alias in actor.surface_forms()})
        table.add_row(actor.id, actor.name, actor.type, " > ".join(dictionary.ancestors(actor.id)), ", ".join(forms))
    Console().print(table)
