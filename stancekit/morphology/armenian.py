"""Armenian aliases: the forms simplemma's Armenian dictionary lists for the alias word, plus generated
case endings (names the dictionary does not list, such as "Էրդողան", still inflect).

Only the last word of a phrase takes the ending ("Լեռնային Ղարաբաղ" -> "Լեռնային Ղարաբաղում").
The generated endings are the article (-ը/-ն), genitive-dative (-ի, -ին), ablative (-ից),
instrumental (-ով), locative (-ում) and the plural (-ներ/-եր) with each of them; after a vowel a
glide -յ- comes first ("Թուրքիայից"), -ու- turns into -վ- ("Բաքվից"), -ություն takes -ության-.
Derived words (the demonym "Հայաստանցի", adjectives) are not forms and never match.
"""

from __future__ import annotations

from functools import cached_property

from stancekit.morphology.casing import in_script, is_word

_CASES = ("", "ը", "ն", "ի", "ին", "ից", "ով", "ում")
_AFTER_VOWEL = ("ն", "յի", "յին", "յից", "յով", "յում")
_VOWELS = "աեէըիոօ"


class ArmenianInflector:
    """Inflects the last word of Armenian aliases (simplemma's dictionary plus generated endings)."""

    name = "simplemma + generated case endings"

    @cached_property
    def _dictionary_forms(self) -> dict[str, list[str]]:
        """simplemma's Armenian form -> lemma table, read backwards (lemma -> forms); 1 s once."""
        from simplemma.strategies.dictionaries.dictionary_factory import DefaultDictionaryFactory

        table = DefaultDictionaryFactory().get_dictionary("hy")
        by_lemma: dict[str, list[str]] = {}
        for form in table:
            by_lemma.setdefault(table[form], []).append(form)
        return by_lemma

    def forms(self, alias: str) -> set[str]:
        head, _, last = alias.rpartition(" ")
        if not (is_word(last) and in_script(last, "ARMENIAN")):
            return {alias}
        inflected = set(self._dictionary_forms.get(last, ())) | generated_forms(last)
        inflected = {form for form in inflected if form[:1] == last[:1]}  # not the old-spelling variants
        prefix = head + " " if head else ""
        return {alias} | {prefix + form for form in inflected}


def generated_forms(word: str) -> set[str]:
    """The regular case forms of one Armenian word (singular and plural)."""
    forms = {word}
    if word.endswith("ություն"):
        stem = word[:-len("ություն")]
        forms |= {stem + "ություն" + end for end in ("ը", "ն", "ից", "ում")}
        forms |= {stem + "ության" + end for end in ("", "ը", "ն")} | {stem + "ությամբ"}
    elif word.endswith("ու"):
        forms |= {word + "ն"} | {word[:-2] + "վ" + end for end in ("ի", "ին", "ից", "ով", "ում")}
    elif word[-1] == "ի":
        forms |= {word + end for end in ("ն", "ի", "ին", "ից", "ով", "ում")}
    elif word[-1] in _VOWELS:
        forms |= {word + end for end in _AFTER_VOWEL}
    else:
        forms |= {word + end for end in _CASES}
    syllables = sum(word.count(v) for v in _VOWELS) + word.count("ու")
    plural = word + ("ներ" if syllables > 1 else "եր")
    return forms | {plural + end for end in _CASES}
