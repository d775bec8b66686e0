"""Text normalisation for matching, with offsets back into the original text.

Actor aliases and coverage are compared after the same normalisation, so that what a reader
sees as the same text matches:

- **Unicode NFC**: a decomposed "Tu\u0308rkiye" (u + combining diaeresis) is "Türkiye";
- **white space**: any run of white space (non-breaking, thin, narrow no-break spaces, line
  breaks of hard-wrapped text) is one ordinary space.

``normalise(text)`` returns the normalised string and a map from its character offsets back to
the original's, so mentions found in the normalised text keep exact offsets into the original.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from dataclasses import dataclass

# Text that is already normalised: NFC and no white space other than single ordinary spaces.
_NEEDS_WORK = re.compile(r"[^\S ]|  ")


@dataclass(frozen=True)
class Normalised:
    """A normalised text and, for each of its characters, the original span it came from."""

    text: str
    starts: array | None  # None: identical to the original
    ends: array | None

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets of the normalised characters [start, end)."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def _is_identity(text: str) -> bool:
    return _NEEDS_WORK.search(text) is None and unicodedata.is_normalized("NFC", text)


def normalise_alias(text: str) -> str:
    """An alias as it is compared with normalised text."""
    return normalise(text).text


def normalise(text: str) -> Normalised:
    """NFC with white-space runs collapsed to one space; linear in the length of the text."""
    if _is_identity(text):
        return Normalised(text, None, None)
    pieces: list[str] = []
    starts = array("q")
    ends = array("q")
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        if text[i].isspace():
            while j < n and text[j].isspace():
                j += 1
            piece = " "
        else:
            # a starter and the combining marks that follow it compose together
            while j < n and unicodedata.combining(text[j]):
                j += 1
            piece = unicodedata.normalize("NFC", text[i:j])
        pieces.append(piece)
        starts.extend((i,) * len(piece))
        ends.extend((j,) * len(piece))
        i = j
    return Normalised("".join(pieces), starts, ends)
