"""Reading coverage: ``.txt``, ``.jsonl`` and ``.csv`` files, or folders of them.

Documents are streamed one at a time, so memory does not grow with the corpus (only the
set of document ids seen is kept, to reject duplicates). Every problem is an
:class:`~stancekit.errors.InputError` naming the file and line; with ``skip_bad=True`` the
problem is handed to ``on_bad`` and reading goes on.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from stancekit.errors import InputError
from stancekit.io import parse_jsonl_line
from stancekit.records import Document

SUPPORTED_SUFFIXES = (".txt", ".jsonl", ".csv")
KNOWN_FIELDS = ("title", "outlet", "date", "url")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_UTF8_HINT = "expected UTF-8 (with or without BOM); re-encode it, e.g. iconv -f LATIN1 -t UTF-8"

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # articles can exceed csv's 128 KiB default


def iter_input_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Yield the coverage files under ``paths`` (files as given, folders recursively, sorted)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
            yield from found
        elif path.is_file():
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                raise InputError(path, f"unsupported file type {path.suffix or '(none)'!r}",
                                 hint=f"expected one of {', '.join(SUPPORTED_SUFFIXES)}")
            yield path
        else:
            raise InputError(path, "no such file or folder")


def iter_documents(
    paths: Iterable[str | Path],
    *,
    skip_bad: bool = False,
    on_bad: Callable[[InputError], None] | None = None,
) -> Iterator[Document]:
    """Stream the documents in ``paths``; raise on the first bad record unless ``skip_bad``."""
    seen: dict[str, str] = {}
    for path in iter_input_files(paths):
        reader = _READERS[path.suffix.lower()]
        for item in reader(path):
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


def read_csv(path: Path) -> Iterator[Document | InputError]:
    """A header row with at least ``text`` (and usually ``id``); one article a row."""
    try:
        handle = path.open("r", encoding="utf-8-sig", newline="")
    except OSError as exc:
        yield InputError(path, f"cannot open ({exc.strerror})")
        return
    with handle:
        reader = csv.DictReader(handle)
        try:
            fields = reader.fieldnames
        except UnicodeDecodeError:
            yield InputError(path, "not UTF-8 in the header row", line=1, hint=_UTF8_HINT)
            return
        if not fields or "text" not in fields:
            yield InputError(path, f"CSV header has no 'text' column (found: {', '.join(fields or []) or 'nothing'})",
                             line=1, hint="the first row must name the columns, including 'id' and 'text'")
            return
        while True:
            line_no = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                yield InputError(path, "not UTF-8 (at or after this line)", line=line_no, hint=_UTF8_HINT)
                return
            except csv.Error as exc:
                yield InputError(path, f"malformed CSV ({exc})", line=line_no)
                return
            if None in row:
                yield InputError(path, f"row has {len(fields) + len(row[None])} fields, header has {len(fields)}",
                                 line=line_no)
                continue
            try:
                yield _make_document(dict(row), path, line_no, f"{path.stem}-{line_no}")
            except InputError as err:
                yield err


_READERS: dict[str, Callable[[Path], Iterator[Document | InputError]]] = {
    ".txt": read_txt,
    ".jsonl": read_jsonl_documents,
    ".csv": read_csv,
}
