"""Top-two margins of label probabilities: one measure of how sure a model is, used in three places.

int8 tagging redoes in fp32 the sentences whose int8 margin is small (:mod:`stancekit.models.quantization`);
BreakingTies labels the smallest margins first, and Label Studio's prediction ``score`` is the margin of a
sentence's least certain mention (:mod:`stancekit.active.strategies`, used by ``ls rank`` and ``serve``).
"""

from __future__ import annotations

import numpy as np


def top_two_margins(probs: np.ndarray) -> np.ndarray:
    """Per row of probabilities, the gap between the two most likely labels."""
    top = np.sort(probs, axis=-1)
    return top[..., -1] - top[..., -2]
