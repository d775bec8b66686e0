"""Sentence segmentation with exact character offsets, tuned for news.

The base segmenter is `sentencex` (maintained, rule-based, fast Rust core; it already
knows abbreviations such as "Oct.", "U.S.", "Sen." and initials, and keeps quotations that
span sentences together). Its news-specific failures are fixed here, in
:func:`NewsSegmenter.spans`, and nowhere else:

1. **Edges**: spans are trimmed of surrounding white space; empty spans are dropped.
2. **Headlines and subheads**: a short line with no final punctuation ("ARMS TRADE FALLS",
   "Does Turkey hold the key to peace" without "?", "Post-conflict arms trade") ends a
   sentence at its line break even when only one newline follows it.
3. **Time abbreviations**: "a.m."/"p.m." followed by a weekday, month or time zone
   ("3 p.m. Monday") is not a sentence end.
4. **Lower-case continuation**: a segment whose first word is all lower case continues
   the previous one (a false split after an unknown abbreviation); "iPhone" is not.
5. **Other languages** (sentencex's rules of the document's language: Russian, Ukrainian,
   Armenian, whose full stop is "։" and where "." only abbreviates, Azerbaijani, Turkish...): an
   initial ("И. Алиев", "İ. Əliyev") and an abbreviated month or year before a number ("10 нояб.
   2020 г.", "10 Kas. 2020", "10 noy. 2020-ci il") are not sentence ends.

Datelines ("MOSCOW — ") stay at the start of the first sentence, as in the article.
"""

from __future__ import annotations

import re
from typing import Protocol

import sentencex

Span = tuple[int, int]


class Segmenter(Protocol):
    """Anything that splits a text into sentence spans ``(start, end)``, end exclusive (``language``: the text's
    ISO 639-1 code, None if unknown)."""

    def spans(self, text: str, *, language: str | None = None) -> list[Span]: ...


_HEADING_MAX_WORDS = 12
_TERMINAL = ".!?:;,…\"”’'»)]"
_TIME_ABBREV = re.compile(r"\b[ap]\.m\.$", re.IGNORECASE)
_TIME_FOLLOWER = re.compile(
    r"^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|May|June|July"
    r"|August|September|October|November|December|Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\."
    r"|[A-Z]{2,4}T\b|GMT\b|UTC\b|local time)"
)
_WS = " \t\r\n\f\v\u00a0\u2028\u2029"
_INITIAL = re.compile(r"(?:^|\s)[^\W\d_]\.$")
# abbreviations that end in a full stop before a number: months, "year(s)", "page", "number"
_BEFORE_NUMBER = {
    "ru": "янв|фев|февр|мар|апр|авг|сен|сент|окт|ноя|нояб|дек|г|гг|ст|стр|п|ч|тыс|млн|млрд|№",
    "uk": "січ|лют|бер|квіт|трав|черв|лип|серп|вер|жовт|лист|груд|р|рр|ст|стор|п|тис|млн|млрд",
    "tr": "Oca|Şub|Mar|Nis|May|Haz|Tem|Ağu|Ağus|Eyl|Eki|Kas|Ara|No|s|sy",
    "az": "yan|fev|mar|apr|may|iyn|iyl|avq|sen|okt|noy|dek|s|səh|No",
}
_BEFORE_NUMBER_RE = {lang: re.compile(rf"(?:^|[\s(])(?:{words})\.$", re.IGNORECASE)
                     for lang, words in _BEFORE_NUMBER.items()}


class NewsSegmenter:
    """`sentencex` segmentation in the text's language (English where unknown) plus the documented news fixes."""

    def __init__(self, language: str = "en"):
        self.language = language

    def spans(self, text: str, *, language: str | None = None) -> list[Span]:
        language = language or self.language
        raw = [
            (seg["start_index"], seg["end_index"])
            for seg in sentencex.get_sentence_boundaries(language, text)
            if not seg["is_paragraph_break"]
        ]
        pieces: list[Span] = []
        for start, end in raw:
            for sub_start, sub_end in _split_headings(text, start, end):
                trimmed = _trim(text, sub_start, sub_end)
                if trimmed is not None:
                    pieces.append(trimmed)
        return _merge_false_splits(text, pieces, language)


def _trim(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start] in _WS:
        start += 1
    while end > start and text[end - 1] in _WS:
        end -= 1
    return (start, end) if start < end else None


_NON_WS = re.compile(f"[^{_WS}]")


def _split_headings(text: str, start: int, end: int) -> list[Span]:
    """Split a segment after each heading line it contains (single-newline headings).

    A heading is the text since the last cut when it has at most ``_HEADING_MAX_WORDS`` words
    and no final punctuation, and the next line starts like a sentence. Words are counted line
    by line and the scan stops once a cut can no longer happen, so this is linear in the text.
    """
    pieces: list[Span] = []
    cursor = line_start = start
    words, last_char = 0, ""
    newline = text.find("\n", cursor, end)
    while newline != -1:
        line = text[line_start:newline]
        words += len(line.split())
        if words > _HEADING_MAX_WORDS:
            break
        stripped = line.strip()
        if stripped:
            last_char = stripped[-1]
        following = _NON_WS.search(text, newline + 1, end)
        if words and last_char not in _TERMINAL and following is not None and (
                following.group().isupper() or following.group() in "\"“‘'«"):
            pieces.append((cursor, newline))
            cursor = newline + 1
            words, last_char = 0, ""
        line_start = newline + 1
        newline = text.find("\n", line_start, end)
    pieces.append((cursor, end))
    return pieces


def _merge_false_splits(text: str, spans: list[Span], language: str = "en") -> list[Span]:
    before_number = _BEFORE_NUMBER_RE.get(language)
    merged: list[Span] = []
    for span in spans:
        if merged:
            prev_start, prev_end = merged[-1]
            prev_tail = text[max(prev_start, prev_end - 5):prev_end]  # enough for "\ba.m." (merges must stay linear)
            head = text[span[0]:span[1]]
            same_paragraph = "\n" not in text[prev_end:span[0]]
            if same_paragraph and (
                head.split(maxsplit=1)[0].islower() or (_TIME_ABBREV.search(prev_tail) and _TIME_FOLLOWER.match(head))
                or (language != "en" and _INITIAL.search(prev_tail) and prev_tail[-2].isupper() and head[0].isupper())
                or (before_number is not None and head[0].isdigit()
                    and before_number.search(text, max(prev_start, prev_end - 6), prev_end))
            ):
                merged[-1] = (prev_start, span[1])
                continue
        merged.append(span)
    return merged
