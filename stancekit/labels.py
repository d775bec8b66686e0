"""The label schemes shared by annotation, datasets, training and tagging."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stancekit.errors import ConfigError

STANCE_LABELS: tuple[str, ...] = ("favor", "against", "neutral")
STANCE_ANNOTATOR_ONLY: tuple[str, ...] = ("unclear",)  # annotators may say it; models never learn it
SENTIMENT_LABELS: tuple[str, ...] = ("positive", "negative", "neutral")

Task = Literal["stance", "sentiment"]
TASK_LABELS: dict[str, tuple[str, ...]] = {"stance": STANCE_LABELS, "sentiment": SENTIMENT_LABELS}

# NewsMTSC polarity codes -> stance labels
NEWSMTSC_POLARITY = {2.0: "against", 4.0: "neutral", 6.0: "favor"}


@dataclass(frozen=True)
class LabelScheme:
    """The labels a model learns (and annotators may add extra ones that are never learnt)."""

    stance: tuple[str, ...] = STANCE_LABELS
    sentiment: tuple[str, ...] = SENTIMENT_LABELS
    annotator_only: tuple[str, ...] = STANCE_ANNOTATOR_ONLY

    def __post_init__(self) -> None:
        for name, labels in (("stance", self.stance), ("sentiment", self.sentiment)):
            if len(labels) < 2 or len(set(labels)) != len(labels):
                raise ConfigError(f"{name} labels must be at least two distinct names, found {list(labels)}")
        clash = set(self.annotator_only) & set(self.stance)
        if clash:
            raise ConfigError(f"annotator-only labels {sorted(clash)} are also stance labels; keep them apart")
