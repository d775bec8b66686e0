"""Scoring: the metrics themselves, the per-actor breakdown on gold data, and the demo's quick model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancekit.cli import app
from stancekit.errors import ConfigError, InputError
from stancekit.evaluation import EvaluateConfig, evaluate, score
from stancekit.models import DEFAULT_RECHECK_MARGIN
from stancekit.demo.quick_model import QuickModelConfig, quick_stance_model

REPO = Path(__file__).resolve().parent.parent
SEED_GOLD = REPO / "datasets" / "seed-gold"


def test_score_matches_hand_computed_metrics() -> None:
    gold = ["favor", "favor", "against", "neutral", "neutral", "neutral"]
    pred = ["favor", "against", "against", "neutral", "favor", "neutral"]
    result = score(gold, pred, ("favor", "against", "neutral"))
    # favor: P 1/2 R 1/2 F 1/2; against: P 1/2 R 1 F 2/3; neutral: P 1 R 2/3 F 4/5
    assert result["per_class"]["favor"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert result["per_class"]["against"]["f1"] == pytest.approx(2 / 3)
    assert result["f1_macro"] == pytest.approx((0.5 + 2 / 3 + 0.8) / 3)
    assert result["accuracy"] == pytest.approx(4 / 6) and result["n"] == 6
    assert result["confusion"]["matrix"] == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


def test_gold_data_gets_a_per_actor_breakdown(baseline_stance_model_dir: Path) -> None:
    result = evaluate(EvaluateConfig(model=baseline_stance_model_dir, data=[SEED_GOLD], split="train"))
    assert result["n"] == 150  # the seed gold's mentions with a stance (one is unclear)
    assert {"russia", "armenia", "azerbaijan"} <= set(result["per_actor"])
    assert sum(m["n"] for m in result["per_actor"].values()) == result["n"]
    assert result["model"].startswith("baseline-stance@")


def test_the_transformer_scores_newsmtsc_with_int8_too(tiny_stance_model_dir: Path, newsmtsc_dir: Path,
                                                       tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["evaluate", "-m", str(tiny_stance_model_dir), "-d", str(newsmtsc_dir / "dev_mt.jsonl"), "--json",
            "--device", "cpu"]
    fp32 = json.loads(runner.invoke(app, args + ["--precision", "fp32"]).stdout)
    assert fp32["n"] == 442  # every target of dev_mt
    assert "per_actor" not in fp32  # NewsMTSC targets are not dictionary actors
    # int8 on the first 40 sentences: int8 products are slow on CPUs without VNNI/AMX (see README)
    lines = (newsmtsc_dir / "dev_mt.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)[:40]
    (tmp_path / "dev_mt.jsonl").write_text("".join(lines), encoding="utf-8")
    args[4] = str(tmp_path / "dev_mt.jsonl")
    fp32_part = json.loads(runner.invoke(app, args + ["--precision", "fp32"]).stdout)
    int8 = json.loads(runner.invoke(app, args + ["--precision", "int8"]).stdout)
    assert int8["n"] == fp32_part["n"] > 40  # every target of those sentences
    assert int8["model"].endswith(f"+int8(recheck<{DEFAULT_RECHECK_MARGIN:g})")
    alone = json.loads(runner.invoke(app, args + ["--precision", "int8", "--recheck-margin", "0"]).stdout)
    assert alone["model"].endswith("+int8") and alone["n"] == fp32_part["n"]
    redone = json.loads(runner.invoke(app, args + ["--precision", "int8", "--recheck-margin", "1"]).stdout)
    assert redone["f1_macro"] == fp32_part["f1_macro"]  # every sentence redone in fp32
    table = runner.invoke(app, args[:-3])  # the defaults (precision auto), as a table
    assert table.exit_code == 0 and "gold \\ predicted" in table.output


def test_evaluating_with_the_wrong_data_is_a_clear_error(baseline_stance_model_dir: Path, newsmtsc_dir: Path,
                                                         tiny_sentiment_model_dir: Path) -> None:
    with pytest.raises(InputError, match="no test split here: expected test_rw.jsonl or test_mt.jsonl"):
        evaluate(EvaluateConfig(model=baseline_stance_model_dir, data=[newsmtsc_dir]))
    with pytest.raises(InputError, match="no sentiment-labelled examples in the evaluation data"):
        evaluate(EvaluateConfig(model=tiny_sentiment_model_dir, data=[newsmtsc_dir / "dev_mt.jsonl"]))
    with pytest.raises(ConfigError, match="unknown split"):
        EvaluateConfig(model=baseline_stance_model_dir, data=[newsmtsc_dir], split="dev")
    result = CliRunner().invoke(app, ["evaluate", "-m", str(newsmtsc_dir), "-d", str(newsmtsc_dir)])
    assert result.exit_code == 1 and "stancekit.json is missing" in result.output


def test_quick_model_for_the_demo(tiny_newsmtsc_dir: Path, seed_text: str, seed_actors_path: Path,
                                  tmp_path: Path) -> None:
    from stancekit.actors import ActorDictionary, DictionaryMatcher
    from stancekit.pipeline import iter_sentences
    from stancekit.records import Document

    config = QuickModelConfig(output=tmp_path / "demo-baseline", newsmtsc=tiny_newsmtsc_dir, gold=[SEED_GOLD])
    classifier = quick_stance_model(config)
    trained_at = (config.output / "stancekit.json").stat().st_mtime_ns
    assert quick_stance_model(config).name == classifier.name  # same data: reused, not retrained
    assert (config.output / "stancekit.json").stat().st_mtime_ns == trained_at
    matcher = DictionaryMatcher(ActorDictionary.load(seed_actors_path))
    sentences = list(iter_sentences([Document("seed", seed_text)], matcher=matcher))
    predictions = classifier.predict_stance(sentences)
    assert [len(p) for p in predictions] == [len(s.mentions) for s in sentences]
    for per_mention in predictions:
        for probs in per_mention:
            assert set(probs) == {"favor", "against", "neutral"} and abs(sum(probs.values()) - 1) < 1e-6
