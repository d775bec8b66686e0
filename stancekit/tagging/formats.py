"""Output formats of ``stancekit tag``, chosen by the output's extension.

- ``.jsonl``: one sentence record a line (the foundation's schema plus, per mention,
  ``stance`` and ``scores``; with a sentiment model, ``sentiment`` and ``sentiment_scores``).
- ``.csv``: one row a mention (sentences without mentions have no row).
- ``.parquet``: one row a sentence; ``mentions`` is a list of structs, ``meta`` a JSON string.

Each format writes a chunk of records to its own file and joins finished chunk files
into the final output by streaming, so memory does not grow with the corpus.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from stancekit.errors import ConfigError, InputError
from stancekit.io import atomic_write, dumps


class OutputFormat(Protocol):
    """Writes chunks of tagged sentence records and joins them into one output file."""

    suffix: str

    def write_chunk(self, records: Sequence[dict[str, Any]], handle: IO[Any]) -> None: ...

    def join(self, chunks: Sequence[Path], handle: IO[Any]) -> None: ...


class JsonlFormat:
    suffix = ".jsonl"

    def write_chunk(self, records: Sequence[dict[str, Any]], handle: IO[Any]) -> None:
        handle.write("".join(dumps(r) + "\n" for r in records).encode("utf-8"))

    def join(self, chunks: Sequence[Path], handle: IO[Any]) -> None:
        for chunk in chunks:
            with chunk.open("rb") as src:
                shutil.copyfileobj(src, handle)


class CsvFormat:
    suffix = ".csv"

    def __init__(self, stance_labels: Sequence[str], sentiment_labels: Sequence[str] = ()):
        self.stance_labels = tuple(stance_labels)
        self.sentiment_labels = tuple(sentiment_labels)
        self.columns = (["doc_id", "sent_idx", "sentence_start", "sentence_end", "actor", "mention_start",
                         "mention_end", "mention_text", "stance"]
                        + [f"score_{label}" for label in self.stance_labels]
                        + (["sentiment"] + [f"sentiment_{label}" for label in self.sentiment_labels]
                           if self.sentiment_labels else [])
                        + ["sentence_text", "meta"])

    def rows(self, record: dict[str, Any]) -> Iterator[list[Any]]:
        sentiment: list[Any] = []
        if self.sentiment_labels:
            scores = record.get("sentiment_scores") or {}
            sentiment = [record.get("sentiment", "")] + [scores.get(label, "") for label in self.sentiment_labels]
        for m in record["mentions"]:
            yield ([record["doc_id"], record["sent_idx"], record["start"], record["end"], m["actor"], m["start"],
                    m["end"], m["text"], m.get("stance", "")]
                   + [m.get("scores", {}).get(label, "") for label in self.stance_labels]
                   + sentiment + [record["text"], json.dumps(record.get("meta", {}), ensure_ascii=False)])

    def _encode(self, rows: Iterator[list[Any]] | list[list[Any]]) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerows(rows)
        return buffer.getvalue().encode("utf-8")

    def write_chunk(self, records: Sequence[dict[str, Any]], handle: IO[Any]) -> None:
        handle.write(self._encode(row for record in records for row in self.rows(record)))

    def join(self, chunks: Sequence[Path], handle: IO[Any]) -> None:
        handle.write(self._encode([self.columns]))
        JsonlFormat().join(chunks, handle)  # chunk files are header-less CSV: plain concatenation


class ParquetFormat:
    suffix = ".parquet"

    def __init__(self, stance_labels: Sequence[str], sentiment_labels: Sequence[str] = ()):
        import pyarrow as pa

        self.sentiment_labels = tuple(sentiment_labels)
        stance_scores = pa.struct([(label, pa.float64()) for label in stance_labels])
        mention = pa.struct([("actor", pa.string()), ("start", pa.int64()), ("end", pa.int64()),
                             ("text", pa.string()), ("stance", pa.string()), ("scores", stance_scores)])
        fields = [("doc_id", pa.string()), ("sent_idx", pa.int64()), ("start", pa.int64()), ("end", pa.int64()),
                  ("text", pa.string()), ("mentions", pa.list_(mention))]
        if self.sentiment_labels:
            fields += [("sentiment", pa.string()),
                       ("sentiment_scores", pa.struct([(label, pa.float64()) for label in self.sentiment_labels]))]
        self.schema = pa.schema(fields + [("meta", pa.string())])

    def write_chunk(self, records: Sequence[dict[str, Any]], handle: IO[Any]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = [{**r, "meta": json.dumps(r.get("meta", {}), ensure_ascii=False, sort_keys=True)} for r in records]
        pq.write_table(pa.Table.from_pylist(rows, schema=self.schema), handle)

    def join(self, chunks: Sequence[Path], handle: IO[Any]) -> None:
        import pyarrow.parquet as pq

        with pq.ParquetWriter(handle, self.schema) as writer:
            for chunk in chunks:
                writer.write_table(pq.read_table(chunk, schema=self.schema))


FORMATS = (".jsonl", ".csv", ".parquet")


def output_format(path: Path, stance_labels: Sequence[str], sentiment_labels: Sequence[str] = ()) -> OutputFormat:
    """The format for an output path, by its extension."""
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return JsonlFormat()
    if suffix == ".csv":
        return CsvFormat(stance_labels, sentiment_labels)
    if suffix == ".parquet":
        return ParquetFormat(stance_labels, sentiment_labels)
    raise ConfigError(f"output {path} has extension {suffix or '(none)'!r}; expected one of {', '.join(FORMATS)}")


def write_chunk_file(fmt: OutputFormat, records: Sequence[dict[str, Any]], path: Path) -> None:
    """Write one chunk atomically: the file exists only once it is complete."""
    with atomic_write(path, "wb") as handle:
        fmt.write_chunk(records, handle)


def join_chunk_files(fmt: OutputFormat, chunks: Sequence[Path], output: Path) -> None:
    """Join finished chunk files into the output, atomically."""
    with atomic_write(output, "wb") as handle:
        fmt.join(chunks, handle)


def iter_tagged(path: str | Path) -> Iterator[dict[str, Any]]:
    """Read tagged sentence records back from a ``.jsonl``, ``.csv`` or ``.parquet`` output.

    CSV rows are grouped back into sentences (consecutive rows of one sentence); CSV has no
    rows for sentences without mentions.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file", hint="expected the output of `stancekit tag`")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        from stancekit.io import read_jsonl

        yield from read_jsonl(path)
    elif suffix == ".parquet":
        yield from _iter_parquet(path)
    elif suffix == ".csv":
        yield from _iter_csv(path)
    else:
        raise InputError(path, f"unsupported extension {suffix or '(none)'!r}", hint=f"expected {', '.join(FORMATS)}")


