"""``stancekit agreement``: inter-annotator agreement from pulled annotation records."""

from __future__ import annotations

import json
import sys
from typing import Annotated

from stancekit.annotation.agreement import AgreementConfig
from stancekit.cli._app import ANNOTATE, cli_errors, command
from stancekit.cli._options import config_command, shared_option
from stancekit.io import atomic_write, read_jsonl
from stancekit.options import JSON


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _share(part: int, whole: int) -> str:
    return "-" if not whole else f"{part} ({part / whole:.0%})"


@command(panel=ANNOTATE)
@cli_errors
@config_command(AgreementConfig)
def agreement(config: AgreementConfig, as_json: Annotated[bool, shared_option(JSON)] = False) -> None:
    """Krippendorff's alpha, pairwise Cohen's kappa and per-annotator figures for stance and sentiment.

    -o/--output also writes the report as JSON to a file; --csv writes its tables as CSV files into a folder.
    """
    from rich.console import Console
    from rich.table import Table

    from stancekit.annotation.agreement import agreement as compute_agreement
    from stancekit.annotation.agreement import write_csv

    report = compute_agreement(list(read_jsonl(config.annotations)))
    if config.output is not None:
        with atomic_write(config.output) as handle:
            json.dump(report.to_dict(), handle, indent=2)
    if config.tables is not None:
        write_csv(report, config.tables)
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
        return
    console = Console()
    table = Table("task", "alpha (nominal)", "units with 2+ answers", title="Agreement")
    for kind in ("stance", "sentiment"):
        table.add_row(kind, _fmt(report.alpha[kind]), str(report.units[kind]))
    console.print(table)
    pairs = Table("task", "annotators", "units", "agreed", "Cohen's kappa", title="Pairwise")
    for kind, rows in report.kappa.items():
        for row in rows:
            pairs.add_row(kind, " / ".join(row["annotators"]), str(row["units"]), str(row["agreed"]), _fmt(row["kappa"]))
    console.print(pairs)
    people = Table("annotator", "tasks", "skipped", "stance", "sentiment", "unclear", "added spans", "deleted spans",
                   "seconds (total)", "seconds (median)", title="Annotators")
    for who, s in sorted(report.annotators.items()):
        people.add_row(who, *(str(s[k]) for k in ("tasks", "skipped", "stance", "sentiment", "unclear", "added_spans",
                                                  "deleted_spans", "seconds_total", "seconds_median")))
    console.print(people)
    model = Table("annotator", "answer", "pre-filled", "kept", "hidden (spans only)", "same answer unprompted",
                  title="The model's answers")
    for who, s in sorted(report.annotators.items()):
        for kind, counts in sorted(s["model"].items()):
            model.add_row(who, kind, str(counts["shown"]), _share(counts["kept"], counts["shown"]),
                          str(counts["hidden"]), _share(counts["matched"], counts["hidden"]))
    if model.rows:
        console.print(model)
    for who, s in sorted(report.annotators.items()):
        for kind, rows in s["confusion"].items():
            confusion = Table("annotator said", *sorted({m for r in rows.values() for m in r}),
                              title=f"{who}: {kind} against the majority")
            columns = sorted({m for r in rows.values() for m in r})
            for said, row in sorted(rows.items()):
                confusion.add_row(said, *(str(row.get(c, 0)) for c in columns))
            console.print(confusion)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
