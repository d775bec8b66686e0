"""``stancekit dataset build``: gold labels -> a Hugging Face dataset folder."""

from __future__ import annotations

import sys

from stancekit.cli._app import LEARN, cli_errors, command, command_group
from stancekit.cli._options import config_command
from stancekit.studio.options import DatasetBuildConfig

dataset_app = command_group("dataset", "Build gold datasets from pulled annotations.", panel=LEARN)


@command(dataset_app, "build")
@cli_errors
@config_command(DatasetBuildConfig)
def build(config: DatasetBuildConfig) -> None:
    """Majority vote (adjudicated answers win) -> train/validation/test Parquet split by document, with a card.

    The dataset is named after its -o/--output folder (e.g. datasets/nk-2020).
    """
    from stancekit.gold.build import build_dataset

    summary = build_dataset(config)
    counts = ", ".join(f"{s}: {c['sentences']} sentences / {c['documents']} docs" for s, c in summary.counts.items())
    print(f"{counts} -> {summary.out_dir}", file=sys.stderr)
    print(summary.out_dir)
