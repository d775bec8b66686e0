"""Model and dataset cards carry Hugging Face metadata (YAML headers read by huggingface_hub and datasets)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEED_GOLD = REPO / "datasets" / "seed-gold"


@pytest.mark.parametrize("fixture, base", [("tiny_stance_model_dir", "sentence-transformers/all-MiniLM-L6-v2"),
                                           ("baseline_stance_model_dir", None)])
def test_the_model_card_header_says_what_the_model_is_and_how_it_scored(fixture: str, base: str | None,
                                                                         request: pytest.FixtureRequest) -> None:
    from huggingface_hub import ModelCard

    folder = request.getfixturevalue(fixture)
    manifest = json.loads((folder / "stancekit.json").read_text(encoding="utf-8"))
    card = ModelCard.load(folder / "README.md")
    assert card.data.library_name == "stancekit" and card.data.pipeline_tag == "text-classification"
    assert card.data.base_model == base
    assert card.data.datasets == ["fhamborg/news_sentiment_newsmtsc"]
    assert {"f1", "accuracy"} <= set(card.data.metrics) and "stance" in card.data.tags
    results = {(r.dataset_config, r.metric_type): r.metric_value for r in card.data.eval_results}
    assert results[(None, "f1")] == round(manifest["metrics"]["validation"]["f1_macro"], 4)
    assert results[(None, "accuracy")] == round(manifest["metrics"]["validation"]["accuracy"], 4)
    assert f"# stancekit stance model ({manifest['kind']})" in card.text


def test_the_dataset_card_header_lets_datasets_load_the_folder(tmp_path: Path) -> None:
    import datasets
    import pyarrow.parquet as pq
    from huggingface_hub import DatasetCard

    from stancekit.gold import dataset as gold_dataset

    rows = [row | {"meta": json.loads(row["meta"])} for row in pq.read_table(SEED_GOLD / "train.parquet").to_pylist()]
    manifest = json.loads((SEED_GOLD / gold_dataset.MANIFEST).read_text(encoding="utf-8"))
    folder = tmp_path / "gold"
    folder.mkdir()
    shutil.copytree(SEED_GOLD / "raw", folder / "raw")  # raw exports beside the splits must not confuse loaders
    gold_dataset.write(folder, {"train": rows[:40], "validation": rows[40:], "test": []}, manifest)
    card = DatasetCard.load(folder / "README.md")
    assert card.data.configs == [{"config_name": "default", "default": True,
                                  "data_files": [{"split": "train", "path": "train.parquet"},
                                                 {"split": "validation", "path": "validation.parquet"}]}]
    assert card.data.pretty_name == manifest["name"] and card.data.task_categories == ["text-classification"]
    loaded = datasets.load_dataset(str(folder))
    assert {split: loaded[split].num_rows for split in loaded} == {"train": 40, "validation": len(rows) - 40}
    assert f"# {manifest['name']}" in card.text
