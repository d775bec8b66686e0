"""Inflected forms of actor aliases, per language: what lets a base-form alias ("Армения", "Rusiya",
"Ռուսաստան") match its case forms ("Армении", "Rusiyanın", "Ռուսաստանից").

Each analyser *generates* the forms of an alias from its base form; the matcher then looks for
those exact strings (Aho-Corasick), so a word that only looks alike ("Армен", "Путинцев",
"турецкий", "Rusyalı") is never a form of an alias and never matches. Nothing cuts prefixes or
stems of the text.

=========  ==========================================================================
language   analyser
=========  ==========================================================================
ru, uk     pymorphy3 (OpenCorpora / VESUM dictionaries): the alias's lexeme, phrase
           words kept in agreement; words outside its dictionary get generated endings
hy         simplemma's Armenian dictionary read backwards (every form whose lemma is
           the alias word) plus generated case endings (for names it does not list)
tr, az     generated case endings with vowel harmony and the buffer consonants
=========  ==========================================================================

Every other language is matched exactly, as written (:func:`analyser_name` returns None).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol


class Inflector(Protocol):
    """Generates the surface forms of an alias (the alias itself included) in one language."""

    name: str

    def forms(self, alias: str) -> set[str]: ...


ANALYSERS = {
    "ru": "pymorphy3",
    "uk": "pymorphy3",
    "hy": "simplemma + generated case endings",
    "tr": "generated case endings",
    "az": "generated case endings",
}


def analyser_name(language: str | None) -> str | None:
    """What finds the inflected forms of an alias in ``language``; None where it is matched exactly."""
    return ANALYSERS.get(language or "")


@lru_cache(maxsize=None)
def inflector(language: str | None) -> Inflector | None:
    """The (cached) inflector of ``language``; None where aliases are matched exactly."""
    if language in ("ru", "uk"):
        from stancekit.morphology.slavic import PymorphyInflector

        return PymorphyInflector(language)
    if language == "hy":
        from stancekit.morphology.armenian import ArmenianInflector

        return ArmenianInflector()
    if language in ("tr", "az"):
        from stancekit.morphology.turkic import TurkicInflector

        return TurkicInflector(language)
    return None
