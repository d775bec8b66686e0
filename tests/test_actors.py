"""Actor dictionaries: matching rules on the seed, roll-up, dates and validation errors."""

from __future__ import annotations

import datetime as dt

import pytest

from stancekit.actors import ActorDictionary, DictionaryMatcher
from stancekit.errors import ActorDictionaryError


@pytest.fixture(scope="module")
def seed_dictionary(seed_actors_path):
    return ActorDictionary.load(seed_actors_path)


@pytest.fixture(scope="module")
def matcher(seed_dictionary):
    return DictionaryMatcher(seed_dictionary)


def found(matcher, text, date=None):
    return [(m.text, m.actor) for m in matcher.find(text, date=date)]


def test_seed_dictionary_has_the_required_actors(seed_dictionary):
    names = {a.name for a in seed_dictionary}
    assert {"Russia", "Armenia", "Azerbaijan", "Turkey"} <= names
    types = {a.id: a.type for a in seed_dictionary}
    assert types["putin"] == "leader" and types["lavrov"] == "official"
    assert types["azerbaijan-mod"] == "ministry" and types["azerbaijan-military"] == "military"
    assert types["karabakh-authorities"] == "government"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # metonyms
        ("Now, Moscow might up the pressure on both sides to end the conflict, Khodaryonok said.",
         [("Moscow", "russia-gov"), ("Khodaryonok", "khodaryonok")]),
        ("It’s clear that a key to peace is in Ankara, not in Moscow.",
         [("Ankara", "turkey-gov"), ("Moscow", "russia-gov")]),
        # possessives: the span stops before ’s / 's
        ("The conflict has tested the Kremlin’s position in the region.", [("the Kremlin", "russia-gov")]),
        ("Turkey's influence over Aliyev is stronger.", [("Turkey", "turkey"), ("Aliyev", "aliyev")]),
        # lower-case alias capitalised at a sentence start
        ("The Kremlin denied it.", [("The Kremlin", "russia-gov")]),
        # demonyms and their plurals
        ("But in 1988, ethnic Armenians in the region called for the transfer of the territory to Armenian "
         "jurisdiction.", [("Armenians", "armenia"), ("Armenian", "armenia")]),
        ("Azeris and Azerbaijanis voted.", [("Azeris", "azerbaijan"), ("Azerbaijanis", "azerbaijan")]),
        # longest match wins
        ("The Azeri Defence Ministry confirmed that its military hit Armenian territory.",
         [("Azeri Defence Ministry", "azerbaijan-mod"), ("Armenian", "armenia")]),
        ("Russian President Vladimir Putin is trying.", [("Russian President Vladimir Putin", "putin")]),
        ("The breakaway Karabakh Foreign Affairs Ministry said Azeri forces had hit Armenian territory.",
         [("breakaway Karabakh Foreign Affairs Ministry", "karabakh-mfa"), ("Azeri forces", "azerbaijan-military"),
          ("Armenian", "armenia")]),
        # case-aware: an all-caps dateline and a lower-case common noun are not mentions
        ("MOSCOW — the turkey was roasted.", []),
        # word-bounded: no match inside a longer word
        ("Russiagate and Turkeyfest.", []),
    ],
)
def test_matching_rules(matcher, text, expected):
    assert found(matcher, text) == expected


def test_mention_offsets_index_the_sentence(matcher):
    text = "Putin expressed his concern to Turkish President Recep Tayyip Erdogan on Oct. 14."
    for mention in matcher.find(text):
        assert text[mention.start:mention.end] == mention.text


def test_alias_of_a_child_resolves_to_its_parent(seed_dictionary, matcher):
    [mention] = matcher.find("The Kremlin denied it.")
    assert mention.actor == "russia-gov"
    assert seed_dictionary[seed_dictionary.root(mention.actor)].name == "Russia"
    assert seed_dictionary.ancestors("lavrov") == ["russia-mfa", "russia-gov", "russia"]
    assert seed_dictionary.root("russia") == "russia"


