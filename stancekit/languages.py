"""The language of a document: given by its ``language`` or ``lang`` field, else detected with py3langid.

Codes are ISO 639-1 ("ru", "hy", "az", "tr"); a region or script tag after it is dropped
("ru-RU", "az_Latn" -> "ru", "az"). py3langid (a maintained fork of langid.py: a naive Bayes
model over byte n-grams of 97 languages, shipped inside the package, nothing downloaded) reads
the first :data:`DETECT_CHARS` characters, with the text's script deciding where its n-grams
cannot at sentence length (measured: one-line Russian sentences come out Bulgarian, Kyrgyz or
Serbian at 0.3-0.5):

- Armenian script is Armenian;
- Cyrillic is Russian, unless py3langid is sure (:data:`SURE`) of another Cyrillic language or
  the text has letters Russian lacks (Ukrainian і ї є ґ, Serbian ј љ њ...), where py3langid's
  best Cyrillic language is taken;
- anything else is py3langid's guess, or no language below :data:`MIN_PROBABILITY` (aliases
  are then matched as written and sentences split by the English rules).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

LANGUAGE_FIELDS = ("language", "lang")
DETECT_CHARS = 2000
MIN_PROBABILITY = 0.3  # measured: a one-line English sentence scores 0.44, a lone English word under 0.1
SURE = 0.9  # a Bulgarian, Ukrainian or Macedonian paragraph scores 0.98 and more
_RUSSIAN_LETTERS = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
_CYRILLIC = frozenset({"ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "mn", "tg", "tt", "ba", "uz"})
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
    """The language of ``text`` (its first DETECT_CHARS characters; rules in the module doc), or None when unsure."""
    sample = text[:DETECT_CHARS]
    script = dominant_script(sample)
    if script is None:
        return None
    if script == "ARMENIAN":
        return "hy"
    ranked = _identifier().rank(sample)
    if script == "CYRILLIC":
        cyrillic = [(str(code), probability) for code, probability in ranked if code in _CYRILLIC]
        top, probability = cyrillic[0]
        foreign = any(ch.isalpha() and ch.lower() not in _RUSSIAN_LETTERS for ch in sample if _in(ch, "CYRILLIC"))
        return top if probability >= SURE or foreign else "ru"
    code, probability = ranked[0]
    return str(code) if probability >= MIN_PROBABILITY else None


def dominant_script(text: str) -> str | None:
    """The script most letters of ``text`` are written in (CYRILLIC, ARMENIAN, LATIN...), or None without letters."""
    counts: dict[str, int] = {}
    for ch in text:
        if ch.isalpha():
            script = unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None


def _in(ch: str, script: str) -> bool:
    return unicodedata.name(ch, "").startswith(script)


def text_language(text: str, meta: Mapping[str, Any] | None = None) -> str | None:
    """The language given in ``meta``, else the one detected in ``text``."""
    return (given_language(meta) if meta else None) or detect_language(text)
