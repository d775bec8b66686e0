"""The one place that checks a path argument before any work starts (files, folders, outputs).

Every command's path options are declared with a :class:`PathRule` (``stancekit.options``); the
command line checks each value when it parses it, and the job's config checks it again for Python
callers (``stancekit.options.check_fields``), so that every command says the same thing about the
same problem: a missing file, a folder where a file is expected (or the reverse), a symbolic-link
loop, a file that may not be read, a pipe where the job must read a file more than once, an output
that is a folder, a pipe or inside a file, or whose folder may not be written.

A pipe (``<(...)``, a named FIFO) is accepted where the job reads the file once from start to end
(``stream=True``: an actor dictionary, annotation records, an export); :func:`open_input` then says
on stderr when it waits for a writer, instead of hanging silently.

Hand-written rather than typer's ``Path(exists=True, ...)``: that check says "does not exist" for a
symbolic-link loop, lets pipes through as files, and knows nothing of outputs.
"""

from __future__ import annotations

import errno
import os
import select
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from stancekit.errors import PathError

PathKind = Literal["file", "folder", "file-or-folder", "output-file", "output-folder"]
FIFO_NOTICE_SECONDS = 1.0  # how long a reader waits on a silent pipe before it says so
WRITE_HINTS = {  # what to do when an output cannot be written (stancekit.io uses them too)
    errno.ENOSPC: "the disk is full; free space and re-run",
    errno.EDQUOT: "the disk quota is exceeded; free space and re-run",
    errno.EROFS: "the file system is read-only; choose an output on a writable one",
    errno.EACCES: "permission denied; choose an output folder you may write to",
    errno.EPERM: "permission denied; choose an output folder you may write to",
}


@dataclass(frozen=True)
class PathRule:
    """What a path argument must be: an existing file, folder or either, or an output file or folder.

    ``stream``: a pipe is accepted (the job reads it once); ``what`` names the expected content in
    messages ("an actor dictionary (YAML)").
    """

    kind: PathKind
    what: str
    stream: bool = False

    def check(self, path: str | Path, *, option: str) -> Path:
        """``path`` as a Path when it is usable, else a :class:`~stancekit.errors.PathError`."""
        return check_path(path, self, option=option)


def _stat(path: Path, option: str, what: str, *, output: bool = False) -> os.stat_result | None:
    """``os.stat`` of the path (None when nothing is there); a link loop or a denied folder is a PathError.

    For an output, a path below a file is "not there" too: the caller names the file in its way.
    """
    try:
        return path.stat()
    except NotADirectoryError:
        if output:
            return None
        raise PathError(path, option, "a part of the path is a file, not a folder", hint=f"expected {what}") from None
    except FileNotFoundError:
        if path.is_symlink():
            raise PathError(path, option, f"a symbolic link to {os.readlink(path)!r}, which does not exist",
                            hint=f"expected {what}") from None
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PathError(path, option, "a symbolic-link loop (the link points back at itself)",
                            hint=f"expected {what}; fix or remove the link") from None
        if exc.errno == errno.EACCES:
            raise PathError(path, option, "permission denied (a folder on the way may not be read)",
                            hint=f"expected {what}") from None
        raise PathError(path, option, exc.strerror or str(exc), hint=f"expected {what}") from None


def _describe(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a file"


def _check_input(path: Path, rule: PathRule, option: str) -> None:
    st = _stat(path, option, rule.what)
    if st is None:
        kind = {"file": "no such file", "folder": "no such folder"}.get(rule.kind, "no such file or folder")
        raise PathError(path, option, kind, hint=f"expected {rule.what}")
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        if rule.kind == "file":
            raise PathError(path, option, "a folder, not a file", hint=f"expected {rule.what}")
    elif rule.kind == "folder":
        raise PathError(path, option, f"{_describe(mode)}, not a folder", hint=f"expected {rule.what}")
    elif stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        if not rule.stream:
            raise PathError(path, option, f"{_describe(mode)}, not a regular file",
                            hint=f"this command reads it more than once or by its file name; save {rule.what} "
                                 "to a file and pass that")
    elif not stat.S_ISREG(mode):
        raise PathError(path, option, f"{_describe(mode)}, not a regular file", hint=f"expected {rule.what}")
    if not os.access(path, os.R_OK | (os.X_OK if stat.S_ISDIR(mode) else 0)):
        raise PathError(path, option, "permission denied: it may not be read", hint=f"expected {rule.what}")


def _writable_ancestor(path: Path, option: str, what: str) -> None:
    """The nearest existing folder above ``path`` must be a folder this process may write in."""
    parent = path.absolute().parent
    while True:
        st = _stat(parent, option, what, output=True)
        if st is not None:
            break
        parent = parent.parent
    if not stat.S_ISDIR(st.st_mode):
        raise PathError(path, option, f"{parent} is {_describe(st.st_mode)}, so no folder can be made there",
                        hint=f"expected {what} in a folder", output=True)
    if not os.access(parent, os.W_OK | os.X_OK):
        code = errno.EROFS if os.statvfs(parent).f_flag & os.ST_RDONLY else errno.EACCES
        raise PathError(path, option, os.strerror(code), hint=WRITE_HINTS[code], output=True)


def _check_output(path: Path, rule: PathRule, option: str) -> None:
    st = _stat(path, option, rule.what, output=True)
    if st is not None:
        mode = st.st_mode
        if rule.kind == "output-file" and not stat.S_ISREG(mode):
            reason = f"it is {_describe(mode)}, not a file"
            hint = (f"outputs are written whole and moved into place; give a file path for {rule.what}"
                    + (" (or leave the option out to write to standard output)" if rule.stream else ""))
            raise PathError(path, option, reason, hint=hint, output=True)
        if rule.kind == "output-folder" and not stat.S_ISDIR(mode):
            raise PathError(path, option, f"it is {_describe(mode)}, not a folder", hint=f"expected {rule.what}",
                            output=True)
    _writable_ancestor(path, option, rule.what)


def check_path(path: str | Path, rule: PathRule, *, option: str) -> Path:
    """Check ``path`` against ``rule`` (``option`` names the argument in the message); returns it as a Path."""
    path = Path(path)
    if str(path) == "":
        raise PathError(path, option, "an empty path", hint=f"expected {rule.what}")
    if rule.kind.startswith("output-"):
        _check_output(path, rule, option)
    else:
        _check_input(path, rule, option)
    return path


def is_pipe(path: str | Path) -> bool:
    """Whether ``path`` is a pipe (``<(...)`` or a named FIFO) rather than a file."""
    try:
        return stat.S_ISFIFO(os.stat(path).st_mode)
    except OSError:
        return False


def open_input(path: str | Path) -> IO[bytes]:
    """Open a file for reading in binary; on a pipe that nothing writes to yet, say so on stderr and wait.

    A named FIFO with no writer blocks a reader forever, as in any Unix tool; the notice tells the user
    what the command waits for.
    """
    path = Path(path)
    if not is_pipe(path):
        return path.open("rb")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP)
    if not poller.poll(int(FIFO_NOTICE_SECONDS * 1000)):
        print(f"waiting for data on the pipe {path} (nothing has written to it yet)...", file=sys.stderr, flush=True)
        poller.poll()  # until a writer writes or hangs up (a read now would see end-of-file at once)
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")
