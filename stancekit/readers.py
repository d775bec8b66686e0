"""Reading coverage: text (``.txt``, ``.text``), JSONL (``.jsonl``, ``.ndjson``) and CSV
(``.csv``, ``.tsv``) files, or folders of them (every file in a folder not read is named).

Documents are streamed one at a time, so memory does not grow with the corpus (only the
set of document ids seen is kept, to reject duplicates). Every problem is an
:class:`~stancekit.errors.InputError` naming the file and line; with ``skip_bad=True`` the
problem is handed to ``on_bad`` and reading goes on. Every string a reader returns can be
written back as UTF-8: bytes are decoded strictly, and a JSON escape of half a UTF-16 pair
(a lone surrogate such as ``\\ud800``) is rejected by :func:`stancekit.io.parse_jsonl_line`.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from stat import S_ISREG
from typing import IO, Any

from stancekit.errors import InputError
from stancekit.io import parse_jsonl_line
from stancekit.languages import LANGUAGE_FIELDS, language_code
from stancekit.records import Document
from stancekit.provenance import SUFFIX as PROVENANCE_SUFFIX

READER_KINDS = {".txt": "text", ".text": "text", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "csv"}
SUPPORTED_SUFFIXES = tuple(READER_KINDS)
KNOWN_FIELDS = ("title", "outlet", "date", "url")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_UTF8_HINT = "expected UTF-8 (with or without BOM); re-encode it, e.g. iconv -f LATIN1 -t UTF-8"
_NOT_COVERAGE_HINTS = {
    ".json": "convert it to JSONL, one document object a line (e.g. jq -c '.[]' FILE.json > FILE.jsonl)",
    ".md": "rename it to .txt if it is an article",
}
SENTENCE_RECORD_KEYS = ("doc_id", "sent_idx", "mentions")  # output of sentences/mentions/tag, not coverage
REPORT_MARKER = "report.html"  # a folder holding it and stance_by_actor.csv is a `stancekit report` output

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # articles can exceed csv's 128 KiB default


@dataclass(frozen=True)
class SkippedPath:
    """A file or folder under an input folder that is not read, and why."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class InputScan:
    """The coverage files to read, in order, and everything under the input folders that is not read."""

    files: list[Path] = field(default_factory=list)
    skipped: list[SkippedPath] = field(default_factory=list)


def scan_inputs(paths: Iterable[str | Path], *, exclude: Iterable[str | Path] = ()) -> InputScan:
    """Find the coverage files under ``paths``: files as given, folders recursively (sorted).

    In folders, files of other kinds, hidden files and folders (``.DS_Store``, ``.git``,
    stancekit's own ``.<output>.parts`` work folders and temporary files), the paths in
    ``exclude`` (the running job's own outputs) and files stancekit wrote (sentence records,
    report folders) are not read; each is listed in ``skipped``. A file given by name must
    be coverage: anything else is an InputError.
    """
    excluded = _Excluded(exclude)
    scan = InputScan()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            _scan_folder(path, excluded, scan)
        elif path.is_file():
            if path in excluded:
                raise InputError(path, "this is the job's own output", hint="give the coverage, not the output")
            if path.suffix.lower() not in READER_KINDS:
                raise InputError(path, f"unsupported file type {path.suffix or '(none)'!r}",
                                 hint=_NOT_COVERAGE_HINTS.get(path.suffix.lower(),
                                                              f"expected one of {', '.join(SUPPORTED_SUFFIXES)}"))
            if reason := stancekit_output(path):
                raise InputError(path, reason, hint="give the coverage the records were made from")
            scan.files.append(path)
        else:
            raise InputError(path, "no such file or folder")
    return scan


class _Excluded:
    """The job's own outputs, by path, plus the regular file standard output is redirected to."""

    def __init__(self, paths: Iterable[str | Path]):
        self.paths = {Path(p).resolve() for p in paths}
        self.stdout: tuple[int, int] | None = None
        try:
            stat = os.fstat(sys.stdout.fileno())
        except (AttributeError, OSError, ValueError):  # no real stdout (captured or closed)
            return
        if S_ISREG(stat.st_mode):  # `stancekit mentions folder > folder/out.jsonl` must not read its output
            self.stdout = (stat.st_dev, stat.st_ino)

    def __contains__(self, path: Path) -> bool:
        if path.resolve() in self.paths:
            return True
        if self.stdout is None:
            return False
        try:
            stat = path.stat()
        except OSError:
            return False
        return (stat.st_dev, stat.st_ino) == self.stdout


