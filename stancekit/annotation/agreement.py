"""Inter-annotator agreement from annotation records (Label Studio Community Edition has none).

Units: a stance unit is (task, actor span); a sentiment unit is the task. Krippendorff's alpha
(nominal, missing values allowed), pairwise Cohen's kappa, and per annotator: counts, time, a
confusion table against the majority, and how often the annotator kept the model's pre-filled
answer (or, where the push kept it hidden, gave the same answer unprompted). "unclear" is a
category like any other here.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stancekit.extras import require_extra
from stancekit.gold.voting import majority
from stancekit.io import write_csv as write_rows
from stancekit.options import OUTPUT_FILE, check_fields, option
from stancekit.paths import PathRule

ALPHA_WARNING = 0.667  # Krippendorff: below this, draw no conclusions from the labels

Unit = tuple  # ("stance", task_key, actor, start, end) or ("sentiment", task_key)


def units(records: Iterable[dict[str, Any]]) -> dict[str, dict[Unit, dict[str, str]]]:
    """{"stance"|"sentiment": {unit: {annotator: label}}} from the records that carry a label."""
    found: dict[str, dict[Unit, dict[str, str]]] = {"stance": defaultdict(dict), "sentiment": defaultdict(dict)}
    for record in records:
        if record.get("label") is None:
            continue
        if record["kind"] == "stance":
            unit = ("stance", record["task_key"], record["actor"], record["start"], record["end"])
        elif record["kind"] == "sentiment":
            unit = ("sentiment", record["task_key"])
        else:
            continue
        found[record["kind"]][unit][record["annotator"]] = record["label"]
    return found


def krippendorff_alpha(table: dict[Unit, dict[str, str]]) -> float | None:
    """Nominal alpha over units with at least two answers; None when undefined (one label only, no pairs)."""
    annotators = sorted({a for answers in table.values() for a in answers})
    paired = [answers for answers in table.values() if len(answers) >= 2]
    labels = sorted({label for answers in paired for label in answers.values()})
    if len(annotators) < 2 or not paired or len(labels) < 2:
        return None
    import krippendorff
    import numpy as np

    code = {label: i for i, label in enumerate(labels)}
    matrix = np.full((len(annotators), len(paired)), np.nan)
    for j, answers in enumerate(paired):
        for i, annotator in enumerate(annotators):
            if annotator in answers:
                matrix[i, j] = code[answers[annotator]]
    return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))


def cohen_kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two annotators' labels (``sklearn.metrics.cohen_kappa_score``); None when it is
    undefined: no pairs, or chance agreement is total (both gave one and the same label throughout)."""
    if not pairs:
        return None
    from sklearn.metrics import cohen_kappa_score

    left, right = zip(*pairs)
    if len(set(left) | set(right)) < 2:  # one label in use: chance agreement is total
        return None
    return float(cohen_kappa_score(left, right))


def pairwise_kappa(table: dict[Unit, dict[str, str]]) -> list[dict[str, Any]]:
    """Cohen's kappa for every pair of annotators over the units both answered."""
    annotators = sorted({a for answers in table.values() for a in answers})
    pairs = []
    for a, b in itertools.combinations(annotators, 2):
        both = [(ans[a], ans[b]) for ans in table.values() if a in ans and b in ans]
        kappa = cohen_kappa(both)
        agreed = sum(x == y for x, y in both)
        pairs.append({"annotators": [a, b], "units": len(both), "agreed": agreed, "kappa": kappa})
    return pairs


@dataclass
class AgreementReport:
    """Everything ``stancekit agreement`` prints, JSON-ready."""

    alpha: dict[str, float | None] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)
    kappa: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    annotators: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "units": self.units, "kappa": self.kappa, "annotators": self.annotators,
                "warnings": self.warnings, "alpha_threshold": ALPHA_WARNING}

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """The report as flat tables (file stem -> rows), for CSV and data frames: alpha per task, Cohen's kappa
        per pair, per-annotator figures, the model's answers kept or matched, and each annotator's labels
        against the majority (one row a cell). Undefined figures are None."""
        tables: dict[str, list[dict[str, Any]]] = {
            "alpha": [{"task": kind, "alpha": self.alpha[kind], "units": self.units[kind],
                       "threshold": ALPHA_WARNING} for kind in self.alpha],
            "pairwise_kappa": [{"task": kind, "annotator_a": row["annotators"][0], "annotator_b": row["annotators"][1],
                                "units": row["units"], "agreed": row["agreed"], "kappa": row["kappa"]}
                               for kind, rows in self.kappa.items() for row in rows],
            "annotators": [{"annotator": who, **{k: s[k] for k in PER_ANNOTATOR}}
                           for who, s in sorted(self.annotators.items())],
            "model_answers": [{"annotator": who, "task": kind, **counts}
                              for who, s in sorted(self.annotators.items()) for kind, counts in sorted(s["model"].items())],
            "confusion": [{"annotator": who, "task": kind, "label": said, "majority": top, "count": n}
                          for who, s in sorted(self.annotators.items()) for kind, rows in sorted(s["confusion"].items())
                          for said, row in sorted(rows.items()) for top, n in sorted(row.items())],
        }
        return tables


PER_ANNOTATOR = ("tasks", "skipped", "stance", "sentiment", "unclear", "added_spans", "deleted_spans", "seconds_total",
                 "seconds_median")
