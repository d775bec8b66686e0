"""Coverage in the conflict's own languages: inflected mentions of base-form aliases, look-alikes that must not
match, the document's language (given or detected), and `actors check` on languages without an analyser.

The sentences are written for these tests (tests/data/languages/*.txt): ``[surface|actor]`` marks a mention;
everything else must not match, whatever it looks like ("Армен", "Путинцев", "турецкий", "Rusyalı").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from marked_text import DATA, marked_sentences
from typer.testing import CliRunner

from stancekit.actors import ActorDictionary, DictionaryMatcher
from stancekit.cli import app
from stancekit.errors import ActorDictionaryError, InputError
from stancekit.languages import detect_language, language_code
from stancekit.pipeline import iter_sentences
from stancekit.readers import iter_documents
from stancekit.records import Document

LANGUAGES = ("ru", "hy", "az", "tr")
runner = CliRunner()


def sentences(language: str) -> list[tuple[str, set[tuple[int, int, str]]]]:
    """Each marked sentence with its gold mentions as a set (what matching must find, in any order)."""
    return [(text, set(spans)) for text, spans in marked_sentences(language)]


@pytest.fixture(scope="module")
def matcher() -> DictionaryMatcher:
    return DictionaryMatcher(ActorDictionary.load(DATA / "actors.yaml"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_inflected_mentions_and_look_alikes_sentence_by_sentence(matcher: DictionaryMatcher, language: str) -> None:
    for text, gold in sentences(language):
        found = {(m.start, m.end, m.actor) for m in matcher.find(text, language=language)}
        assert found == gold, text
        for m in matcher.find(text, language=language):
            assert text[m.start:m.end] == m.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_detected_per_document_through_the_cli(tmp_path: Path, language: str) -> None:
    """Each sentence a document without a language field: detected, and the aliases inflect in it."""
    coverage = tmp_path / "coverage.jsonl"
    cases = sentences(language)
    coverage.write_text("".join(json.dumps({"id": f"d{i}", "text": text}, ensure_ascii=False) + "\n"
                                for i, (text, _) in enumerate(cases)), encoding="utf-8")
    result = runner.invoke(app, ["mentions", str(coverage), "-a", str(DATA / "actors.yaml")])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == len(cases)
    for record, (text, gold) in zip(records, cases):
        assert record["text"] == text and record["meta"]["language"] == language
        assert {(m["start"], m["end"], m["actor"]) for m in record["mentions"]} == gold, text


def test_russian_offsets_are_the_inflected_surface_form(matcher: DictionaryMatcher) -> None:
    text = "Бои в Нагорном\u00a0Карабахе, заявил Ильхам Алиев; «Ильхама Алиева» поддержали."
    found = [(m.text, m.actor) for m in matcher.find(text, language="ru")]
    # the longest alias wins: "Ильхама Алиева" is one mention, not one of "Алиев"; a no-break space is kept
    assert found == [("Нагорном\u00a0Карабахе", "karabakh"), ("Ильхам Алиев", "aliyev"), ("Ильхама Алиева", "aliyev")]


def test_yo_and_ye_spellings_match_both_ways() -> None:
    dictionary = ActorDictionary.from_mapping({"actors": [
        {"id": "army", "name": "Вооружённые силы", "type": "military"},
        {"id": "fm", "name": "Артем Ещенко", "type": "person"}]})
    found = [m.text for m in DictionaryMatcher(dictionary).find(
        "Вооруженными силами и Вооружёнными силами командует Артёмом Ещенко.", language="ru")]
    assert found == ["Вооруженными силами", "Вооружёнными силами", "Артёмом Ещенко"]


def test_alias_language_overrides_the_document_and_others_stay_exact() -> None:
    dictionary = ActorDictionary.from_mapping({"actors": [
        {"id": "putin", "name": "Putin", "type": "leader", "aliases": [{"text": "Путин", "lang": "ru"}]},
        {"id": "armenia", "name": "Армения", "type": "state"}]})
    matcher = DictionaryMatcher(dictionary)
    # an English document: the Russian-tagged alias still inflects; the untagged one takes English (as written)
    text = "The paper quoted Путину and wrote about Армении and Армения."
    assert [m.text for m in matcher.find(text, language="en")] == ["Путину", "Армения"]
    assert [m.text for m in matcher.find(text, language="ru")] == ["Путину", "Армении", "Армения"]
    assert [m.text for m in matcher.find(text, language=None)] == ["Путину", "Армения"]


def test_english_matching_is_unchanged_by_languages(seed_actors_path: Path, seed_text: str) -> None:
    """The seed article (English): the same mentions whether its language is given, detected or unknown."""
    dictionary = ActorDictionary.load(seed_actors_path)
    given = list(iter_sentences([Document("seed", seed_text, {"language": "en"})], matcher=DictionaryMatcher(dictionary)))
    detected = list(iter_sentences([Document("seed", seed_text)], matcher=DictionaryMatcher(dictionary)))
    assert detected[0].meta == {"language": "en"}
    assert [s.mentions for s in given] == [s.mentions for s in detected]
    assert sum(len(s.mentions) for s in given) > 50


def test_unknown_surnames_get_regular_endings_not_analogies() -> None:
    """pymorphy3 guesses "Пашинян" is a plural of "пашинянин"; the endings of its declension are used instead."""
    dictionary = ActorDictionary.from_mapping({"actors": [
        {"id": "bayramov", "name": "Джейхун Байрамов", "type": "official"},
        {"id": "mirzoyan", "name": "Мирзоян", "type": "official"}]})
    text = "Джейхуна Байрамова приняли, с Джейхуном Байрамовым и Мирзояном говорили; Байрамовский и Мирзоянц нет."
    found = [(m.text, m.actor) for m in DictionaryMatcher(dictionary).find(text, language="ru")]
    assert found == [("Джейхуна Байрамова", "bayramov"), ("Джейхуном Байрамовым", "bayramov"),
                     ("Мирзояном", "mirzoyan")]


@pytest.mark.parametrize(("text", "expected"), [
    ("Президент России Владимир Путин провёл переговоры с премьер-министром Армении.", "ru"),
    ("Встреча Пашиняна и Алиева прошла в Москве при посредничестве Лаврова.", "ru"),  # py3langid alone: bg
    ("Прем'єр-міністр Вірменії Нікол Пашинян заявив, що країна готова до переговорів.", "uk"),
    ("Премиерът на Армения Никол Пашинян заяви, че страната е готова за преговори и мир в региона.", "bg"),
    ("Ռուսաստանի նախագահը", "hy"),
    ("Azərbaycan Prezidenti İlham Əliyev Rusiyanın xarici işlər nazirini qəbul edib.", "az"),
    ("Cumhurbaşkanı Erdoğan, Azerbaycan'ın Karabağ'daki mücadelesini desteklediklerini söyledi.", "tr"),
    ("The Kremlin said it was ready.", "en"),
    ("Moscow", None),
    ("2020-11-10 12:00", None),
])
def test_detect_language(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected


def test_language_codes() -> None:
    assert [language_code(v) for v in ("ru", "RU", "ru-RU", "az_Latn", "hye")] == ["ru", "ru", "ru", "az", "hye"]
    for bad in ("Russian", "", "r", 7, None):
        with pytest.raises(ValueError, match="expected a language code"):
            language_code(bad)


def test_a_bad_language_field_names_the_file_and_line(tmp_path: Path) -> None:
    coverage = tmp_path / "c.jsonl"
    coverage.write_text('{"id": "a", "text": "Путин прилетел.", "language": "ru"}\n'
                        '{"id": "b", "text": "Путин улетел.", "language": "Russian"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"c\.jsonl:2: 'language': expected a language code"):
        list(iter_documents([coverage]))
    skipped: list[InputError] = []
    assert [d.id for d in iter_documents([coverage], skip_bad=True, on_bad=skipped.append)] == ["a"]
    assert len(skipped) == 1


def test_a_given_language_is_used_not_detected(tmp_path: Path) -> None:
    """A Russian-looking text marked Ukrainian is split and matched as Ukrainian; the field stays as given."""
    dictionary = ActorDictionary.from_mapping({"actors": [{"id": "ru", "name": "Росія", "type": "state"}]})
    docs = [Document("d", "Про Росію. Росії немає.", {"lang": "uk"})]
    found = [(s.meta, [m.text for m in s.mentions]) for s in iter_sentences(docs, matcher=DictionaryMatcher(dictionary))]
    assert found == [({"lang": "uk"}, ["Росію"]), ({"lang": "uk"}, ["Росії"])]


def test_actors_check_names_aliases_without_an_analyser(tmp_path: Path) -> None:
    path = tmp_path / "actors.yaml"
    path.write_text("actors:\n  - {id: georgia, name: Georgia, type: state, aliases: [{text: საქართველო, lang: ka},"
                    " {text: Грузия, lang: ru}]}\n", encoding="utf-8")
    result = runner.invoke(app, ["actors", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "alias 'საქართველო' (lang ka) is matched only as written" in result.stderr
    assert "Грузия" not in result.stderr
    path.write_text("actors:\n  - {id: g, name: G, type: state, aliases: [{text: X, lang: Georgian}]}\n",
                    encoding="utf-8")
    with pytest.raises(ActorDictionaryError, match="lang: expected a language code"):
        ActorDictionary.load(path)
