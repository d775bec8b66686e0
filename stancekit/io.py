"""Writing outputs safely: atomic files and JSONL streams."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Write to a temporary file beside ``path`` and move it into place only on success.

    A crash or an exception leaves the previous file (if any) untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the mode open() would
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def file_sha256(*paths: str | Path) -> str:
    """The SHA-256 of the files' bytes, read in order (one file: that file's digest)."""
    digest = hashlib.sha256()
    for path in paths:
        with Path(path).open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def dumps(record: dict[str, Any]) -> str:
    """One JSONL line (UTF-8 kept readable, no trailing newline)."""
    return json.dumps(record, ensure_ascii=False)


def write_jsonl(records: Iterable[dict[str, Any]], path: str | Path | None) -> int:
    """Write records as JSONL to ``path`` atomically, or to stdout when ``path`` is None."""
    count = 0
    if path is None or str(path) == "-":
        for record in records:
            sys.stdout.write(dumps(record) + "\n")
            count += 1
        sys.stdout.flush()
        return count
    with atomic_write(path) as handle:
        for record in records:
            handle.write(dumps(record) + "\n")
            count += 1
    return count


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """Read a JSONL file written by stancekit; a broken line is an InputError naming it."""
    return (record for _, record in read_numbered_jsonl(path))


def read_numbered_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSONL file; a broken line is an InputError."""
    from stancekit.errors import InputError

    path = Path(path)
    try:
        handle = path.open("r", encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    with handle:
        for line_no, line in enumerate(handle, start=1):
            if line.strip():
                yield line_no, parse_jsonl_line(line, path, line_no)


def parse_jsonl_line(line: str, path: Path, line_no: int) -> dict[str, Any]:
    """One JSONL line as an object; broken JSON or a non-object is an InputError naming the file and line."""
    from stancekit.errors import InputError

    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"broken JSON ({exc.msg} at column {exc.colno})", line=line_no,
                         hint="each line must be one complete JSON object") from None
    if not isinstance(record, dict):
        raise InputError(path, f"expected a JSON object, found {type(record).__name__}", line=line_no)
    return record
