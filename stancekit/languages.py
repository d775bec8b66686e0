"""The language of a document: given by its ``language`` or ``lang`` field, else detected with py3langid.

Codes are ISO 639-1 ("ru", "hy", "az", "tr"); a region or script tag after it is dropped
("ru-RU", "az_Latn" -> "ru", "az"). py3langid (a maintained fork of langid.py: a naive Bayes
model over byte n-grams of 97 languages, shipped inside the package, nothing downloaded) reads
the first :data:`DETECT_CHARS` characters; a guess below :data:`MIN_PROBABILITY` is no
language (aliases are then matched exactly and sentences split by the English rules).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

LANGUAGE_FIELDS = ("language", "lang")
DETECT_CHARS = 2000
MIN_PROBABILITY = 0.3  # measured: one-line Russian headlines score 0.3-0.5, a lone English word under 0.1
_CODE = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{2,8})*$")


def language_code(value: Any) -> str:
    """The ISO 639-1 code of a ``language`` field value; ValueError saying what is expected otherwise."""
    match = _CODE.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"expected a language code such as 'ru', 'hy', 'az', 'tr' or 'en' (ISO 639-1, "
                         f"optionally with a region: 'ru-RU'), found {value!r}")
    return match.group(1).lower()


def given_language(meta: Mapping[str, Any]) -> str | None:
    """The language a record's metadata names (``language``, else ``lang``), or None."""
    for key in LANGUAGE_FIELDS:
        if meta.get(key) not in (None, ""):
            return language_code(meta[key])
    return None


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """The language py3langid finds in ``text`` (its first DETECT_CHARS characters), or None when unsure."""
    sample = text[:DETECT_CHARS]
    if not any(ch.isalpha() for ch in sample):
        return None
    code, probability = _identifier().classify(sample)
    return str(code) if probability >= MIN_PROBABILITY else None


def text_language(text: str, meta: Mapping[str, Any] | None = None) -> str | None:
    """The language given in ``meta``, else the one detected in ``text``."""
    return (given_language(meta) if meta else None) or detect_language(text)
