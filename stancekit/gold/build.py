"""``stancekit dataset build``: pulled annotations -> gold labels -> a gold dataset (:mod:`stancekit.gold.dataset`).

Gold labels are decided by majority (adjudicated answers win); sentences are split into
train/validation/test by document, so that no document spans two splits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stancekit.annotation.agreement import agreement
from stancekit.errors import ConfigError
from stancekit.gold import dataset
from stancekit.gold.dataset import SPLITS
from stancekit.gold.voting import gold_records
from stancekit.io import read_jsonl
from stancekit.studio.options import DatasetBuildConfig
from stancekit.studio.pulled import ANNOTATIONS_FILE, TASKS_FILE


def split_documents(gold: list[dict[str, Any]], *, validation: float, test: float, seed: int) -> dict[str, str]:
    """doc_id -> split: documents in a seeded hash order fill test, then validation, never beyond their share."""
    sizes = Counter(r["doc_id"] for r in gold)
    total = sum(sizes.values())
    targets = {"test": round(test * total), "validation": round(validation * total)}
    filled = {"test": 0, "validation": 0}
    order = sorted(sizes, key=lambda d: hashlib.sha1(f"{seed}:{d}".encode()).hexdigest())
    assignment = {}
    for doc in order:
        split = next((s for s in ("test", "validation") if filled[s] + sizes[doc] <= targets[s]), "train")
        if split != "train":
            filled[split] += sizes[doc]
        assignment[doc] = split
    return assignment


def label_distribution(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    stance = Counter(str(m["stance"]) for r in rows for m in r["mentions"])
    sentiment = Counter(str(r["sentiment"]) for r in rows)
    return {"stance": dict(sorted(stance.items())), "sentiment": dict(sorted(sentiment.items()))}


@dataclass
class DatasetSummary:
    out_dir: Path
    counts: dict[str, dict[str, int]]
    agreement: dict[str, Any]


def build_dataset(config: DatasetBuildConfig) -> DatasetSummary:
    """Aggregate gold labels, split by document, write Parquet + card + manifest atomically."""
    tasks = list(read_jsonl(config.annotations_dir / TASKS_FILE))
    records = list(read_jsonl(config.annotations_dir / ANNOTATIONS_FILE))
    adj_tasks = adj_records = None
    if config.adjudication_dir is not None:
        adj_tasks = list(read_jsonl(config.adjudication_dir / TASKS_FILE))
        adj_records = list(read_jsonl(config.adjudication_dir / ANNOTATIONS_FILE))
    gold = gold_records(tasks, records, adj_records, adj_tasks)
    if not gold:
        raise ConfigError(f"{config.annotations_dir / ANNOTATIONS_FILE}: no annotated task; annotate some tasks and "
                          "pull again")
    assignment = split_documents(gold, validation=config.validation, test=config.test, seed=config.seed)
    rows: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    for record in gold:
        rows[assignment[record["doc_id"]]].append(record)
    report = agreement(records).to_dict()
    counts = {s: {"sentences": len(rows[s]), "documents": len({r["doc_id"] for r in rows[s]}),
                  "mentions": sum(len(r["mentions"]) for r in rows[s])} for s in SPLITS}
    distribution = {s: label_distribution(rows[s]) for s in SPLITS}
    adjudicated = sum(1 for r in gold if r["meta"]["gold"].startswith("adjudicated"))
    manifest = {
        "name": config.name,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "source": {"annotations": dataset.portable(config.annotations_dir, config.out_dir),
                   "adjudication": dataset.portable(config.adjudication_dir, config.out_dir),
                   "raw_exports": sorted(p.name for p in (config.annotations_dir / "raw").glob("export-*.json")
                                         if not p.name.endswith(".users.json"))},
        "label_scheme": {"stance": list(config.scheme.stance), "sentiment": list(config.scheme.sentiment),
                         "annotator_only": list(config.scheme.annotator_only)},
        "counts": counts, "label_distribution": distribution, "adjudicated_sentences": adjudicated,
        "annotators": sorted(report["annotators"]), "agreement": report,
        "split": {"by": "doc_id", "validation": config.validation, "test": config.test, "seed": config.seed},
    }
    dataset.write(config.out_dir, rows, manifest, formats=config.formats)
    for warning in report["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    return DatasetSummary(config.out_dir, counts, report)
