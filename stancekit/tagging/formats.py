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
import math
import shutil
from collections.abc import Callable, Container, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from stancekit.errors import ConfigError, InputError
from stancekit.io import atomic_write, dumps, truncated
from stancekit.labels import SENTIMENT_LABELS, STANCE_LABELS
from stancekit.paths import PathRule


class OutputFormat(Protocol):
    """Writes chunks of tagged sentence records and joins them into one output file."""

    suffix: str

    def write_chunk(self, records: Sequence[dict[str, Any]], handle: IO[Any]) -> None: ...

    def join(self, chunks: Sequence[Path], handle: IO[Any], provenance: str | None = None) -> None:
        """Write the chunks as one output (Parquet also stores ``provenance`` in its file metadata)."""


class JsonlFormat:
    suffix = ".jsonl"

    def write_chunk(self, records: Sequence[dict[str, Any]], handle: IO[Any]) -> None:
        handle.write("".join(dumps(r) + "\n" for r in records).encode("utf-8"))

    def join(self, chunks: Sequence[Path], handle: IO[Any], provenance: str | None = None) -> None:
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

    def join(self, chunks: Sequence[Path], handle: IO[Any], provenance: str | None = None) -> None:
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

    def join(self, chunks: Sequence[Path], handle: IO[Any], provenance: str | None = None) -> None:
        import pyarrow.parquet as pq

        from stancekit.provenance import PARQUET_KEY

        schema = self.schema.with_metadata({PARQUET_KEY: provenance.encode("utf-8")}) if provenance else self.schema
        with pq.ParquetWriter(handle, schema) as writer:
            for chunk in chunks:
                writer.write_table(pq.read_table(chunk, schema=self.schema))


FORMATS = (".jsonl", ".csv", ".parquet")
MAX_SENTENCES = 10**7  # sentences a document may have in a tagged file (a larger sent_idx is corrupt)


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


def join_chunk_files(fmt: OutputFormat, chunks: Sequence[Path], output: Path, *, temp_dir: Path,
                     provenance: str | None = None) -> None:
    """Join finished chunk files into the output, atomically; the temporary file is written in
    ``temp_dir`` (the job's work folder), so a run killed while joining leaves nothing beside the output."""
    with atomic_write(output, "wb", temp_dir=temp_dir) as handle:
        fmt.join(chunks, handle, provenance)


TAGGED = PathRule("file", f"the output of `stancekit tag` ({', '.join(FORMATS)})")


def iter_tagged(path: str | Path, *, on_bad: Callable[[InputError], None] | None = None,
                actors: Container[str] | None = None) -> Iterator[dict[str, Any]]:
    """Read tagged sentence records back from a ``.jsonl``, ``.csv`` or ``.parquet`` output.

    CSV rows are grouped back into sentences (consecutive rows of one sentence); CSV has no
    rows for sentences without mentions. The file is read strictly: a truncated file, a malformed
    row or record (see :func:`check_record`: labels, scores, offsets, and with ``actors`` the actor
    ids) and a sentence that occurs twice (the same output concatenated twice) are InputErrors naming
    the file and line (Parquet: row). With ``on_bad``, a bad line or record is handed to it and
    skipped instead (a truncated or unreadable file still stops the reading).
    """
    path = TAGGED.check(path, option="")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        from stancekit.io import read_numbered_jsonl

        numbered: Iterator[tuple[int, dict[str, Any]]] = read_numbered_jsonl(path, whole_lines=True, on_bad=on_bad)
    elif suffix == ".parquet":
        numbered = _iter_parquet(path, on_bad)
    elif suffix == ".csv":
        numbered = _iter_csv(path, on_bad)
    else:
        raise InputError(path, f"unsupported extension {suffix or '(none)'!r}", hint=f"expected {', '.join(FORMATS)}")
    seen: dict[str, int] = {}  # doc_id -> bit set of the sent_idx read (memory grows with documents, not sentences)
    for line, record in numbered:
        try:
            check_record(record, path, line, actors=actors)
            doc_id, sent_idx = record["doc_id"], record["sent_idx"]
            bits = seen.get(doc_id, 0)
            if bits >> sent_idx & 1:
                raise InputError(path, f"sentence {sent_idx} of document {doc_id!r} occurs twice", line=line,
                                 hint="the file holds some records twice (outputs concatenated?); counting them "
                                 "twice would skew every figure; remove the duplicates or tag again")
        except InputError as err:
            if on_bad is None:
                raise
            on_bad(err)
            continue
        seen[doc_id] = bits | 1 << sent_idx
        yield record