def _iter_parquet(path: Path) -> Iterator[dict[str, Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:  # ArrowInvalid for a broken file, OSError for an unreadable one
        raise InputError(path, f"not a readable Parquet file ({exc})") from None
    for batch in parquet.iter_batches(batch_size=4096):
        for row in batch.to_pylist():
            row["meta"] = json.loads(row["meta"]) if row.get("meta") else {}
            yield row


def _iter_csv(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("r", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        required = {"doc_id", "sent_idx", "actor", "stance", "sentence_text"}
        missing = required - set(reader.fieldnames or [])
        if missing:
            raise InputError(path, f"CSV lacks column(s) {sorted(missing)}", line=1,
                             hint="expected the CSV written by `stancekit tag`")
        stance_labels = [c[len("score_"):] for c in reader.fieldnames or [] if c.startswith("score_")]
        sentiment_labels = [c[len("sentiment_"):] for c in reader.fieldnames or [] if c.startswith("sentiment_")]
        current: dict[str, Any] | None = None
        for row in reader:
            key = (row["doc_id"], int(row["sent_idx"]))
            if current is None or (current["doc_id"], current["sent_idx"]) != key:
                if current is not None:
                    yield current
                current = {"doc_id": key[0], "sent_idx": key[1], "start": int(row["sentence_start"]),
                           "end": int(row["sentence_end"]), "text": row["sentence_text"], "mentions": [],
                           "meta": json.loads(row["meta"]) if row.get("meta") else {}}
                if row.get("sentiment"):
                    current["sentiment"] = row["sentiment"]
                    current["sentiment_scores"] = {lb: float(row[f"sentiment_{lb}"]) for lb in sentiment_labels}
            current["mentions"].append({
                "actor": row["actor"], "start": int(row["mention_start"]), "end": int(row["mention_end"]),
                "text": row["mention_text"], "stance": row["stance"],
                "scores": {lb: float(row[f"score_{lb}"]) for lb in stance_labels if row[f"score_{lb}"] != ""}})
        if current is not None:
            yield current
