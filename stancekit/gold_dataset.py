"""The gold dataset format, both ways: ``datasets/<name>/`` as written by ``stancekit dataset build``.

A gold dataset folder holds ``train/validation/test.parquet`` (a Hugging Face ``DatasetDict``; a split
without rows has no file, since ``datasets`` cannot load an empty Parquet split), the dataset card
``README.md`` and the manifest ``stancekit-dataset.json`` (label scheme, splits, counts, agreement,
provenance). :func:`write` writes one, :func:`read_examples` reads a split for training and
evaluation, :func:`load` returns the ``DatasetDict`` with all three splits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stancekit.errors import ConfigError, InputError
from stancekit.io import atomic_write
from stancekit.labels import SENTIMENT_LABELS, STANCE_ANNOTATOR_ONLY, STANCE_LABELS, TASK_LABELS
from stancekit.records import Example, Mention, Sentence

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


def write(out: Path, rows: dict[str, Sequence[dict[str, Any]]], manifest: dict[str, Any]) -> None:
    """Write the splits' rows (Parquet), the manifest (its ``splits`` set here) and the card into ``out``.

    Rows follow :func:`features`, with ``meta`` a dict (stored as a JSON string).
    """
    import pyarrow.parquet as pq
    from datasets import Dataset

    schema = features()
    manifest = {**manifest, "splits": [s for s in SPLITS if rows.get(s)]}
    for split in SPLITS:
        path = out / f"{split}.parquet"
        if not rows.get(split):
            path.unlink(missing_ok=True)
            continue
        columns = {name: [json.dumps(r["meta"], ensure_ascii=False, sort_keys=True) if name == "meta" else r[name]
                          for r in rows[split]] for name in schema}
        with atomic_write(path, "wb") as handle:
            pq.write_table(Dataset.from_dict(columns, features=schema, split=split).data.table, handle)
    with atomic_write(out / MANIFEST) as handle:
        json.dump(manifest, handle, indent=2, ensure_ascii=False)
    with atomic_write(out / "README.md") as handle:
        handle.write(dataset_card(manifest))


def _fmt(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3f}"


def card_header(manifest: dict[str, Any]) -> str:
    """The card's YAML header (``huggingface_hub.DatasetCardData``): a ``configs`` entry whose ``data_files``
    name the split files, so that ``datasets.load_dataset(folder)`` and the Hub read the splits as written."""
    from huggingface_hub import DatasetCardData

    sentences = sum(manifest["counts"][split]["sentences"] for split in SPLITS)
    size = next(label for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                                           (1_000_000, "100K<n<1M"), (float("inf"), "n>1M")) if sentences < limit)
    data = DatasetCardData(
        pretty_name=manifest["name"], language="en", task_categories=["text-classification"],
        task_ids=["sentiment-classification"], size_categories=size,
        tags=["stancekit", "stance-detection", "target-dependent-sentiment", "news", "armed-conflict"],
        configs=[{"config_name": "default", "default": True,
                  "data_files": [{"split": split, "path": f"{split}.parquet"} for split in manifest["splits"]]}])
    return f"---\n{data.to_yaml()}\n---\n\n"


def dataset_card(manifest: dict[str, Any]) -> str:
    """The dataset card (README.md) from the manifest: the Hugging Face YAML header, then the text."""
    agreement_ = manifest["agreement"]
    lines = [
        card_header(manifest) + f"# {manifest['name']}",
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
        f"(threshold {agreement_.get('alpha_threshold')}). Adjudicated sentences: {manifest['adjudicated_sentences']}.",
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
        "Load with `datasets.load_dataset(\"<this folder>\")` (the header's `configs` name the split files) or "
        "`stancekit.gold_dataset.load(folder)` (all three splits, empty ones included).",
        "",
    ]
    return "\n".join(lines)


def check_scheme(folder: Path) -> None:
    """A gold dataset whose manifest declares other labels than this stancekit's is a scheme mismatch."""
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        return
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(manifest_path, f"broken JSON ({exc.msg})") from None
    scheme = manifest.get("label_scheme") or {}
    for task, expected in TASK_LABELS.items():
        declared = scheme.get(task)
        if declared is not None and set(declared) != set(expected):
            raise ConfigError(f"{manifest_path}: label-scheme mismatch: the dataset's {task} labels are "
                              f"{sorted(declared)}, stancekit learns {sorted(expected)}; rebuild the dataset "
                              "with the current label scheme")



def _stance_of(value: object, path: Path, line: int | None) -> str | None:
    if value is None or value in STANCE_ANNOTATOR_ONLY:
        return None
    if value not in STANCE_LABELS:
        raise InputError(path, f"unknown stance label {value!r}: expected one of {', '.join(STANCE_LABELS)} "
                         f"(or {', '.join(STANCE_ANNOTATOR_ONLY)}/null for no label)", line=line)
    return str(value)


def read_examples(path: Path) -> list[Example]:
    """One example per row of a gold dataset parquet file (the dataset contract's columns)."""
    import pyarrow.parquet as pq

    check_scheme(path.parent)
    try:
        rows = pq.read_table(path).to_pylist()
    except (OSError, ValueError) as exc:
        raise InputError(path, f"cannot read parquet ({exc})") from None
    examples = []
    for row_no, row in enumerate(rows, start=1):
        try:
            text = row["text"]
            mentions = tuple(Mention(m["actor"], int(m["start"]), int(m["end"]), m["text"])
                             for m in row["mentions"] or [])
            stances = tuple(_stance_of(m.get("stance"), path, row_no) for m in row["mentions"] or [])
            sentiment = row.get("sentiment")
            meta = json.loads(row["meta"]) if row.get("meta") else {}
            sentence = Sentence(str(row["doc_id"]), int(row["sent_idx"]), 0, len(text), text, mentions, meta)
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(path, f"row {row_no} does not follow the gold dataset columns ({exc})",
                             hint="expected doc_id, sent_idx, text, mentions, sentiment, meta") from None
        if sentiment is not None and sentiment not in SENTIMENT_LABELS:
            raise InputError(path, f"row {row_no}: unknown sentiment label {sentiment!r}: expected one of "
                             f"{', '.join(SENTIMENT_LABELS)} or null")
        for m in mentions:
            if not 0 <= m.start < m.end <= len(text):
                raise InputError(path, f"row {row_no}: mention offsets {m.start}:{m.end} outside the sentence")
        examples.append(Example(sentence, stances, sentiment))
    return examples


def load(path: str | Path):
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


def find(root: Path) -> list[Path]:
    """The gold dataset folders (with a train split) under ``root``."""
    return sorted(p.parent for p in root.glob(f"*/{MANIFEST}") if (p.parent / "train.parquet").is_file())
