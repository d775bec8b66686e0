"""Writing outputs safely: atomic files and folders, output locks, JSONL streams.

A write that fails (read-only folder, full disk, no permission) raises
:class:`~stancekit.errors.OutputError` naming the output and leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from stancekit.errors import InputError, OutputError
from stancekit.paths import WRITE_HINTS, open_input

_UMASK = os.umask(0)
os.umask(_UMASK)
FILE_MODE = 0o666 & ~_UMASK  # the mode open() gives a new file under this process's umask



@contextlib.contextmanager
def output_errors(path: str | Path) -> Iterator[None]:
    """Turn an OSError raised while writing ``path`` into an OutputError naming it."""
    try:
        yield
    except BrokenPipeError:  # standard output's reader left (`| head`): the command line stops quietly
        raise
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise OutputError(path, reason, hint=WRITE_HINTS.get(exc.errno or 0, "")) from None


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w", encoding: str | None = "utf-8", *,
                 temp_dir: str | Path | None = None) -> Iterator[IO[Any]]:
    """Write to a temporary file (beside ``path``, or in ``temp_dir`` on the same file system)
    and move it into place only on success.

    A crash or an exception leaves the previous file (if any) untouched; a failing write
    (full disk, read-only folder) is an OutputError and removes the temporary file.
    """
    path = Path(path)
    folder = Path(temp_dir) if temp_dir is not None else path.parent
    with output_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        try:
            os.chmod(tmp, FILE_MODE)  # mkstemp makes 0600; give the file the mode open() would
            with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise


def lock_path(path: str | Path) -> Path:
    """The lock file that guards the output ``path`` (hidden, beside it)."""
    path = Path(path)
    return path.with_name(f".{path.name}.lock")


def _remove_stale_temps(path: Path) -> None:
    """Remove temporary siblings of ``path`` left by a killed run (call only holding its lock)."""
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.[^.]+\.(tmp|old)$")
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(path.parent):
            if pattern.match(entry.name):
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)


@contextlib.contextmanager
def output_lock(path: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on the output ``path`` for this process, or fail at once naming the holder's pid.

    The lock is portalocker's ``PidFileLock`` (Linux, macOS and Windows): the pid file is the hidden
    :func:`lock_path` beside the output, and the operating-system lock sits on a sidecar beside it
    (``.<name>.lock.lock``; on Windows a locked file cannot be read, so the pid lives apart from it).
    The lock dies with its process, so a killed run never leaves a stale lock; both files are removed
    on release. Holding it, temporary files left beside the output by a killed run are removed.
    """
    import portalocker

    path = Path(path)
    lock = portalocker.PidFileLock(lock_path(path), fail_when_locked=True)
    with output_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            lock.acquire()
        except portalocker.AlreadyLocked:
            holder = lock.read_pid() or "unknown"
            raise OutputError(path, f"another stancekit run (pid {holder}) is writing it",
                              hint="wait for it to finish, or choose another output") from None
        _remove_stale_temps(path)
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def atomic_dir(path: str | Path, *, owned: Callable[[str], bool]) -> Iterator[Path]:
    """Build a folder in a temporary sibling and swap it in whole, only on success.

    An existing folder at ``path`` is replaced only when every entry in it is ``owned``
    (written by an earlier run), so a folder of other files is never deleted. A failure
    (full disk...) leaves the previous folder as it was and no temporary folder behind.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(path, "it is a file, expected a folder", hint="choose a new or empty folder")
    if path.is_dir():
        foreign = sorted(name for name in os.listdir(path) if not owned(name))
        if foreign:
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            raise OutputError(path, f"the folder holds files stancekit did not write there ({shown})",
                              hint="choose a new or empty folder; the whole folder is replaced")
    with output_lock(path):
        with output_errors(path):
            tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
        try:
            with output_errors(path):
                os.chmod(tmp, 0o777 & ~_UMASK)
            try:
                yield tmp
            except OutputError as err:  # name the folder the user gave, not the temporary one
                if not err.path.startswith(str(tmp)):
                    raise
                raise OutputError(path / Path(err.path).relative_to(tmp), err.reason, hint=err.hint) from None
            with output_errors(path):
                if path.exists():
                    old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
                    os.replace(path, old)
                    os.replace(tmp, path)
                    shutil.rmtree(old)
                else:
                    os.replace(tmp, path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


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
        with output_errors("standard output"):
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


def write_csv(rows: Iterable[dict[str, Any]], path: str | Path, columns: Iterable[str]) -> None:
    """``rows`` as a CSV file with a header of ``columns`` (a key not in a row is an empty cell), atomically."""
    with atomic_write(path) as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def truncated(path: Path, line: int) -> InputError:
    """The error for a file stancekit wrote whose last line lacks its newline: it was cut short."""
    return InputError(path, "the last line does not end in a newline: the file is truncated", line=line,
                      hint="the file was cut short (full disk, interrupted copy?); write it again")


def read_jsonl(path: str | Path, *, whole_lines: bool = False) -> Iterator[dict[str, Any]]:
    """Read a JSONL file; a broken line is an InputError naming it (see :func:`read_numbered_jsonl`)."""
    return (record for _, record in read_numbered_jsonl(path, whole_lines=whole_lines))


def read_numbered_jsonl(path: str | Path, *, whole_lines: bool = False,
                        on_bad: Callable[[InputError], None] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSONL file; a broken line is an InputError.

    With ``whole_lines`` (files stancekit wrote, where every line ends in a newline) a last
    line without one is an error: the file was cut short. With ``on_bad``, a line that is not
    UTF-8 or not a JSON object is handed to it and skipped instead.
    """
    path = Path(path)
    try:
        handle = open_input(path)
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "a folder, not a file", hint="expected a JSONL file") from None
    with handle:
        for line_no, raw in enumerate(handle, start=1):
            if whole_lines and not raw.endswith(b"\n"):
                raise truncated(path, line_no)
            try:
                try:
                    line = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
                except UnicodeDecodeError as exc:
                    raise InputError(path, f"not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                                     line=line_no, hint="expected UTF-8 JSON lines") from None
                record = parse_jsonl_line(line, path, line_no) if line.strip() else None
            except InputError as err:
                if on_bad is None:
                    raise
                on_bad(err)
                continue
            if record is not None:
                yield line_no, record


_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def invalid_unicode(value: Any) -> str | None:
    """Why a decoded JSON value cannot be written as UTF-8 (a lone surrogate such as "\\ud800"), or None.

    The reason names where the string lies (``data.text``, ``tasks[0].id``); the walk is a loop, not a
    recursion, so that a value nested as deeply as the JSON parser allows is checked too.
    """
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                field = f" in {where}" if where else ""
                return (f"lone surrogate {item[exc.start]!r}{field} at character {exc.start} "
                        f"(near {item[max(0, exc.start - 20):exc.start]!r}): not valid Unicode")
        elif isinstance(item, dict):
            children = [(f"{where}.{k}" if where else str(k), v) for k, v in item.items()]
            stack.extend(reversed([(f"{where or 'an object'}'s key", k) for k in item] + children))
        elif isinstance(item, list):
            stack.extend(reversed([(f"{where}[{i}]", v) for i, v in enumerate(item)]))
    return None


def parse_jsonl_line(line: str, path: Path, line_no: int) -> dict[str, Any]:
    """One JSONL line as an object; broken JSON, a non-object or text that is not valid Unicode
    is an InputError naming the file and line."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"broken JSON ({exc.msg} at column {exc.colno})", line=line_no,
                         hint="each line must be one complete JSON object") from None
    except RecursionError:
        raise InputError(path, "JSON nested too deeply to read", line=line_no,
                         hint="a document is a flat object with text, id and metadata fields") from None
    if not isinstance(record, dict):
        raise InputError(path, f"expected a JSON object, found {type(record).__name__}", line=line_no)
    if _ESCAPED_SURROGATE.search(line) and (reason := invalid_unicode(record)):
        raise InputError(path, reason, line=line_no, hint="fix or remove the record (an escaped half of a "
                         "UTF-16 pair); --skip-bad skips it")
    return record
