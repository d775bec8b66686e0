"""A quick stance model for the demo: the baseline on the data at hand.

``quick_stance_model()`` trains the scikit-learn baseline on NewsMTSC train plus gold datasets
(the demo passes ``../shared``'s NewsMTSC and the checkout's ``datasets/*``), or reuses the model
already in the output folder when it was trained on the very same files and its folder checks
out (a damaged or older folder is trained again).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from stancekit.errors import ConfigError
from stancekit.examples import detect_format, split_files
from stancekit.io import file_sha256
from stancekit.models import MANIFEST, Manifest, Predictor, load_model


@dataclass
class QuickModelConfig:
    """Where the quick model's data are and where it is kept."""

    output: Path
    newsmtsc: Path | None = None
    gold: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.output = Path(self.output)
        self.newsmtsc = Path(self.newsmtsc) if self.newsmtsc is not None else None
        self.gold = [Path(p) for p in self.gold]
        if not self.sources:
            raise ConfigError("no training data for the demo model: expected NewsMTSC in ../shared/datasets/newsmtsc "
                              "(or $STANCEKIT_SHARED) or a gold dataset under datasets/; build one with "
                              "'stancekit dataset build' or pass a NewsMTSC folder")

    @property
    def sources(self) -> list[Path]:
        return ([self.newsmtsc] if self.newsmtsc is not None else []) + self.gold


def _fingerprints(sources: Sequence[Path]) -> list[str]:
    return sorted(file_sha256(f) for p in sources for f in split_files(p, "train", detect_format(p)))


def quick_stance_model(config: QuickModelConfig) -> Predictor:
    """The baseline trained on ``config.sources`` (reused when already trained on the same files)."""
    from stancekit.training import TrainConfig, train

    wanted = _fingerprints(config.sources)
    if (config.output / MANIFEST).is_file():
        try:
            manifest = Manifest.read(config.output)
            trained_on = sorted(s["sha256"] for s in manifest.data.get("train", []))
            if trained_on == wanted and manifest.files:  # an older folder (no file list) is retrained
                return load_model(config.output, task="stance")
        except ConfigError as err:  # a damaged folder (ModelError) or an old label scheme
            print(f"retraining the demo model: {err}", file=sys.stderr)
    train(TrainConfig(data=config.sources, output=config.output, kind="baseline", progress=False))
    return load_model(config.output, task="stance")