def test_dated_aliases_follow_the_document_date(matcher):
    text = "The Russian president spoke."
    assert found(matcher, text, dt.date(2010, 1, 1)) == [("The Russian president", "medvedev")]
    assert found(matcher, text, dt.date(2020, 10, 15)) == [("The Russian president", "putin")]
    assert found(matcher, text, dt.date(2005, 1, 1)) == [("The Russian president", "putin")]
    assert found(matcher, text) == [("The Russian president", "putin")]  # undated: the latest holder


def test_overlapping_longest_match_across_start_positions():
    dictionary = ActorDictionary.from_mapping({"actors": [
        {"id": "a", "name": "Red Army", "type": "military"},
        {"id": "b", "name": "Army Group North", "type": "military"},
    ]})
    assert found(DictionaryMatcher(dictionary), "The Red Army Group North moved.") == [("Army Group North", "b")]


def write_yaml(tmp_path, text):
    path = tmp_path / "d.actors.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("yaml_text", "fragments"),
    [
        ("actors:\n  - {id: a, name: Moscow, type: state}\n  - {id: b, name: B, type: state, aliases: [Moscow]}\n",
         ["alias 'Moscow' is claimed by both 'a' and 'b'"]),
        ("actors:\n  - {id: a, name: Aa, type: state, parent: zz}\n", ["parent 'zz' does not exist"]),
        ("actors:\n  - {id: a, name: Aa, type: state, parent: b}\n  - {id: b, name: B, type: state, parent: c}\n"
         "  - {id: c, name: C, type: state, parent: a}\n", ["parent cycle: a -> b -> c -> a"]),
        ("actors:\n  - {id: a, name: Aa, type: state}\n  - {id: a, name: A2, type: state}\n",
         ["actor id 'a' is defined twice"]),
        ("actors:\n  - {id: a, name: Aa}\n", ["missing or empty type"]),
        ("actors:\n  - {id: a, name: Aa, type: state, alias: [x]}\n", ["unknown field(s) ['alias']"]),
        ("actors:\n  - {id: a, name: Aa, type: state, aliases: [{text: X, valid_from: soon}]}\n",
         ["expected a date YYYY-MM-DD, found 'soon'"]),
        ("actors:\n  - {id: a, name: Aa, type: state, aliases: [{text: X, valid_from: 2020-01-02, valid_to: 2020-01-01}]}\n",
         ["valid_from 2020-01-02 after valid_to 2020-01-01"]),
        ("actors:\n  - {id: a, name: Aa, type: leader, aliases: [{text: the president, valid_from: 2000-01-01}]}\n"
         "  - {id: b, name: B, type: leader, aliases: [{text: the president, valid_to: 2000-06-01}]}\n",
         ["alias 'the president' is claimed by both 'a' and 'b'"]),
        ("actors: {a: 1}\n", ["expected a mapping with an 'actors:' list"]),
        ("actors:\n  - {id: a, name: Aa, type: state\n", ["invalid YAML", "line"]),
        # several problems are all reported at once
        ("actors:\n  - {id: a, name: Aa, type: state, parent: x}\n  - {id: b, name: B, type: state, parent: y}\n",
         ["parent 'x' does not exist", "parent 'y' does not exist", "2 problem(s)"]),
    ],
)
def test_validation_errors(tmp_path, yaml_text, fragments):
    with pytest.raises(ActorDictionaryError) as info:
        ActorDictionary.load(write_yaml(tmp_path, yaml_text))
    for fragment in fragments:
        assert fragment in str(info.value)
    assert str(tmp_path) in str(info.value)


def test_disjoint_windows_may_share_an_alias_and_custom_types_warn(tmp_path):
    dictionary = ActorDictionary.load(write_yaml(tmp_path, (
        "actors:\n  - {id: a, name: Aa, type: leader, aliases: [{text: the president, valid_to: 1999-12-31}]}\n"
        "  - {id: b, name: B, type: warlord, aliases: [{text: the president, valid_from: 2000-01-01}]}\n")))
    assert len(dictionary) == 2
    assert dictionary.warnings == [
        "actor 'b': type 'warlord' is not one of the standard types (state, government, military, leader, "
        "official, ministry, armed_group, organisation, person, media, region, other)"]


