"""Label Studio offsets in Cyrillic and Armenian script, with emoji before the mentions, in a real browser.

Python counts code points, Label Studio's page counts UTF-16 code units (an emoji outside the Basic
Multilingual Plane is two of them; a flag is four). A Russian and an Armenian sentence, each with emoji before
its mentions, are pushed with their dictionary spans; on the labeling page (Debian's Chromium) every highlight
must cover exactly the mention, an annotator's new span after the emoji must come back from ``ls pull`` at the
code-point offsets of the word, and the page is readable in both scripts (screenshots in $STANCEKIT_ARTIFACTS).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from browser import artifacts_dir, labeling_page, missing_browser
from stancekit.cli import app

NO_BROWSER = missing_browser()
pytestmark = [pytest.mark.slow, pytest.mark.browser,
              pytest.mark.skipif(NO_BROWSER is not None, reason=str(NO_BROWSER))]

ACTORS = Path(__file__).parent / "data" / "languages" / "actors.yaml"
RU = "🇷🇺 Москва 😀 предложила Армении помощь, сказал Лавров."
HY = "😀 Ռուսաստանը 🇦🇲 աջակցում է Հայաստանին։"
ANNOTATOR = "olga.browser@stancekit.test"


@pytest.fixture(scope="module")
def project(studio, tmp_path_factory) -> dict:
    """The two sentences pushed with a dictionary that lacks Lavrov (the annotator adds him as 'other')."""
    folder = tmp_path_factory.mktemp("browser-languages")
    coverage = folder / "coverage.jsonl"
    coverage.write_text("".join(json.dumps(doc, ensure_ascii=False) + "\n" for doc in (
        {"id": "ru-1", "text": RU, "language": "ru"}, {"id": "hy-1", "text": HY})), encoding="utf-8")
    actors = yaml.safe_load(ACTORS.read_text(encoding="utf-8"))
    actors["actors"] = [a for a in actors["actors"] if a["id"] != "lavrov"]
    trimmed = folder / "without-lavrov.yaml"
    trimmed.write_text(yaml.safe_dump(actors, allow_unicode=True, sort_keys=False), encoding="utf-8")
    title = f"languages {secrets.token_hex(3)}"
    pushed = CliRunner().invoke(app, ["ls", "push", str(coverage), "-a", str(trimmed), "-p", title,
                                      "--url", studio.url, "--token", studio.token])
    assert pushed.exit_code == 0, pushed.output
    with studio.client() as admin:
        project_id = admin.find_project(title)["id"]
        invite = admin.invite_url()
    return {"id": project_id, "title": title, "invite": invite, "password": secrets.token_urlsafe(12)}


def test_highlights_and_pulled_offsets_are_exact_after_emoji(studio, project, tmp_path_factory, tmp_path) -> None:
    artifacts = artifacts_dir(tmp_path_factory.mktemp("browser-languages-artifacts"))
    with labeling_page(studio.url, artifacts, "olga") as page:
        page.sign_up(project["invite"], ANNOTATOR, project["password"])
        page.open_stream(project["id"])
        assert page.sentence() == RU
        assert page.highlights() == [("Москва", "russia-gov"), ("Армении", "armenia")]
        page.add_span("other", "Лавров")
        page.shot("russian-emoji")
        page.submit()
        assert page.wait_for_task(previous=RU) == HY
        assert page.highlights() == [("Ռուսաստանը", "russia"), ("Հայաստանին", "armenia")]
        page.shot("armenian-emoji")

    out = tmp_path / "pulled"
    result = CliRunner().invoke(app, ["ls", "pull", "-p", project["title"], "-a", str(ACTORS), "-o", str(out),
                                      "--url", studio.url, "--token", studio.token])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (out / "annotations.jsonl").read_text(encoding="utf-8").splitlines()]
    spans = {(r["actor"], r["start"], r["end"], r["text"], r["origin"]) for r in records if r["kind"] == "stance"}
    start = RU.index("Лавров")
    assert spans == {("russia-gov", RU.index("Москва"), RU.index("Москва") + 6, "Москва", "prediction"),
                     ("armenia", RU.index("Армении"), RU.index("Армении") + 7, "Армении", "prediction"),
                     ("lavrov", start, start + 6, "Лавров", "added")}
