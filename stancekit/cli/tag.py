"""``stancekit tag``: coverage in, stance per actor mention out."""

from __future__ import annotations

import sys

from stancekit.cli._app import TAG, cli_errors, command
from stancekit.cli._options import config_command
from stancekit.tagging.job import TagConfig


@command(panel=TAG)
@cli_errors
@config_command(TagConfig)
def tag(config: TagConfig) -> None:
    """Tag the stance toward every actor mention in coverage (and sentence sentiment).

    The output's suffix picks its format: .jsonl, .csv (a row a mention) or .parquet. Re-running an
    interrupted run with the same options resumes it.
    """
    from stancekit.tagging.job import tag as run_tag

    summary = run_tag(config)
    resumed = f" ({summary.resumed_documents} resumed)" if summary.resumed_documents else ""
    skipped = f", skipped {len(summary.skipped)} bad record(s)" if summary.skipped else ""
    print(f"{summary.documents} document(s){resumed}, {summary.sentences} sentence(s) and {summary.mentions} "
          f"mention(s) tagged in {summary.seconds:.1f}s ({summary.mentions_per_second:.0f} mentions/s){skipped} "
          f"-> {config.output}", file=sys.stderr)
