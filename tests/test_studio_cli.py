"""The offline commands on the committed seed gold set: ls parse, agreement, dataset build, ls config."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from typer.testing import CliRunner

from stancekit.cli import app
from stancekit.io import read_jsonl
from stancekit.gold.dataset import load as load_gold

SEED_GOLD = Path(__file__).resolve().parent.parent / "datasets" / "seed-gold"
runner = CliRunner()


def test_parse_agreement_and_build_from_the_seed_export(seed_actors_path, tmp_path):
    (raw,) = [p for p in (SEED_GOLD / "raw").glob("export-*.json") if not p.name.endswith(".users.json")]
    parsed = runner.invoke(app, ["ls", "parse", str(raw), "-o", str(tmp_path / "pulled"), "-a", str(seed_actors_path)])
    assert parsed.exit_code == 0, parsed.output
    records = list(read_jsonl(tmp_path / "pulled" / "annotations.jsonl"))

    report = runner.invoke(app, ["agreement", str(tmp_path / "pulled" / "annotations.jsonl"), "--json"])
    assert report.exit_code == 0, report.output
    figures = json.loads(report.stdout)
    (who,) = figures["annotators"]
    assert figures["annotators"][who]["stance"] == 151 and figures["annotators"][who]["sentiment"] == 53

    built = runner.invoke(app, ["dataset", "build", str(tmp_path / "pulled"), "-o", str(tmp_path / "datasets" / "seed")])
    assert built.exit_code == 0, built.output
    gold = load_gold(tmp_path / "datasets" / "seed")
    assert (len(gold["train"]), len(gold["validation"]), len(gold["test"])) == (53, 0, 0)
    # one annotator: the gold stance of each mention is their label ("unclear" -> None)
    said = Counter(r["label"] for r in records if r["kind"] == "stance")
    names = gold["train"].features["mentions"].feature["stance"].names  # ClassLabel: indices stored
    gold_stances = Counter(None if m["stance"] is None else names[m["stance"]]
                           for row in gold["train"] for m in row["mentions"])
    assert gold_stances == Counter({(None if k == "unclear" else k): v for k, v in said.items()})
    manifest = json.loads((tmp_path / "datasets" / "seed" / "stancekit-dataset.json").read_text(encoding="utf-8"))
    assert manifest["splits"] == ["train"] and manifest["counts"]["train"]["mentions"] == 151


def test_build_refuses_a_folder_that_was_not_pulled(tmp_path):
    result = runner.invoke(app, ["dataset", "build", str(tmp_path), "-o", str(tmp_path / "x")])
    assert result.exit_code == 1 and "tasks.jsonl not found" in result.output


def test_config_lists_every_actor_and_the_scheme(seed_actors_path):
    result = runner.invoke(app, ["ls", "config", "-a", str(seed_actors_path), "--adjudication"])
    assert result.exit_code == 0
    xml = result.stdout
    for value in ("russia", "azerbaijan-gov", "other", "favor", "against", "neutral", "unclear", "positive",
                  "negative", "$answers", "$before", "$after", "$byline"):
        assert value in xml
