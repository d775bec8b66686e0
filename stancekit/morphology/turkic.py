"""Turkish and Azerbaijani aliases: generated case endings with vowel harmony.

The last word of a phrase takes the suffixes ("Dağlıq Qarabağ" -> "Dağlıq Qarabağın"): the
genitive, accusative, dative, locative, ablative and instrumental, the locative with -ki, and
the plural with each of them, after the buffer consonants (-n-, -y-) a vowel-final stem needs,
and, for a compound already ending in the possessive ("Dışişleri Bakanlığı"), its -n- forms
("Bakanlığının", "Bakanlığına"). Turkish writes -d-/-t- by the stem's last sound ("Kuvvet" ->
"Kuvvetten"); Azerbaijani always -d-. A final -k (Turkish) or -q/-k (Azerbaijani) softens before a
vowel ("Bakanlık" -> "Bakanlığı"). Proper nouns that take their suffixes after an apostrophe
("Rusya'dan") already match at the apostrophe; acronyms (ABD, NATO) do not inflect.

simplemma's Turkish dictionary was measured and not used: it lists derived words under the
base lemma ("ermenistanlı", "karabağlı", "putinci"), which are exactly the look-alikes that must
not match (bench/inflected_mentions.py).
"""

from __future__ import annotations

from stancekit.morphology.casing import in_script, is_word

_BACK = "aıou"
_FRONT_TR = "eiöü"
_FRONT_AZ = "eəiöü"
_VOICELESS_TR = "fstkçşhp"


class TurkicInflector:
    """Inflects the last word of Turkish (``tr``) or Azerbaijani (``az``) aliases."""

    def __init__(self, language: str):
        self.language = language
        self.name = "generated case endings"
        self.vowels = _BACK + (_FRONT_AZ if language == "az" else _FRONT_TR)

    def forms(self, alias: str) -> set[str]:
        head, _, last = alias.rpartition(" ")
        if not (is_word(last) and in_script(last, "LATIN")):
            return {alias}
        prefix = head + " " if head else ""
        return {alias} | {prefix + form for form in self.word_forms(last)}

    def word_forms(self, word: str) -> set[str]:
        forms = {word}
        for stem in self._stems(word):
            forms |= self._cases(stem, word)
        plural = word + self._a(word, "l", "r")
        forms |= {plural} | self._cases(plural, plural)
        return forms

    def _stems(self, word: str) -> list[str]:
        """The word, and its softened stem before a vowel (Bakanlık -> Bakanlığ)."""
        stems = [word]
        last = word[-1]
        if last == "k" and len(word) > 3 and self._last_vowel(word):
            stems.append(word[:-1] + ("ğ" if self.language == "tr" else "y"))
        if self.language == "az" and last == "q":
            stems.append(word[:-1] + "ğ")
        return stems

    def _cases(self, stem: str, word: str) -> set[str]:
        """Case forms of ``stem`` (``word``: the unsoftened form, for suffixes starting with a consonant)."""
        vowel_final = word[-1].lower() in self.vowels
        i, a = self._i(word), self._a_vowel(word)
        d = "d" if self.language == "az" or word[-1].lower() not in _VOICELESS_TR else "t"
        ki = "k" + (i if self.language == "az" else "i")
        forms = {word + d + a, word + d + a + "n", word + d + a + ki}  # locative, ablative, locative + ki
        if vowel_final:
            forms |= {word + "n" + i + "n", word + "y" + a, word + "y" + "l" + a}  # genitive, dative, instrumental
            forms |= {word + ("n" if self.language == "az" else "y") + i}  # accusative (Azerbaijani -nı)
            if i == word[-1].lower():  # a possessive ending (Bakanlığı): its -n- forms
                forms |= {word + "n" + a, word + "n" + i, word + "n" + d + a, word + "n" + d + a + "n"}
        else:
            forms |= {stem + i + "n", stem + a, stem + i, word + "l" + a}
        return forms

    def _last_vowel(self, word: str) -> str:
        for ch in reversed(word.lower()):
            if ch in self.vowels:
                return ch
        return "e"

    def _a_vowel(self, word: str) -> str:
        if self._last_vowel(word) in _BACK:
            return "a"
        return "ə" if self.language == "az" else "e"

    def _a(self, word: str, before: str, after: str) -> str:
        return before + self._a_vowel(word) + after

    def _i(self, word: str) -> str:
        vowel = self._last_vowel(word)
        if vowel in "aı":
            return "ı"
        if vowel in "ou":
            return "u"
        if vowel in "öü":
            return "ü"
        return "i"
