"""Cutting work into batches by a size budget (mentions or items per model batch)."""

from __future__ import annotations

from collections.abc import Sequence


def cut_batches(order: Sequence[int], sizes: Sequence[int], limit: int, *, lengths: Sequence[int] | None = None,
                token_budget: int | None = None) -> list[list[int]]:
    """Cut ``order`` into consecutive batches whose ``sizes[i]`` add up to at most ``limit``; with ``lengths``
    and ``token_budget``, also whose padded size (rows x longest row) stays within ``token_budget``.

    A batch always takes at least one index, so a single item larger than a limit is a batch of its own.
    """
    batches: list[list[int]] = []
    current: list[int] = []
    total = longest = 0
    for i in order:
        width = max(longest, lengths[i]) if lengths is not None else 0
        over_tokens = token_budget is not None and (len(current) + 1) * width > token_budget
        if current and (total + sizes[i] > limit or over_tokens):
            batches.append(current)
            current, total, width = [], 0, lengths[i] if lengths is not None else 0
        current.append(i)
        total += sizes[i]
        longest = width
    if current:
        batches.append(current)
    return batches
