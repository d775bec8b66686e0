"""The gold dataset format, both ways: ``datasets/<name>/`` as written by ``stancekit dataset build``.

A gold dataset folder holds ``train/validation/test.parquet`` (a Hugging Face ``DatasetDict``; a split
without rows has no file, since ``datasets`` cannot load an empty Parquet split), the dataset card
``README.md`` and the manifest ``stancekit-dataset.json`` (label scheme, splits, counts, agreement,
provenance). Labels are ``ClassLabel`` features (``datasets.load_dataset(folder)`` shows their names;
Parquet stores their index, null for no label). :func:`write` writes one (and, on request, the same
rows as ``<split>.jsonl`` / ``<split>.csv`` for other tools), :func:`read_examples` reads a split for
training and evaluation (older folders with labels as strings too), :func:`load` returns the
``DatasetDict`` with all three splits, :func:`is_gold` tells a gold dataset from other data.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, get_args

from stancekit.errors import ConfigError, InputError
from stancekit.extras import require_extra
from stancekit.io import atomic_write
from stancekit.labels import SENTIMENT_LABELS, STANCE_ANNOTATOR_ONLY, STANCE_LABELS, TASK_LABELS
from stancekit.records import Example, Mention, Sentence

SPLITS = ("train", "validation", "test")
MANIFEST = "stancekit-dataset.json"
ExportFormat = Literal["parquet", "jsonl", "csv"]
EXPORT_FORMATS: tuple[str, ...] = get_args(ExportFormat)
# one row a mention (a sentence without mentions: one row with empty mention fields, so its sentiment stays)
CSV_COLUMNS = ("task_key", "doc_id", "sent_idx", "text", "actor", "mention_start", "mention_end", "mention_text",
               "stance", "sentiment", "meta")
LICENSE_TEXT = ("The labels are the annotators' work; the sentences are excerpts of news coverage whose copyright "
                "stays with their publishers: check their terms before publishing this dataset.")


def features():
    """The dataset's columns (the contract between annotation and training): labels as ``ClassLabel``."""
    require_extra("studio", "train")  # the datasets library
    from datasets import ClassLabel, Features, List, Value

    return Features({
        "task_key": Value("string"), "doc_id": Value("string"), "sent_idx": Value("int64"), "text": Value("string"),
        "mentions": List({"actor": Value("string"), "start": Value("int64"), "end": Value("int64"),
                          "text": Value("string"), "stance": ClassLabel(names=list(STANCE_LABELS))}),
        "sentiment": ClassLabel(names=list(SENTIMENT_LABELS)), "meta": Value("string"),
    })


def is_gold(path: Path) -> bool:
    """A dataset folder built by ``stancekit dataset build`` (or any folder of Parquet splits), or a Parquet file."""
    if path.is_dir():
        return (path / MANIFEST).is_file() or any(path.glob("*.parquet"))
    return path.suffix == ".parquet"