CSV_COLUMNS = {  # a table without rows still gets its header
    "alpha": ("task", "alpha", "units", "threshold"),
    "pairwise_kappa": ("task", "annotator_a", "annotator_b", "units", "agreed", "kappa"),
    "annotators": ("annotator", *PER_ANNOTATOR),
    "model_answers": ("annotator", "task", "shown", "kept", "hidden", "matched", "kept_share", "matched_share"),
    "confusion": ("annotator", "task", "label", "majority", "count"),
}


def write_csv(report: AgreementReport, folder: str | Path) -> list[Path]:
    """Write each of the report's tables as ``<folder>/<table>.csv`` (atomically, one file at a time); an
    undefined figure is an empty cell. Returns the files written."""
    folder = Path(folder)
    written = []
    for name, rows in report.tables().items():
        path = folder / f"{name}.csv"
        write_rows(rows, path, CSV_COLUMNS[name])
        written.append(path)
    return written


def agreement(records: list[dict[str, Any]]) -> AgreementReport:
    """Agreement for stance and sentiment, per-annotator counts, time and confusion against the majority."""
    require_extra("studio")  # Krippendorff's alpha
    report = AgreementReport()
    tables = units(records)
    for kind, table in tables.items():
        report.alpha[kind] = krippendorff_alpha(table)
        report.units[kind] = sum(1 for answers in table.values() if len(answers) >= 2)
        report.kappa[kind] = pairwise_kappa(table)
        alpha = report.alpha[kind]
        if alpha is None:
            report.warnings.append(f"{kind}: alpha undefined ({report.units[kind]} unit(s) with 2+ answers, "
                                   "need 2+ annotators and 2+ labels in use)")
        elif alpha < ALPHA_WARNING:
            report.warnings.append(f"{kind}: alpha {alpha:.3f} is below {ALPHA_WARNING}: the labels are not "
                                   "reliable enough to train or report on; revise the guidelines and re-annotate")
    report.annotators = per_annotator(records, tables)
    return report


MODEL_COUNTS = ("shown", "kept", "hidden", "matched")


def _count_model_answer(counts: dict[str, int], record: dict[str, Any]) -> None:
    """Shown (pre-filled) answers kept, or hidden answers the annotator matched unprompted."""
    same = record["label"] == record["model_label"]
    if record.get("model_shown"):
        counts["shown"] += 1
        counts["kept"] += same
    else:
        counts["hidden"] += 1
        counts["matched"] += same


def model_shares(counts: dict[str, int]) -> dict[str, float | None]:
    """kept_share: of the pre-filled answers, those left as the model gave them; matched_share: of the
    answers given unprompted (spans-only push), those equal to the model's. None where there were none."""
    return {"kept_share": counts["kept"] / counts["shown"] if counts["shown"] else None,
            "matched_share": counts["matched"] / counts["hidden"] if counts["hidden"] else None}


def per_annotator(records: list[dict[str, Any]], tables: dict[str, dict[Unit, dict[str, str]]]) -> dict[str, Any]:
    stats: dict[str, dict[str, Any]] = {}
    lead: dict[str, dict[Any, float]] = defaultdict(dict)
    for record in records:
        who = record["annotator"]
        entry = stats.setdefault(who, {"tasks": set(), "skipped": 0, "stance": 0, "sentiment": 0, "unclear": 0,
                                       "added_spans": 0, "deleted_spans": 0, "model": {}})
        kind = record["kind"]
        if kind == "skipped":
            entry["skipped"] += 1
        else:
            entry["tasks"].add(record["task_key"])
        if kind in ("stance", "sentiment") and record.get("label") is not None:
            entry[kind] += 1
            entry["unclear"] += record["label"] == "unclear"
            if record.get("model_label") is not None:
                _count_model_answer(entry["model"].setdefault(kind, dict.fromkeys(MODEL_COUNTS, 0)), record)
        entry["added_spans"] += kind == "stance" and record.get("origin") == "added"
        entry["deleted_spans"] += kind == "span_deleted"
        lead[who][record.get("annotation_id")] = float(record.get("lead_time") or 0.0)
    for who, entry in stats.items():
        entry["tasks"] = len(entry["tasks"])
        times = list(lead[who].values())
        entry["seconds_total"] = round(sum(times), 1)
        entry["seconds_median"] = round(statistics.median(times), 1) if times else None
        entry["confusion"] = {}
        for counts in entry["model"].values():
            counts.update(model_shares(counts))
    for kind, table in tables.items():
        for answers in table.values():
            if len(answers) < 2:
                continue
            top = majority(answers.values())
            if top is None:
                continue
            for who, label in answers.items():
                row = stats[who]["confusion"].setdefault(kind, {})
                row.setdefault(label, {}).setdefault(top, 0)
                row[label][top] += 1
    return stats


@dataclass
class AgreementConfig:
    """Which annotation records to measure, and where the JSON report goes (``stancekit agreement``)."""

    annotations: Path = option(help="Annotation records: annotations.jsonl written by `stancekit ls pull`.",
                               argument=True, metavar="FILE",
                               path=PathRule("file", "annotation records (annotations.jsonl)", stream=True))
    output: Path | None = OUTPUT_FILE(None)
    tables: Path | None = option(None, help="Also write the report's tables as CSV files into this folder.",
                                 flags=("--csv",), metavar="DIR",
                                 path=PathRule("output-folder", "a folder for the agreement tables"))

    def __post_init__(self) -> None:
        check_fields(self)
