"""Shared helpers of the inflectors: which words inflect, and giving a generated form the alias's casing."""

from __future__ import annotations

import unicodedata


def is_word(token: str) -> bool:
    """Letters, optionally joined by hyphens ("премьер-министр"); digits, dots and acronyms do not inflect."""
    parts = token.split("-")
    return all(part.isalpha() for part in parts) and not is_acronym(token)


def is_acronym(token: str) -> bool:
    """An all-capital token of two letters or more (НАТО, ОДКБ, ABD): written as is, suffixes after an apostrophe."""
    letters = [ch for ch in token if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)


def in_script(token: str, script: str) -> bool:
    """Whether every letter of ``token`` belongs to ``script`` (a Unicode name prefix: CYRILLIC, ARMENIAN, LATIN)."""
    return all(unicodedata.name(ch, "").startswith(script) for ch in token if ch.isalpha())


def like(form: str, model: str) -> str:
    """``form`` cased like ``model``, hyphen part by hyphen part (Title, UPPER or lower)."""
    model_parts = model.split("-")
    form_parts = form.split("-")
    if len(model_parts) != len(form_parts):
        model_parts = [model] * len(form_parts)
    return "-".join(_case_like(part, shape) for part, shape in zip(form_parts, model_parts))


def _case_like(part: str, model: str) -> str:
    if not part or not model:
        return part
    if model[0].isupper():
        return part[0].upper() + part[1:].lower()
    return part.lower()
