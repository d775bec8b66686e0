"""Adjudication decisions: which tasks need an adjudicator, and every annotator's answer in words.

The review project that shows them is the annotation tool's business (stancekit.studio.adjudicate).
"""

from __future__ import annotations

from typing import Any

from stancekit.gold.voting import TaskAnswers, collect, disputes


def disputed_tasks(tasks: list[dict[str, Any]], records: list[dict[str, Any]], *, policy: str = "all"
                   ) -> list[TaskAnswers]:
    """The answers to every task whose annotators disagree under ``policy`` (see stancekit.gold.voting)."""
    return [entry for entry in collect(tasks, records).values() if disputes(entry, policy=policy)]


def _said(entry: TaskAnswers, who: str, span: tuple[str, int, int]) -> str:
    if span not in entry.spans[who]:
        return "(no span)"
    return entry.spans[who][span] or "(no stance)"


def answers_text(entry: TaskAnswers) -> str:
    """Every annotator's answer, one line per span and one for the sentiment."""
    lines = []
    for span in sorted({s for w in entry.annotators for s in entry.spans[w]}, key=lambda s: (s[1], s[2], s[0])):
        actor, start, end = span
        said = " | ".join(f"{w} = {_said(entry, w, span)}" for w in entry.annotators)
        lines.append(f"{actor} {entry.task['text'][start:end]!r} [{start}:{end}]: {said}")
    lines.append("sentiment: " + " | ".join(f"{w} = {entry.sentiment[w] or '(none)'}" for w in entry.annotators))
    return "\n".join(lines)
