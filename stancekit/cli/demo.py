"""``stancekit demo``: the whole pipeline on the seed coverage."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from stancekit.cli._app import app, cli_errors
from stancekit.demo import DemoConfig, summarise_mentions


@app.command()
@cli_errors
def demo(
    seeds: Annotated[Optional[Path], typer.Option(help="Seed folder (default: ./seeds or the repository's).")] = None,
    actors: Annotated[Optional[Path], typer.Option(help="Actor dictionary (default: the seed folder's).")] = None,
) -> None:
    """Run stancekit on the seed coverage and print each actor's mentions."""
    config = DemoConfig(seeds_dir=seeds, actors=actors)
    result = summarise_mentions(config)
    console = Console()
    mentions = sum(a.mentions for a in result.actors)
    console.print(f"[bold]{config.seeds_dir}[/]: {result.documents} document(s), {len(result.sentences)} sentences, "
                  f"{mentions} mentions of {len(result.actors)} actors ({config.actors.name})")
    table = Table("actor", "type", "mentions", "example sentence", show_lines=False)
    for summary in result.actors:
        example = summary.example if len(summary.example) <= 90 else summary.example[:87] + "..."
        table.add_row(summary.name, summary.type, str(summary.mentions), example)
    console.print(table)
