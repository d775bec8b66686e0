"""Query strategies: order unlabelled sentences so that the most useful ones are labelled first.

Every strategy takes, per sentence, the model's probabilities (an array mentions x labels for a
stance model, or one row of labels for a sentence model) and returns the sentence indices in the
order to label them. A sentence is as uncertain as its least certain mention.

- :class:`BreakingTies` (the default): smallest gap between the two most probable labels first
  (Luo et al. 2005; strong with transformers in Schroeder et al. 2022).
- :class:`Entropy`: highest entropy of the label distribution first.
- :class:`Random`: a seeded shuffle (the baseline every strategy must beat).

:func:`certainty` is the number Label Studio shows as a prediction's ``score``: the BreakingTies
margin, so low = label me first and ordering by it is the BreakingTies order.

The formulas are those of small-text 1.4 (PyPI ``small-text``, ``query_strategies/strategies.py``:
``BreakingTies`` = best minus second-best probability, ``PredictionEntropy`` = scipy's entropy in
nats, ``RandomSampling``). small-text itself is not used: its ``query(clf, dataset, ...)`` calls a
small-text classifier's ``predict_proba`` for one distribution per item, while a stance sentence has
one per mention, and it returns an unordered top-n (``argpartition``), while the label stream needs a
full order. The two formulas are a few lines of numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from stancekit.active import STRATEGY_NAMES
from stancekit.errors import ConfigError
from stancekit.margins import top_two_margins


class QueryStrategy(Protocol):
    """Orders sentences for labelling, most useful first."""

    def rank(self, probabilities: Sequence[np.ndarray]) -> list[int]:
        """Indices into ``probabilities`` (one array per sentence), most worth labelling first."""
        ...


def _rows(probs: np.ndarray) -> np.ndarray:
    """A sentence's probabilities as a 2-D array (mentions x labels)."""
    rows = np.asarray(probs, dtype=float)
    return rows[None, :] if rows.ndim == 1 else rows


def certainty(probs: np.ndarray) -> float:
    """How sure the model is of a sentence, in [0, 1]: the smallest top-two margin over its mentions.

    0 means two labels tie for some mention (label it first); a sentence without mentions has
    nothing to decide and gets 1.
    """
    rows = _rows(probs)
    if rows.shape[0] == 0:
        return 1.0
    if rows.shape[-1] < 2:
        raise ConfigError(f"probabilities need at least two labels per row, found shape {rows.shape}")
    return float(top_two_margins(rows).min())


def uncertainty_entropy(probs: np.ndarray) -> float:
    """The largest entropy (nats) of a mention's label distribution; 0 for a sentence without mentions."""
    rows = _rows(probs)
    if rows.shape[0] == 0:
        return 0.0
    clipped = np.clip(rows, 1e-12, 1.0)
    return float((-(clipped * np.log(clipped)).sum(axis=-1)).max())


class BreakingTies:
    """Smallest margin between the two most probable labels first (ties keep the input order)."""

    name = "breaking-ties"

    def rank(self, probabilities: Sequence[np.ndarray]) -> list[int]:
        margins = np.array([certainty(p) for p in probabilities])
        return [int(i) for i in np.argsort(margins, kind="stable")]


class Entropy:
    """Highest entropy first (ties keep the input order)."""

    name = "entropy"

    def rank(self, probabilities: Sequence[np.ndarray]) -> list[int]:
        entropies = np.array([uncertainty_entropy(p) for p in probabilities])
        return [int(i) for i in np.argsort(-entropies, kind="stable")]


class Random:
    """A shuffle fixed by ``seed``: the same seed and number of sentences give the same order."""

    name = "random"

    def __init__(self, seed: int = 0):
        self.seed = seed

    def rank(self, probabilities: Sequence[np.ndarray]) -> list[int]:
        return [int(i) for i in np.random.default_rng(self.seed).permutation(len(probabilities))]


STRATEGIES: tuple[str, ...] = STRATEGY_NAMES


def make_strategy(name: str, *, seed: int = 0) -> QueryStrategy:
    """The strategy called ``name`` (one of :data:`STRATEGIES`); ``seed`` drives ``random``."""
    if name == "breaking-ties":
        return BreakingTies()
    if name == "entropy":
        return Entropy()
    if name == "random":
        return Random(seed)
    raise ConfigError(f"unknown query strategy {name!r}: expected one of {', '.join(STRATEGIES)}")


def spread_over_documents(order: Sequence[int], documents: Sequence[str], *,
                          per_document: int | None = None) -> list[int]:
    """Re-order a ranking so that a batch covers many documents: round-robin over documents.

    Round 1 takes every document's best-ranked sentence, round 2 every document's second, and so
    on; within a round the ranking decides. ``per_document`` keeps at most that many sentences of
    each document (the rest are dropped). ``documents[i]`` is the document of sentence ``i``.
    """
    if per_document is not None and per_document < 1:
        raise ConfigError(f"per-document limit must be at least 1, found {per_document}")
    if len(documents) < len(set(order)) or any(not 0 <= i < len(documents) for i in order):
        raise ConfigError(f"the ranking refers to {len(set(order))} sentences but {len(documents)} documents "
                          "are given; pass one document id per sentence")
    seen: dict[str, int] = {}
    keyed = []
    for position, index in enumerate(order):
        within = seen.get(documents[index], 0)
        seen[documents[index]] = within + 1
        if per_document is None or within < per_document:
            keyed.append((within, position, index))
    return [index for _, _, index in sorted(keyed)]
