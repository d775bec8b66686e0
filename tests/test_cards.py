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
    assert card.data.library_name == "stancekit"
    assert card.data.pipeline_tag is None  # plain transformers cannot run a stancekit folder
    assert card.data.license == ("apache-2.0" if base else "mit")
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


@pytest.mark.parametrize("fixture", ["tiny_stance_model_dir", "baseline_stance_model_dir", "tiny_sentiment_model_dir"])
def test_the_model_card_names_no_path_of_the_training_machine_and_its_python_lines_run(
        fixture: str, request: pytest.FixtureRequest, newsmtsc_dir: Path) -> None:
    import re

    folder = request.getfixturevalue(fixture)
    text = (folder / "README.md").read_text(encoding="utf-8")
    for local in (folder, folder.parent, newsmtsc_dir, REPO, Path.home()):
        assert str(local) not in text
    assert not re.search(r"(?<![\w.])/(?:tmp|home|root|work|Users|var|opt)/", text)
    assert "Plain `transformers`" in text
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1).replace("path/to/this/folder", str(folder))
    assert len(code.strip().splitlines()) == 3
    namespace: dict = {}
    exec(compile(code.replace("print(", "result = ("), "card", "exec"), namespace)  # the card's own lines
    [scores] = namespace["result"]
    labels = json.loads((folder / "stancekit.json").read_text(encoding="utf-8"))["labels"]
    assert set((scores[0] if isinstance(scores, list) else scores)) == set(labels)
