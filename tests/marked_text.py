"""The marked test sentences of tests/data/languages: ``[surface|actor]`` marks a mention of ``actor`` written as
``surface``; the words around the marks (look-alikes among them) must not match. One reader for the tests,
their fixtures and the benches that use these sentences (bench/inflected_mentions.py, bench/base_model_cost.py)."""

from __future__ import annotations

import re
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "languages"
MARK = re.compile(r"\[([^\[\]|]+)\|([^\[\]|]+)\]")
Span = tuple[int, int, str]  # start, end, actor


def marked(line: str) -> tuple[str, list[Span]]:
    """The plain sentence and its gold mentions, in the order they appear."""
    text, spans, pos = "", [], 0
    for match in MARK.finditer(line):
        text += line[pos:match.start()]
        spans.append((len(text), len(text) + len(match.group(1)), match.group(2)))
        text += match.group(1)
        pos = match.end()
    return text + line[pos:], spans


def marked_sentences(language: str) -> list[tuple[str, list[Span]]]:
    """Every sentence of ``tests/data/languages/<language>.txt`` (blank lines and ``#`` comments skipped)."""
    lines = (DATA / f"{language}.txt").read_text(encoding="utf-8").splitlines()
    return [marked(line) for line in lines if line and not line.startswith("#")]
