"""The report on coverage in several languages: one row per actor whatever the language of its mentions, a
language breakdown, and charts and a page whose fonts show Cyrillic and Armenian (matplotlib warns of every glyph
its font lacks; the page is looked at in Debian's Chromium where it is installed)."""

from __future__ import annotations

import csv
import json
import os
import warnings
from collections import Counter
from pathlib import Path

import pytest
import yaml

from browser import CHROMEDRIVER, CHROMIUM, missing_browser
from stancekit.actors import ActorDictionary
from stancekit.reporting import ReportConfig, build_report
from stancekit.tagging import TagConfig, tag

pytestmark = pytest.mark.slow
ACTORS = Path(__file__).parent / "data" / "languages" / "actors.yaml"
DOCS = {
    "ru": ["Президент России Владимир Путин провёл переговоры с Ильхамом Алиевым. Армения и Азербайджан спорят.",
           "Москва предложила Армении и Азербайджану помощь. Эрдоган позвонил Путину, Турция поддержала Баку.",
           "Бои в Нагорном Карабахе продолжаются. Кремль призвал Ереван и Баку к миру."],
    "hy": ["Ռուսաստանը և Հայաստանը ստորագրել են համաձայնագիր։ Թուրքիան աջակցում է Ադրբեջանին։",
           "Ռուսաստանի նախագահ Վլադիմիր Պուտինը բանակցել է Իլհամ Ալիևի հետ։ Փաշինյանը մեկնել է Մոսկվա։"],
    "az": ["Rusiyanın mövqeyi Ermənistanı narahat edir. Türkiyə Azərbaycana dəstək verir.",
           "Azərbaycan Prezidenti İlham Əliyev Putinlə telefonla danışıb. Paşinyanın bəyanatı Bakıda tənqid olunub."],
}


@pytest.fixture(scope="module")
def report(tmp_path_factory, tiny_multilingual_model_dir) -> tuple[Path, Path, ActorDictionary, list[str]]:
    folder = tmp_path_factory.mktemp("report-languages")
    raw = yaml.safe_load(ACTORS.read_text(encoding="utf-8"))
    for actor in raw["actors"]:  # names in all three scripts, so the charts and tables show each
        if actor["id"] == "armenia":
            actor["name"], actor["aliases"] = "Հայաստան", ["Армения", *actor["aliases"][:-4], "Ermənistan"]
        if actor["id"] == "azerbaijan":
            actor["name"], actor["aliases"] = "Azərbaycan", ["Азербайджан", "Баку", "Ադրբեջան", "Bakı"]
    actors = folder / "actors.yaml"
    actors.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    coverage = folder / "coverage.jsonl"
    with coverage.open("w", encoding="utf-8") as handle:
        for language, texts in DOCS.items():
            for i, text in enumerate(texts):  # no language field: detected
                handle.write(json.dumps({"id": f"{language}-{i}", "text": text, "outlet": f"{language} wire",
                                         "date": f"2020-10-1{i}"}, ensure_ascii=False) + "\n")
    tags = folder / "tags.jsonl"
    tag(TagConfig(inputs=[coverage], model=tiny_multilingual_model_dir, actors=actors, output=tags, progress=False))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build_report(ReportConfig(tags=tags, output_dir=folder / "report", min_mentions=1, method="cc"))
    glyphs = [str(w.message) for w in caught if "Glyph" in str(w.message)]
    return tags, folder / "report", ActorDictionary.load(actors), glyphs


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_one_row_per_actor_whatever_the_language(report) -> None:
    tags, out, dictionary, _ = report
    expected: Counter = Counter()
    languages: dict[str, Counter] = {}
    for line in tags.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        for m in record["mentions"]:
            for actor in (m["actor"], *dictionary.ancestors(m["actor"])):
                expected[actor] += 1
                languages.setdefault(actor, Counter())[record["meta"]["language"]] += 1
    by_actor = {r["actor"]: int(r["mentions"]) for r in rows(out / "stance_by_actor.csv")}
    assert by_actor == dict(expected)
    assert set(languages["russia"]) == {"ru", "hy", "az"}  # one row, three languages
    by_language = {(r["actor"], r["language"]): int(r["mentions"]) for r in rows(out / "stance_by_actor_language.csv")}
    assert by_language == {(actor, language): n for actor, counts in languages.items() for language, n in counts.items()}


def test_page_has_a_language_section_and_every_script(report) -> None:
    _, out, _, _ = report
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="languages"' in page and 'id="language-table"' in page
    for name in ("Россия", "Հայաստան", "Azərbaycan"):
        assert name in page


def test_charts_have_every_glyph(report) -> None:
    _, out, _, glyphs = report
    assert glyphs == []  # matplotlib warns "Glyph ... missing from font(s)" for each character it cannot draw
    svg = (out / "stance_by_actor.svg").read_text(encoding="utf-8")
    assert "DejaVu Sans" in svg and "Россия" in svg and "Հայաստան" in svg


@pytest.mark.browser
@pytest.mark.skipif(missing_browser() is not None, reason=missing_browser() or "")
def test_page_renders_cyrillic_and_armenian_in_chromium(report, tmp_path) -> None:
    """Each script's name takes the width of real glyphs (a missing font draws empty boxes of one width)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    _, out, _, _ = report
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.get((out / "report.html").as_uri())
        widths = driver.execute_script(
            """const canvas = document.createElement('canvas').getContext('2d');
               canvas.font = getComputedStyle(document.body).font;
               return arguments[0].map(t => canvas.measureText(t).width);""",
            ["Россия", "Հայաստան", "\u0378\u0378\u0378\u0378\u0378\u0378"])  # the last: unassigned code points
        assert widths[0] > 0 and widths[1] > 0 and widths[0] != widths[2] and widths[1] != widths[2]
        folder = Path(os.environ.get("STANCEKIT_ARTIFACTS", tmp_path))
        folder.mkdir(parents=True, exist_ok=True)
        driver.find_element("id", "languages").location_once_scrolled_into_view
        driver.save_screenshot(str(folder / "report-languages.png"))
    finally:
        driver.quit()
