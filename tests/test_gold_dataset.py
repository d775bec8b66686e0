"""The gold dataset in its one home (stancekit.gold): built from real pulled annotations (the seed gold set),
labels as ClassLabel features, JSONL/CSV exports, portable provenance; agreement tables as CSV."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from stancekit.annotation.agreement import agreement, cohen_kappa, write_csv
from stancekit.errors import ConfigError, InputError
from stancekit.gold.build import DatasetBuildConfig, build_dataset
from stancekit.gold.dataset import MANIFEST, read_examples
from stancekit.io import read_jsonl

REPO = Path(__file__).resolve().parent.parent
SEED_GOLD = REPO / "datasets" / "seed-gold"


@pytest.fixture()
def pulled(tmp_path: Path) -> Path:
    """The seed gold set's pulled folder (tasks, annotation records, raw export) copied out of the checkout."""
    folder = tmp_path / "work" / "pulled"
    folder.mkdir(parents=True)
    for name in ("tasks.jsonl", "annotations.jsonl"):
        shutil.copy(SEED_GOLD / name, folder / name)
    shutil.copytree(SEED_GOLD / "raw", folder / "raw")
    return folder


def build(pulled: Path, out_root: Path, formats: tuple[str, ...] = ()) -> Path:
    return build_dataset(DatasetBuildConfig(annotations_dir=pulled, output=out_root / "nk",
                                            formats=list(formats))).out_dir


def test_datasets_loads_the_labels_as_class_labels_and_stancekit_reads_them_back(pulled: Path) -> None:
    import datasets

    folder = build(pulled, pulled.parent)
    loaded = datasets.load_dataset(str(folder))
    stance = loaded["train"].features["mentions"].feature["stance"]
    sentiment = loaded["train"].features["sentiment"]
    assert isinstance(stance, datasets.ClassLabel) and stance.names == ["favor", "against", "neutral"]
    assert isinstance(sentiment, datasets.ClassLabel) and sentiment.names == ["positive", "negative", "neutral"]
    gold = {(r["task_key"]): r for r in read_jsonl(pulled / "tasks.jsonl")}
    assert loaded["train"].num_rows == len(gold) == 53
    examples = read_examples(folder / "train.parquet")
    row = loaded["train"][0]
    assert [stance.int2str(m["stance"]) if m["stance"] is not None else None for m in row["mentions"]] \
        == list(examples[0].stances)
    stances = [s for ex in examples for s in ex.stances]
    assert (stances.count("favor"), stances.count("against"), stances.count("neutral"), stances.count(None)) \
        == (13, 22, 115, 1)  # the seed gold set's label distribution (its card says so too)
    assert sorted({ex.sentiment for ex in examples}) == ["negative", "neutral", "positive"]


def test_jsonl_and_csv_exports_hold_the_same_rows_and_go_away_when_not_asked_for(pulled: Path) -> None:
    folder = build(pulled, pulled.parent, ("jsonl", "csv"))
    examples = read_examples(folder / "train.parquet")
    lines = list(read_jsonl(folder / "train.jsonl"))
    assert [[m["stance"] for m in r["mentions"]] for r in lines] == [list(ex.stances) for ex in examples]
    assert [r["sentiment"] for r in lines] == [ex.sentiment for ex in examples]
    with (folder / "train.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == sum(max(1, len(ex.sentence.mentions)) for ex in examples)
    first = examples[0]
    assert [(r["actor"], int(r["mention_start"]), r["stance"]) for r in rows if r["sent_idx"] == "0"] == \
        [(m.actor, m.start, s or "") for m, s in zip(first.sentence.mentions, first.stances)]
    assert json.loads(rows[0]["meta"]) == first.sentence.meta
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["files"] == {"parquet": ["train.parquet"], "jsonl": ["train.jsonl"], "csv": ["train.csv"]}
    assert "train.csv" in (folder / "README.md").read_text(encoding="utf-8")
    build(pulled, pulled.parent)
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", MANIFEST, "train.parquet"]


def test_an_unknown_format_is_refused_before_anything_is_written(pulled: Path) -> None:
    with pytest.raises(ConfigError, match="--format must be one of parquet, jsonl, csv, found xml"):
        build(pulled, pulled.parent, ("xml",))
    assert not (pulled.parent / "nk").exists()


@pytest.mark.parametrize("out_root", ["beside", "far"])
def test_the_manifest_and_card_name_no_folder_of_this_machine(pulled: Path, tmp_path: Path, out_root: str) -> None:
    root = pulled.parent if out_root == "beside" else tmp_path / "elsewhere" / "deep"
    folder = build(pulled, root)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["source"]["annotations"] == ("../pulled" if out_root == "beside" else "pulled")
    for text in ((folder / MANIFEST).read_text(encoding="utf-8"), (folder / "README.md").read_text(encoding="utf-8")):
        assert str(tmp_path) not in text and str(Path.home()) not in text and str(REPO) not in text
    assert "license: other" in (folder / "README.md").read_text(encoding="utf-8")


def test_a_sentence_whose_first_mention_has_no_stance_keeps_the_others(tmp_path: Path) -> None:
    import datasets

    from stancekit.gold.dataset import write

    row = {"task_key": "d:0:x", "doc_id": "d", "sent_idx": 0, "text": "Turkey armed Azerbaijan.", "sentiment": None,
           "meta": {"gold": "majority of 2"},
           "mentions": [{"actor": "turkey", "start": 0, "end": 6, "text": "Turkey", "stance": None},
                        {"actor": "azerbaijan", "start": 13, "end": 23, "text": "Azerbaijan", "stance": "neutral"}]}
    manifest = json.loads((SEED_GOLD / MANIFEST).read_text(encoding="utf-8"))
    write(tmp_path, {"train": [row]}, manifest)
    [example] = read_examples(tmp_path / "train.parquet")
    assert example.stances == (None, "neutral") and example.sentiment is None
    loaded = datasets.load_dataset(str(tmp_path))["train"]
    assert [m["stance"] for m in loaded[0]["mentions"]] == [None, 2]  # neutral's ClassLabel index


def test_older_folders_with_labels_as_strings_still_read(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"task_key": "d:0:x", "doc_id": "d", "sent_idx": 0, "text": "Russia condemned Turkey.", "sentiment": "negative",
             "mentions": [{"actor": "russia", "start": 0, "end": 6, "text": "Russia", "stance": "against"},
                          {"actor": "turkey", "start": 17, "end": 23, "text": "Turkey", "stance": None}], "meta": "{}"}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "train.parquet")
    [example] = read_examples(tmp_path / "train.parquet")
    assert example.stances == ("against", None) and example.sentiment == "negative"


