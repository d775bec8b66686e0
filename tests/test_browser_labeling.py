"""The annotator's page in a real browser (Debian's Chromium) against the real Label Studio server.

A project pushed with ``ls push --model``; annotators who joined through the invite link work
through the label stream as people do: with the mouse and the hotkeys (test 1), then skipping a task
that a second annotator, working with the keyboard only, is served (test 2). ``ls pull`` must give
exactly their answers. Screenshots of every step go to $STANCEKIT_ARTIFACTS (default tmp_path);
STANCEKIT_REFRESH_DOCS=1 also copies the labeling page into docs/labelstudio-labeling.png.
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from browser import artifacts_dir, labeling_page, missing_browser, refresh_readme_picture
from stancekit.cli import app
from stancekit.studio.config import DEFAULT_SENTIMENT_HOTKEYS, DEFAULT_STANCE_HOTKEYS
from stancekit.studio.controls import STANCE_FIELD
from studio_helpers import sign_up

NO_BROWSER = missing_browser()
# skipped (saying why) before any server starts when the browser is not installed; never silently
pytestmark = [pytest.mark.slow, pytest.mark.browser,
              pytest.mark.skipif(NO_BROWSER is not None, reason=str(NO_BROWSER))]

REPO = Path(__file__).resolve().parent.parent
S0 = "Armenia accused Azerbaijan of shelling civilians, while Lavrov urged a truce."
S1 = "Turkey pledged support for Azerbaijan, and Russia objected."
S2 = "France called for talks."
DOC = {"id": "wire-1", "outlet": "Test Wire", "date": "2020-10-15", "title": "Fighting flares",
       "text": f"{S0} {S1} {S2}"}
# Label Studio's automatic label keys (its makeComb order): with a span selected, none may change it.
LABEL_STUDIO_AUTO_KEYS = "1234567890qwetasdfgzxcvbyiopjklnm"
CHOICE_KEYS = set(DEFAULT_STANCE_HOTKEYS.values()) | set(DEFAULT_SENTIMENT_HOTKEYS.values())
ANA = "ana.browser@stancekit.test"
BEN = "ben.browser@stancekit.test"


@pytest.fixture(scope="module")
def project(studio, seed_actors_path, baseline_stance_model_dir, tmp_path_factory) -> dict:
    """The coverage pushed with a stance model; the dictionary misses Lavrov (annotators add him)."""
    folder = tmp_path_factory.mktemp("browser-project")
    coverage = folder / "coverage.jsonl"
    coverage.write_text(json.dumps(DOC) + "\n", encoding="utf-8")
    seed = yaml.safe_load(seed_actors_path.read_text(encoding="utf-8"))
    seed["actors"] = [a for a in seed["actors"] if a["id"] != "lavrov"]
    trimmed = folder / "without-lavrov.actors.yaml"
    trimmed.write_text(yaml.safe_dump(seed, allow_unicode=True, sort_keys=False), encoding="utf-8")
    title = f"browser {secrets.token_hex(3)}"
    pushed = CliRunner().invoke(app, ["ls", "push", str(coverage), "-a", str(trimmed), "-p", title,
                                      "--model", str(baseline_stance_model_dir), "--url", studio.url,
                                      "--token", studio.token])
    assert pushed.exit_code == 0, pushed.output
    with studio.client() as admin:
        project_id = admin.find_project(title)["id"]
        tasks = {t["data"]["text"]: t for t in admin.iter_tasks(project_id)}
        assert sorted(tasks) == sorted([S0, S1, S2])
        predicted = {}
        for text, task in tasks.items():
            (pred,) = [p.dict() for p in admin.sdk.predictions.list(task=task["id"])]
            results = pred["result"]
            spans = {r["id"]: r["value"]["text"] for r in results if r["from_name"] == "actor"}
            predicted[text] = {spans[r["id"]]: r["value"]["choices"][0] for r in results
                               if r["from_name"] == STANCE_FIELD}
        invite = admin.invite_url()
    return {"id": project_id, "title": title, "tasks": tasks, "predicted": predicted, "invite": invite,
            "password": secrets.token_urlsafe(12), "timings": {}}


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    return artifacts_dir(tmp_path_factory.mktemp("browser-artifacts"))


def pulled(studio, project: dict, tmp_path: Path, seed_actors_path: Path) -> list[dict]:
    """``ls pull`` with the full seed dictionary (which knows Lavrov); the annotation records."""
    out = tmp_path / "pulled"
    result = CliRunner().invoke(app, ["ls", "pull", "-p", project["title"], "-a", str(seed_actors_path), "-o",
                                      str(out), "--url", studio.url, "--token", studio.token])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in (out / "annotations.jsonl").read_text(encoding="utf-8").splitlines()]


def answers(records: list[dict], who: str, sentence: str) -> set[tuple]:
    return {(r["kind"], r.get("actor"), r.get("start"), r.get("end"), r.get("label"), r.get("origin"))
            for r in records if r["annotator"] == who and r["sent_idx"] == [S0, S1, S2].index(sentence)}


def other_than(label: str) -> str:
    return next(other for other in ("favor", "against", "neutral") if other != label)


def test_annotator_labels_a_task_with_mouse_and_hotkeys(studio, project, artifacts, tmp_path, seed_actors_path):
    with labeling_page(studio.url, artifacts, "ana") as page:
        page.sign_up(project["invite"], ANA, project["password"])
        page.open_stream(project["id"])
        started = time.monotonic()
        assert page.sentence() == S0
        page.shot("task-served")
        # every pre-annotated span highlighted, with the model's stance on it
        assert page.highlights() == [("Armenia", "armenia"), ("Azerbaijan", "azerbaijan")]
        # the first sentence of a document: no empty grey line where the previous sentence would be
        assert page.css(".sk-context")[0].size["height"] == 0
        actors_top = page.top(".sk-actors")
        for text, stance in project["predicted"][S0].items():
            page.click_span(text)
            assert page.checked("stance") == [stance], f"{text}: the model's stance is not shown"
            assert page.top(".sk-actors") == actors_top, "selecting a span moved the page"
        page.shot("model-stance")

        # every hotkey, on a selected span: the stance keys answer for that span and keep it selected
        # (a key toggles: pressing the ticked answer's key clears it, so the pre-filled one comes later)
        page.click_span("Azerbaijan")
        predicted = project["predicted"][S0]["Azerbaijan"]
        order = [label for label in ("favor", "against", "neutral") if label != predicted] + [predicted, "unclear"]
        for label in order:
            key = DEFAULT_STANCE_HOTKEYS[label]
            page.keys(key)
            assert page.selected() == "Azerbaijan", f"hotkey {key!r} ({label}) unselected the span"
            assert page.checked("stance") == [label], f"hotkey {key!r} did not answer {label}"
        for label, key in DEFAULT_SENTIMENT_HOTKEYS.items():
            page.keys(key)
            assert page.checked("sentiment") == [label], f"hotkey {key!r} did not answer {label}"
        # stray keys (Label Studio's automatic label keys) neither relabel the span nor change answers
        before = (page.highlights(), page.checked("stance"), page.checked("sentiment"))
        page.keys(*[k for k in LABEL_STUDIO_AUTO_KEYS if k not in CHOICE_KEYS])
        assert (page.highlights(), page.checked("stance"), page.checked("sentiment")) == before
        assert page.selected() == "Azerbaijan"

        # the answers: Azerbaijan unclear (set last above), sentiment negative, Armenia deleted, Lavrov added
        page.keys(DEFAULT_SENTIMENT_HOTKEYS["negative"])
        shot = page.shot("stance-by-hotkey")
        refresh_readme_picture(shot, REPO)
        page.click_span("Armenia")
        page.delete_selected_span()
        assert [t for t, _ in page.highlights()] == ["Azerbaijan"]
        page.shot("span-deleted")
        page.add_span("other", "Lavrov")
        page.click_span("Lavrov")
        page.keys(DEFAULT_STANCE_HOTKEYS["favor"])
        assert page.checked("stance") == ["favor"]
        page.shot("span-added")
        page.submit()
        assert page.wait_for_task(previous=S0) == S1
        project["timings"]["mouse and hotkeys"] = round(time.monotonic() - started, 1)
        page.shot("next-task")

    records = pulled(studio, project, tmp_path, seed_actors_path)
    azerbaijan, lavrov = S0.index("Azerbaijan"), S0.index("Lavrov")
    assert answers(records, ANA, S0) == {
        ("stance", "azerbaijan", azerbaijan, azerbaijan + 10, "unclear", "prediction"),
        ("stance", "lavrov", lavrov, lavrov + 6, "favor", "added"),  # 'other' mapped through the dictionary
        ("span_deleted", "armenia", 0, 7, None, None),
        ("sentiment", None, None, None, "negative", None),
    }


def test_skipped_task_goes_to_a_second_annotator_working_by_keyboard_only(studio, project, artifacts, tmp_path,
                                                                            seed_actors_path):
    with labeling_page(studio.url, artifacts, "ana-skips") as ana:
        ana.log_in(ANA, project["password"])
        ana.open_stream(project["id"])
        assert ana.sentence() == S1
        ana.skip()
        assert ana.wait_for_task(previous=S1) == S2, "after a skip the stream must serve the next task"
        ana.shot("after-skip")

    password = secrets.token_urlsafe(12)
    sign_up(project["invite"], BEN, password)
    with labeling_page(studio.url, artifacts, "ben-keyboard") as ben:
        ben.log_in(BEN, password)
        ben.open_stream(project["id"], keyboard=True)  # Escape closes the instructions
        started = time.monotonic()
        assert ben.sentence() == S1, "the task the first annotator skipped goes to the next annotator"
        assert [t for t, _ in ben.highlights()] == ["Turkey", "Azerbaijan", "Russia"]
        # a stance key toggles: pressing the pre-filled answer's key would clear it, so each answer differs
        chosen = {text: other_than(project["predicted"][S1][text]) for text in ("Turkey", "Azerbaijan")}
        for text, label in chosen.items():
            ben.select_span_by_keyboard(text)
            ben.keys(DEFAULT_STANCE_HOTKEYS[label])
            assert ben.checked("stance") == [label]
        ben.select_span_by_keyboard("Russia")
        ben.keys(ben.Keys.BACKSPACE)  # Label Studio's 'delete selected region'
        ben.keys(DEFAULT_SENTIMENT_HOTKEYS["positive"])
        assert [t for t, _ in ben.highlights()] == ["Turkey", "Azerbaijan"]
        assert ben.checked("sentiment") == ["positive"]
        ben.shot("keyboard-answers")
        ben.submit_by_keyboard()
        ben.wait(lambda d: ben.sentence() != S1, "the submitted task to leave the page")
        project["timings"]["keyboard only"] = round(time.monotonic() - started, 1)
        ben.shot("after-submit")

    # the first annotator is not served the skipped task again
    with labeling_page(studio.url, artifacts, "ana-again") as ana:
        ana.log_in(ANA, project["password"])
        ana.open_stream(project["id"])
        assert ana.sentence() == S2
        ana.submit_by_keyboard()
        ana.wait(lambda d: ana.sentence() != S2, "the submitted task to leave the page")
        assert ana.sentence() != S1
        ana.shot("stream-done")

    records = pulled(studio, project, tmp_path, seed_actors_path)
    turkey, azerbaijan, russia = (S1.index(w) for w in ("Turkey", "Azerbaijan", "Russia"))
    assert answers(records, BEN, S1) == {
        ("stance", "turkey", turkey, turkey + 6, chosen["Turkey"], "prediction"),
        ("stance", "azerbaijan", azerbaijan, azerbaijan + 10, chosen["Azerbaijan"], "prediction"),
        ("span_deleted", "russia", russia, russia + 6, None, None),
        ("sentiment", None, None, None, "positive", None),
    }
    assert answers(records, ANA, S1) == {("skipped", None, None, None, None, None)}
    (artifacts / "seconds-per-task.json").write_text(json.dumps(project["timings"], indent=1), encoding="utf-8")
    print(f"seconds per task (scripted, headless): {project['timings']}")