def _scan_folder(folder: Path, excluded: _Excluded, scan: InputScan, visited: set[Path] | None = None) -> None:
    visited = set() if visited is None else visited
    real = folder.resolve()
    if real in visited:
        scan.skipped.append(SkippedPath(folder, "a link to a folder already read"))
        return
    visited.add(real)
    names = sorted(os.listdir(folder))
    if REPORT_MARKER in names and "stance_by_actor.csv" in names:
        scan.skipped.append(SkippedPath(folder, "a `stancekit report` output folder"))
        return
    for name in names:
        path = folder / name
        if path in excluded:
            scan.skipped.append(SkippedPath(path, "this job's own output or work file"))
        elif name.startswith("."):
            scan.skipped.append(SkippedPath(path, "hidden" + (" folder" if path.is_dir() else " file")))
        elif path.is_dir():
            _scan_folder(path, excluded, scan, visited)
        elif not path.is_file():
            scan.skipped.append(SkippedPath(path, "not a regular file"))
        elif path.name.endswith(PROVENANCE_SUFFIX):
            scan.skipped.append(SkippedPath(path, "the provenance of a `stancekit tag` output, not coverage"))
        elif path.suffix.lower() not in READER_KINDS:
            hint = _NOT_COVERAGE_HINTS.get(path.suffix.lower(), f"coverage is {', '.join(SUPPORTED_SUFFIXES)}")
            scan.skipped.append(SkippedPath(path, f"not a coverage file ({hint})"))
        elif reason := stancekit_output(path):
            scan.skipped.append(SkippedPath(path, reason))
        else:
            scan.files.append(path)


def stancekit_output(path: Path) -> str | None:
    """Why ``path`` is a file stancekit wrote (sentence records, tagged CSV) rather than coverage, or None."""
    kind = READER_KINDS.get(path.suffix.lower())
    try:
        with path.open("rb") as handle:
            first = handle.readline(1 << 20).decode("utf-8-sig", "replace")
            while kind == "jsonl" and first and not first.strip():
                first = handle.readline(1 << 20).decode("utf-8-sig", "replace")
    except OSError:
        return None  # the reader names the problem
    if kind == "jsonl" and all(f'"{key}"' in first for key in SENTENCE_RECORD_KEYS):
        try:
            record = json.loads(first)
        except json.JSONDecodeError:
            return None
        if isinstance(record, dict) and all(key in record for key in SENTENCE_RECORD_KEYS):
            return "sentence records written by stancekit (sentences/mentions/tag output), not coverage"
    if kind == "csv" and first.startswith("doc_id,sent_idx,"):
        return "a `stancekit tag` CSV output, not coverage"
    return None


def iter_input_files(paths: Iterable[str | Path], *, exclude: Iterable[str | Path] = ()) -> Iterator[Path]:
    """Yield the coverage files under ``paths`` (see :func:`scan_inputs`)."""
    yield from scan_inputs(paths, exclude=exclude).files


def print_skipped(skipped: SkippedPath) -> None:
    print(f"not read: {skipped}", file=sys.stderr)


def iter_documents(
    paths: Iterable[str | Path],
    *,
    skip_bad: bool = False,
    on_bad: Callable[[InputError], None] | None = None,
    exclude: Iterable[str | Path] = (),
    on_skipped: Callable[[SkippedPath], None] | None = print_skipped,
) -> Iterator[Document]:
    """Stream the documents in ``paths``; raise on the first bad record unless ``skip_bad``.

    Every file under an input folder that is not read is handed to ``on_skipped``
    (default: named on stderr); ``exclude`` names the job's own outputs.
    """
    scan = scan_inputs(paths, exclude=exclude)
    if on_skipped is not None:
        for skipped in scan.skipped:
            on_skipped(skipped)
    seen: dict[str, str] = {}
    for path in scan.files:
        for item in _READERS[path.suffix.lower()](path):
            try:
                if isinstance(item, InputError):
                    raise item
                doc = item
                if doc.id in seen:
                    raise InputError(path, f"duplicate document id {doc.id!r}", line=_line_of(doc.source),
                                     hint=f"first seen at {seen[doc.id]}; ids must be unique across the input")
                seen[doc.id] = doc.source
            except InputError as err:
                if not skip_bad:
                    raise
                if on_bad is not None:
                    on_bad(err)
                continue
            yield doc


def _line_of(source: str) -> int | None:
    _, _, line = source.rpartition(":")
    return int(line) if line.isdigit() else None


def _decode(data: bytes, path: Path, line: int | None) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                         line=line, hint=_UTF8_HINT) from None


