"""Active learning: which unlabelled sentences are worth labelling next (``strategies``) and the ranking of a
Label Studio project's open tasks (``rank``)."""

from typing import Literal, get_args

# here, not in strategies (numpy), so that the command line can offer the names without importing numpy
StrategyName = Literal["breaking-ties", "entropy", "random"]
STRATEGY_NAMES: tuple[str, ...] = get_args(StrategyName)
DEFAULT_STRATEGY: StrategyName = "breaking-ties"