SCORE_SUM_TOLERANCE = 1e-3  # tag rounds each probability to 6 digits; other writers may round more


def _scores_problem(scores: Any, labels: Sequence[str], what: str) -> str | None:
    """Why ``scores`` is not a probability for each of ``labels`` (summing to 1), or None."""
    if not isinstance(scores, dict) or set(scores) != set(labels):
        keys = sorted(scores) if isinstance(scores, dict) else type(scores).__name__
        return f"'{what}' must give a probability for each of {list(labels)}, found {keys}"
    for label in labels:
        value = scores[label]
        if (not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value)
                or not 0.0 <= value <= 1.0):
            return f"'{what}' must be numbers from 0 to 1, found {label}={value!r}"
    total = sum(scores.values())
    if abs(total - 1.0) > SCORE_SUM_TOLERANCE:
        return f"'{what}' must sum to 1, found {total:.6f}"
    return None


def _label_problem(label: Any, scores: dict[str, float], labels: Sequence[str], what: str) -> str | None:
    """Why ``label`` is not one of ``labels`` with the highest score, or None."""
    if label not in labels:
        return f"'{what}' must be one of {list(labels)}, found {label!r}"
    if scores[label] < max(scores.values()) - 1e-6:
        best = max(scores, key=scores.__getitem__)
        return f"'{what}' is {label!r} but its scores rank {best!r} highest ({scores[best]:.6f} > {scores[label]:.6f})"
    return None


def check_record(record: dict[str, Any], path: Path, line: int, *, actors: Container[str] | None = None) -> None:
    """A tagged sentence record has the keys, types and values the report relies on: every mention a
    stance among the stance labels, that agrees with its scores (probabilities summing to 1), offsets
    inside the sentence that give its text, and (with ``actors``) an actor id of the dictionary."""
    problem = None
    if not isinstance(record.get("doc_id"), str) or not record["doc_id"]:
        problem = f"'doc_id' must be a non-empty string, found {record.get('doc_id')!r}"
    elif (not isinstance(record.get("sent_idx"), int) or isinstance(record["sent_idx"], bool)
          or not 0 <= record["sent_idx"] < MAX_SENTENCES):
        problem = f"'sent_idx' must be an integer from 0 to {MAX_SENTENCES - 1}, found {record.get('sent_idx')!r}"
    elif not isinstance(record.get("text"), str):
        problem = f"'text' must be a string, found {type(record.get('text')).__name__}"
    elif not isinstance(record.get("mentions"), list):
        problem = f"'mentions' must be a list, found {type(record.get('mentions')).__name__}"
    elif not isinstance(record.get("meta", {}), dict):
        problem = f"'meta' must be an object, found {type(record.get('meta')).__name__}"
    elif "sentiment" in record and record["sentiment"] is not None:
        problem = (_scores_problem(record.get("sentiment_scores"), SENTIMENT_LABELS, "sentiment_scores")
                   or _label_problem(record["sentiment"], record["sentiment_scores"], SENTIMENT_LABELS, "sentiment"))
    if problem is None:
        problem = next(filter(None, (_mention_problem(m, record["text"], actors) for m in record["mentions"])), None)
    if problem:
        raise InputError(path, problem, line=line, hint="expected a record written by `stancekit tag`")


def _mention_problem(mention: Any, text: str, actors: Container[str] | None) -> str | None:
    if not (isinstance(mention, dict) and isinstance(mention.get("actor"), str)
            and isinstance(mention.get("text"), str)):
        return f"a mention must be an object with string 'actor' and 'text', found {mention!r}"
    start, end = mention.get("start"), mention.get("end")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)) or not 0 <= start < end <= len(text):
        return (f"mention {mention['text']!r}: offsets {start!r}:{end!r} must lie inside the sentence "
                f"(0 to {len(text)} characters)")
    if text[start:end] != mention["text"]:
        return f"mention {mention['text']!r}: the sentence has {text[start:end]!r} at {start}:{end}"
    if actors is not None and mention["actor"] not in actors:
        return (f"mention {mention['text']!r}: actor {mention['actor']!r} is not in the actor dictionary "
                "(tagged with another dictionary? give the one the tags were made with)")
    return (_scores_problem(mention.get("scores"), STANCE_LABELS, "scores")
            or _label_problem(mention.get("stance"), mention["scores"], STANCE_LABELS, "stance"))


