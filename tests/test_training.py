"""Training on real data at tiny scale: saved directories, both data formats, tasks, and clear errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from stancekit.cli import app
from stancekit.errors import ConfigError, InputError
from stancekit.models import InferenceOptions, Manifest, load_model
from stancekit.examples import load_examples
from stancekit.labels import STANCE_LABELS
from stancekit.training import TrainConfig, train

REPO = Path(__file__).resolve().parent.parent
SEED_GOLD = REPO / "datasets" / "seed-gold"


def test_the_transformer_directory_is_complete_and_documented(tiny_stance_model_dir: Path) -> None:
    names = {p.name for p in tiny_stance_model_dir.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "head.safetensors", "stancekit.json",
            "README.md"} <= names
    assert not [n for n in names if n.endswith((".bin", ".pt", ".pkl"))], "no pickles"
    manifest = json.loads((tiny_stance_model_dir / "stancekit.json").read_text())
    assert manifest["input_scheme"] == "span-pool" and manifest["labels"] == ["favor", "against", "neutral"]
    assert manifest["hyperparameters"]["steps_done"] == 4
    assert [Path(s["path"]).name for s in manifest["data"]["train"]] == ["train.jsonl"]
    assert len(manifest["data"]["train"][0]["sha256"]) == 64
    assert set(manifest["metrics"]) == {"validation"}  # one validation file: no per-file breakdown
    assert manifest["metrics"]["validation"]["n"] > 24  # every target of the 24 dev_mt sentences
    assert {"torch", "transformers", "stancekit"} <= set(manifest["versions"])
    assert manifest["label2id"] == {"favor": 0, "against": 1, "neutral": 2}
    assert Manifest.read(tiny_stance_model_dir).to_dict() == manifest  # the dataclass reads what training wrote
    card = (tiny_stance_model_dir / "README.md").read_text()
    assert "## Intended use" in card and "## Limits" in card and "macro-F1" in card
    # no checkpoint or staging folders left beside the model
    assert [p.name for p in tiny_stance_model_dir.parent.iterdir()] == [tiny_stance_model_dir.name]


def test_sentence_sentiment_uses_the_same_machinery(tiny_sentiment_model_dir: Path) -> None:
    classifier = load_model(tiny_sentiment_model_dir, InferenceOptions(device="cpu"))
    assert classifier.task == "sentiment" and classifier.manifest.input_scheme == "sentence"
    gold = load_examples([SEED_GOLD], split="train")
    result = classifier.predict_sentiment([ex.sentence for ex in gold.examples[:5]])
    assert len(result) == 5 and all(sum(r.values()) == pytest.approx(1.0, abs=1e-5) for r in result)
    with pytest.raises(ConfigError, match="sentiment model"):
        classifier.predict_stance([ex.sentence for ex in gold.examples[:1]])


def test_baseline_combines_newsmtsc_and_gold(tiny_newsmtsc_dir: Path, tmp_path: Path) -> None:
    result = train(TrainConfig(data=[tiny_newsmtsc_dir, SEED_GOLD], output=tmp_path / "combined", kind="baseline",
                               progress=False))
    manifest = json.loads((tmp_path / "combined" / "stancekit.json").read_text())
    assert manifest["data"]["formats"] == ["gold", "newsmtsc"]
    assert sum(manifest["data"]["train_label_counts"].values()) > 150  # NewsMTSC targets + seed gold mentions
    assert result.metrics["validation"]["n"] > 0
    gold = load_examples([SEED_GOLD], split="train").examples
    predictions = load_model(result.path).predict_stance([ex.sentence for ex in gold])
    assert [len(p) for p in predictions] == [len(ex.sentence.mentions) for ex in gold]


def test_cli_train_and_evaluate_json(tiny_newsmtsc_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "models" / "cli-baseline"
    result = runner.invoke(app, ["train", "--kind", "baseline", "--data", str(tiny_newsmtsc_dir), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "validation: macro-F1" in result.output and (out / "stancekit.json").is_file()
    result = runner.invoke(app, ["evaluate", "--model", str(out), "--data", str(tiny_newsmtsc_dir / "dev_mt.jsonl"),
                                 "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"f1_macro", "accuracy", "n", "per_class", "confusion"} <= set(report)
    assert report["n"] == sum(row for r in report["confusion"]["matrix"] for row in r)
    assert set(report["per_class"]) == {"favor", "against", "neutral"}


def test_retraining_replaces_the_model_atomically(tiny_newsmtsc_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "again"
    first = train(TrainConfig(data=[tiny_newsmtsc_dir], output=out, kind="baseline", progress=False))
    fingerprint = json.loads((out / "stancekit.json").read_text())["fingerprint"]
    second = train(TrainConfig(data=[tiny_newsmtsc_dir], output=out, kind="baseline", progress=False))
    assert json.loads((out / "stancekit.json").read_text())["fingerprint"] == fingerprint  # seeded, same data
    assert first.metrics == second.metrics
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again"]


def test_an_empty_dataset_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(InputError, match=r"empty.jsonl: no stance-labelled examples in the training data"):
        train(TrainConfig(data=[empty], validation=[empty], output=tmp_path / "m", kind="baseline"))
    assert not (tmp_path / "m").exists()


def test_an_unknown_label_names_file_and_line(newsmtsc_dir: Path, tmp_path: Path) -> None:
    lines = (newsmtsc_dir / "dev_mt.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    record = json.loads(lines[2])
    record["targets"][0]["polarity"] = 5.0
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines[:2] + [json.dumps(record)]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.jsonl:3: unknown polarity 5.0"):
        load_examples([bad], split="train")
    table = pq.read_table(SEED_GOLD / "train.parquet").to_pylist()
    for row in table:  # labels as names, as folders written before ClassLabel features hold them
        for mention in row["mentions"]:
            mention["stance"] = None if mention["stance"] is None else STANCE_LABELS[mention["stance"]]
    table[1]["mentions"][0]["stance"] = "supportive"
    (tmp_path / "gold").mkdir()
    pq.write_table(pa.Table.from_pylist(table), tmp_path / "gold" / "train.parquet")
    with pytest.raises(InputError, match=r"train.parquet:2: unknown stance label 'supportive'"):
        load_examples([tmp_path / "gold"], split="train")


def test_a_broken_newsmtsc_line_names_file_and_line(newsmtsc_dir: Path, tmp_path: Path) -> None:
    lines = (newsmtsc_dir / "dev_mt.jsonl").read_text(encoding="utf-8").splitlines()[:2]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines + ["", lines[0][:40]]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.jsonl:4: broken JSON"):
        load_examples([bad], split="train")
    bad.write_text("\n".join(lines + ['{"sentence_normalized": "No targets."}']) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.jsonl:3: not a NewsMTSC record .*'targets'"):
        load_examples([bad], split="train")


def test_a_label_scheme_mismatch_is_refused(tmp_path: Path, tiny_stance_model_dir: Path) -> None:
    gold = tmp_path / "other-scheme"
    gold.mkdir()
    (gold / "train.parquet").write_bytes((SEED_GOLD / "train.parquet").read_bytes())
    manifest = json.loads((SEED_GOLD / "stancekit-dataset.json").read_text())
    manifest["label_scheme"]["stance"] = ["pro", "anti", "neutral"]
    (gold / "stancekit-dataset.json").write_text(json.dumps(manifest))
    with pytest.raises(ConfigError, match="label-scheme mismatch"):
        train(TrainConfig(data=[gold], output=tmp_path / "m", kind="baseline"))
    with pytest.raises(ConfigError, match="is a stance/span-pool model, this run trains sentiment"):
        train(TrainConfig(data=[SEED_GOLD], output=tmp_path / "m", task="sentiment",
                          base_model=str(tiny_stance_model_dir), max_steps=1))


def test_bad_options_are_refused_before_work() -> None:
    with pytest.raises(ConfigError, match="unknown model kind 'svm'"):
        TrainConfig(data=["x"], output="m", kind="svm")
    with pytest.raises(ConfigError, match="unknown stance input scheme"):
        TrainConfig(data=["x"], output="m", input_scheme="cls")
    with pytest.raises(ConfigError, match="no training data"):
        TrainConfig(data=[], output="m")


@pytest.mark.slow
def test_an_interrupted_run_resumes_from_its_checkpoint(tiny_newsmtsc_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "resumable"
    command = [
        sys.executable, "-c", "from stancekit.cli import main; main()", "train", "--data", str(tiny_newsmtsc_dir),
        "-o", str(out), "--max-steps", "6", "--eval-steps", "2", "--batch-size", "8", "--device", "cpu",
        "--no-progress"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    work = tmp_path / ".resumable.work"
    deadline = time.monotonic() + 300
    while not (work / "checkpoint-2" / "trainer_state.json").is_file() and proc.poll() is None:
        assert time.monotonic() < deadline, "no checkpoint written"
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists(), "a killed run leaves no model directory"
    resumed = subprocess.run(command + ["--resume"], env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming from" in resumed.stderr and "checkpoint-" in resumed.stderr
    assert json.loads((out / "stancekit.json").read_text())["hyperparameters"]["steps_done"] == 6
    assert not work.exists()