def _make_document(record: dict[str, Any], path: Path, line: int | None, default_id: str) -> Document:
    """Validate one JSONL/CSV record and turn it into a Document."""
    if "text" not in record or record["text"] is None:
        raise InputError(path, f"record has no 'text' field (fields: {', '.join(map(str, record)) or 'none'})",
                         line=line, hint="every record needs 'id' and 'text'")
    text = record["text"]
    if not isinstance(text, str):
        raise InputError(path, f"'text' must be a string, found {type(text).__name__}", line=line)
    if not text.strip():
        raise InputError(path, "empty text", line=line, hint="remove the record or give it text")
    doc_id = record.get("id")
    doc_id = default_id if doc_id is None or str(doc_id).strip() == "" else str(doc_id)
    meta = {k: v for k, v in record.items() if k not in ("id", "text") and v not in (None, "")}
    date = meta.get("date")
    if date is not None and not (isinstance(date, str) and _DATE_RE.match(date)):
        raise InputError(path, f"'date' must start with YYYY-MM-DD, found {date!r}", line=line)
    for key in LANGUAGE_FIELDS:
        if key in meta:
            try:
                language_code(meta[key])
            except ValueError as exc:
                raise InputError(path, f"'{key}': {exc}", line=line) from None
    source = f"{path}:{line}" if line is not None else str(path)
    return Document(id=doc_id, text=text, meta=meta, source=source)


def read_txt(path: Path) -> Iterator[Document | InputError]:
    """One article a file; the file stem is the document id."""
    try:
        text = _decode(path.read_bytes(), path, None)
        if not text.strip():
            raise InputError(path, "empty text", hint="remove the file or give it text")
        yield Document(id=path.stem, text=text, meta={}, source=str(path))
    except InputError as err:
        yield err


def read_jsonl_documents(path: Path) -> Iterator[Document | InputError]:
    """One JSON object (a document) a line; blank lines are ignored."""
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            try:
                line = _decode(raw, path, line_no)
                if not line.strip():
                    continue
                record = parse_jsonl_line(line, path, line_no)
                yield _make_document(record, path, line_no, f"{path.stem}-{line_no}")
            except InputError as err:
                yield err


def strict_csv_rows(handle: IO[str], path: Path, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """(first line number, fields) for each row of a CSV file, read strictly.

    A quote that is opened and never closed, a stray quote inside a quoted field and a
    file cut short inside a quoted field are InputErrors naming the line where the row
    starts (a quoted field may still hold newlines). Blank lines are skipped.
    """
    reader = csv.reader(handle, delimiter=delimiter, strict=True)
    while True:
        line_no = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise InputError(path, "not UTF-8 (at or after this line)", line=line_no, hint=_UTF8_HINT) from None
        except csv.Error as exc:
            raise InputError(path, f"malformed CSV in the row starting here ({exc}, at line {reader.line_num})",
                             line=line_no, hint="a quote opened in this row is probably never closed; "
                             "quote fields that hold quotes, commas or newlines, and double inner quotes") from None
        if row:
            yield line_no, row


def check_row_width(row: list[str], header: list[str], path: Path, line_no: int) -> None:
    """A row with more or fewer fields than the header is an InputError naming its line."""
    if len(row) != len(header):
        raise InputError(path, f"row has {len(row)} fields, header has {len(header)}", line=line_no,
                         hint="a stray quote or delimiter, or a truncated file; quote fields that hold commas")


def read_csv(path: Path, delimiter: str = ",") -> Iterator[Document | InputError]:
    """A header row with at least ``text`` (and usually ``id``); one article a row.

    Read strictly: a malformed row (a quote never closed, a row with too few or too many
    fields) is an InputError naming the line; a malformed quote stops the file, since the
    rows after it cannot be told apart.
    """
    try:
        handle = path.open("r", encoding="utf-8-sig", newline="")
    except OSError as exc:
        yield InputError(path, f"cannot open ({exc.strerror})")
        return
    with handle:
        rows = strict_csv_rows(handle, path, delimiter)
        try:
            header_line, header = next(rows, (1, []))
        except InputError as err:
            yield err
            return
        if "text" not in header:
            yield InputError(path, f"CSV header has no 'text' column (found: {', '.join(header) or 'nothing'})",
                             line=header_line, hint="the first row must name the columns, including 'id' and 'text'")
            return
        while True:
            try:
                line_no, row = next(rows)
            except StopIteration:
                return
            except InputError as err:
                yield err
                return
            try:
                check_row_width(row, header, path, line_no)
                yield _make_document(dict(zip(header, row)), path, line_no, f"{path.stem}-{line_no}")
            except InputError as err:
                yield err


_READERS: dict[str, Callable[[Path], Iterator[Document | InputError]]] = {
    ".txt": read_txt, ".text": read_txt,
    ".jsonl": read_jsonl_documents, ".ndjson": read_jsonl_documents,
    ".csv": read_csv, ".tsv": partial(read_csv, delimiter="\t"),
}
