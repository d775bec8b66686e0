"""Tiny trained models shared by the test suite (training, tagging, Label Studio pre-annotation).

Each is trained once per session on a few dozen real NewsMTSC rows from ../shared: the real
default base model fine-tuned for a few steps, and the real baseline. Their predictions are not
meant to be good, only real.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEED_GOLD = REPO / "datasets" / "seed-gold"
TINY_TRAIN_SENTENCES = 40
TINY_VALIDATION_LINES = 24


@pytest.fixture(scope="session")
def tiny_newsmtsc_dir(newsmtsc_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A NewsMTSC-format folder with the first rows of the real train and dev_mt files."""
    folder = tmp_path_factory.mktemp("tiny-newsmtsc")
    for name, lines in (("train.jsonl", TINY_TRAIN_SENTENCES), ("dev_mt.jsonl", TINY_VALIDATION_LINES)):
        with (newsmtsc_dir / name).open(encoding="utf-8") as source:
            head = [next(source) for _ in range(lines)]
        (folder / name).write_text("".join(head), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def tiny_stance_model_dir(tiny_newsmtsc_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default transformer (span-pool) fine-tuned for 4 steps on 40 real NewsMTSC sentences."""
    from stancekit.training import TrainConfig, train

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    output = tmp_path_factory.mktemp("models") / "tiny-stance"
    train(TrainConfig(data=[tiny_newsmtsc_dir], output=output, max_steps=4, batch_size=8, eval_steps=4,
                      device="cpu", progress=False))
    return output


@pytest.fixture(scope="session")
def baseline_stance_model_dir(newsmtsc_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scikit-learn baseline trained on the first 400 real NewsMTSC train sentences."""
    from stancekit.training import TrainConfig, train

    output = tmp_path_factory.mktemp("models") / "baseline-stance"
    train(TrainConfig(data=[newsmtsc_dir / "train.jsonl"], validation=[newsmtsc_dir / "dev_rw.jsonl"],
                      output=output, kind="baseline", max_train_sentences=400, progress=False))
    return output


@pytest.fixture(scope="session")
def tiny_sentiment_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default transformer fine-tuned for 4 steps on the sentence sentiment of the seed gold set."""
    from stancekit.training import TrainConfig, train

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    output = tmp_path_factory.mktemp("models") / "tiny-sentiment"
    train(TrainConfig(data=[SEED_GOLD], output=output, task="sentiment", max_steps=4, batch_size=8, eval_steps=4,
                      device="cpu", progress=False))
    return output
