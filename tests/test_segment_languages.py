"""Sentence splitting with exact offsets in Russian, Armenian, Azerbaijani and Turkish (sentencex's rules of each
language plus stancekit's news fixes); texts written for these tests."""

from __future__ import annotations

import pytest

from stancekit.pipeline import iter_sentences
from stancekit.records import Document
from stancekit.segment import NewsSegmenter

CASES = {
    "ru": ("Президент России В. В. Путин провёл разговор с премьер-министром Армении. Стороны обсудили ситуацию, "
           "в т. ч. в Нагорном Карабахе! Что дальше? «Мы готовы», — сказал он. Заявление подписано 9 нояб. 2020 г. "
           "в Москве. Президент Азербайджана И. Алиев выступил позже…",
           ["Президент России В. В. Путин провёл разговор с премьер-министром Армении.",
            "Стороны обсудили ситуацию, в т. ч. в Нагорном Карабахе!", "Что дальше?", "«Мы готовы», — сказал он.",
            "Заявление подписано 9 нояб. 2020 г. в Москве.", "Президент Азербайджана И. Алиев выступил позже…"]),
    "hy": ("Հայաստանի վարչապետ Ն. Փաշինյանը 2020 թ. նոյեմբերի 9-ին հեռախոսազրույց է ունեցել Ռուսաստանի նախագահի "
           "հետ։ Արդյո՞ք սա վերջն է։ Կողմերը քննարկել են իրավիճակը: «Մենք պատրաստ ենք»,- ասել է նա։",
           ["Հայաստանի վարչապետ Ն. Փաշինյանը 2020 թ. նոյեմբերի 9-ին հեռախոսազրույց է ունեցել Ռուսաստանի նախագահի "
            "հետ։", "Արդյո՞ք սա վերջն է։", "Կողմերը քննարկել են իրավիճակը:", "«Մենք պատրաստ ենք»,- ասել է նա։"]),
    "az": ("Azərbaycan Prezidenti İ. Əliyev Rusiyanın xarici işlər nazirini qəbul edib. Bəyanat 10 noy. 2020-ci il "
           "tarixində imzalanıb! Bəs sonra? Prof. Məmmədov bildirib ki, danışıqlar davam edəcək.",
           ["Azərbaycan Prezidenti İ. Əliyev Rusiyanın xarici işlər nazirini qəbul edib.",
            "Bəyanat 10 noy. 2020-ci il tarixində imzalanıb!", "Bəs sonra?",
            "Prof. Məmmədov bildirib ki, danışıqlar davam edəcək."]),
    "tr": ("Cumhurbaşkanı Erdoğan, Azerbaycan'ın Karabağ'daki mücadelesini desteklediklerini söyledi. Dr. Ahmet "
           "Yılmaz 10 Kas. 2020 tarihinde açıklama yaptı. Sonra İ. Aliyev konuştu. Ne olacak? Prof. Dr. Mehmet Ali "
           "Birand ise \"Barış şart\" dedi.",
           ["Cumhurbaşkanı Erdoğan, Azerbaycan'ın Karabağ'daki mücadelesini desteklediklerini söyledi.",
            "Dr. Ahmet Yılmaz 10 Kas. 2020 tarihinde açıklama yaptı.", "Sonra İ. Aliyev konuştu.", "Ne olacak?",
            "Prof. Dr. Mehmet Ali Birand ise \"Barış şart\" dedi."]),
}


@pytest.mark.parametrize("language", sorted(CASES))
def test_sentences_and_exact_offsets(language: str) -> None:
    text, expected = CASES[language]
    spans = NewsSegmenter().spans(text, language=language)
    assert [text[a:b] for a, b in spans] == expected


@pytest.mark.parametrize("language", sorted(CASES))
def test_the_pipeline_splits_in_the_detected_language(language: str) -> None:
    """No language field: the document's language is detected and its rules split it; offsets index the document."""
    text, expected = CASES[language]
    body = "Заголовок\n\n" if language == "ru" else ""
    records = list(iter_sentences([Document("d", body + text)]))
    assert [r.text for r in records][-len(expected):] == expected
    for record in records:
        assert (body + text)[record.start:record.end] == record.text
        assert record.meta["language"] == language


def test_english_rules_are_kept_for_english() -> None:
    """The initial rule is not applied to English, which sentencex already handles ("Plan B. The ...")."""
    text = "They chose Plan B. The talks failed."
    assert [text[a:b] for a, b in NewsSegmenter().spans(text, language="en")] == ["They chose Plan B.",
                                                                                 "The talks failed."]