def write(out: Path, rows: dict[str, Sequence[dict[str, Any]]], manifest: dict[str, Any], *,
          formats: Sequence[str] = ("parquet",)) -> None:
    """Write the splits' rows (Parquet, plus JSONL/CSV when ``formats`` asks), the manifest (its ``splits`` and
    ``files`` set here) and the card into ``out``. Every file is written atomically; the files of a format not
    asked for this time, and of a split without rows, are removed (no export of an earlier build stays behind).

    Rows follow :func:`features`, with labels as names or ``ClassLabel`` indices (or None; rows read back from a
    written folder do) and ``meta`` a dict (stored as a JSON string).
    """
    unknown = sorted(set(formats) - set(EXPORT_FORMATS))
    if unknown:
        raise ConfigError(f"unknown dataset format(s) {', '.join(unknown)}: expected {', '.join(EXPORT_FORMATS)}")
    schema = features()
    import pyarrow.parquet as pq
    from datasets import Dataset

    rows = {split: [_label_names(r) for r in split_rows] for split, split_rows in rows.items()}
    present = [s for s in SPLITS if rows.get(s)]
    files = {fmt: [f"{s}.{fmt}" for s in present] for fmt in EXPORT_FORMATS if fmt == "parquet" or fmt in formats}
    manifest = {**manifest, "splits": present, "files": files}
    out.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        for fmt in EXPORT_FORMATS:
            path = out / f"{split}.{fmt}"
            if split not in present or fmt not in files:
                path.unlink(missing_ok=True)
                continue
            if fmt == "parquet":
                encoded = [_label_indices(r) for r in rows[split]]
                columns = {name: [_meta_json(r) if name == "meta" else r[name] for r in encoded] for name in schema}
                with atomic_write(path, "wb") as handle:
                    pq.write_table(Dataset.from_dict(columns, features=schema, split=split).data.table, handle)
            elif fmt == "jsonl":
                with atomic_write(path) as handle:
                    for r in rows[split]:
                        handle.write(json.dumps({name: r[name] for name in schema}, ensure_ascii=False) + "\n")
            else:
                with atomic_write(path) as handle:
                    _write_csv(handle, rows[split])
    with atomic_write(out / MANIFEST) as handle:
        json.dump(manifest, handle, indent=2, ensure_ascii=False)
    with atomic_write(out / "README.md") as handle:
        handle.write(dataset_card(manifest))


