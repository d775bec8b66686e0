"""The settings of ``stancekit ls rank``: light to import (the command line reads them; no numpy)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stancekit.active import DEFAULT_STRATEGY, STRATEGY_NAMES, StrategyName
from stancekit.errors import ConfigError
from stancekit.options import ACTORS, MODEL, PROJECT, STDOUT_OR_FILE, Range, check_fields, nested, option
from stancekit.studio.connection import StudioConnection


@dataclass
class RankConfig:
    """Which project's open tasks to rank with which model and strategy, and whether to apply the order."""

    project: str = PROJECT()
    model: Path = MODEL()
    strategy: StrategyName = option(DEFAULT_STRATEGY, help="breaking-ties (smallest gap between the two likeliest "
                                    "labels first), entropy or random.")
    spread_documents: bool = option(False, help="Round-robin over documents: every document's best task before "
                                    "any document's second.", flags=("--spread-documents",))
    limit: int | None = option(None, help="Rank (and apply) only the first N tasks.", range=Range(min=1))
    apply: bool = option(False, help="Make Label Studio's label stream serve the tasks in this order (imports "
                         "predictions and sets the project's sampling and model version).", flags=("--apply",))
    actors: Path | None = ACTORS(None)
    seed: int = option(0, help="Seed of the random strategy.")
    output: Path | None = STDOUT_OR_FILE(None)
    studio: StudioConnection = nested(StudioConnection)

    def __post_init__(self) -> None:
        self.project = self.project.strip()
        if not self.project:
            raise ConfigError("no project title given: pass --project with the Label Studio project's title")
        if self.strategy not in STRATEGY_NAMES:
            raise ConfigError(f"unknown strategy {self.strategy!r}: expected one of {', '.join(STRATEGY_NAMES)}")
        check_fields(self)
