"""Russian and Ukrainian aliases inflected with pymorphy3.

A phrase alias keeps its words in agreement: the leading words that are nominative in the phrase's
number (adjectives, nouns in apposition: "Нагорный Карабах", "Ильхам Алиев") take each case and
number together ("Нагорном Карабахе", "Ильхамом Алиевым"); from the first word that is not
(a genitive complement, an indeclinable acronym: "Министерство обороны России", "Генсек НАТО"),
the rest stays as written. The variant with only the first word inflected ("Республике Армения")
is kept too.

A word pymorphy3's dictionary does not hold as a nominative (a foreign surname such as
"Байрамов", a place name) gets the regular endings of its declension class
(:data:`RUSSIAN_ENDINGS`), never pymorphy3's guess by analogy (which reads "Пашинян" as a
plural of "пашинянин"). "ё" forms are also given with "е", as most outlets print them.
"""

from __future__ import annotations

from itertools import product

from stancekit.morphology.casing import in_script, is_word, like

Key = tuple[str, str]  # (case, number)
CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct", "gen2", "acc2", "loc2")
_BASE_CASE = {"gen2": "gent", "acc2": "accs", "loc2": "loct"}
_INFLECTING = {"NOUN", "ADJF", "PRTF", "NUMR"}

# Endings of words outside the dictionary, by declension class: (what the base form ends with,
# {(case, number): endings replacing it}). Checked in order; the first class that fits is used.
_MASC_HARD = {("nomn", "sing"): [""], ("gent", "sing"): ["а"], ("datv", "sing"): ["у"],
              ("accs", "sing"): ["", "а"], ("ablt", "sing"): ["ом"], ("loct", "sing"): ["е"],
              ("nomn", "plur"): ["ы"], ("gent", "plur"): ["ов"], ("datv", "plur"): ["ам"],
              ("accs", "plur"): ["ы", "ов"], ("ablt", "plur"): ["ами"], ("loct", "plur"): ["ах"]}
_MASC_HUSHING = {**_MASC_HARD, ("ablt", "sing"): ["ом", "ем"], ("nomn", "plur"): ["и"], ("gent", "plur"): ["ей", "ев"],
                 ("accs", "plur"): ["и", "ей"]}
_SURNAME = {("nomn", "sing"): [""], ("gent", "sing"): ["а"], ("datv", "sing"): ["у"], ("accs", "sing"): ["а"],
            ("ablt", "sing"): ["ым"], ("loct", "sing"): ["е"], ("nomn", "plur"): ["ы"], ("gent", "plur"): ["ых"],
            ("datv", "plur"): ["ым"], ("accs", "plur"): ["ых"], ("ablt", "plur"): ["ыми"], ("loct", "plur"): ["ых"]}
RUSSIAN_ENDINGS: list[tuple[str, dict[Key, list[str]]]] = [
    ("ия", {("nomn", "sing"): ["ия"], ("gent", "sing"): ["ии"], ("datv", "sing"): ["ии"], ("accs", "sing"): ["ию"],
            ("ablt", "sing"): ["ией", "иею"], ("loct", "sing"): ["ии"]}),
    ("а", {("nomn", "sing"): ["а"], ("gent", "sing"): ["ы", "и"], ("datv", "sing"): ["е"], ("accs", "sing"): ["у"],
           ("ablt", "sing"): ["ой", "ою", "ей"], ("loct", "sing"): ["е"]}),
    ("я", {("nomn", "sing"): ["я"], ("gent", "sing"): ["и"], ("datv", "sing"): ["е"], ("accs", "sing"): ["ю"],
           ("ablt", "sing"): ["ей", "ею"], ("loct", "sing"): ["е"]}),
    ("й", {("nomn", "sing"): ["й"], ("gent", "sing"): ["я"], ("datv", "sing"): ["ю"], ("accs", "sing"): ["й", "я"],
           ("ablt", "sing"): ["ем"], ("loct", "sing"): ["е"]}),
    ("ь", {("nomn", "sing"): ["ь"], ("gent", "sing"): ["я", "и"], ("datv", "sing"): ["ю", "и"],
           ("accs", "sing"): ["ь", "я"], ("ablt", "sing"): ["ем", "ём", "ью"], ("loct", "sing"): ["е", "и"]}),
    ("ов", {k: ["ов" + e for e in v] for k, v in _SURNAME.items()}),
    ("ев", {k: ["ев" + e for e in v] for k, v in _SURNAME.items()}),
    ("ёв", {k: ["ёв" + e for e in v] for k, v in _SURNAME.items()}),
    ("ин", {k: ["ин" + e for e in v] for k, v in _SURNAME.items()}),
    ("ын", {k: ["ын" + e for e in v] for k, v in _SURNAME.items()}),
]
_HUSHING = "жшчщ"
_CONSONANTS = "бвгджзклмнпрстфхцчшщ"
_UKRAINIAN_HARD = {("nomn", "sing"): [""], ("gent", "sing"): ["а", "у"], ("datv", "sing"): ["у", "ові"],
                   ("accs", "sing"): ["", "а"], ("ablt", "sing"): ["ом"], ("loct", "sing"): ["і", "ові"],
                   ("nomn", "plur"): ["и"], ("gent", "plur"): ["ів"], ("datv", "plur"): ["ам"],
                   ("ablt", "plur"): ["ами"], ("loct", "plur"): ["ах"]}


