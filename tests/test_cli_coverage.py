"""The foundation's CLI: sentences, mentions, actors, demo; output schema and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancekit.cli import app

runner = CliRunner()
SEED_DIR = "seeds"


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


@pytest.fixture(autouse=True)
def _repo_cwd(monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)


def test_sentences_schema_and_offsets(seed_text):
    result = runner.invoke(app, ["sentences", SEED_DIR])
    assert result.exit_code == 0, result.output
    records = lines(result.stdout)
    assert len(records) == 58
    for idx, record in enumerate(records):
        assert list(record) == ["doc_id", "sent_idx", "start", "end", "text", "mentions", "meta"]
        assert record["doc_id"] == "000_cae259164d53c011" and record["sent_idx"] == idx
        assert seed_text[record["start"]:record["end"]] == record["text"] and record["mentions"] == []
    assert "1 document(s), 58 sentence(s)" in result.stderr


def test_mentions_to_file_with_roll_up_and_filter(tmp_path, seed_actors_path):
    out = tmp_path / "m.jsonl"
    result = runner.invoke(app, ["mentions", SEED_DIR, "--actors", str(seed_actors_path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    records = lines(out.read_text(encoding="utf-8"))
    assert len(records) == 58
    kremlin = next(r for r in records if r["text"].startswith("The conflict has tested the Kremlin"))
    assert kremlin["mentions"] == [{"actor": "russia-gov", "start": 24, "end": 35, "text": "the Kremlin"}]
    for record in records:
        for mention in record["mentions"]:
            assert record["text"][mention["start"]:mention["end"]] == mention["text"]

    rolled = tmp_path / "r.jsonl"
    result = runner.invoke(app, ["mentions", SEED_DIR, "-a", str(seed_actors_path), "-o", str(rolled),
                                 "--roll-up", "--only-with-mentions"])
    assert result.exit_code == 0, result.output
    rolled_records = lines(rolled.read_text(encoding="utf-8"))
    assert 0 < len(rolled_records) < 58 and all(r["mentions"] for r in rolled_records)
    rolled_kremlin = next(r for r in rolled_records if r["sent_idx"] == kremlin["sent_idx"])
    assert rolled_kremlin["mentions"][0]["actor"] == "russia"


def test_jsonl_metadata_is_carried_to_every_sentence(tmp_path, seed_actors_path):
    src = tmp_path / "c.jsonl"
    src.write_text(json.dumps({"id": "d1", "text": "Baku denied it. Ankara agreed.", "outlet": "X",
                               "date": "2020-10-15", "section": "world"}) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["mentions", str(src), "-a", str(seed_actors_path)])
    records = lines(result.stdout)
    assert [r["meta"] for r in records] == [{"outlet": "X", "date": "2020-10-15", "section": "world"}] * 2
    assert [[m["actor"] for m in r["mentions"]] for r in records] == [["azerbaijan-gov"], ["turkey-gov"]]


def test_bad_input_exits_1_with_one_line_reason(tmp_path):
    src = tmp_path / "c.jsonl"
    src.write_text('{"id": "a", "text": "Fine."}\n{"id": "b", "text": \n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["sentences", str(src), "-o", str(out)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {src}:2: broken JSON") and result.stderr.count("\n") == 1
    assert not out.exists()  # nothing half-written

    result = runner.invoke(app, ["sentences", str(src), "-o", str(out), "--skip-bad"])
    assert result.exit_code == 0
    assert f"skipped: {src}:2: broken JSON" in result.stderr and "skipped 1 bad record(s)" in result.stderr
    assert [r["doc_id"] for r in lines(out.read_text(encoding="utf-8"))] == ["a"]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["sentences", "no/such/dir"], 1),
        (["mentions", SEED_DIR], 2),  # --actors is required: a usage error
        (["mentions", SEED_DIR, "--actors", "no/such.yaml"], 1),
        (["sentences"], 2),
        (["actors", "check", "no/such.yaml"], 1),
    ],
)
def test_exit_codes(args, code):
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output


def test_output_may_not_overwrite_an_input(tmp_path):
    src = tmp_path / "c.jsonl"
    src.write_text('{"id": "a", "text": "Fine."}\n', encoding="utf-8")
    result = runner.invoke(app, ["sentences", str(src), "-o", str(src)])
    assert result.exit_code == 1 and "is also an input" in result.stderr
    assert src.read_text(encoding="utf-8") == '{"id": "a", "text": "Fine."}\n'


def test_actors_check_and_list(seed_actors_path, tmp_path):
    result = runner.invoke(app, ["actors", "check", str(seed_actors_path)])
    assert result.exit_code == 0 and "OK, 54 actors" in result.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("actors:\n  - {id: a, name: Aa, type: state, parent: b}\n"
                   "  - {id: b, name: B, type: state, parent: a}\n", encoding="utf-8")
    result = runner.invoke(app, ["actors", "check", str(bad)])
    assert result.exit_code == 1 and "parent cycle: a -> b -> a" in result.stderr
    result = runner.invoke(app, ["actors", "list", str(seed_actors_path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "russia-mfa > russia-gov > russia" in result.stdout


def test_every_command_has_help():
    for args in (["--help"], ["sentences", "--help"], ["mentions", "--help"], ["actors", "--help"],
                 ["actors", "check", "--help"], ["actors", "list", "--help"], ["demo", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and "Usage" in result.stdout, args


def test_output_files_get_the_usual_permissions(tmp_path):
    import os

    out = tmp_path / "s.jsonl"
    assert runner.invoke(app, ["sentences", SEED_DIR, "-o", str(out)]).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