@pytest.mark.parametrize("alias", ["the", "The", "it", "a", "May"])
def test_common_word_aliases_are_refused_by_name(tmp_path, alias):
    text = f"actors:\n  - {{id: x, name: Xland, type: state, aliases: [{alias}]}}\n"
    with pytest.raises(ActorDictionaryError) as info:
        ActorDictionary.load(write_yaml(tmp_path, text))
    assert f"actor 'x': alias '{alias}' is a common word" in str(info.value)
    assert "common_word: true" in str(info.value)  # says how to keep it on purpose


def test_a_common_word_alias_can_be_allowed_on_purpose_and_acronyms_are_not_common(tmp_path):
    dictionary = ActorDictionary.load(write_yaml(tmp_path, (
        "actors:\n  - {id: may, name: Theresa May, type: leader, aliases: [{text: May, common_word: true}]}\n"
        "  - {id: usa, name: United States, type: state, aliases: [US, IT]}\n")))
    found_ids = [m.actor for m in DictionaryMatcher(dictionary).find("May met US officials.")]
    assert found_ids == ["may", "usa"]


@pytest.mark.parametrize("alias", ["'-'", "'...'", "'—'", "'“”'"])
def test_aliases_without_letters_or_digits_are_refused(tmp_path, alias):
    text = f"actors:\n  - {{id: x, name: Xland, type: state, demonyms: [{alias}]}}\n"
    with pytest.raises(ActorDictionaryError, match="has no letter or digit"):
        ActorDictionary.load(write_yaml(tmp_path, text))


@pytest.mark.parametrize(
    ("alias", "sentence", "mention"),
    [
        # composed alias, decomposed text and the reverse
        ("Türkiye", "Officials in Tu\u0308rkiye said so.", "Tu\u0308rkiye"),
        ("Tu\u0308rkiye", "Officials in Türkiye said so.", "Türkiye"),
        # non-breaking, narrow and thin spaces, and a line break of hard-wrapped text
        ("the Kremlin", "Sources in the\u00a0Kremlin said so.", "the\u00a0Kremlin"),
        ("Azeri forces", "Azeri\u202fforces advanced.", "Azeri\u202fforces"),
        ("Azeri\u00a0forces", "Then Azeri \n forces advanced.", "Azeri \n forces"),
    ],
)
def test_aliases_match_normalised_text_with_offsets_into_the_original(tmp_path, alias, sentence, mention):
    dictionary = ActorDictionary.from_mapping({"actors": [{"id": "x", "name": "Xland", "type": "state",
                                                           "aliases": [alias]}]})
    # text after the mention shifts when normalisation changes lengths: offsets must still be exact
    text = sentence + " Tu\u0308rkiye\u00a0again and Xland."
    mentions = DictionaryMatcher(dictionary).find(text)
    assert [text[m.start:m.end] for m in mentions] == [m.text for m in mentions]
    assert mentions[0].text == mention
    assert mentions[-1].text == "Xland" and text.endswith("Xland.")


def test_an_alias_written_twice_in_different_normal_forms_is_one_claim(tmp_path):
    with pytest.raises(ActorDictionaryError, match="alias 'Türkiye' is claimed by both 'a' and 'b'"):
        ActorDictionary.from_mapping({"actors": [
            {"id": "a", "name": "Türkiye", "type": "state"},
            {"id": "b", "name": "Tu\u0308rkiye", "type": "state"}]})


def test_longest_match_selection_on_a_long_text_without_sentence_ends(matcher):
    # one "sentence" of thousands of mentions (the case that was quadratic): same answer as short text
    unit = "the Azeri Defence Ministry said Azeri forces and Armenian troops met near Moscow and "
    text = unit * 2000
    mentions = matcher.find(text)
    per_unit = [(m.text, m.actor) for m in matcher.find(unit)]
    assert len(mentions) == 2000 * len(per_unit)
    assert [(m.text, m.actor) for m in mentions[:len(per_unit)]] == per_unit
    assert all(text[m.start:m.end] == m.text for m in mentions)
