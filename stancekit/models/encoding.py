"""Sentences -> encoder rows: the token ids and the token spans to classify (no torch needed).

Training and every inference path (torch, ONNX Runtime) build their rows here, so they read the
same tokens. Each mention is wrapped in ``[ ... ]`` markers (``span-pool`` marks all mentions of a
sentence, ``pair`` only the asked-about one and adds its text as a second segment; ``sentence`` marks
nothing). :func:`collate_arrays` pads a batch to its longest row (numpy; torch wraps the arrays).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stancekit.errors import ConfigError
from stancekit.models.manifest import TRANSFORMER_SCHEMES
from stancekit.records import Sentence

SCHEMES = TRANSFORMER_SCHEMES  # the one list: stancekit.models.manifest
OPEN, CLOSE = "[ ", " ]"


def mark_mentions(text: str, spans: Sequence[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """Wrap each (start, end) span in markers; return the new text and each span's marked extent."""
    unique = sorted(set(spans))
    inserts = sorted([(s, 1, i) for i, (s, _) in enumerate(unique)] + [(e, 0, i) for i, (_, e) in enumerate(unique)])
    parts: list[str] = []
    length, prev = 0, 0
    new_start: dict[int, int] = {}
    new_end: dict[int, int] = {}
    for pos, is_open, idx in inserts:
        parts.append(text[prev:pos])
        length += pos - prev
        prev = pos
        if is_open:
            new_start[idx] = length
            parts.append(OPEN)
            length += len(OPEN)
        else:
            parts.append(CLOSE)
            length += len(CLOSE)
            new_end[idx] = length
    parts.append(text[prev:])
    where = {span: (new_start[i], new_end[i]) for i, span in enumerate(unique)}
    return "".join(parts), [where[span] for span in spans]


@dataclass
class Row:
    """One encoder input: token ids and the token spans to classify, each tied to a (sentence, mention) slot."""

    input_ids: list[int]
    token_type_ids: list[int] | None
    spans: list[tuple[int, int]] = field(default_factory=list)
    slots: list[tuple[int, int]] = field(default_factory=list)  # (sentence index, mention index or -1)
    labels: list[int] = field(default_factory=list)
    cut: bool = False  # a sentence-scheme row that lost the end of its sentence to max_length


def _token_span(offsets: Sequence[tuple[int, int]], in_first: Sequence[bool], start: int, end: int
                ) -> tuple[int, int] | None:
    """Token index range [a, b) of the characters [start, end); None when truncation cut them off."""
    idx = [i for i, ((s, e), first) in enumerate(zip(offsets, in_first)) if first and e > s and s >= start and e <= end]
    return (idx[0], idx[-1] + 1) if idx else None


@dataclass
class _Plan:
    """One encoder input before tokenization: its text (and pair text) and the character spans to classify."""

    sentence: int
    mentions: list[int]  # mention indices, [-1] for the sentence scheme
    text: str
    pair: str | None
    spans: list[tuple[int, int]]


def _encode(tokenizer: Any, plans: Sequence[_Plan], max_length: int) -> list[Row | None]:
    """One row per plan, truncated to ``max_length``; None where truncation cut off a span."""
    if not plans:
        return []
    pairs = [plan.pair for plan in plans] if plans[0].pair is not None else None
    encoded = tokenizer([plan.text for plan in plans], pairs, truncation="only_first" if pairs else True,
                        max_length=max_length, return_offsets_mapping=True)
    rows: list[Row | None] = []
    for k, plan in enumerate(plans):
        in_first = [sid == 0 for sid in encoded.sequence_ids(k)]
        spans = [_token_span(encoded["offset_mapping"][k], in_first, s, e) for s, e in plan.spans]
        token_types = encoded["token_type_ids"][k] if "token_type_ids" in encoded else None
        reached = max((e for (_, e), first in zip(encoded["offset_mapping"][k], in_first) if first), default=0)
        rows.append(None if None in spans else
                    Row(encoded["input_ids"][k], token_types, spans, [(plan.sentence, mi) for mi in plan.mentions],
                        cut=reached < len(plan.text.rstrip())))
    return rows


