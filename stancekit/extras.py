"""The install profiles (extras) and the one check that an optional part is installed.

``pip install .`` gives the core: read coverage, sentences and mentions, ``tag``, ``report``,
``evaluate`` and the baseline model. The extras of pyproject.toml add the rest: ``studio`` (talking to
Label Studio), ``train`` (fine-tuning transformers), ``serve`` (the ML backend), ``ray`` (tagging on
Ray) and ``all``. The library modules that need an extra call :func:`require_extra` before importing
it, so that a command whose extra is missing stops with one line naming the extra to install.

What each extra holds is read from stancekit's own installed metadata (its ``Requires-Dist`` lines),
so pyproject.toml stays the one place that lists them.
"""

from __future__ import annotations

import functools
import re
from importlib import metadata

from stancekit.errors import MissingExtraError

PURPOSE = {
    "studio": "talking to Label Studio (ls push/pull/adjudicate/config/rank, agreement, dataset build)",
    "train": "fine-tuning a transformer (stancekit train)",
    "serve": "the Label Studio ML backend (stancekit serve)",
    "ray": "tagging on Ray (stancekit tag --engine ray)",
}
INSTALL = ("pip install '.[{extra}]' in the stancekit checkout "
           "(or pip install 'stancekit-<version>-py3-none-any.whl[{extra}]')")
_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_EXTRAS_OF = re.compile(r"\[([^\]]*)\]")


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.cache
def _requirements() -> dict[str, list[str]] | None:
    """extra -> its requirement strings (markers stripped), from stancekit's metadata; None when stancekit
    runs from a folder that was never installed (nothing to check against then)."""
    try:
        lines = metadata.requires("stancekit") or []
    except metadata.PackageNotFoundError:
        return None
    extras: dict[str, list[str]] = {}
    for line in lines:
        requirement, _, marker = line.partition(";")
        found = _EXTRA_MARKER.search(marker)
        if found:
            extras.setdefault(normalize(found.group(1)), []).append(requirement.strip())
    return extras


def distributions(extra: str) -> list[str]:
    """The distributions ``extra`` adds (those of the extras it includes too), normalized, sorted."""
    extras = _requirements() or {}
    if normalize(extra) not in extras:
        raise MissingExtraError(f"unknown extra {extra!r}: expected one of {', '.join(sorted(extras)) or 'none'}")
    seen: set[str] = set()
    names: set[str] = set()
    pending = [normalize(extra)]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for requirement in extras.get(current, []):
            name = normalize(_NAME.match(requirement).group(0))
            if name == "stancekit":  # "stancekit[studio,train]": an extra made of other extras
                inner = _EXTRAS_OF.search(requirement)
                pending += [normalize(e) for e in inner.group(1).split(",")] if inner else []
            else:
                names.add(name)
    return sorted(names)


def _installed(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def require_extra(extra: str, *alternatives: str) -> None:
    """Stop with :class:`MissingExtraError` (one line naming the extra and how to install it) unless every
    distribution of ``extra``, or of one of the ``alternatives`` (other extras that hold what is needed), is
    installed."""
    if _requirements() is None:
        return
    missing = [name for name in distributions(extra) if not _installed(name)]
    if not missing or any(all(_installed(name) for name in distributions(e)) for e in alternatives):
        return
    also = "".join(f" (or [{e}])" for e in alternatives)
    raise MissingExtraError(f"{PURPOSE.get(extra, extra)} needs the [{extra}] extra{also}, and "
                            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed: "
                            + INSTALL.format(extra=extra))
