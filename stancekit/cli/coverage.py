"""``stancekit sentences`` and ``stancekit mentions``: coverage in, sentence records out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from stancekit.cli._app import app, cli_errors

if TYPE_CHECKING:
    from stancekit.extract import ExtractSummary

Inputs = Annotated[list[Path], typer.Argument(
    help="Files (.txt/.text, .jsonl/.ndjson, .csv/.tsv) or folders (read recursively; files not read are named).")]
Output = Annotated[Optional[Path], typer.Option("--output", "-o", help="Write JSONL here (atomically); default stdout.")]
SkipBad = Annotated[bool, typer.Option("--skip-bad", help="Report bad documents on stderr and go on.")]


def _report(summary: ExtractSummary) -> None:
    skipped = f", skipped {len(summary.skipped)} bad record(s)" if summary.skipped else ""
    print(f"{summary.documents} document(s), {summary.sentences} sentence(s), "
          f"{summary.mentions} mention(s){skipped}", file=sys.stderr)


@app.command()
@cli_errors
def sentences(inputs: Inputs, output: Output = None, skip_bad: SkipBad = False) -> None:
    """Split coverage into sentences with character offsets (JSONL, one sentence a line)."""
    from stancekit.extract import ExtractConfig, extract

    _report(extract(ExtractConfig(inputs=inputs, output=output, skip_bad=skip_bad)))


@app.command()
@cli_errors
def mentions(
    inputs: Inputs,
    actors: Annotated[Path, typer.Option("--actors", "-a", help="Actor dictionary (YAML).")],
    output: Output = None,
    skip_bad: SkipBad = False,
    roll_up: Annotated[bool, typer.Option("--roll-up", help="Attribute mentions to the top of the parent chain.")] = False,
    only_with_mentions: Annotated[bool, typer.Option("--only-with-mentions", help="Drop sentences without actors.")] = False,
) -> None:
    """Split coverage into sentences and find the actors each one mentions (JSONL)."""
    from stancekit.extract import ExtractConfig, extract

    config = ExtractConfig(inputs=inputs, actors=actors, output=output, skip_bad=skip_bad,
                           roll_up=roll_up, only_with_mentions=only_with_mentions)
    _report(extract(config))
