"""``stancekit tag``: coverage in, stance per actor mention out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from stancekit.cli._app import RecheckMargin, app, cli_errors
from stancekit.quantization import DEFAULT_RECHECK_MARGIN
from stancekit.tagging import TagConfig, tag as run_tag


@app.command()
@cli_errors
def tag(
    inputs: Annotated[list[Path], typer.Argument(help="Coverage files (.txt, .jsonl, .csv) or folders.")],
    model: Annotated[Path, typer.Option("--model", "-m", help="Stance model folder (from `stancekit train`).")],
    actors: Annotated[Path, typer.Option("--actors", "-a", help="Actor dictionary (YAML).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output file; .jsonl, .csv (a row a mention) "
                                                                "or .parquet. Re-run to resume.")],
    sentiment_model: Annotated[Optional[Path], typer.Option(help="Also tag sentence sentiment with this model.")]
    = None,
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Report bad documents on stderr and go on.")] = False,
    device: Annotated[str, typer.Option(help="auto (GPU when present), cpu, cuda, cuda:1...")] = "auto",
    precision: Annotated[str, typer.Option(help="fp32, or int8 (quantized on CPU; see the README's Speed).")] = "fp32",
    recheck_margin: RecheckMargin = DEFAULT_RECHECK_MARGIN,
    batch_size: Annotated[int, typer.Option(help="Mentions per model batch.")] = 64,
    chunk_documents: Annotated[int, typer.Option(help="Documents per output chunk (the unit of resuming).")] = 200,
    threads: Annotated[Optional[int], typer.Option(help="CPU threads for the model (default: all cores).")] = None,
    engine: Annotated[str, typer.Option(help="local, or ray (Ray Data; needs `pip install 'stancekit\\[ray]'`).")]
    = "local",
    ray_actors: Annotated[int, typer.Option(help="Model-holding Ray actors (one per GPU on a GPU cluster).")] = 2,
    ray_address: Annotated[Optional[str], typer.Option(help="Ray cluster address (default: start a local one).")]
    = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar on stderr.")]
    = True,
) -> None:
    """Tag the stance toward every actor mention in coverage (and sentence sentiment)."""
    config = TagConfig(inputs=inputs, model=model, actors=actors, output=output, sentiment_model=sentiment_model,
                       skip_bad=skip_bad, device=device, precision=precision, recheck_margin=recheck_margin,
                       batch_size=batch_size,
                       chunk_documents=chunk_documents, threads=threads, engine=engine, ray_actors=ray_actors,
                       ray_address=ray_address, progress=progress)
    summary = run_tag(config)
    resumed = f" ({summary.resumed_documents} resumed)" if summary.resumed_documents else ""
    skipped = f", skipped {len(summary.skipped)} bad record(s)" if summary.skipped else ""
    print(f"{summary.documents} document(s){resumed}, {summary.sentences} sentence(s) and {summary.mentions} "
          f"mention(s) tagged in {summary.seconds:.1f}s ({summary.mentions_per_second:.0f} mentions/s){skipped} "
          f"-> {output}", file=sys.stderr)
