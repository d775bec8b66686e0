"""Cutting work into batches by a size budget (mentions or items per model batch)."""

from __future__ import annotations

from collections.abc import Sequence


def cut_batches(order: Sequence[int], sizes: Sequence[int], limit: int) -> list[list[int]]:
    """Cut ``order`` into consecutive batches whose ``sizes[i]`` add up to at most ``limit``.

    A batch always takes at least one index, so a single item larger than ``limit`` is a batch of its own.
    """
    batches: list[list[int]] = []
    current: list[int] = []
    total = 0
    for i in order:
        if current and total + sizes[i] > limit:
            batches.append(current)
            current, total = [], 0
        current.append(i)
        total += sizes[i]
    if current:
        batches.append(current)
    return batches
