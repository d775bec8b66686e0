"""A quick stance model for the demo: the baseline on the data at hand.

``quick_stance_model()`` trains the scikit-learn baseline on NewsMTSC train (``../shared`` or a
given folder) plus the project's gold datasets found under ``datasets/`` (e.g. ``seed-gold``), or
reuses the model already in the output folder when it was trained on the very same files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from stancekit.classifier import MANIFEST, Classifier, load_model
from stancekit.errors import ConfigError
from stancekit.examples import GOLD_MANIFEST, detect_format, file_sha256, split_files
from stancekit.paths import REPO



def find_newsmtsc() -> Path | None:
    """``$STANCEKIT_SHARED/datasets/newsmtsc`` or ``../shared/datasets/newsmtsc`` beside the repository."""
    shared = Path(os.environ.get("STANCEKIT_SHARED", REPO.parent / "shared"))
    path = shared / "datasets" / "newsmtsc"
    return path if (path / "train.jsonl").is_file() else None


def find_gold_datasets(root: Path = REPO / "datasets") -> list[Path]:
    """Gold dataset folders (with a train split) under ``root``."""
    return sorted(p.parent for p in root.glob(f"*/{GOLD_MANIFEST}") if (p.parent / "train.parquet").is_file())


@dataclass
class QuickModelConfig:
    """Where the quick model's data are and where it is kept."""

    output: Path = REPO / "models" / "demo-baseline"
    newsmtsc: Path | None = None
    gold: list[Path] | None = None
    sources: list[Path] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.output = Path(self.output)
        newsmtsc = Path(self.newsmtsc) if self.newsmtsc is not None else find_newsmtsc()
        gold = [Path(p) for p in self.gold] if self.gold is not None else find_gold_datasets()
        self.sources = ([newsmtsc] if newsmtsc is not None else []) + gold
        if not self.sources:
            raise ConfigError("no training data for the demo model: expected NewsMTSC in ../shared/datasets/newsmtsc "
                              "(or $STANCEKIT_SHARED) or a gold dataset under datasets/; build one with "
                              "'stancekit dataset build' or pass a NewsMTSC folder")


def _fingerprints(sources: Sequence[Path]) -> list[str]:
    return sorted(file_sha256(f) for p in sources for f in split_files(p, "train", detect_format(p)))


def quick_stance_model(config: QuickModelConfig) -> Classifier:
    """The baseline trained on ``config.sources`` (reused when already trained on the same files)."""
    from stancekit.training import TrainConfig, train

    wanted = _fingerprints(config.sources)
    manifest_path = config.output / MANIFEST
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if sorted(s["sha256"] for s in manifest.get("data", {}).get("train", [])) == wanted:
            return load_model(config.output)
    train(TrainConfig(data=config.sources, output=config.output, model="baseline", progress=False))
    return load_model(config.output)
