"""One error hierarchy for everything stancekit raises on purpose.

Every message says what was expected, what was found and what to do about it, so that
the CLI can print it as a one-line reason and exit non-zero.
"""

from __future__ import annotations

from pathlib import Path

EXIT_ERROR = 1  # the command line's exit code for a StanceKitError (2: a usage error)


class StanceKitError(Exception):
    """Base class of all stancekit errors."""


class ConfigError(StanceKitError):
    """A job configuration (options, flags) is invalid."""


class PathError(ConfigError):
    """A path argument is not what its option expects (checked before any work: see stancekit.paths).

    An output that cannot be written reads as an :class:`OutputError` does: ``cannot write PATH: reason``.
    """

    def __init__(self, path: str | Path, option: str, reason: str, *, hint: str = "", output: bool = False):
        self.path = str(path)
        self.option = option
        self.reason = reason
        self.hint = hint
        if output:
            message = f"cannot write {self.path}: {reason}"
        else:
            message = f"{option} {self.path}: {reason}" if option else f"{self.path}: {reason}"
        super().__init__(f"{message} ({hint})" if hint else message)


class InputError(StanceKitError):
    """A coverage file or record cannot be read.

    Carries the file and, where known, the 1-based line (JSONL, CSV) so that the user can
    find the record.
    """

    def __init__(self, path: str | Path, reason: str, *, line: int | None = None, hint: str = ""):
        self.path = str(path)
        self.line = line
        self.reason = reason
        self.hint = hint
        where = f"{self.path}:{line}" if line is not None else self.path
        message = f"{where}: {reason}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class OutputError(StanceKitError):
    """An output cannot be written (read-only folder, full disk, another run writing it)."""

    def __init__(self, path: str | Path, reason: str, *, hint: str = ""):
        self.path = str(path)
        self.reason = reason
        self.hint = hint
        message = f"cannot write {self.path}: {reason}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class ActorDictionaryError(StanceKitError):
    """An actor dictionary is malformed or inconsistent; lists every problem found."""

    def __init__(self, path: str | Path, problems: list[str]):
        self.path = str(path)
        self.problems = list(problems)
        shown = "; ".join(self.problems)
        super().__init__(f"{self.path}: {len(self.problems)} problem(s) in actor dictionary: {shown}")


class ModelError(ConfigError):
    """A model folder is missing, damaged or foreign: names the folder and file, what was expected and
    what to do (retrain, or copy the folder again). A ConfigError: the folder was passed as an option."""

    def __init__(self, folder: str | Path, reason: str, *, file: str | None = None,
                 hint: str = "retrain it with 'stancekit train' or copy the whole folder again"):
        self.folder = str(folder)
        self.file = file
        self.reason = reason
        self.hint = hint
        where = f"{self.folder}/{file}" if file else self.folder
        super().__init__(f"model folder {where}: {reason}; {hint}" if hint else f"model folder {where}: {reason}")


class MissingExtraError(StanceKitError):
    """A command needs an optional part of stancekit (an extra) that is not installed: names the extra
    and the one command that installs it."""
