"""Where an annotator's actor span came from, against the spans the task was pre-annotated with."""

from __future__ import annotations

Span = tuple[str, int, int]  # actor, start, end


def span_origins(predicted: list[Span], marked: list[Span]) -> tuple[list[str], list[Span]]:
    """Each marked span's origin, and the predicted spans the annotator removed.

    A marked span equal to a predicted one is "prediction" (kept). A predicted span not kept was
    changed or removed: a marked span overlapping such a span is "edited" (relabelled, boundaries
    moved, replaced); any other marked span is "added", even inside a kept span. A changed predicted
    span that no edited span overlaps was deleted.
    """
    kept = set(predicted) & set(marked)
    changed = [p for p in predicted if p not in kept]
    origins, replaced = [], set()
    for actor, start, end in marked:
        if (actor, start, end) in kept:
            origins.append("prediction")
            continue
        overlapping = {p for p in changed if p[1] < end and start < p[2]}
        replaced |= overlapping
        origins.append("edited" if overlapping else "added")
    return origins, [p for p in changed if p not in replaced]