def _iter_parquet(path: Path, on_bad: Callable[[InputError], None] | None) -> Iterator[tuple[int, dict[str, Any]]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:  # ArrowInvalid for a broken file, OSError for an unreadable one
        raise InputError(path, f"not a readable Parquet file ({exc})",
                         hint="a truncated or damaged file; write it again with `stancekit tag`") from None
    row_no = 0
    batches = parquet.iter_batches(batch_size=4096)
    while True:
        try:
            batch = next(batches, None)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(path, f"damaged Parquet data after row {row_no} ({exc})",
                             hint="write it again with `stancekit tag`") from None
        if batch is None:
            return
        for row in batch.to_pylist():
            row_no += 1
            try:
                row["meta"] = _json_field(row.get("meta"), path, row_no) if row.get("meta") else {}
            except InputError as err:
                if on_bad is None:
                    raise
                on_bad(err)
                continue
            yield row_no, row


def _json_field(value: str, path: Path, line: int) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"'meta' is not JSON ({exc.msg})", line=line) from None


def _number(row: dict[str, str], column: str, kind: type, path: Path, line: int) -> Any:
    try:
        return kind(row[column])
    except ValueError:
        raise InputError(path, f"column {column!r} must be a number, found {row[column]!r}", line=line,
                         hint="expected the CSV written by `stancekit tag`") from None


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, 2)
        return handle.read(1) == b"\n"


def _iter_csv(path: Path, on_bad: Callable[[InputError], None] | None) -> Iterator[tuple[int, dict[str, Any]]]:
    from stancekit.readers import check_row_width, strict_csv_rows

    with path.open("r", encoding="utf-8", newline="") as handle:
        rows = strict_csv_rows(handle, path)
        _, header = next(rows, (1, []))
        required = {"doc_id", "sent_idx", "sentence_start", "sentence_end", "actor", "mention_start", "mention_end",
                    "mention_text", "stance", "sentence_text"}
        missing = required - set(header)
        if missing:
            raise InputError(path, f"CSV lacks column(s) {sorted(missing)}", line=1,
                             hint="expected the CSV written by `stancekit tag`")
        stance_labels = [c[len("score_"):] for c in header if c.startswith("score_")]
        sentiment_labels = [c[len("sentiment_"):] for c in header if c.startswith("sentiment_")]
        current: dict[str, Any] | None = None
        start_line = 0
        for line, fields in rows:
            try:
                check_row_width(fields, header, path, line)
                row = dict(zip(header, fields))
                key = (row["doc_id"], _number(row, "sent_idx", int, path, line))
                mention = {
                    "actor": row["actor"], "start": _number(row, "mention_start", int, path, line),
                    "end": _number(row, "mention_end", int, path, line), "text": row["mention_text"],
                    "stance": row["stance"],
                    "scores": {lb: _number(row, f"score_{lb}", float, path, line)
                               for lb in stance_labels if row[f"score_{lb}"] != ""}}
                if current is None or (current["doc_id"], current["sent_idx"]) != key:
                    sentence = {"doc_id": key[0], "sent_idx": key[1],
                                "start": _number(row, "sentence_start", int, path, line),
                                "end": _number(row, "sentence_end", int, path, line), "text": row["sentence_text"],
                                "mentions": [],
                                "meta": _json_field(row["meta"], path, line) if row.get("meta") else {}}
                    if row.get("sentiment"):
                        sentence["sentiment"] = row["sentiment"]
                        sentence["sentiment_scores"] = {lb: _number(row, f"sentiment_{lb}", float, path, line)
                                                        for lb in sentiment_labels}
                    if current is not None:
                        yield start_line, current
                    start_line, current = line, sentence
            except InputError as err:
                if on_bad is None:
                    raise
                on_bad(err)
                continue
            current["mentions"].append(mention)
        if current is not None:
            if not _ends_with_newline(path):
                raise truncated(path, start_line)
            yield start_line, current
