"""Per-actor stance reports from tagged coverage: shares corrected for the classifier's errors, intervals that
cover the truth, tables, charts, one HTML page and the provenance of every number.

- :mod:`~stancekit.reporting.config`: what ``stancekit report`` reads (light: the CLI's ``--help`` imports it);
- :mod:`~stancekit.reporting.cells`: tagged records gathered into cells (actor, and actor by outlet, day, document);
- :mod:`~stancekit.reporting.calibration`: the labelled mentions the classifier's errors are measured on;
- :mod:`~stancekit.reporting.estimate`: corrected shares (QuaPy's estimators) and bootstrap intervals;
- :mod:`~stancekit.reporting.tables`, :mod:`~stancekit.reporting.charts`, :mod:`~stancekit.reporting.page`: outputs;
- :mod:`~stancekit.reporting.build`: ``build_report``, the job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stancekit.reporting.config import ReportConfig

if TYPE_CHECKING:
    from stancekit.reporting.build import ReportResult


def build_report(config: ReportConfig) -> ReportResult:
    """Run ``stancekit report`` (see :func:`stancekit.reporting.build.build_report`)."""
    from stancekit.reporting.build import build_report as run

    return run(config)


__all__ = ["ReportConfig", "build_report"]
