"""`stancekit report` checks every tag record it reads: values `tag` never writes are errors naming the file and
line (or, with --skip-bad, skipped and counted in the report's provenance); no mention silently disappears."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancekit.cli import app
from stancekit.errors import InputError
from stancekit.tagging import iter_tagged
from test_input_hardening import tagged_records, write_tagged


def corrupt(mutate) -> list[dict]:
    records = tagged_records()
    record = copy.deepcopy(records[3])
    mutate(record["mentions"][0], record)
    records[3] = record
    return records


CASES = {
    "stance outside the labels": (lambda m, r: m.update(stance="positive"), "'stance' must be one of"),
    "stance missing": (lambda m, r: m.pop("stance"), "'stance' must be one of"),
    "NaN score": (lambda m, r: m["scores"].update(favor=math.nan), "numbers from 0 to 1"),
    "infinite score": (lambda m, r: m["scores"].update(favor=math.inf), "numbers from 0 to 1"),
    "negative score": (lambda m, r: m["scores"].update(against=-0.1, favor=1.0), "numbers from 0 to 1"),
    "string score": (lambda m, r: m["scores"].update(favor="0.8"), "numbers from 0 to 1"),
    "missing score": (lambda m, r: m["scores"].pop("neutral"), "a probability for each of"),
    "no scores": (lambda m, r: m.pop("scores"), "a probability for each of"),
    "extra label": (lambda m, r: m["scores"].update(unclear=0.0), "a probability for each of"),
    "scores not summing to 1": (lambda m, r: m["scores"].update(favor=0.5), "must sum to 1"),
    "stance contradicting its scores": (lambda m, r: m.update(stance="against"), "scores rank 'favor' highest"),
    "offsets outside the sentence": (lambda m, r: m.update(start=40, end=46), "must lie inside the sentence"),
    "negative offset": (lambda m, r: m.update(start=-1), "must lie inside the sentence"),
    "text not at its offsets": (lambda m, r: m.update(text="Moscow"), "the sentence has 'Russia' at 0:6"),
}


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_record_tag_never_writes_is_an_error_naming_file_and_line(tmp_path, suffix, case):
    mutate, message = CASES[case]
    if suffix != ".jsonl" and case in ("string score", "no scores", "extra label", "stance missing"):
        pytest.skip("not expressible in this format's fixed columns")
    if suffix == ".parquet" and case == "missing score":
        message = "numbers from 0 to 1"  # Parquet's score struct has every label: a missing one is null
    records = corrupt(mutate)
    path = write_tagged(tmp_path / f"tags{suffix}", records)
    with pytest.raises(InputError, match=message) as info:
        list(iter_tagged(path))
    assert info.value.path == str(path)
    assert info.value.line == {".jsonl": 4, ".csv": 5, ".parquet": 4}[suffix]
    result = CliRunner().invoke(app, ["report", str(path), "-o", str(tmp_path / "report")])
    assert result.exit_code == 1 and f"{path}:" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "report").exists()


def test_skip_bad_goes_on_and_counts_what_was_skipped(tmp_path):
    records = tagged_records()
    records[1]["mentions"][0]["stance"] = "positive"
    records[4]["mentions"][0]["scores"]["favor"] = math.nan
    path = tmp_path / "tags.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + "{broken\n", encoding="utf-8")
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["report", str(path), "-o", str(out), "--skip-bad", "--min-mentions", "1"])
    assert result.exit_code == 0, result.output
    assert result.stderr.count("skipped: ") == 3 and "skipped 3 bad record(s)" in result.stderr
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["counts"]["skipped_records"] == 3 and provenance["counts"]["mentions"] == 4
    assert any("tags.jsonl:2" in line for line in provenance["skipped"])


def test_an_actor_not_in_the_dictionary_is_an_error_not_a_row_of_its_own(tmp_path, seed_actors_path):
    records = corrupt(lambda m, r: m.update(actor="no-such-actor"))
    path = write_tagged(tmp_path / "tags.jsonl", records)
    result = CliRunner().invoke(app, ["report", str(path), "-o", str(tmp_path / "r"), "-a", str(seed_actors_path)])
    assert result.exit_code == 1 and "tags.jsonl:4" in result.stderr and "'no-such-actor' is not in the actor" \
        in result.stderr
    result = CliRunner().invoke(app, ["report", str(path), "-o", str(tmp_path / "r"), "-a", str(seed_actors_path),
                                      "--skip-bad", "--min-mentions", "1"])
    assert result.exit_code == 0, result.output
    actors = (tmp_path / "r" / "stance_by_actor.csv").read_text()
    assert "no-such-actor" not in actors


@pytest.mark.parametrize("bad", ["-0.0001", "1.5", "nan", "inf", "1e309"])
def test_a_score_out_of_range_in_csv_is_an_error(tmp_path, bad):
    path = write_tagged(tmp_path / "tags.csv", tagged_records())
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:2]) + lines[2].replace(",0.8,", f",{bad},", 1) + "".join(lines[3:]),
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"tags\.csv:3: 'scores'"):
        list(iter_tagged(Path(path)))
