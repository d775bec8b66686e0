"""Old option spellings, kept working for one release: each is rewritten to its new one with a line on stderr.

Release 0.2 renamed options so that a name means one thing everywhere; 0.3 drops the old names (remove
this module then, see stancekit.deprecation). The command line is rewritten before typer parses it, so the new options stay the
only ones declared (and shown in help).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from stancekit.deprecation import deprecated

# (command path): {old flag: new flag}
RENAMED: dict[tuple[str, ...], dict[str, str]] = {
    ("train",): {"--model": "--kind"},
    ("ls", "pull"): {"--out": "--output"},
    ("ls", "parse"): {"--out": "--output"},
    ("demo",): {"--studio-url": "--url"},
    ("serve",): {"--studio-url": "--url"},
}


def warn(command: Sequence[str], old: str, new: str) -> None:
    deprecated(f"`stancekit {' '.join(command)} {old}`; use {new}")


def _split(token: str) -> tuple[str, str | None]:
    """``--flag=value`` -> (``--flag``, ``value``); ``--flag`` -> (``--flag``, None)."""
    if token.startswith("--") and "=" in token:
        flag, value = token.split("=", 1)
        return flag, value
    return token, None


def _values(args: list[str], takes_value: set[str]) -> list[bool]:
    """For each token, whether it is the value of the option before it (never read as an option itself)."""
    found, follows = [], False
    for token in args:
        found.append(follows)
        flag, value = _split(token)
        follows = not follows and value is None and flag in takes_value
    return found


class Line:
    """A command's arguments, with the tokens that are option values told apart from options."""

    def __init__(self, command: tuple[str, ...], args: list[str], takes_value: set[str]):
        self.command = command
        self.args = args
        self.takes_value = takes_value | OLD_WITH_VALUE

    def options(self) -> list[tuple[int, str, str | None]]:
        """(index, flag, value given with '=' or None) of every option token."""
        return [(i, *_split(t)) for i, (t, is_value) in enumerate(zip(self.args, _values(self.args, self.takes_value)))
                if not is_value and t.startswith("-") and t != "-"]

    def value_after(self, index: int) -> str | None:
        return self.args[index + 1] if index + 1 < len(self.args) else None

    def positionals(self) -> list[str]:
        flags = {i for i, _, _ in self.options()}
        values = _values(self.args, self.takes_value)
        return [t for i, t in enumerate(self.args) if i not in flags and not values[i]]


def _renamed(line: Line) -> list[str]:
    table = RENAMED.get(line.command, {})
    out = list(line.args)
    for index, flag, value in line.options():
        if flag in table:
            warn(line.command, flag, table[flag])
            out[index] = table[flag] if value is None else f"{table[flag]}={value}"
    return out


def _take(line: Line, flags: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The values of ``flags`` (``--f V``, ``--f=V``) and the arguments without them."""
    values, drop = [], set()
    for index, flag, value in line.options():
        if flag in flags:
            drop.add(index)
            if value is None and line.value_after(index) is not None:
                value = line.value_after(index)
                drop.add(index + 1)
            values.append(value)
    return values, [t for i, t in enumerate(line.args) if i not in drop]


def _dataset_build(line: Line) -> list[str]:
    """``--out-root ROOT --name NAME`` (or ``-n``) became ``--output ROOT/NAME``."""
    roots, args = _take(line, ("--out-root",))
    names, args = _take(Line(line.command, args, line.takes_value), ("--name", "-n"))
    if not roots and not names:
        return line.args
    for old in (["--out-root"] if roots else []) + (["--name"] if names else []):
        warn(line.command, old, "--output DIR (the dataset's folder; its name is the folder's name)")
    root = roots[-1] if roots else "datasets"
    return [*args, "--output", f"{root.rstrip('/')}/{names[-1]}" if names else root]


def _agreement(line: Line) -> list[str]:
    """``--json PATH`` wrote the report to PATH (now ``--output PATH``); ``--json -`` printed it (now ``--json``)."""
    out, skip = list(line.args), set()
    for index, flag, value in line.options():
        if flag != "--json":
            continue
        following = line.value_after(index)
        if value == "-" or (value is None and following == "-"):
            warn(line.command, "--json -", "--json")
            out[index] = "--json"
            skip |= {index + 1} if value is None else set()
        elif value is not None or (following is not None and not following.startswith("-")
                                   and len(line.positionals()) > 1):
            warn(line.command, "--json PATH", "-o/--output PATH (--json now prints the JSON)")
            out[index] = "--output" if value is None else f"--output={value}"
    return [t for i, t in enumerate(out) if i not in skip]


def _push(line: Line) -> list[str]:
    """``-m STANCE -m SENTIMENT``: a second --model is now --sentiment-model (which is which: see PushConfig)."""
    out, seen = list(line.args), 0
    for index, flag, value in line.options():
        if flag in ("--model", "-m"):
            seen += 1
            if seen > 1:
                warn(line.command, f"{flag} twice", "--model for the stance model and --sentiment-model")
                out[index] = "--sentiment-model" if value is None else f"--sentiment-model={value}"
    return out


SPECIAL: dict[tuple[str, ...], Callable[[Line], list[str]]] = {
    ("dataset", "build"): _dataset_build,
    ("agreement",): _agreement,
    ("ls", "push"): _push,
}
OLD_WITH_VALUE = {"--out", "--studio-url", "--out-root", "--name", "-n"}  # old options that took a value


def rewrite(args: Sequence[str], groups: dict[str, set[str]],
            takes_value: Callable[[tuple[str, ...]], set[str]] = lambda command: set()) -> list[str]:
    """``args`` with old spellings replaced; ``groups`` maps each command group to its subcommands,
    ``takes_value`` gives a command's options that take a value (their values are never rewritten)."""
    args = list(args)
    if not args:
        return args
    if args[0] in groups and len(args) > 1:
        command, start = (args[0], args[1]), 2
    else:
        command, start = (args[0],), 1
    if "--" in args[start:]:
        cut = args.index("--", start)
        head, tail = args[start:cut], args[cut:]
    else:
        head, tail = args[start:], []
    known = takes_value(command)
    head = _renamed(Line(command, head, known))
    if command in SPECIAL:
        head = SPECIAL[command](Line(command, head, known))
    return [*args[:start], *head, *tail]
