"""From documents to sentence records: segmentation plus actor mentions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from stancekit.actors import ActorDictionary, ActorMatcher
from stancekit.records import Document, Mention, Sentence
from stancekit.segment import NewsSegmenter, Segmenter


def document_date(doc: Document) -> dt.date | None:
    """The document's date (``meta.date``, validated by the readers as starting YYYY-MM-DD)."""
    value = doc.meta.get("date")
    return dt.date.fromisoformat(value[:10]) if isinstance(value, str) else None


def roll_up(mentions: Iterable[Mention], dictionary: ActorDictionary) -> tuple[Mention, ...]:
    """Attribute each mention to the top of its actor's parent chain (Putin -> Russia)."""
    return tuple(Mention(dictionary.root(m.actor), m.start, m.end, m.text) for m in mentions)


def iter_sentences(
    documents: Iterable[Document],
    *,
    segmenter: Segmenter | None = None,
    matcher: ActorMatcher | None = None,
) -> Iterator[Sentence]:
    """Split each document into sentences and, with a matcher, find their actor mentions."""
    segmenter = segmenter or NewsSegmenter()
    for doc in documents:
        date = document_date(doc)
        for idx, (start, end) in enumerate(segmenter.spans(doc.text)):
            text = doc.text[start:end]
            mentions = tuple(matcher.find(text, date=date)) if matcher is not None else ()
            yield Sentence(doc.id, idx, start, end, text, mentions, doc.meta)
