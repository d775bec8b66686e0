"""``stancekit dataset build``: gold labels -> a Hugging Face dataset under datasets/<name>/."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from stancekit.cli._app import cli_errors, command_group

dataset_app = command_group("dataset", "Build gold datasets from pulled annotations.")


@dataset_app.command("build")
@cli_errors
def build(
    annotations: Annotated[Path, typer.Argument(help="Folder written by stancekit ls pull (tasks + annotations).")],
    name: Annotated[str, typer.Option("--name", "-n", help="Dataset name: the folder under --out-root.")],
    adjudication: Annotated[Optional[Path], typer.Option(help="Folder pulled from the adjudication project; "
                            "its answers win.")] = None,
    out_root: Annotated[Path, typer.Option(help="Where datasets land.")] = Path("datasets"),
    validation: Annotated[float, typer.Option(help="Share of sentences for validation (whole documents).")] = 0.1,
    test: Annotated[float, typer.Option(help="Share of sentences for test (whole documents).")] = 0.1,
    seed: Annotated[int, typer.Option(help="Seed of the document order used for splitting.")] = 13,
    formats: Annotated[Optional[list[str]], typer.Option(
        "--format", metavar="jsonl|csv", help="Also write the splits as jsonl and/or csv (repeat the option); "
        "Parquet is always written.")] = None,
) -> None:
    """Majority vote (adjudicated answers win) -> train/validation/test Parquet split by document, with a card."""
    from stancekit.gold.build import DatasetBuildConfig, build_dataset

    summary = build_dataset(DatasetBuildConfig(name=name, annotations_dir=annotations, adjudication_dir=adjudication,
                                               out_root=out_root, validation=validation, test=test, seed=seed,
                                               formats=tuple(formats or ())))
    counts = ", ".join(f"{s}: {c['sentences']} sentences / {c['documents']} docs" for s, c in summary.counts.items())
    print(f"{counts} -> {summary.out_dir}", file=sys.stderr)
    print(summary.out_dir)