def _windows(tokenizer: Any, plan: _Plan, max_length: int) -> list[_Plan]:
    """One plan per mention of a too-long plan: the whole words around the mention, centred on it, that fit."""
    budget = max_length - tokenizer.num_special_tokens_to_add(pair=plan.pair is not None)
    if plan.pair is not None:
        budget -= len(tokenizer(plan.pair, add_special_tokens=False)["input_ids"])
    encoded = tokenizer(plan.text, add_special_tokens=False, return_offsets_mapping=True)
    offsets, words = encoded["offset_mapping"], encoded.word_ids()
    windows = []
    for mi, (start, end) in zip(plan.mentions, plan.spans):
        inside = [i for i, (s, e) in enumerate(offsets) if e > start and s < end]
        first, last = inside[0], min(inside[-1] + 1, inside[0] + budget)
        lo = max(0, min(first - (budget - (last - first)) // 2, len(offsets) - budget))
        hi = min(len(offsets), lo + budget)
        while 0 < lo < first and words[lo] == words[lo - 1]:  # start and end on word boundaries
            lo += 1
        while last < hi < len(offsets) and words[hi] == words[hi - 1]:
            hi -= 1
        cut = offsets[lo][0]
        windows.append(_Plan(plan.sentence, [mi], plan.text[cut: offsets[hi - 1][1]], plan.pair,
                             [(start - cut, end - cut)]))
    return windows


def build_rows(tokenizer: Any, sentences: Sequence[Sentence], scheme: str, max_length: int,
               mentions: Sequence[Sequence[int]] | None = None) -> list[Row]:
    """Encoder rows for ``sentences``; ``mentions`` limits which mention indices get a span (default: all).

    A row whose mentions do not all fit in ``max_length`` tokens is replaced by one row per mention: a
    window of whole words centred on that mention, so that every mention is scored on its own context
    (a long sentence scored for sentiment keeps its first ``max_length`` tokens). Training and
    inference both build their rows here.
    """
    if scheme not in SCHEMES:
        raise ConfigError(f"unknown input scheme {scheme!r}, expected one of {SCHEMES}")
    wanted = [list(range(len(s.mentions))) for s in sentences] if mentions is None else [list(m) for m in mentions]
    plans: list[_Plan] = []
    for si, (sentence, idxs) in enumerate(zip(sentences, wanted)):
        if scheme == "sentence":
            plans.append(_Plan(si, [-1], sentence.text, None, []))
        elif scheme == "span-pool":
            if not idxs:
                continue
            marked, new_spans = mark_mentions(sentence.text, [(m.start, m.end) for m in sentence.mentions])
            plans.append(_Plan(si, idxs, marked, None, [new_spans[i] for i in idxs]))
        else:
            for mi in idxs:
                m = sentence.mentions[mi]
                marked, new_spans = mark_mentions(sentence.text, [(m.start, m.end)])
                plans.append(_Plan(si, [mi], marked, m.text, new_spans))
    rows = _encode(tokenizer, plans, max_length)
    windows = [w for plan, row in zip(plans, rows) if row is None for w in _windows(tokenizer, plan, max_length)]
    windowed = _encode(tokenizer, windows, max_length)
    if None in windowed:
        raise ConfigError(f"a mention is longer than the model's {max_length} tokens; shorten it in the actor "
                          "dictionary or train with a larger max length")
    return [row for row in rows + windowed if row is not None]


def collate_arrays(rows: Sequence[Row], pad_id: int) -> dict[str, np.ndarray]:
    """Pad a batch to its longest row (dynamic padding) and flatten its spans: int64 arrays by input name."""
    width = max(len(r.input_ids) for r in rows)
    ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    types = np.zeros((len(rows), width), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r.input_ids)] = r.input_ids
        mask[i, : len(r.input_ids)] = 1
        if r.token_type_ids is not None:
            types[i, : len(r.token_type_ids)] = r.token_type_ids
    batch = {"input_ids": ids, "attention_mask": mask}
    if rows[0].token_type_ids is not None:
        batch["token_type_ids"] = types
    if rows[0].spans:
        flat = np.array([(i, s, e) for i, r in enumerate(rows) for s, e in r.spans], dtype=np.int64).reshape(-1, 3)
        batch["span_rows"], batch["span_starts"], batch["span_ends"] = flat[:, 0], flat[:, 1], flat[:, 2]
    if rows[0].labels:
        batch["labels"] = np.array([label for r in rows for label in r.labels], dtype=np.int64)
    return batch
