"""``stancekit sentences`` and ``stancekit mentions``: coverage in, sentence records out."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from stancekit.cli._app import READ, cli_errors, command
from stancekit.cli._options import config_command
from stancekit.extract import ExtractConfig

if TYPE_CHECKING:
    from stancekit.extract import ExtractSummary


def _report(summary: ExtractSummary) -> None:
    skipped = f", skipped {len(summary.skipped)} bad record(s)" if summary.skipped else ""
    print(f"{summary.documents} document(s), {summary.sentences} sentence(s), "
          f"{summary.mentions} mention(s){skipped}", file=sys.stderr)


@command(panel=READ)
@cli_errors
@config_command(ExtractConfig, exclude=("actors", "roll_up", "only_with_mentions"))
def sentences(config: ExtractConfig) -> None:
    """Split coverage into sentences with character offsets (JSONL, one sentence a line)."""
    from stancekit.extract import extract

    _report(extract(config))


@command(panel=READ)
@cli_errors
@config_command(ExtractConfig, require=("actors",))
def mentions(config: ExtractConfig) -> None:
    """Split coverage into sentences and find the actors each one mentions (JSONL)."""
    from stancekit.extract import extract

    _report(extract(config))
