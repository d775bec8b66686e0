"""From documents to sentence records: segmentation plus actor mentions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from stancekit.actors import ActorDictionary, ActorMatcher
from stancekit.errors import InputError
from stancekit.languages import LANGUAGE_FIELDS, detect_language, given_language
from stancekit.records import Document, Mention, Sentence
from stancekit.segment import NewsSegmenter, Segmenter


def document_date(doc: Document) -> dt.date | None:
    """The document's date (``meta.date``, validated by the readers as starting YYYY-MM-DD)."""
    value = doc.meta.get("date")
    return dt.date.fromisoformat(value[:10]) if isinstance(value, str) else None


def document_language(doc: Document) -> str | None:
    """The document's language: its ``language``/``lang`` field, else detected in its text (None: unsure)."""
    try:
        return given_language(doc.meta) or detect_language(doc.text)
    except ValueError as exc:  # the readers check the field; a Document made in code may not be
        raise InputError(doc.source or doc.id, f"document {doc.id!r}: {exc}") from None


def with_language(meta: dict[str, Any], language: str | None) -> dict[str, Any]:
    """The sentence metadata: the document's, with ``language`` added where it was detected, not given."""
    if language is None or any(meta.get(key) not in (None, "") for key in LANGUAGE_FIELDS):
        return meta
    return {**meta, "language": language}


def roll_up(mentions: Iterable[Mention], dictionary: ActorDictionary) -> tuple[Mention, ...]:
    """Attribute each mention to the top of its actor's parent chain (Putin -> Russia)."""
    return tuple(Mention(dictionary.root(m.actor), m.start, m.end, m.text) for m in mentions)


def iter_sentences(
    documents: Iterable[Document],
    *,
    segmenter: Segmenter | None = None,
    matcher: ActorMatcher | None = None,
) -> Iterator[Sentence]:
    """Split each document into sentences in its language and, with a matcher, find their actor mentions."""
    segmenter = segmenter or NewsSegmenter()
    for doc in documents:
        date = document_date(doc)
        language = document_language(doc)
        meta = with_language(doc.meta, language)
        for idx, (start, end) in enumerate(segmenter.spans(doc.text, language=language)):
            text = doc.text[start:end]
            mentions = tuple(matcher.find(text, date=date, language=language)) if matcher is not None else ()
            yield Sentence(doc.id, idx, start, end, text, mentions, meta)
