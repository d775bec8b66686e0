"""``stancekit demo``: the whole pipeline on the seed coverage."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
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
    table = Table("actor", "type", "mentions", "example (mention in bold)")
    for summary in result.actors:
        table.add_row(summary.name, summary.type, str(summary.mentions), _snippet(summary.example, summary.example_span))
    console.print(table)


def _snippet(text: str, span: tuple[int, int], width: int = 70) -> str:
    """The mention in bold with some context on each side, cut to about ``width`` characters."""
    start, end = span
    room = max(0, width - (end - start)) // 2
    left, right = max(0, start - room), min(len(text), end + room)
    prefix = "…" if left > 0 else ""
    suffix = "…" if right < len(text) else ""
    return f"{prefix}{escape(text[left:start])}[bold]{escape(text[start:end])}[/bold]{escape(text[end:right])}{suffix}"
