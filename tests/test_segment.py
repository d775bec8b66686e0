"""Sentence segmentation: the seed article and the documented news fixes."""

from __future__ import annotations

import re

import pytest

from stancekit.actors import ActorDictionary, DictionaryMatcher
from stancekit.segment import NewsSegmenter


@pytest.fixture(scope="module")
def seed_sentences(seed_text):
    return [seed_text[a:b] for a, b in NewsSegmenter().spans(seed_text)]


def texts(text: str) -> list[str]:
    return [text[a:b] for a, b in NewsSegmenter().spans(text)]


def test_seed_offsets_round_trip_and_cover_the_text(seed_text):
    spans = NewsSegmenter().spans(seed_text)
    assert len(spans) == 58
    covered = set()
    for start, end in spans:
        sentence = seed_text[start:end]
        assert sentence == sentence.strip() and sentence
        covered.update(range(start, end))
    outside = "".join(ch for i, ch in enumerate(seed_text) if i not in covered)
    assert outside.strip() == ""
    assert spans == sorted(spans) and all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


@pytest.mark.parametrize(
    "sentence",
    [
        # dateline kept at the start of the first sentence
        "MOSCOW — Russian President Vladimir Putin is trying to implement a cease-fire in the heavily armed conflict "
        "between Armenia and Azerbaijan over the disputed Nagorno-Karabakh enclave, south of Russia.",
        # abbreviated dates
        "And on Oct. 15, officials in Nagorno-Karabakh accused Azerbaijan of expanding hostilities beyond the enclave.",
        "The meeting between Azeri Foreign Minister Jeyhun Bayramov and his Armenian counterpart, Zohrab Mnatsakanyan, "
        "in Moscow Oct. 10 led to cease-fire agreement, but that quickly collapsed.",
        # headings without a final period, and a question heading
        "‘Coerce to peace’",
        "Does Turkey hold the key to peace?",
        "Post-conflict arms trade",
        # a quotation of five sentences stays whole
        "“Before, Russia had a leading voice in the question of war and peace in the southern Caucasus [region]. "
        "The country didn’t hesitate to use its military force, like in the case with Georgia. But today we don’t "
        "have the decisive vote. Turkey’s influence over Aliyev is stronger than Moscow’s influence over him. It’s "
        "clear that a key to peace is in Ankara, not in Moscow.”",
        "“Americans have entered Syria under the pretext to fight international terrorists. We are ready to help "
        "friendly Azeri people to fight international terrorists,” influential pro-Kremlin television pundit Vladimir "
        "Solovyov said on his prime-time show on Russian television Oct. 13.",
    ],
)
def test_seed_sentences_intact(seed_sentences, sentence):
    assert sentence in seed_sentences


def test_no_seed_sentence_splits_a_quotation(seed_sentences):
    for sentence in seed_sentences:
        assert sentence.count("“") == sentence.count("”"), sentence
        assert len(re.findall(r"(?<!\w)‘", sentence)) == len(re.findall(r"’(?!\w)", sentence)), sentence


def test_no_seed_sentence_boundary_falls_inside_an_actor_name(seed_text, seed_actors_path):
    """Every mention found in the whole article lies inside one sentence."""
    matcher = DictionaryMatcher(ActorDictionary.load(seed_actors_path))
    spans = NewsSegmenter().spans(seed_text)
    mentions = matcher.find(seed_text)
    assert len(mentions) > 100
    for mention in mentions:
        assert any(a <= mention.start and mention.end <= b for a, b in spans), mention


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sen. John Smith met U.S. officials on Oct. 15 in Washington. J. R. R. Tolkien wrote.",
         ["Sen. John Smith met U.S. officials on Oct. 15 in Washington.", "J. R. R. Tolkien wrote."]),
        ("ARMS TRADE FALLS\nRussia sold fewer arms. Analysts agree.",
         ["ARMS TRADE FALLS", "Russia sold fewer arms.", "Analysts agree."]),
        ("He left at 3 p.m. Tuesday. The talks failed.", ["He left at 3 p.m. Tuesday.", "The talks failed."]),
        ("It ended at 3 p.m. Then it rained.", ["It ended at 3 p.m.", "Then it rained."]),
        ("Sales rose. iPhone sales fell.", ["Sales rose.", "iPhone sales fell."]),
        ("First paragraph.\n\nSecond one here.", ["First paragraph.", "Second one here."]),
        ("A wrapped line of body text that goes on\nand ends here.",
         ["A wrapped line of body text that goes on\nand ends here."]),
        ("“We will fight. We will win,” he said. Baku agreed.", ["“We will fight. We will win,” he said.", "Baku agreed."]),
        # a heading over two short lines: the words since the last cut are counted across lines
        ("Breaking news from\nthe front line\nRussia sold fewer arms.",
         ["Breaking news from\nthe front line", "Russia sold fewer arms."]),
        # hard-wrapped body text: past twelve words a short line followed by a capital is no heading
        ("Officials in the region said on Sunday that the fighting had spread to several\nnew\nVillages burned.",
         ["Officials in the region said on Sunday that the fighting had spread to several\nnew\nVillages burned."]),
        # a time abbreviation after many merged lower-case continuations still holds
        ("It began approx. at dawn and approx. at noon and ended at 3 p.m. Monday. Baku agreed.",
         ["It began approx. at dawn and approx. at noon and ended at 3 p.m. Monday.", "Baku agreed."]),
    ],
)
def test_news_fixes(text, expected):
    assert texts(text) == expected


def test_lower_case_continuation_is_merged():
    # sentencex splits after the unknown abbreviation "approx."; the fix joins it back
    text = "The army lost approx. ten tanks. Baku denied it."
    assert texts(text)[0] == "The army lost approx. ten tanks."