class PymorphyInflector:
    """Inflects Cyrillic aliases of one language (``ru`` or ``uk``) with pymorphy3's dictionary."""

    def __init__(self, language: str):
        import pymorphy3

        self.language = language
        self.name = "pymorphy3"
        self.morph = pymorphy3.MorphAnalyzer(lang=language)

    def forms(self, alias: str) -> set[str]:
        words = alias.split(" ")
        paradigms: list[dict[Key, set[str]] | None] = []
        number: str | None = None
        first_is_noun = False
        for word in words:
            paradigm = None
            if is_word(word) and in_script(word, "CYRILLIC"):
                paradigm, number, pos = self._paradigm(word, number)
                first_is_noun = first_is_noun or (not paradigms and pos == "NOUN")
            paradigms.append(paradigm)
            if paradigm is None:  # the rest of the phrase stays as written
                paradigms.extend([None] * (len(words) - len(paradigms)))
                break
        found = {alias}
        keys = {key for paradigm in paradigms if paradigm for key in paradigm}
        for key in keys:
            options = [_forms_for(paradigm, key, word) for paradigm, word in zip(paradigms, words)]
            found.update(" ".join(choice) for choice in product(*options))
            if first_is_noun:  # only the first word inflected ("Республике Армения")
                found.update(" ".join([first, *words[1:]]) for first in options[0])
        return found | {form.replace("ё", "е").replace("Ё", "Е") for form in found}

    def _paradigm(self, word: str, number: str | None
                  ) -> tuple[dict[Key, set[str]] | None, str | None, str | None]:
        """The word's forms by (case, number), the phrase's number and the word's part of speech, where the word is
        a nominative of the phrase's number; else (None, number, None)."""
        from pymorphy3.units import DictionaryAnalyzer

        lowered = word.lower().replace("ё", "е")
        nominatives = [
            parse for parse in self.morph.parse(word)
            if parse.tag.case == "nomn" and parse.tag.POS in _INFLECTING and parse.word.replace("ё", "е") == lowered
            and isinstance(parse.methods_stack[0][0], DictionaryAnalyzer)
            and (number is None or parse.tag.number in (number, None))]
        if any(parse.tag.POS in ("NOUN", "ADJF") for parse in nominatives):  # "Вооружённые": the adjective, not
            nominatives = [parse for parse in nominatives if parse.tag.POS in ("NOUN", "ADJF")]  # the participle
        paradigm: dict[Key, set[str]] = {}
        pos = nominatives[0].tag.POS if nominatives else None
        for parse in nominatives:
            tag = parse.tag
            number = number or tag.number
            for form in parse.lexeme:
                ftag = form.tag
                if ftag.POS != tag.POS or ftag.case not in CASES or (ftag.voice, ftag.tense) != (tag.voice, tag.tense):
                    continue
                if tag.gender and ftag.gender and ftag.number == "sing" and ftag.gender != tag.gender:
                    continue  # Путин's lexeme holds Путина's forms too; an adjective keeps its noun's gender
                if tag.number == "plur" and ftag.number != "plur":
                    continue  # a plural phrase stays plural ("Вооружённые силы")
                paradigm.setdefault((ftag.case, ftag.number), set()).add(like(form.word, word))
        if paradigm:
            return paradigm, number, pos
        if number in (None, "sing"):
            generated = self._generated(word)
            if generated is not None:
                return generated, "sing", "NOUN"
        return None, number, None

    def _generated(self, word: str) -> dict[Key, set[str]] | None:
        """Regular endings for a word outside the dictionary (None: a vowel-final word that does not decline)."""
        lowered = word.lower()
        if self.language == "uk":
            classes: list[tuple[str, dict[Key, list[str]]]] = []
            if lowered[-1] in _CONSONANTS:
                classes = [("", _UKRAINIAN_HARD)]
        else:
            classes = list(RUSSIAN_ENDINGS)
            if lowered[-1] in _CONSONANTS:
                classes.append(("", _MASC_HUSHING if lowered[-1] in _HUSHING else _MASC_HARD))
        for ending, table in classes:
            if lowered.endswith(ending) and len(lowered) > len(ending) + 1:
                stem = word[:len(word) - len(ending)]
                return {key: {stem + end for end in ends} for key, ends in table.items()}
        return None


def _forms_for(paradigm: dict[Key, set[str]] | None, key: Key, word: str) -> list[str]:
    if paradigm is None:
        return [word]
    case, number = key
    forms = paradigm.get(key) or paradigm.get((_BASE_CASE.get(case, case), number))
    return sorted(forms) if forms else [word]
