"""The records every stage shares: documents, sentences and actor mentions.

The JSONL schema (documented in the README) is::

    {"doc_id", "sent_idx", "start", "end", "text",
     "mentions": [{"actor", "start", "end", "text"}], "meta": {...}}

Sentence ``start``/``end`` index the document text; mention offsets index the sentence
text; ends are exclusive. Later stages add keys; they never remove or rename these.
"""

from __future__ import annotations

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
