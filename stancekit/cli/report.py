"""``stancekit report``: stance per actor from tagged coverage (CSV, PNG, HTML)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from stancekit.cli._app import app, cli_errors
from stancekit.reporting import ReportConfig, build_report


@app.command()
@cli_errors
def report(
    tags: Annotated[Path, typer.Argument(help="Output of `stancekit tag` (.jsonl, .csv or .parquet).")],
    output_dir: Annotated[Path, typer.Option("--output", "-o", help="Folder for the tables, charts and HTML.")],
    actors: Annotated[Optional[Path], typer.Option("--actors", "-a", help="Actor dictionary: names, and "
                                                   "aggregation up the parent chain.")] = None,
    top_k: Annotated[int, typer.Option(help="Most confident favor/against sentences per actor.")] = 5,
    confidence: Annotated[float, typer.Option(help="Confidence level of the net-score intervals.")] = 0.95,
    chart_actors: Annotated[int, typer.Option(help="Actors shown in the stance-per-actor chart.")] = 15,
) -> None:
    """Summarise stance per actor: overall and by document, outlet and day."""
    result = build_report(ReportConfig(tags=tags, output_dir=output_dir, actors=actors, top_k=top_k,
                                       confidence=confidence, chart_actors=chart_actors))
    print(f"{result.sentences} sentence(s), {result.mentions} mention(s) -> {output_dir}/report.html", file=sys.stderr)
    for path in result.files:
        print(path)
