"""``stancekit dataset build``: gold records -> a Hugging Face DatasetDict on disk (Parquet) with a card.

``datasets/<name>/`` gets train/validation/test.parquet (split by document: no document spans
two splits), README.md (the dataset card) and stancekit-dataset.json. A split without rows has
no file (``datasets`` cannot load an empty Parquet split); the manifest's ``splits`` lists those
written, and :func:`load_gold` returns all three, empty ones included.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stancekit.annotation.agreement import ALPHA_WARNING, agreement
from stancekit.annotation.gold import gold_records
from stancekit.errors import ConfigError
from stancekit.io import atomic_write, read_jsonl
from stancekit.labels import LabelScheme
from stancekit.studio.pull import ANNOTATIONS_FILE, TASKS_FILE

SPLITS = ("train", "validation", "test")
MANIFEST = "stancekit-dataset.json"


def features():
    """The dataset's columns (the contract between annotation and training)."""
    from datasets import Features, List, Value

    return Features({
        "task_key": Value("string"), "doc_id": Value("string"), "sent_idx": Value("int64"), "text": Value("string"),
        "mentions": List({"actor": Value("string"), "start": Value("int64"), "end": Value("int64"),
                          "text": Value("string"), "stance": Value("string")}),
        "sentiment": Value("string"), "meta": Value("string"),
    })


