"""The records every stage shares: documents, sentences and actor mentions.

The JSONL schema (documented in the README) is::

    {"doc_id", "sent_idx", "start", "end", "text",
     "mentions": [{"actor", "start", "end", "text"}], "meta": {...}}

Sentence ``start``/``end`` index the document text; mention offsets index the sentence
text; ends are exclusive. Later stages add keys; they never remove or rename these.
An :class:`Example` is a sentence with gold labels (training and evaluation data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """One article: its id, full text and metadata (title, outlet, date, url, extras)."""

    id: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # "file" or "file:line", for error messages only


@dataclass(frozen=True)
class Mention:
    """An actor mention; offsets index the sentence text, end exclusive."""

    actor: str
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"actor": self.actor, "start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class Sentence:
    """A sentence of a document with the actors it mentions."""

    doc_id: str
    sent_idx: int
    start: int
    end: int
    text: str
    mentions: tuple[Mention, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "sent_idx": self.sent_idx,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "mentions": [m.to_dict() for m in self.mentions],
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Sentence":
        return cls(
            doc_id=str(data["doc_id"]),
            sent_idx=int(data["sent_idx"]),
            start=int(data["start"]),
            end=int(data["end"]),
            text=data["text"],
            mentions=tuple(Mention(**{k: m[k] for k in ("actor", "start", "end", "text")})
                           for m in data.get("mentions", [])),
            meta=dict(data.get("meta", {})),
        )


@dataclass(frozen=True)
class Example:
    """A labelled sentence: its mentions' gold stances (None = no usable label) and its gold sentiment."""

    sentence: Sentence
    stances: tuple[str | None, ...] = ()
    sentiment: str | None = None

    def labels(self, task: str) -> list[str | None]:
        """The gold labels this example holds for ``task``: one per mention, or one per sentence."""
        return list(self.stances) if task == "stance" else [self.sentiment]


def labelled_items(examples: Sequence[Example], task: str) -> list[tuple[Example, int | None, str]]:
    """(example, mention index or None for sentence tasks, label) for every labelled item."""
    items: list[tuple[Example, int | None, str]] = []
    for ex in examples:
        if task == "stance":
            items.extend((ex, i, s) for i, s in enumerate(ex.stances) if s is not None)
        elif ex.sentiment is not None:
            items.append((ex, None, ex.sentiment))
    return items