def _label_names(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its labels as names (``ClassLabel`` indices turned back into the names they stand for)."""
    def name(value: object, names: tuple[str, ...], what: str) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value < len(names):
                raise ConfigError(f"task {row['task_key']}: {what} label index {value} is outside "
                                  f"{', '.join(names)}")
            return names[value]
        return value

    return {**row, "sentiment": name(row["sentiment"], SENTIMENT_LABELS, "sentiment"),
            "mentions": [{**m, "stance": name(m["stance"], STANCE_LABELS, "stance")} for m in row["mentions"]]}


def _label_indices(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its labels as ``ClassLabel`` indices. Done here rather than by ``datasets``, which encodes a list
    of structs only when encoding its first element changes it: a first mention without a stance left the names of
    the others unencoded."""
    def index(value: str | None, names: tuple[str, ...], what: str) -> int | None:
        if value is None:
            return None
        if value not in names:
            raise ConfigError(f"task {row['task_key']}: {what} label {value!r} is not one of {', '.join(names)}; "
                              "rebuild the gold records with this stancekit's label scheme")
        return names.index(value)

    return {**row, "sentiment": index(row["sentiment"], SENTIMENT_LABELS, "sentiment"),
            "mentions": [{**m, "stance": index(m["stance"], STANCE_LABELS, "stance")} for m in row["mentions"]]}


def _meta_json(row: dict[str, Any]) -> str:
    return json.dumps(row["meta"], ensure_ascii=False, sort_keys=True)


def _write_csv(handle: Any, rows: Sequence[dict[str, Any]]) -> None:
    """One row a mention (a sentence without mentions: one row, mention fields empty); ``meta`` as JSON."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        sentence = [r["task_key"], r["doc_id"], r["sent_idx"], r["text"]]
        tail = [r["sentiment"] or "", _meta_json(r)]
        for m in r["mentions"] or [None]:
            mention = [m["actor"], m["start"], m["end"], m["text"], m["stance"] or ""] if m else [""] * 5
            writer.writerow(sentence + mention + tail)


def portable(path: str | Path | None, base: Path) -> str | None:
    """``path`` as written into a manifest or card that leaves this machine, never absolute: relative to ``base``
    (the dataset folder) when it is inside it or a sibling of it (``../nk-2020``); otherwise only its name, since a
    longer way up would spell out the folders of this machine."""
    if path is None:
        return None
    try:
        relative = Path(os.path.relpath(Path(path).resolve(), base.resolve()))
    except ValueError:  # Windows: another drive
        return Path(path).name
    return relative.as_posix() if relative.parts[:2] != ("..", "..") else Path(path).resolve().name


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
        license="other", license_name="news-excerpts", configs=[{"config_name": "default", "default": True,
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
        "into `text`, end exclusive), `sentiment`, `meta` (JSON string; `gold` says how the label was decided). "
        f"`stance` is a `ClassLabel` ({', '.join(STANCE_LABELS)}) and `sentiment` a `ClassLabel` "
        f"({', '.join(SENTIMENT_LABELS)}); null is no label.",
        "",
        "Load with `datasets.load_dataset(\"<this folder>\")` (the header's `configs` name the split files) or "
        "`stancekit.gold.dataset.load(folder)` (all three splits, empty ones included).",
    ]
    exports = {fmt: names for fmt, names in manifest.get("files", {}).items() if fmt != "parquet" and names}
    if exports.get("jsonl"):
        lines += ["", f"The same rows as JSON lines (labels as names): {', '.join(exports['jsonl'])}."]
    if exports.get("csv"):
        lines += ["", f"As CSV, one row a mention (a sentence without mentions: one row with empty mention fields; "
                      f"columns {', '.join(CSV_COLUMNS)}): {', '.join(exports['csv'])}."]
    lines += ["", "## License", "", LICENSE_TEXT, ""]
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



def label_names(schema_metadata: dict[bytes, bytes] | None) -> dict[str, list[str]]:
    """The ``ClassLabel`` names of ``stance`` and ``sentiment`` from a Parquet file's Hugging Face metadata,
    defaulting to the order :func:`features` writes (files written without that metadata)."""
    names = {"stance": list(STANCE_LABELS), "sentiment": list(SENTIMENT_LABELS)}
    try:
        info = json.loads((schema_metadata or {}).get(b"huggingface", b"{}"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return names
    pending = [info]
    while pending:  # nested as datasets writes it: {"feature": {...}} for lists, whatever its version
        node = pending.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in names and isinstance(value, dict) and value.get("_type") == "ClassLabel":
                    names[key] = list(value.get("names") or names[key])
                else:
                    pending.append(value)
        elif isinstance(node, list):
            pending.extend(node)
    return names


def _name(value: object, names: list[str], path: Path, line: int) -> object:
    """A ClassLabel index as its name (strings, from folders written before ClassLabel, stay as they are)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < len(names):
            raise InputError(path, f"row {line}: label index {value} outside the ClassLabel names {names}")
        return names[value]
    return value


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
        table = pq.read_table(path)
    except (OSError, ValueError) as exc:
        raise InputError(path, f"cannot read parquet ({exc})") from None
    names = label_names(table.schema.metadata)
    rows = table.to_pylist()
    examples = []
    for row_no, row in enumerate(rows, start=1):
        try:
            text = row["text"]
            mentions = tuple(Mention(m["actor"], int(m["start"]), int(m["end"]), m["text"])
                             for m in row["mentions"] or [])
            stances = tuple(_stance_of(_name(m.get("stance"), names["stance"], path, row_no), path, row_no)
                            for m in row["mentions"] or [])
            sentiment = _name(row.get("sentiment"), names["sentiment"], path, row_no)
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
    schema = features()
    from datasets import Dataset, DatasetDict, load_dataset

    path = Path(path)
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path / MANIFEST} not found; expected a folder written by stancekit dataset build") from None
    present = {s: str(path / f"{s}.parquet") for s in manifest["splits"]}
    loaded = load_dataset("parquet", data_files=present) if present else {}
    return DatasetDict({s: loaded[s] if s in present else Dataset.from_dict({k: [] for k in schema}, features=schema)
                        for s in SPLITS})


def find(root: Path) -> list[Path]:
    """The gold dataset folders (with a train split) under ``root``."""
    return sorted(p.parent for p in root.glob(f"*/{MANIFEST}") if (p.parent / "train.parquet").is_file())
