"""``stancekit report``: stance per actor from tagged coverage (CSV, PNG, HTML)."""

from __future__ import annotations

import sys

from stancekit.cli._app import REPORT, cli_errors, command
from stancekit.cli._options import config_command
from stancekit.reporting import ReportConfig


@command(panel=REPORT)
@cli_errors
@config_command(ReportConfig)
def report(config: ReportConfig) -> None:
    """Summarise stance per actor: overall and by document, outlet and day."""
    from stancekit.reporting import build_report

    result = build_report(config)
    print(f"{result.sentences} sentence(s), {result.mentions} mention(s) -> {config.output_dir}/report.html",
          file=sys.stderr)
    for path in result.files:
        print(path)
