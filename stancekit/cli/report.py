"""``stancekit report``: stance per actor from tagged coverage, corrected for the classifier's errors."""

from __future__ import annotations

import sys

from stancekit.cli._app import REPORT, cli_errors, command
from stancekit.cli._options import config_command
from stancekit.reporting import ReportConfig


@command(panel=REPORT)
@cli_errors
@config_command(ReportConfig)
def report(config: ReportConfig) -> None:
    """Summarise stance per actor (overall, by outlet, day and document): shares corrected for the classifier's
    errors, with intervals, as CSV tables, charts, one HTML page and provenance.json."""
    from stancekit.reporting import build_report

    result = build_report(config)
    skipped = f", skipped {result.skipped} bad record(s)" if result.skipped else ""
    phases = ", ".join(f"{phase} {s:.1f}s" for phase, s in result.seconds.items())
    print(f"{result.sentences} sentence(s), {result.mentions} mention(s){skipped}; shares by {result.method} "
          f"({phases}) -> {config.output_dir}/report.html", file=sys.stderr)
    for path in result.files:
        print(path)