@dataclass
class DatasetBuildConfig:
    """Which pulled annotations (and adjudications) become which named dataset, split how."""

    name: str
    annotations_dir: Path
    adjudication_dir: Path | None = None
    out_root: Path = Path("datasets")
    validation: float = 0.1
    test: float = 0.1
    seed: int = 13
    scheme: LabelScheme = field(default_factory=LabelScheme)

    def __post_init__(self) -> None:
        if not self.name or any(c in self.name for c in "/\\") or self.name.startswith("."):
            raise ConfigError(f"dataset name must be a plain folder name, found {self.name!r}")
        self.annotations_dir, self.out_root = Path(self.annotations_dir), Path(self.out_root)
        dirs = [self.annotations_dir]
        if self.adjudication_dir is not None:
            self.adjudication_dir = Path(self.adjudication_dir)
            dirs.append(self.adjudication_dir)
        for folder in dirs:
            for name in (TASKS_FILE, ANNOTATIONS_FILE):
                if not (folder / name).is_file():
                    raise ConfigError(f"{folder / name} not found; expected a folder written by stancekit ls pull")
        if not (0 <= self.validation < 1 and 0 <= self.test < 1 and self.validation + self.test < 1):
            raise ConfigError(f"validation and test shares must be in [0, 1) and leave room for train, found "
                              f"{self.validation} and {self.test}")

    @property
    def out_dir(self) -> Path:
        return self.out_root / self.name


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
    import pyarrow.parquet as pq
    from datasets import Dataset

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
    rows = {s: [] for s in SPLITS}
    for record in gold:
        rows[assignment[record["doc_id"]]].append({**record, "meta": json.dumps(record["meta"], ensure_ascii=False,
                                                                                sort_keys=True)})
    schema = features()
    out = config.out_dir
    for split in SPLITS:  # datasets cannot load an empty Parquet split: write only splits with rows
        path = out / f"{split}.parquet"
        if not rows[split]:
            path.unlink(missing_ok=True)
            continue
        columns = {name: [r[name] for r in rows[split]] for name in schema}
        with atomic_write(path, "wb") as handle:
            pq.write_table(Dataset.from_dict(columns, features=schema, split=split).data.table, handle)
    report = agreement(records).to_dict()
    counts = {s: {"sentences": len(rows[s]), "documents": len({r["doc_id"] for r in rows[s]}),
                  "mentions": sum(len(r["mentions"]) for r in rows[s])} for s in SPLITS}
    distribution = {s: label_distribution(rows[s]) for s in SPLITS}
    adjudicated = sum(1 for r in gold if r["meta"]["gold"].startswith("adjudicated"))
    manifest = {
        "name": config.name,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "source": {"annotations": str(config.annotations_dir),
                   "adjudication": str(config.adjudication_dir) if config.adjudication_dir else None,
                   "raw_exports": sorted(p.name for p in (config.annotations_dir / "raw").glob("export-*.json")
                                         if not p.name.endswith(".users.json"))},
        "label_scheme": {"stance": list(config.scheme.stance), "sentiment": list(config.scheme.sentiment),
                         "annotator_only": list(config.scheme.annotator_only)},
        "splits": [s for s in SPLITS if rows[s]], "counts": counts, "label_distribution": distribution, "adjudicated_sentences": adjudicated,
        "annotators": sorted(report["annotators"]), "agreement": report,
        "split": {"by": "doc_id", "validation": config.validation, "test": config.test, "seed": config.seed},
    }
    with atomic_write(out / MANIFEST) as handle:
        json.dump(manifest, handle, indent=2, ensure_ascii=False)
    with atomic_write(out / "README.md") as handle:
        handle.write(dataset_card(manifest))
    for warning in report["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    return DatasetSummary(out, counts, report)


def _fmt(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3f}"


def dataset_card(manifest: dict[str, Any]) -> str:
    """The dataset card (README.md) from the manifest."""
    agreement_ = manifest["agreement"]
    lines = [
        f"# {manifest['name']}",
        "",
        "Gold stance (per actor mention) and sentiment (per sentence) labels for news coverage of armed "
        "conflicts, annotated in Label Studio and built by `stancekit dataset build`.",
        "",
        "## Splits (grouped by document)",
        "",
        "| split | documents | sentences | mentions | stance labels | sentiment labels |",
        "|---|---|---|---|---|---|",
    ]
    for split in SPLITS:
        c, d = manifest["counts"][split], manifest["label_distribution"][split]
        lines.append(f"| {split} | {c['documents']} | {c['sentences']} | {c['mentions']} | "
                     f"{', '.join(f'{k}: {v}' for k, v in d['stance'].items()) or '-'} | "
                     f"{', '.join(f'{k}: {v}' for k, v in d['sentiment'].items()) or '-'} |")
    lines += [
        "",
        "`None` is a mention whose gold stance is unclear or unresolved (a tie nobody adjudicated); trainers skip it.",
        "",
        "## Agreement",
        "",
        f"Annotators: {len(manifest['annotators'])}. Krippendorff's alpha (nominal): stance "
        f"{_fmt(agreement_['alpha'].get('stance'))} over {agreement_['units'].get('stance', 0)} units with 2+ answers, "
        f"sentiment {_fmt(agreement_['alpha'].get('sentiment'))} over {agreement_['units'].get('sentiment', 0)} units "
        f"(threshold {ALPHA_WARNING}). Adjudicated sentences: {manifest['adjudicated_sentences']}.",
    ]
    lines += [f"- warning: {w}" for w in agreement_["warnings"]]
    source = manifest["source"]
    lines += [
        "",
        "## Provenance",
        "",
        f"- annotations: `{source['annotations']}` (raw Label Studio exports: "
        f"{', '.join(source['raw_exports']) or 'none kept'})",
        f"- adjudication: `{source['adjudication'] or 'none'}`",
        f"- created: {manifest['created']}; label scheme: stance {manifest['label_scheme']['stance']}, "
        f"sentiment {manifest['label_scheme']['sentiment']}",
        "",
        "## Columns",
        "",
        "`task_key`, `doc_id`, `sent_idx`, `text`, `mentions` (list of {actor, start, end, text, stance}, offsets "
        "into `text`, end exclusive), `sentiment`, `meta` (JSON string; `gold` says how the label was decided).",
        "",
        "Load with `datasets.load_dataset(\"parquet\", data_files={split: f\"{split}.parquet\" ...})`.",
        "",
    ]
    return "\n".join(lines)


def load_gold(path: str | Path):
    """A built dataset as a ``DatasetDict`` with train/validation/test (empty splits included)."""
    from datasets import Dataset, DatasetDict, load_dataset

    path = Path(path)
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path / MANIFEST} not found; expected a folder written by stancekit dataset build") from None
    present = {s: str(path / f"{s}.parquet") for s in manifest["splits"]}
    loaded = load_dataset("parquet", data_files=present) if present else {}
    schema = features()
    return DatasetDict({s: loaded[s] if s in present else Dataset.from_dict({k: [] for k in schema}, features=schema)
                        for s in SPLITS})
