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


def _renamed(command: tuple[str, ...], args: list[str]) -> list[str]:
    table = RENAMED.get(command, {})
    out = []
    for token in args:
        flag, value = _split(token)
        if flag in table:
            warn(command, flag, table[flag])
            token = table[flag] if value is None else f"{table[flag]}={value}"
        out.append(token)
    return out


def _take(args: list[str], flags: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The values of ``flags`` (``--f V``, ``--f=V``) and the arguments without them."""
    values, rest, i = [], [], 0
    while i < len(args):
        flag, value = _split(args[i])
        if flag in flags:
            if value is None and i + 1 < len(args):
                value, i = args[i + 1], i + 1
            values.append(value)
        else:
            rest.append(args[i])
        i += 1
    return values, rest


def _dataset_build(args: list[str]) -> list[str]:
    """``--out-root ROOT --name NAME`` (or ``-n``) became ``--output ROOT/NAME``."""
    roots, args = _take(args, ("--out-root",))
    names, args = _take(args, ("--name", "-n"))
    if not roots and not names:
        return args
    command = ("dataset", "build")
    for old in (["--out-root"] if roots else []) + (["--name"] if names else []):
        warn(command, old, "--output DIR (the dataset's folder; its name is the folder's name)")
    root = roots[-1] if roots else "datasets"
    return [*args, "--output", f"{root.rstrip('/')}/{names[-1]}" if names else root]


def _agreement(args: list[str]) -> list[str]:
    """``--json PATH`` wrote the report to PATH (now ``--output PATH``); ``--json -`` printed it (now ``--json``)."""
    out, i = [], 0
    while i < len(args):
        flag, value = _split(args[i])
        following = args[i + 1] if i + 1 < len(args) else None
        positional = [a for a in args if not a.startswith("-")]
        if flag == "--json" and value is None and following == "-":
            warn(("agreement",), "--json -", "--json")
            out.append("--json")
            i += 2
            continue
        if flag == "--json" and (value is not None or (following is not None and not following.startswith("-")
                                                        and len(positional) > 1)):
            warn(("agreement",), "--json PATH", "-o/--output PATH (--json now prints the JSON)")
            out += ["--output", value if value is not None else following]
            i += 1 if value is not None else 2
            continue
        out.append(args[i])
        i += 1
    return out


def _push(args: list[str]) -> list[str]:
    """``-m STANCE -m SENTIMENT``: a second --model is now --sentiment-model (which is which: see PushConfig)."""
    out, seen = [], 0
    for token in args:
        flag, value = _split(token)
        if flag in ("--model", "-m"):
            seen += 1
            if seen > 1:
                warn(("ls", "push"), f"{flag} twice", "--model for the stance model and --sentiment-model")
                token = "--sentiment-model" if value is None else f"--sentiment-model={value}"
        out.append(token)
    return out


SPECIAL: dict[tuple[str, ...], Callable[[list[str]], list[str]]] = {
    ("dataset", "build"): _dataset_build,
    ("agreement",): _agreement,
    ("ls", "push"): _push,
}


def rewrite(args: Sequence[str], groups: dict[str, set[str]]) -> list[str]:
    """``args`` with old spellings replaced; ``groups`` maps each command group to its subcommands."""
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
    head = _renamed(command, head)
    if command in SPECIAL:
        head = SPECIAL[command](head)
    return [*args[:start], *head, *tail]