def test_a_label_index_outside_the_class_names_names_the_file_and_row(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    row = {"task_key": "d:0:x", "doc_id": "d", "sent_idx": 0, "text": "Russia.", "sentiment": 7, "meta": "{}",
           "mentions": [{"actor": "russia", "start": 0, "end": 6, "text": "Russia", "stance": 0}]}
    pq.write_table(pa.Table.from_pylist([row]), tmp_path / "train.parquet")
    with pytest.raises(InputError, match=r"train\.parquet: row 1: label index 7 outside the ClassLabel names"):
        read_examples(tmp_path / "train.parquet")


def test_cohen_kappa_is_sklearn_s_and_undefined_where_chance_agreement_is_total() -> None:
    # observed 2/4, expected (2*2 + 1*2)/16: kappa = (0.5 - 0.375) / 0.625
    assert cohen_kappa([("a", "a"), ("b", "b"), ("a", "b"), ("c", "a")]) == pytest.approx(0.2)
    assert cohen_kappa([("a", "a"), ("a", "a")]) is None and cohen_kappa([]) is None
    assert cohen_kappa([("a", "a"), ("b", "b")]) == pytest.approx(1.0)


def test_agreement_tables_as_csv(tmp_path: Path) -> None:
    def record(who: str, key: str, label: str) -> dict:
        return {"kind": "stance", "annotator": who, "task_key": key, "actor": "russia", "start": 0, "end": 6,
                "label": label, "annotation_id": hash((who, key)) % 1000, "lead_time": 2.0}

    labels = {"ana": ["favor", "against", "neutral", "favor"], "ben": ["favor", "against", "favor", "neutral"]}
    records = [record(who, f"t{i}", label) for who, row in labels.items() for i, label in enumerate(row)]
    report = agreement(records)
    files = write_csv(report, tmp_path / "tables")
    assert sorted(p.name for p in files) == ["alpha.csv", "annotators.csv", "confusion.csv", "model_answers.csv",
                                             "pairwise_kappa.csv"]
    with (tmp_path / "tables" / "pairwise_kappa.csv").open(encoding="utf-8") as handle:
        [pair] = [row for row in csv.DictReader(handle) if row["task"] == "stance"]
    assert (pair["annotator_a"], pair["annotator_b"], pair["units"], pair["agreed"]) == ("ana", "ben", "4", "2")
    assert float(pair["kappa"]) == pytest.approx(report.kappa["stance"][0]["kappa"])
    with (tmp_path / "tables" / "alpha.csv").open(encoding="utf-8") as handle:
        alpha = {row["task"]: row for row in csv.DictReader(handle)}
    assert alpha["sentiment"]["alpha"] == "" and float(alpha["stance"]["alpha"]) == pytest.approx(report.alpha["stance"])
    with (tmp_path / "tables" / "model_answers.csv").open(encoding="utf-8") as handle:
        assert handle.read() == "annotator,task,shown,kept,hidden,matched,kept_share,matched_share\n"


def test_the_cli_writes_the_exports_and_the_agreement_tables(pulled: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from stancekit.cli import app

    runner = CliRunner()
    built = runner.invoke(app, ["dataset", "build", str(pulled), "-o", str(tmp_path / "out" / "nk"),
                                "--format", "csv", "--format", "jsonl"])
    assert built.exit_code == 0, built.output
    assert sorted(p.name for p in (tmp_path / "out" / "nk").iterdir()) == [
        "README.md", MANIFEST, "train.csv", "train.jsonl", "train.parquet"]
    bad = runner.invoke(app, ["dataset", "build", str(pulled), "-o", str(tmp_path / "out" / "nk2"),
                              "--format", "xlsx"])
    assert bad.exit_code == 1 and "--format must be one of parquet, jsonl, csv, found xlsx" in bad.output
    tables = runner.invoke(app, ["agreement", str(pulled / "annotations.jsonl"), "--csv", str(tmp_path / "agreement")])
    assert tables.exit_code == 0, tables.output
    assert sorted(p.name for p in (tmp_path / "agreement").iterdir()) == [
        "alpha.csv", "annotators.csv", "confusion.csv", "model_answers.csv", "pairwise_kappa.csv"]
    report = runner.invoke(app, ["agreement", str(pulled / "annotations.jsonl"), "-o", str(tmp_path / "a.json")])
    assert report.exit_code == 0 and "alpha" in json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
