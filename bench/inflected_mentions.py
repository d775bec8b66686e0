"""Inflected mentions in Russian, Armenian, Azerbaijani and Turkish: which analyser finds them, and how fast.

1. **Accuracy per language and analyser**, on the marked sentences of tests/data/languages
   (``[surface|actor]`` marks a mention; the look-alikes around them must not match): span precision and
   recall of matching as written (stancekit before issue 23), of simplemma's dictionary read backwards
   (every form whose lemma is an alias word), of generated endings, and of what stancekit uses.
2. **Speed**: mentions found in a Russian corpus of N sentences (the marked Russian sentences, their
   actors' names rotated through the dictionary, 100,000 by default), language given; seconds per 1,000
   sentences at N/4, N/2 and N show whether matching stays linear; the same corpus matched as written
   is the baseline. Building the per-language tables (pymorphy3) is timed apart.

    python bench/inflected_mentions.py [--sentences 100000] [--smoke]

Prints JSON; ``--smoke`` runs 2,000 sentences in seconds through the same code.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from stancekit.actors import ActorDictionary, DictionaryMatcher
from stancekit.morphology import ANALYSERS, inflector
from stancekit.morphology.armenian import generated_forms
from stancekit.morphology.casing import in_script, is_word
from stancekit.morphology.turkic import TurkicInflector

from _machine import machine  # bench/ is on the path of a script run from it

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from marked_text import DATA, marked_sentences  # the test sentences and their one reader

Found = tuple[int, int, int, str]  # sentence index, start, end, actor


class SimplemmaBackwards:
    """The alternative measured for every language simplemma covers: its form -> lemma table read backwards."""

    def __init__(self, language: str):
        from simplemma.strategies.dictionaries.dictionary_factory import DefaultDictionaryFactory

        table = DefaultDictionaryFactory().get_dictionary(language)
        self.by_lemma: dict[str, set[str]] = {}
        for form in table:
            self.by_lemma.setdefault(table[form], set()).add(form)

    def forms(self, alias: str) -> set[str]:
        head, _, last = alias.rpartition(" ")
        prefix = head + " " if head else ""
        found = self.by_lemma.get(last, set()) | self.by_lemma.get(last.lower(), set())
        # simplemma lower-cases many Turkish proper nouns: give the forms the alias's capital back
        return {alias} | {prefix + last[0] + form[1:] for form in found if form[:1].lower() == last[:1].lower()}


class Generated:
    def __init__(self, language: str):
        self.language = language

    def forms(self, alias: str) -> set[str]:
        head, _, last = alias.rpartition(" ")
        if not is_word(last):
            return {alias}
        prefix = head + " " if head else ""
        word_forms = generated_forms(last) if self.language == "hy" else TurkicInflector(self.language).word_forms(last)
        return {alias} | {prefix + form for form in word_forms}


class Exact:
    def forms(self, alias: str) -> set[str]:
        return {alias}


def score(language: str, analyser: object, dictionary: ActorDictionary) -> dict[str, float | int]:
    matcher = DictionaryMatcher(dictionary, inflector=lambda lang: analyser if lang == language else inflector(lang))
    found: set[Found] = set()
    gold: set[Found] = set()
    for i, (text, spans) in enumerate(marked_sentences(language)):
        gold |= {(i, *span) for span in spans}
        found |= {(i, m.start, m.end, m.actor) for m in matcher.find(text, language=language)}
    hits = len(found & gold)
    return {"precision": round(hits / len(found), 3) if found else 0.0, "recall": round(hits / len(gold), 3),
            "mentions": len(gold), "false": len(found - gold), "missed": len(gold - found)}


def accuracy(dictionary: ActorDictionary) -> dict[str, dict[str, object]]:
    candidates: dict[str, dict[str, Callable[[], object]]] = {
        "ru": {"simplemma backwards": lambda: SimplemmaBackwards("ru")},
        "hy": {"simplemma backwards": lambda: SimplemmaBackwards("hy"), "generated endings": lambda: Generated("hy")},
        "az": {},  # simplemma has no Azerbaijani
        "tr": {"simplemma backwards": lambda: SimplemmaBackwards("tr")},
    }
    results: dict[str, dict[str, object]] = {}
    for language, alternatives in candidates.items():
        row: dict[str, object] = {"used": ANALYSERS[language], "as written": score(language, Exact(), dictionary)}
        for name, make in alternatives.items():
            row[name] = score(language, make(), dictionary)
        row[ANALYSERS[language] + " (used)"] = score(language, inflector(language), dictionary)
        results[language] = row
    return results


def corpus(size: int, dictionary: ActorDictionary) -> list[str]:
    """``size`` Russian sentences: the marked ones, the capitalised names swapped among the dictionary's actors."""
    base = [text for text, _ in marked_sentences("ru")]
    names = sorted({alias.text for actor in dictionary for alias in actor.surface_forms()
                    if alias.text[:1].isupper() and in_script(alias.text, "CYRILLIC")})
    out = []
    for i in range(size):
        text = base[i % len(base)]
        out.append(f"{text} Источник {i}: {names[i % len(names)]}.")
    return out


def speed(size: int, dictionary: ActorDictionary) -> dict[str, object]:
    texts = corpus(size, dictionary)
    started = time.perf_counter()
    matcher = DictionaryMatcher(dictionary)
    matcher.find("Россия", language="ru")  # builds the Russian table
    build = time.perf_counter() - started
    rows = []
    for n in (size // 4, size // 2, size):
        for language, label in (("ru", "inflected (ru)"), (None, "as written")):
            started = time.perf_counter()
            mentions = sum(len(matcher.find(text, language=language)) for text in texts[:n])
            seconds = time.perf_counter() - started
            rows.append({"sentences": n, "matching": label, "mentions": mentions, "seconds": round(seconds, 2),
                         "ms_per_1000_sentences": round(1000 * 1000 * seconds / n, 1)})
    return {"table_build_seconds": round(build, 2), "forms_in_russian_table": len(matcher.forms("ru")),
            "runs": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=100_000)
    parser.add_argument("--smoke", action="store_true", help="2,000 sentences: seconds, the same code paths")
    args = parser.parse_args()
    started_on = machine(1)
    size = 2_000 if args.smoke else args.sentences
    dictionary = ActorDictionary.load(DATA / "actors.yaml")
    print(json.dumps({
        "bench": "inflected_mentions", "machine": started_on,
        "accuracy": accuracy(dictionary), "speed": speed(size, dictionary)}, indent=2, ensure_ascii=False))



if __name__ == "__main__":
    main()
